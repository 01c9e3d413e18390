# A host's share of a partition across hosts, with real packets and no
# VXLAN: this sandbox is host h1. aspen makes node a (its namespace, veth
# and the bridge with the gateway); node b is placed by the topology on
# another host, so h1 has no port of b's: the test wires b to the same
# bridge by hand (a veth through `ip`, b's MAC and address as the compiler
# derives them), as a VXLAN port would bring b's frames in. The fault
# engine compiled for h1 (tests/tools/faultctl, placement by hand:
# FAULTCTL_HERE / FAULTCTL_AWAY) must then cut exactly what h1's share
# says (docs/faults.md, "Faults across hosts"): a | b both ways, a -> b
# only, b -> a only (ICMP counters of each side), isolate b (from a and
# the gateway); a fault between two remote nodes is a no-op here; revert
# and heal restore everything.
. "$ASPEN_TESTS/e2e/lib.sh"
. "$ASPEN_TESTS/e2e/fault.inc"
N=mhf
FA=$WORK/mhf-a.yaml      # what h1 runs: node a only
FAB=$WORK/mhf.yaml       # the whole topology: a here, b and c on another host
head='apiVersion: aspen/v1
name: mhf
defaults: {kind: netns, command: [sleep, infinity]}
networks:
  lan: {subnet: 10.120.0.0/24, gateway: 10.120.0.1}
nodes:
  a: {interfaces: [{network: lan, ip: 10.120.0.11}]}'
printf '%s\n' "$head" >"$FA"
cat >"$FAB" <<EOF
$head
  b: {interfaces: [{network: lan, ip: 10.120.0.12}]}
  c: {interfaces: [{network: lan, ip: 10.120.0.13}]}
faults:
  - {at: 1s, for: 5s, partition: [[a], [b]]}
  - {at: 1s, for: 5s, partition: {from: [a], to: [b]}}
  - {at: 1s, for: 5s, partition: {from: [b], to: [a]}}
  - {at: 1s, for: 5s, partition: {isolate: b}}
  - {at: 1s, for: 5s, partition: {from: [b], to: [c]}}
EOF
export FAULTCTL_HERE=h1 FAULTCTL_AWAY="b c"
NSA=aspen-$N-a NSB=mhf-remote-b
IP_a=10.120.0.11 IP_b=10.120.0.12 IP_gw=10.120.0.1

# ping_ok NS ADDR / ping_no NS ADDR: one probe answered / three all lost.
ping_ok() { ip netns exec "$1" ping -c1 -W1 -q "$2" >/dev/null 2>&1 || fail "$1 -> $2 blocked"; }
ping_no() {
	if ip netns exec "$1" ping -c3 -i0.2 -W1 -q "$2" >/dev/null 2>&1; then fail "$1 -> $2 gets through"; fi
}
all_reach() {
	ping_ok $NSA $IP_b; ping_ok $NSB $IP_a; ping_ok $NSA $IP_gw; ping_ok $NSB $IP_gw
}

step "apply node a; wire b by hand to the same bridge, as the compiler derives it"
aspen_ok apply --no-wait --no-schedule "$FA" >/dev/null
read -r MAC_a _ PORT_a BR <<EOF
$(FAULTCTL_HERE= "$FC" iface "$FA" a)
EOF
[ "$("$FC" iface "$FAB" a)" = "$MAC_a $IP_a $PORT_a $BR" ] ||
	fail "a differs between the two files: $("$FC" iface "$FAB" a)"
read -r MAC_b ip_b PORT_b _ <<EOF
$("$FC" iface "$FAB" b)
EOF
[ "$ip_b" = $IP_b ] || fail "b's address is $ip_b"
ip link show "$PORT_a" >/dev/null || fail "aspen made no port $PORT_a"
ip link show "$PORT_b" >/dev/null 2>&1 && fail "b has a port on h1"
ip netns add $NSB
ip link add vxsim-b type veth peer name eth0 netns $NSB
ip link set vxsim-b master "$BR" up
ip -n $NSB link set lo up
ip -n $NSB link set eth0 address "$MAC_b" up
ip -n $NSB addr add $IP_b/24 dev eth0
all_reach

step "partition a | b: cut both ways on h1, by a's port and b's MAC / address"
fc_ok apply "$FAB" 0
grep -q '"local_ports":[[:space:]]*1' "$WORK/fc" || { cat "$WORK/fc"; fail "record lacks local_ports 1"; }
grep -q '"host":[[:space:]]*"h1"' "$WORK/fc" || fail "record lacks host h1"
nft list chain bridge aspen-$N fault-f0 | grep -q "ether daddr $MAC_b" || fail "no MAC rule"
ping_no $NSA $IP_b; ping_no $NSB $IP_a
ping_ok $NSA $IP_gw; ping_ok $NSB $IP_gw
fc_ok revert "$FAB" 0
all_reach
no_aspen_table

step "one-way a -> b: a's requests never reach b, b's reach a, a's replies do not reach b"
fc_ok apply "$FAB" 1
inb=$(snmp $NSB InEchos)
ip netns exec $NSA ping -c3 -i0.2 -W1 -q $IP_b >/dev/null 2>&1 && fail "a -> b answered"
[ "$(snmp $NSB InEchos)" = "$inb" ] || fail "a's requests reached b"
ina=$(snmp $NSA InEchos) repb=$(snmp $NSB InEchoReps)
ip netns exec $NSB ping -c3 -i0.2 -W1 -q $IP_a >/dev/null 2>&1 && fail "b got a's replies"
[ "$(snmp $NSA InEchos)" = $((ina + 3)) ] || fail "b -> a requests did not all arrive"
[ "$(snmp $NSB InEchoReps)" = "$repb" ] || fail "a -> b replies got through"
ping_ok $NSA $IP_gw; ping_ok $NSB $IP_gw
fc_ok revert "$FAB" 1
all_reach
no_aspen_table

step "one-way b -> a: b's requests never reach a, a's reach b, b's replies do not reach a"
fc_ok apply "$FAB" 2
ina=$(snmp $NSA InEchos)
ip netns exec $NSB ping -c3 -i0.2 -W1 -q $IP_a >/dev/null 2>&1 && fail "b -> a answered"
[ "$(snmp $NSA InEchos)" = "$ina" ] || fail "b's requests reached a"
inb=$(snmp $NSB InEchos) repa=$(snmp $NSA InEchoReps)
ip netns exec $NSA ping -c3 -i0.2 -W1 -q $IP_b >/dev/null 2>&1 && fail "a got b's replies"
[ "$(snmp $NSB InEchos)" = $((inb + 3)) ] || fail "a -> b requests did not all arrive"
[ "$(snmp $NSA InEchoReps)" = "$repa" ] || fail "b -> a replies got through"
ping_ok $NSA $IP_gw; ping_ok $NSB $IP_gw
fc_ok revert "$FAB" 2
all_reach
no_aspen_table

step "isolate b (on another host): cut from a and from the gateway, a keeps the gateway"
fc_ok apply "$FAB" 3
grep -q '"local_ports":[[:space:]]*0' "$WORK/fc" || fail "isolate of a remote node names a port here"
ping_no $NSA $IP_b; ping_no $NSB $IP_a; ping_no $NSB $IP_gw
ping_ok $NSA $IP_gw
step "heal restores everything"
fc_ok heal "$FAB"
all_reach
no_aspen_table

step "b -> c, both on another host: no share here, nothing made, revert a no-op"
fc_ok apply "$FAB" 4
grep -q '"no_local_share":[[:space:]]*true' "$WORK/fc" || { cat "$WORK/fc"; fail "record lacks no_local_share"; }
no_aspen_table
fc_ok revert "$FAB" 4
fc_ok revert "$FAB" 4
no_aspen_table
all_reach

step "unwire b, destroy a: nothing left"
ip link del vxsim-b
ip netns del $NSB
aspen_ok destroy "$FA" >/dev/null
assert_clean $N
no_aspen_table

# Partitions through nf_tables, checked with real packets: a symmetric
# partition cuts exactly across the groups; a one-way partition drops exactly
# one direction (seen in the ICMP counters of each namespace); isolate cuts
# a node from everyone, the gateway included; overlapping partitions drop the
# union; revert and heal leave no aspen table; a foreign table of aspen's
# name is never touched.
. "$ASPEN_TESTS/e2e/lib.sh"
. "$ASPEN_TESTS/e2e/fault.inc"
N=fpart
F=$WORK/fpart.yaml
cat >"$F" <<'EOF'
apiVersion: aspen/v1
name: fpart
defaults: {kind: netns, command: [sleep, infinity]}
networks:
  lan: {subnet: 10.110.0.0/24, gateway: 10.110.0.1}
nodes:
  n1: {interfaces: [{network: lan, ip: 10.110.0.11}]}
  n2: {interfaces: [{network: lan, ip: 10.110.0.12}]}
  n3: {interfaces: [{network: lan, ip: 10.110.0.13}]}
faults:
  - {at: 1s, for: 5s, partition: [[n1], [n2, n3]]}
  - {name: n1-deaf, at: 1s, for: 5s, partition: {from: [n1], to: [n2]}}
  - {at: 1s, for: 5s, partition: {isolate: n3}}
  - {at: 1s, for: 5s, partition: [[n1, n2], [n3]]}
EOF
IP_n1=10.110.0.11 IP_n2=10.110.0.12 IP_n3=10.110.0.13 IP_gw=10.110.0.1
all_reach() {
	for a in n1 n2 n3; do
		for b in n1 n2 n3 gw; do reach $N $a $b; done
	done
}

step "apply the topology; every pair reachable"
aspen_ok apply --no-wait --no-schedule "$F" >/dev/null
all_reach

step "symmetric partition [n1] | [n2 n3]: cut across, not within a side"
fc_ok apply "$F" 0
for p in "n1 n2" "n2 n1" "n1 n3" "n3 n1"; do no_reach $N $p; done
reach $N n2 n3; reach $N n3 n2
for a in n1 n2 n3; do reach $N $a gw; done
nft list table bridge aspen-$N | grep -q 'chain fault-f0' || fail "no chain fault-f0"
fc_ok revert "$F" 0
all_reach
no_aspen_table
step "revert again is a no-op"
fc_ok revert "$F" 0
no_aspen_table

step "one-way n1 -> n2: n1's echo requests never arrive, n2's do"
fc_ok apply "$F" 1
nft list table bridge aspen-$N | grep -q 'chain fault-n1-deaf' || fail "label is not the key"
in2=$(snmp aspen-$N-n2 InEchos)
ip netns exec aspen-$N-n1 ping -c3 -i0.2 -W1 -q $IP_n2 >/dev/null 2>&1 && fail "n1 -> n2 answered"
[ "$(snmp aspen-$N-n2 InEchos)" = "$in2" ] || fail "n1's requests reached n2"
in1=$(snmp aspen-$N-n1 InEchos) rep2=$(snmp aspen-$N-n2 InEchoReps)
ip netns exec aspen-$N-n2 ping -c3 -i0.2 -W1 -q $IP_n1 >/dev/null 2>&1 && fail "n2 got n1's replies"
[ "$(snmp aspen-$N-n1 InEchos)" = $((in1 + 3)) ] || fail "n2 -> n1 requests did not all arrive"
[ "$(snmp aspen-$N-n2 InEchoReps)" = "$rep2" ] || fail "n1 -> n2 replies got through"
reach $N n1 n3; reach $N n3 n1; reach $N n2 n3; reach $N n3 n2
fc_ok revert "$F" 1
all_reach
no_aspen_table

step "isolate n3: cut from every node and the gateway"
fc_ok apply "$F" 2
for p in "n3 n1" "n3 n2" "n1 n3" "n2 n3" "n3 gw"; do no_reach $N $p; done
reach $N n1 n2; reach $N n2 n1; reach $N n1 gw
fc_ok revert "$F" 2
all_reach

step "overlapping partitions compose: union of the drops, each reverted alone"
fc_ok apply "$F" 0
fc_ok apply "$F" 3
for p in "n1 n2" "n1 n3" "n2 n3" "n3 n2"; do no_reach $N $p; done
[ "$(nft list table bridge aspen-$N | grep -c 'jump fault-')" = 6 ] || fail "expected 6 jumps"
fc_ok revert "$F" 0
reach $N n1 n2; reach $N n2 n1
no_reach $N n2 n3; no_reach $N n1 n3
nft list table bridge aspen-$N | grep -q 'fault-f0' && fail "fault-f0 left after its revert"
fc_ok revert "$F" 3
all_reach
no_aspen_table

step "applying twice keeps one set of jumps"
fc_ok apply "$F" 0
fc_ok apply "$F" 0
[ "$(nft list table bridge aspen-$N | grep -c 'jump fault-f0')" = 3 ] || fail "duplicate jumps"
fc_ok revert "$F" 0
no_aspen_table

step "heal removes every partition at once"
fc_ok apply "$F" 0; fc_ok apply "$F" 1; fc_ok apply "$F" 2
no_reach $N n1 n2
fc_ok heal "$F"
all_reach
no_aspen_table
fc_ok heal "$F"
fc_ok revert "$F" 1

step "a table of aspen's name without its mark is not aspen's"
nft add table bridge aspen-$N
fc_fails apply "$F" 0
grep -q "is not aspen's" "$WORK/fc" || fail "no ownership message"
fc_ok heal "$F"
nft list tables | grep -q "aspen-$N" || fail "heal deleted a foreign table"
nft delete table bridge aspen-$N
all_reach

step "destroy leaves nothing"
aspen_ok destroy $N >/dev/null
assert_clean $N
no_aspen_table
echo ok

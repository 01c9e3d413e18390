# link-down sets the host end of the node's veth down: the node is cut from
# everyone, keeps its address and default route inside (only carrier goes),
# and revert / heal bring it back. A link aspen does not own is never touched.
. "$ASPEN_TESTS/e2e/lib.sh"
. "$ASPEN_TESTS/e2e/fault.inc"
N=flink
F=$WORK/flink.yaml
cat >"$F" <<'YAML'
apiVersion: aspen/v1
name: flink
defaults: {kind: netns, command: [sleep, infinity]}
networks:
  lan: {subnet: 10.113.0.0/24, gateway: 10.113.0.1}
nodes:
  n1: {interfaces: [{network: lan, ip: 10.113.0.11}]}
  n2: {interfaces: [{network: lan, ip: 10.113.0.12}]}
  n3: {interfaces: [{network: lan, ip: 10.113.0.13}]}
faults:
  - {at: 1s, for: 5s, link-down: [n2]}
  - {at: 7s, for: 5s, link-down: {nodes: [n3.eth0]}}
YAML
IP_n1=10.113.0.11 IP_n2=10.113.0.12 IP_n3=10.113.0.13 IP_gw=10.113.0.1
host_end() { ip -o link show | awk -v a="alias aspen:$N:veth/$1.eth0" 'index($0, a) { sub(/@.*/, "", $2); print $2 }'; }

aspen_ok apply --no-wait --no-schedule "$F" >/dev/null
H2=$(host_end n2)
[ -n "$H2" ] || fail "no host end for n2"

step "link-down n2: cut from every node and the gateway"
fc_ok apply "$F" 0
ip link show "$H2" | grep -q 'state DOWN' || fail "host end $H2 is not down"
for p in "n2 n1" "n2 n3" "n2 gw" "n1 n2" "n3 n2"; do no_reach $N $p; done
reach $N n1 n3; reach $N n3 n1

step "inside n2: eth0 still up with its address and route, only without carrier"
ip -n aspen-$N-n2 link show eth0 | grep -q 'NO-CARRIER.*,UP' || fail "eth0 inside lost admin up"
ip -n aspen-$N-n2 -4 addr show dev eth0 | grep -q '10.113.0.12/24' || fail "address gone"
ip -n aspen-$N-n2 route show default | grep -q 'via 10.113.0.1' || fail "default route gone"

step "revert: up again, reachable"
fc_ok revert "$F" 0
ip link show "$H2" | grep -q 'state UP' || fail "host end $H2 still down"
reach $N n2 n1; reach $N n1 n2; reach $N n2 gw
fc_ok revert "$F" 0

step "an interface target; heal brings it up"
fc_ok apply "$F" 1
no_reach $N n1 n3
fc_ok heal "$F"
reach $N n1 n3; reach $N n3 gw

step "a link whose alias is not aspen's is left alone"
H3=$(host_end n3)
ip link set "$H3" alias someone-else
fc_fails apply "$F" 1
grep -q "is not aspen's" "$WORK/fc" || fail "no ownership message"
ip link show "$H3" | grep -q 'state UP' || fail "foreign link set down"
ip link set "$H3" alias "aspen:$N:veth/n3.eth0"

aspen_ok destroy $N >/dev/null
assert_clean $N
echo ok

# Drift: objects removed or changed by hand show in `plan` and `apply`
# repairs exactly them; `status` reports them missing.
. "$ASPEN_TESTS/e2e/lib.sh"
N=cluster3n
F=$TOPO/cluster3-netns.yaml
aspen_ok apply "$F"
host=$(ip -o link show | awk -F': ' '/alias aspen:cluster3n:veth\/node2.eth0/ {print $2}' | cut -d@ -f1)
[ -n "$host" ] || fail "cannot find node2's host veth"

brmac=$(ip -o link show type bridge | grep -o 'link/ether [^ ]*')
step "delete node2's veth by hand"
ip link del "$host"
aspen_ok status $N
out_has "missing"
"$ASPEN" plan --detailed-exitcode "$F" >"$WORK/out" 2>&1 && fail "plan saw no drift"
cat "$WORK/out"
out_has "veth/node2.eth0"
out_has "addr/node2.eth0"
ns_ping aspen-$N-node1 10.100.0.3 && fail "node2 still reachable without its veth"

step "apply repairs it"
aspen_ok apply "$F"
[ "$(ip -o link show type bridge | grep -o 'link/ether [^ ]*')" = "$brmac" ] \
	|| fail "the bridge changed its MAC when a port came back (stale ARP on every node)"
ns_ping aspen-$N-node1 10.100.0.3 || fail "node2 unreachable after repair"
aspen_ok apply "$F"
out_has "No changes"

step "an address removed inside a node"
ip -n aspen-$N-node3 addr del 10.100.0.4/24 dev eth0
aspen_ok plan "$F"
out_has "addr/node3.eth0"
aspen_ok apply "$F"
ns_ping aspen-$N-node1 10.100.0.4 || fail "node3 unreachable after repair"

step "a node process killed by hand is restarted"
pid=$(ip netns pids aspen-$N-node1 | head -n1)
kill -9 "$pid"
sleep 0.2
aspen_ok plan "$F"
out_has "process/node1"
aspen_ok apply "$F"
[ -n "$(ip netns pids aspen-$N-node1)" ] || fail "node1 process not restarted"

step "editing the file converges with the minimal change"
sed -e 's/10.100.0.4/10.100.0.44/' "$F" >"$WORK/edited.yaml"
aspen_ok plan "$WORK/edited.yaml"
grep -q "bridge/lan" "$WORK/out" && fail "an address change must not touch the bridge"
aspen_ok apply "$WORK/edited.yaml"
ns_ping aspen-$N-node1 10.100.0.44 || fail "new address unreachable"
aspen_ok destroy $N
assert_clean $N
echo ok

# A foreign object with aspen's name is left untouched, and the error says
# what it is and how to resolve it; destroy does not touch it either.
. "$ASPEN_TESTS/e2e/lib.sh"
N=cluster3n
F=$TOPO/cluster3-netns.yaml
br=$("$ASPEN" plan "$F" | sed -n 's/^ *+ bridge\/lan *name=\([^ ]*\).*/\1/p')
[ -n "$br" ] || fail "cannot read the bridge name from the plan"
ip link add "$br" type bridge
ip link set "$br" alias "someone-elses"
aspen_fails apply --no-schedule "$F"
out_has "$br"
out_has "is not aspen's"
out_has "nothing was changed"
[ -z "$(ip netns list)" ] || fail "apply changed something before failing"
ip link show "$br" | grep -q "$br" || fail "the foreign link was changed"
ip -d link show "$br" | grep -q "alias someone-elses" || fail "the foreign alias was changed"
aspen_ok destroy $N
ip link show "$br" >/dev/null 2>&1 || fail "destroy deleted a foreign link"
ip link del "$br"
assert_clean $N

step "a foreign namespace with a node's name"
ip netns add aspen-$N-node2
aspen_fails apply --no-schedule "$F"
out_has "aspen-$N-node2"
out_has "nothing was changed"
[ "$(ip netns list | wc -l)" = 1 ] || fail "apply changed something before failing"
aspen_ok destroy $N
ip netns list | grep -q aspen-$N-node2 || fail "destroy deleted a foreign namespace"
ip netns del aspen-$N-node2
assert_clean $N
echo ok

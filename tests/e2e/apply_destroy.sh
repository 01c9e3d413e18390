# apply -> every pair reachable; re-apply -> zero changes; destroy -> nothing
# left; destroy again -> still fine.
. "$ASPEN_TESTS/e2e/lib.sh"
N=cluster3n
step "apply"
aspen_ok apply --no-schedule "$TOPO/cluster3-netns.yaml"
out_has "Apply complete"

step "namespaces, addresses, processes"
for i in 1 2 3; do
	ip netns list | grep -q "aspen-$N-node$i" || fail "namespace node$i missing"
	ip -n "aspen-$N-node$i" -4 -o addr show dev eth0 | grep -q "10.100.0.$((i + 1))/24" \
		|| fail "node$i address"
	ip -n "aspen-$N-node$i" route show default | grep -q "via 10.100.0.1" || fail "node$i route"
done
[ "$(ps -eo args= | grep -c '^sleep infinity')" = 3 ] || fail "expected 3 node processes"

step "reachability between every pair, and to the gateway"
for a in 1 2 3; do
	for b in 1 2 3; do
		ns_ping "aspen-$N-node$a" "10.100.0.$((b + 1))" || fail "node$a -> node$b"
	done
	ns_ping "aspen-$N-node$a" 10.100.0.1 || fail "node$a -> gateway"
done

step "the node's environment names itself and its peers"
pid=$(ps -eo pid=,args= | awk '$2 == "sleep" {print $1; exit}')
tr '\0' '\n' </proc/$pid/environ | grep -q '^ASPEN_TOPOLOGY=cluster3n$' || fail "env"

step "re-apply changes nothing"
aspen_ok apply --no-schedule "$TOPO/cluster3-netns.yaml"
out_has "No changes"
aspen_ok plan --detailed-exitcode "$TOPO/cluster3-netns.yaml"

step "status"
aspen_ok status $N
out_has "process/node1"
aspen_ok status --json $N
grep -q '"missing":0' "$WORK/out" || fail "status json"

step "destroy"
aspen_ok destroy "$TOPO/cluster3-netns.yaml"
out_has "Destroy complete"
assert_clean $N
step "destroy again is a no-op"
aspen_ok destroy $N
out_has "Nothing to destroy"
assert_clean $N
echo ok

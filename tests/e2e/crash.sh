# Crash safety: SIGKILL aspen apply right after each action in turn; destroy
# must then leave nothing. Then: crash, re-apply converges (no "exists").
. "$ASPEN_TESTS/e2e/lib.sh"
N=cluster3n
F=$TOPO/cluster3-netns.yaml
total=$("$ASPEN" plan --json "$F" | tr ',' '\n' | grep -c '"op":')
[ "$total" -gt 10 ] || fail "plan has only $total actions"
i=1
while [ $i -le "$total" ]; do
	ASPEN_TEST_CRASH_AFTER=$i "$ASPEN" apply --no-schedule "$F" >"$WORK/out" 2>&1 && fail "apply did not crash at $i"
	"$ASPEN" destroy $N >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "destroy after crash at $i"; }
	assert_clean $N
	i=$((i + 1))
done
echo "destroy after a crash at each of $total actions: clean"

step "crash, then re-apply converges"
for i in 3 $((total / 2)) $((total - 1)); do
	ASPEN_TEST_CRASH_AFTER=$i "$ASPEN" apply --no-schedule "$F" >/dev/null 2>&1 && fail "no crash at $i"
	aspen_ok apply --no-schedule "$F"
	grep -q "to replace" "$WORK/out" && ! grep -q " 0 to replace" "$WORK/out" && fail "re-apply after a crash replaced objects it should adopt"
	aspen_ok apply --no-schedule "$F"
	out_has "No changes"
	ns_ping aspen-$N-node1 10.100.0.4 || fail "cluster not reachable after crash at $i"
	aspen_ok destroy $N
	assert_clean $N
done
aspen_ok destroy $N
assert_clean $N
echo ok

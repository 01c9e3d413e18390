# Named regression tests for crash windows the crash matrix found
# (docs/crash-matrix.md), each a single crash point of tests/tools/crashat.
. "$ASPEN_TESTS/e2e/lib.sh"
: "${BUILD:?}"
CRASHAT=$BUILD/tools/crashat
N=cluster3n
F=$TOPO/cluster3-netns.yaml

step "a daemon's intermediate process killed before the pidfile: no unmarked node process"
# crashat -o kills only the process making the call: the intermediate, on
# its way to rename node2's pidfile into place. Its child must not exec.
"$CRASHAT" -o -p 'rename:/run/aspen/cluster3n/node2.pid.tmp#1' -- \
	"$ASPEN" apply --no-schedule "$F" >"$WORK/out" 2>&1 && fail "apply succeeded"
grep -q "SIGKILL at call .* point rename:/run/aspen/cluster3n/node2.pid.tmp#1" "$WORK/out" ||
	{ cat "$WORK/out"; fail "the crash point was not reached"; }
grep -q "intermediate process did not report" "$WORK/out" || { cat "$WORK/out"; fail "apply did not see the death"; }
aspen_ok destroy $N >/dev/null
assert_clean $N

step "a journal save killed before its rename: re-apply leaves no temp file"
"$CRASHAT" -p 'fsync:/run/aspen-state/cluster3n/state.json.tmp.*#2' -- \
	"$ASPEN" apply --no-schedule "$F" >"$WORK/out" 2>&1 && fail "apply succeeded"
ls "$ASPEN_STATE_DIR/$N" | grep -q '^state.json.tmp\.' || fail "the crash left no temp file: the test tests nothing"
aspen_ok apply --no-schedule "$F" >/dev/null
aspen_ok apply --no-schedule "$F" >/dev/null
out_has "No changes"
left=$(ls "$ASPEN_STATE_DIR/$N" | grep '^state.json.tmp\.' || true)
[ -z "$left" ] || fail "temp file left after re-apply: $left"
aspen_ok destroy $N >/dev/null
assert_clean $N
echo ok

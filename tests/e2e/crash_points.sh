# Named regression tests for crash windows the crash matrix found
# (docs/crash-matrix.md), each a single crash point of tests/tools/crashat.
. "$ASPEN_TESTS/e2e/lib.sh"
: "${BUILD:?}"
CRASHAT=$BUILD/tools/crashat
# LeakSanitizer cannot run under ptrace (make test SAN=1), and crashat
# traces: leak checks off here; the rest of the suite still runs them.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
N=cluster3n
F=$TOPO/cluster3-netns.yaml

step "crashat names the mutating calls of apply, the same names in every run"
# First use creates /run/aspen, /run/netns (and its mount): calls no later run makes.
aspen_ok apply --no-schedule "$F" >/dev/null
aspen_ok destroy $N >/dev/null
for i in 1 2; do
	"$CRASHAT" -l "$WORK/list$i" -- "$ASPEN" apply --no-schedule "$F" >"$WORK/out" 2>&1 ||
		{ cat "$WORK/out"; fail "traced apply failed"; }
	aspen_ok destroy $N >/dev/null
	cut -f2 "$WORK/list$i" | LC_ALL=C sort >"$WORK/names$i"
done
for want in 'sendmsg:RTM_NEWLINK,as-[0-9a-f]*-lan#1' 'sendmsg:RTM_NEWADDR,10.100.0.1/24#1' \
	'mount:/run/netns/aspen-cluster3n-node1#1' 'rename:/run/aspen-state/cluster3n/state.json.tmp.\*#1' \
	'openat:/run/aspen/cluster3n/node2.pid.tmp#1' 'execve:.*sleep#3' 'clone:#1'; do
	grep -q "^$want\$" "$WORK/names1" || fail "no point $want in: $(tr '\n' ' ' <"$WORK/names1")"
done
# Reads are not points: no dump, no GET, no read-only open.
grep -q 'GET\|openat:/etc/' "$WORK/names1" && fail "a read counted as a mutation"
[ -z "$(uniq -d "$WORK/names1")" ] || fail "two calls share a name: $(uniq -d "$WORK/names1")"
cmp -s "$WORK/names1" "$WORK/names2" || fail "the names differ between runs: $(diff "$WORK/names1" "$WORK/names2")"
echo "$(wc -l <"$WORK/names1") points, the same names in both runs"

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

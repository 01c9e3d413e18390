# aspen run for test suites: the command is told where the events go
# (ASPEN_EVENTS) and when the schedule ends (ASPEN_SCHEDULE_END); every
# event has a wall-clock time; a command that ends first hears how many
# events did not run, --wait-schedule lets them run; --artifacts keeps the
# logs, events, journal, cluster.json and a summary after destroy, and a
# failed run keeps them unasked in a directory it prints.
. "$ASPEN_TESTS/e2e/lib.sh"
cat >"$WORK/r.yaml" <<'YAML'
apiVersion: aspen/v1
name: runart
defaults: {kind: netns, command: [sh, -c, "echo hello from $ASPEN_NODE; exec sleep infinity"]}
networks:
  lan: {subnet: 10.74.0.0/24, gateway: 10.74.0.1}
nodes:
  a: {interfaces: [{network: lan, ip: 10.74.0.2}]}
  b: {interfaces: [{network: lan, ip: 10.74.0.3}]}
faults:
  - {at: 0s, for: 200ms, partition: [[a], [b]]}
  - {at: 400ms, for: 200ms, partition: [[a], [b]]}
YAML
rfc3339='[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]\{6\}Z'

step "the command sees ASPEN_EVENTS and ASPEN_SCHEDULE_END; --artifacts keeps the files"
aspen_ok run --artifacts "$WORK/art" "$WORK/r.yaml" -- sh -c '
	echo "events=$ASPEN_EVENTS"; echo "end=$ASPEN_SCHEDULE_END"
	grep -q "\"event\":\"run_start\"" "$ASPEN_EVENTS" || exit 10
	end=$(date -u -d "$ASPEN_SCHEDULE_END" +%s%N) || exit 11
	# wait for the schedule end it was told, then for the last revert in the file
	while [ "$(date -u +%s%N)" -lt "$end" ]; do sleep 0.05; done
	n=0; until [ "$(grep -c "^{\"event\":\"fault_reverted\"" "$ASPEN_EVENTS")" = 2 ]; do
		n=$((n + 1)); [ $n -lt 200 ] || exit 12; sleep 0.05; done'
out_has "events=/run/aspen/runart/events.jsonl"
grep -q "end=$rfc3339\$" "$WORK/out" || fail "ASPEN_SCHEDULE_END is not RFC 3339 with microseconds"
out_has "logs, events, journal and summary are in $WORK/art"
assert_clean runart
for f in a.log b.log cluster.json events.jsonl journal.json summary.txt; do
	[ -s "$WORK/art/$f" ] || fail "artifact $f missing or empty: $(ls "$WORK/art")"
done
grep -q "hello from a" "$WORK/art/a.log" || fail "node log not kept"
grep -q '"topology":[[:space:]]*"runart"' "$WORK/art/cluster.json" || fail "cluster.json not kept"
grep -q '"processes"\|"resources"' "$WORK/art/journal.json" || fail "journal.json: $(head -c 300 "$WORK/art/journal.json")"
# Every event line has both clocks; the start of the run and of the schedule are events.
while read -r line; do
	echo "$line" | grep -q "\"time\":\"$rfc3339\"" || fail "event without an RFC 3339 time: $line"
	echo "$line" | grep -q '"unix_us":[0-9]\{16\}[,}]' || fail "event without unix_us: $line"
done <"$WORK/art/events.jsonl"
for ev in run_start schedule_start fault_applied fault_reverted schedule_done command_exit; do
	grep -q "\"event\":\"$ev\"" "$WORK/art/events.jsonl" || fail "no $ev event"
done
# The schedule's t0 is the instant ASPEN_SCHEDULE_END was counted from.
start=$(sed -n 's/.*"event":"run_start".*"unix_us":\([0-9]*\).*/\1/p' "$WORK/art/events.jsonl")
t0=$(sed -n 's/.*"event":"schedule_start".*"unix_us":\([0-9]*\).*/\1/p' "$WORK/art/events.jsonl")
[ -n "$start" ] && [ "$start" = "$t0" ] || fail "schedule_start ($t0) is not run_start ($start)"
grep -q "run: schedule of 4 events: 2 faults applied, 2 reverted, 0 failed, 0 events did not run" \
	"$WORK/art/summary.txt" || fail "summary: $(cat "$WORK/art/summary.txt")"
grep -q "run: exit status 0" "$WORK/art/summary.txt" || fail "summary lacks the exit status"
grep -q "^destroy: " "$WORK/art/summary.txt" || fail "summary lacks destroy"

step "a command that ends first: aspen says how many events did not run"
aspen_ok run "$WORK/r.yaml" -- true
out_has "aspen run: true ended before the fault schedule: "
grep -Eq "ended before the fault schedule: [1-4] of its 4 events did not run" "$WORK/out" || fail "no count"
! grep -q "kept in" "$WORK/out" || fail "a passing run kept its files"
assert_clean runart

step "--wait-schedule lets the schedule finish after the command ended"
aspen_ok run --wait-schedule --artifacts "$WORK/art2" "$WORK/r.yaml" -- true
! grep -q "did not run" "$WORK/out" || fail "events were cut short"
[ "$(grep -c '"event":"fault_reverted"' "$WORK/art2/events.jsonl")" = 2 ] || fail "not every fault ran"
grep -q '"event":"schedule_done"' "$WORK/art2/events.jsonl" || fail "no schedule_done"
assert_clean runart

step "--wait-schedule when the schedule cannot run (no sch_netem here) still ends with the command"
sed 's/partition: \[\[a\], \[b\]\]}/latency: {nodes: [a], delay: 50ms}}/' "$WORK/r.yaml" >"$WORK/lat.yaml"
grep -q latency "$WORK/lat.yaml" || fail "sed did not apply"
rc=0; timeout 120 "$ASPEN" run --wait-schedule "$WORK/lat.yaml" -- true >"$WORK/out" 2>&1 || rc=$?
cat "$WORK/out"
[ $rc != 124 ] || fail "aspen run --wait-schedule hung after a schedule that could not run"
assert_clean runart

step "a failed run keeps its files in a printed directory"
aspen_fails run --no-schedule "$WORK/r.yaml" -- sh -c 'exit 3'
kept=$(sed -n 's/.*summary kept in \(.*\)$/\1/p' "$WORK/out")
[ -n "$kept" ] && [ -d "$kept" ] || fail "no kept directory printed"
case $kept in "$TMPDIR"/aspen-runart-*) ;; *) fail "kept outside TMPDIR: $kept" ;; esac
grep -q "hello from b" "$kept/b.log" || fail "node log not kept"
grep -q "run: exit status 3" "$kept/summary.txt" || fail "summary: $(cat "$kept/summary.txt")"
assert_clean runart

step "a failed apply under run keeps the dead node's log"
sed 's/command: \[sh, -c, "echo hello from $ASPEN_NODE; exec sleep infinity"\]/command: [sh, -c, "echo fatal: no config for $ASPEN_NODE; exit 1"]/' \
	"$WORK/r.yaml" >"$WORK/dies.yaml"
grep -q "fatal: no config" "$WORK/dies.yaml" || fail "sed did not apply"
aspen_fails run --artifacts "$WORK/art3" "$WORK/dies.yaml" -- true
out_has "fatal: no config for a"
grep -q "fatal: no config for b" "$WORK/art3/b.log" || fail "dead node's log not kept"
grep -q "the command did not run" "$WORK/art3/summary.txt" || fail "summary: $(cat "$WORK/art3/summary.txt")"
assert_clean runart

step "destroy --artifacts and apply --artifacts"
aspen_ok apply --no-schedule --artifacts "$WORK/art4" "$WORK/r.yaml"
grep -q "apply .*: ok (exit status 0)" "$WORK/art4/summary.txt" || fail "apply summary"
aspen_ok destroy --artifacts "$WORK/art5" runart
grep -q "hello from a" "$WORK/art5/a.log" || fail "destroy did not keep the log"
[ -s "$WORK/art5/journal.json" ] || fail "destroy did not keep the journal"
assert_clean runart

step "--artifacts that cannot be made changes nothing"
touch "$WORK/file"
aspen_fails run --artifacts "$WORK/file/x" "$WORK/r.yaml" -- true
out_has "artifacts $WORK/file/x"
[ ! -e /run/aspen/runart ] || fail "run went ahead"
aspen_fails run --keep --artifacts "$WORK/x" "$WORK/r.yaml" -- true
echo ok

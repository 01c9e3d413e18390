# The fault schedule run by `aspen apply`: a partition at 0.5s for 2s and a
# loss after it, on a netns topology. During the partition, pings across the
# cut fail and pings within a side pass; after it everything passes; the
# --events file holds the expected JSON lines in order; nothing of the
# faults is left (no nft table, no active fault in the journal).
. "$ASPEN_TESTS/e2e/lib.sh"
N=sched
F=$WORK/sched.yaml
EV=$WORK/events.jsonl
cat >"$F" <<'Y'
apiVersion: aspen/v1
name: sched
defaults: {kind: netns, command: [sleep, infinity]}
networks:
  lan: {subnet: 10.130.0.0/24, gateway: 10.130.0.1}
nodes:
  n1: {interfaces: [{network: lan, ip: 10.130.0.11}]}
  n2: {interfaces: [{network: lan, ip: 10.130.0.12}]}
  n3: {interfaces: [{network: lan, ip: 10.130.0.13}]}
faults:
  - {name: split, at: 500ms, for: 2s, partition: [[n1], [n2, n3]]}
  - {at: 3s, for: 500ms, loss: {nodes: [n3], percent: 30%}}
Y
# wait_event PATTERN: until the events file has a line matching it (20 s).
wait_event() {
	i=0
	until grep -q "$1" "$EV" 2>/dev/null; do
		i=$((i + 1)); [ $i -le 400 ] || fail "no event '$1' after 20s"
		sleep 0.05
	done
}

# quick_ping NS IP: one probe, 0.3 s for the answer (the window is 2 s).
quick_ping() { ip netns exec "$1" ping -c1 -W0.3 -q "$2" >/dev/null 2>&1; }

step "apply runs the schedule in the background"
"$ASPEN" apply --events "$EV" "$F" >"$WORK/apply.out" 2>&1 &
pid=$!
wait_event '"event":"fault_applied","key":"split"'

step "during the partition: across the cut blocked, within a side open"
cross=0; quick_ping aspen-$N-n1 10.130.0.12 || cross=$((cross + 1))
quick_ping aspen-$N-n3 10.130.0.11 || cross=$((cross + 1))
within=0; quick_ping aspen-$N-n2 10.130.0.13 && within=1
grep -q '"event":"fault_reverted","key":"split"' "$EV" &&
	fail "inconclusive: the partition ended before the pings did (machine too slow)"
[ $cross = 2 ] || fail "a ping crossed the partition"
[ $within = 1 ] || fail "n2 -> n3 (same side) blocked"
nft list tables | grep -q "bridge aspen-$N" || fail "no nf_tables table during the partition"

step "apply finishes the schedule"
rc=0; wait $pid || rc=$?
cat "$WORK/apply.out"
[ $rc = 0 ] || fail "apply exited $rc"
grep -q "+0.5[0-9][0-9]s partition \[n1\] | \[n2 n3\] applied" "$WORK/apply.out" || fail "timeline line"
grep -q "Schedule complete: 2 faults applied and reverted" "$WORK/apply.out" || fail "summary line"

step "after the schedule: everything reachable, nothing left"
for a in 1 2 3; do for b in 1 2 3; do
	ns_ping aspen-$N-n$a 10.130.0.1$b || fail "n$a -> n$b after the schedule"
done; done
left=$(nft list tables | grep aspen- || true)
[ -z "$left" ] || fail "nft table left: $left"
aspen_ok status --json $N >/dev/null
grep -q '"faults":\[\]' "$WORK/out" || fail "the journal still records active faults"

step "the events file, in order"
seq=$(sed 's/.*"event":"\([a-z_]*\)".*"key":"\([a-z0-9-]*\)".*/\1 \2/; s/.*"event":"\([a-z_]*\)".*/\1/' "$EV" | tr '\n' ',')
want="schedule_start,fault_applied split,fault_reverted split,fault_applied f1,fault_reverted f1,schedule_done,"
[ "$seq" = "$want" ] || { cat "$EV"; fail "events: $seq"; }
grep '"key":"split"' "$EV" | head -1 | grep -q '"kind":"partition","desc":"partition \[n1\] | \[n2 n3\]","at_us":500000' ||
	fail "applied event fields"
grep -q '"event":"fault_reverted","key":"f1","kind":"loss".*"scheduled":true,"at_us":3500000' "$EV" ||
	fail "reverted event fields"

step "--json prints the same events on stdout; a second run appends to the file"
aspen_ok apply --json --events "$EV" "$F" >/dev/null
[ "$(grep -c '"event":"schedule_done"' "$WORK/out")" = 1 ] || fail "--json stream"
[ "$(grep -c '"event":"schedule_done"' "$EV")" = 2 ] || fail "--events does not append"

step "--no-schedule converges only"
aspen_ok apply --no-schedule --events "$WORK/none.jsonl" "$F"
[ ! -s "$WORK/none.jsonl" ] || fail "--no-schedule ran the schedule"

aspen_ok destroy $N
assert_clean $N
echo ok

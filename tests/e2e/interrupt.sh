# A schedule interrupted: SIGINT mid-schedule reverts every active fault and
# exits 130 (SIGTERM: 143), leaving no nf_tables table, qdisc or stopped
# process; after a SIGKILL mid-schedule the faults stay, recorded in the
# journal, and `aspen heal` reverts them all; `aspen destroy` after a
# SIGKILL leaves nothing either. Checked with nft, tc, ps and ping.
. "$ASPEN_TESTS/e2e/lib.sh"
. "$ASPEN_TESTS/e2e/fault.inc"
N=intr
F=$WORK/intr.yaml
cat >"$F" <<'Y'
apiVersion: aspen/v1
name: intr
defaults: {kind: netns, command: [sleep, infinity]}
networks:
  lan: {subnet: 10.131.0.0/24, gateway: 10.131.0.1}
nodes:
  n1: {interfaces: [{network: lan, ip: 10.131.0.11}]}
  n2: {interfaces: [{network: lan, ip: 10.131.0.12}]}
  n3: {interfaces: [{network: lan, ip: 10.131.0.13}]}
faults:
  - {name: cut, at: 200ms, for: 60s, partition: [[n1], [n2, n3]]}
  - {name: lossy, at: 300ms, for: 60s, loss: {nodes: [n2], percent: 50%}}
  - {name: slow, at: 300ms, for: 60s, rate: {nodes: [n3], rate: 10mbit}}
  - {name: frozen, at: 400ms, for: 60s, pause: n3}
  - {name: down, at: 400ms, for: 60s, link-down: [n1.eth0]}
  - {at: 90s, kill: n1}
Y
ACTIVE=5

# start_schedule EVENTS: apply in the background (SIGINT restored: a
# background job of sh ignores it), return when all faults are active.
start_schedule() {
	env --default-signal=INT "$ASPEN" apply --events "$1" "$F" >"$WORK/apply.out" 2>&1 &
	pid=$!
	i=0
	while [ "$(grep -c '"event":"fault_applied"' "$1" 2>/dev/null || true)" != $ACTIVE ]; do
		i=$((i + 1)); [ $i -le 400 ] || { cat "$WORK/apply.out"; fail "faults not applied after 20s"; }
		kill -0 $pid 2>/dev/null || { cat "$WORK/apply.out"; fail "apply exited early"; }
		sleep 0.05
	done
}

# faults_active: every mechanism's trace is there.
faults_active() {
	nft list tables | grep -q "bridge aspen-$N" || fail "no nft table while active"
	ip netns exec aspen-$N-n3 tc qdisc show dev eth0 | grep -q 'a5e0:' || fail "no tbf qdisc while active"
	[ -n "$(ps -eo stat=,args= | awk '$1 ~ /^T/')" ] || fail "no stopped process while active"
}

# nothing_left: no rule, qdisc, stopped process or down link; all reachable.
nothing_left() {
	no_aspen_table
	no_aspen_qdisc aspen-$N-n3 eth0
	no_stopped
	for a in 1 2 3; do for b in 1 2 3; do
		ns_ping aspen-$N-n$a 10.131.0.1$b || fail "n$a -> n$b after the interruption"
	done; done
	aspen_ok status --json $N >/dev/null
	grep -q '"faults":\[\]' "$WORK/out" || fail "the journal still records active faults"
}

step "SIGINT mid-schedule: every active fault reverted, exit 130"
start_schedule "$WORK/ev1"
faults_active
kill -INT $pid
rc=0; wait $pid || rc=$?
cat "$WORK/apply.out"
[ $rc = 130 ] || fail "exit $rc after SIGINT, not 130"
grep -q "SIGINT: reverting $ACTIVE active faults" "$WORK/apply.out" || fail "no SIGINT line"
grep -q "interrupted by SIGINT: $ACTIVE active faults reverted" "$WORK/apply.out" || fail "no summary"
[ "$(grep -c '"event":"fault_reverted"' "$WORK/ev1")" = $ACTIVE ] || fail "reverted events"
# Newest first: the last applied is the first reverted.
last=$(grep '"event":"fault_applied"' "$WORK/ev1" | tail -1 | sed 's/.*"key":"\([a-z]*\)".*/\1/')
first=$(grep '"event":"fault_reverted"' "$WORK/ev1" | head -1 | sed 's/.*"key":"\([a-z]*\)".*/\1/')
[ "$last" = "$first" ] || fail "reverted $first first, but $last was applied last"
nothing_left

step "SIGTERM mid-schedule: exit 143"
start_schedule "$WORK/ev2"
kill -TERM $pid
rc=0; wait $pid || rc=$?
[ $rc = 143 ] || { cat "$WORK/apply.out"; fail "exit $rc after SIGTERM, not 143"; }
nothing_left

step "SIGKILL mid-schedule: the faults stay, journaled; heal reverts them"
start_schedule "$WORK/ev3"
kill -KILL $pid
wait $pid 2>/dev/null || true
faults_active
aspen_ok status $N
out_has "cut "
out_has "frozen "
aspen_ok heal $N
out_has "$ACTIVE faults reverted"
nothing_left
aspen_ok heal $N
out_has "no fault was recorded as active"

step "heal one fault by key"
start_schedule "$WORK/ev4"
kill -KILL $pid
wait $pid 2>/dev/null || true
aspen_ok heal $N frozen
no_stopped
nft list tables | grep -q "bridge aspen-$N" || fail "heal of one fault removed the others"
aspen_fails heal $N nosuch
out_has "no active fault 'nosuch'"
aspen_ok heal $N
nothing_left

step "SIGKILL mid-schedule, then destroy: nothing left"
start_schedule "$WORK/ev5"
kill -KILL $pid
wait $pid 2>/dev/null || true
aspen_ok destroy $N
no_aspen_table
no_stopped
assert_clean $N
echo ok

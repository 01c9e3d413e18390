# Targets chosen when the fault fires: a `leader` role whose probe is "the
# node's marker file exists". The marker starts on n1; right after the first
# `isolate: "@leader"` fires it moves to n2, so the second one, 4 s later,
# must isolate n2 — checked with real packets during each window and in the
# events (the resolved names). A role no node holds skips its fault with an
# event and the schedule goes on; @others is every node the other targets
# leave; nothing is left after the run.
. "$ASPEN_TESTS/e2e/lib.sh"
N=roles
F=$WORK/roles.yaml
EV=$WORK/events.jsonl
MARKS=$WORK/marks
mkdir -p "$MARKS"
cat >"$F" <<Y
apiVersion: aspen/v1
name: roles
defaults: {kind: netns, command: [sleep, infinity]}
networks:
  lan: {subnet: 10.131.0.0/24, gateway: 10.131.0.1}
roles:
  leader: {command: [sh, -c, 'test -e "$MARKS/\$ASPEN_NODE"'], timeout: 2s}
  ghost: {command: ["false"]}
nodes:
  n1: {interfaces: [{network: lan, ip: 10.131.0.11}]}
  n2: {interfaces: [{network: lan, ip: 10.131.0.12}]}
  n3: {interfaces: [{network: lan, ip: 10.131.0.13}]}
faults:
  - {name: first, at: 500ms, for: 2500ms, isolate: "@leader"}
  - {name: second, at: 4500ms, for: 2500ms, isolate: "@leader"}
  - {name: nobody, at: 7500ms, for: 500ms, isolate: "@ghost"}
  - {name: split, at: 8s, for: 500ms, partition: [["@leader"], ["@others"]]}
Y
wait_event() {
	i=0
	until grep -q "$1" "$EV" 2>/dev/null; do
		i=$((i + 1)); [ $i -le 600 ] || { cat "$EV"; fail "no event '$1' after 30s"; }
		sleep 0.05
	done
}
quick_ping() { ip netns exec "aspen-$N-$1" ping -c1 -W0.3 -q "$2" >/dev/null 2>&1; }

step "plan shows the role unresolved"
aspen_ok plan "$F" >/dev/null
out_has "partition isolate @leader"
out_has "partition \[@leader\] | \[@others\]"

step "n1 leads; apply runs the schedule"
touch "$MARKS/n1"
"$ASPEN" apply --events "$EV" "$F" >"$WORK/apply.out" 2>&1 &
pid=$!
wait_event '"event":"fault_applied","key":"first"'
rm "$MARKS/n1"; touch "$MARKS/n2"   # the role moves before `second` fires

step "first window: n1 cut off, n2 <-> n3 open"
a=0; quick_ping n2 10.131.0.11 || a=1
b=0; quick_ping n2 10.131.0.13 && b=1
grep -q '"event":"fault_reverted","key":"first"' "$EV" &&
	fail "inconclusive: the first window ended before the pings did (machine too slow)"
[ $a = 1 ] || fail "n2 reached n1 while n1 held the role and was isolated"
[ $b = 1 ] || fail "n2 -> n3 blocked during the first window"

step "second window: the role moved, n2 is cut off, n1 <-> n3 open"
wait_event '"event":"fault_applied","key":"second"'
a=0; quick_ping n1 10.131.0.12 || a=1
b=0; quick_ping n1 10.131.0.13 && b=1
grep -q '"event":"fault_reverted","key":"second"' "$EV" &&
	fail "inconclusive: the second window ended before the pings did (machine too slow)"
[ $a = 1 ] || fail "n1 reached n2 while n2 held the role and was isolated"
[ $b = 1 ] || fail "n1 -> n3 blocked during the second window"

step "the schedule completes; the role nobody holds was skipped"
rc=0; wait $pid || rc=$?
cat "$WORK/apply.out"
[ $rc = 0 ] || fail "apply exited $rc"
grep '"key":"first"' "$EV" | head -1 | grep -q '"desc":"partition isolate n1 (@leader = n1)"' ||
	fail "first: resolved names not in the event"
grep '"key":"second"' "$EV" | head -1 | grep -q '"desc":"partition isolate n2 (@leader = n2)"' ||
	fail "second: resolved names not in the event"
grep '"event":"fault_skipped"' "$EV" | grep '"key":"nobody"' | grep -q 'no node holds role @ghost' ||
	{ cat "$EV"; fail "no fault_skipped event for @ghost"; }
grep -q 'skipped: no node holds role @ghost' "$WORK/apply.out" || fail "skip not in the text output"
grep '"key":"split"' "$EV" | head -1 |
	grep -q '"desc":"partition \[n2\] | \[n1 n3\] (@leader = n2; @others = n1 n3)"' ||
	{ cat "$EV"; fail "@others not resolved to the rest"; }

step "by hand: aspen fault isolate @leader resolves now (the role moved to n3)"
rm -f "$MARKS"/*; touch "$MARKS/n3"
aspen_ok fault $N isolate @leader
out_has "partition isolate n3 (@leader = n3)"
ns_ping aspen-$N-n1 10.131.0.13 && fail "n1 reached n3, isolated by hand"
ns_ping aspen-$N-n1 10.131.0.12 || fail "n1 -> n2 blocked"
aspen_ok heal $N
ns_ping aspen-$N-n1 10.131.0.13 || fail "n1 -> n3 after heal"
aspen_fails fault $N isolate @ghost
out_has "no node holds role @ghost"
aspen_fails fault $N isolate @nobody
out_has 'role "nobody" is not defined'

step "nothing is left"
left=$(nft list tables | grep aspen- || true)
[ -z "$left" ] || fail "nft table left: $left"
for x in 1 2 3; do ns_ping aspen-$N-n1 10.131.0.1$x || fail "n1 -> n$x after the schedule"; done
aspen_ok destroy "$F" >/dev/null
assert_clean $N

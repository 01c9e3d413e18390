# The control API: a test under `aspen run --no-schedule` drives faults
# through `aspen fault`/`aspen heal` (which go through the holder's socket)
# and through curl on $ASPEN_API, checked with real packets; the validator's
# verdict (422, the file's message), a conflict (409), unknown things (404),
# status, matrix and events; the event stream ends with the run. Then a
# holder killed with SIGKILL: `aspen heal` and `destroy` leave nothing.
. "$ASPEN_TESTS/e2e/lib.sh"
. "$ASPEN_TESTS/e2e/fault.inc"
N=cluster3n
F=$TOPO/cluster3-netns.yaml
export LANG=C LC_ALL=C
command -v curl >/dev/null && command -v jq >/dev/null || fail "needs curl and jq (make deps)"
# ns_ping_again NS IP: reachable again after a heal. A ping sent during the
# cut left the neighbour entry resolving (ARP retries once a second), so
# the first echo after the heal may wait for the next ARP probe: retry.
ns_ping_again() {
	for _ in 1 2 3 4 5; do ns_ping "$1" "$2" && return 0; done
	return 1
}

# What the file itself says of a fault on an undefined node: the message
# the API must give too.
sed 's/^  - {name: lossy-node3.*$/  - {at: 1s, kill: node9}/' "$F" >"$WORK/bad.yaml"
"$ASPEN" validate "$WORK/bad.yaml" >"$WORK/validate" 2>&1 && fail "validate accepted kill node9"
grep -q 'error: node "node9" is not defined' "$WORK/validate" || { cat "$WORK/validate"; fail "validate message"; }

cat >"$WORK/t.sh" <<'EOF'
set -eu
n1=$ASPEN_NETNS_NODE1 n2=$ASPEN_NETNS_NODE2
ping1() { ip netns exec "$1" ping -c1 -W1 -q "$2" >/dev/null 2>&1; }
# After a heal: the neighbour entry may still be resolving (see ns_ping_again).
ping_again() { for _ in 1 2 3 4 5; do ping1 "$1" "$2" && return 0; done; return 1; }
# api METHOD PATH [BODY]: the answer in $OUT/ans, the status echoed
api() {
	curl -s -o "$OUT/ans" -w '%{http_code}' --unix-socket "$ASPEN_API" -X "$1" \
		"http://aspen$2" ${3:+-H 'Content-Type: application/json' -d "$3"}
}
expect() { [ "$1" = "$2" ] || { cat "$OUT/ans" >&2; echo "FAIL: $3: status $1, expected $2" >&2; exit 1; }; }
[ -S "$ASPEN_API" ] || { echo "FAIL: ASPEN_API=$ASPEN_API is not a socket" >&2; exit 1; }
[ "$(stat -c %a "$ASPEN_API")" = 600 ] || { echo "FAIL: socket mode" >&2; exit 1; }

# The event stream, followed until the run ends.
( curl -s -N --unix-socket "$ASPEN_API" 'http://aspen/v1/events?follow=1' >"$OUT/follow"
  echo "curl-exit=$?" >>"$OUT/follow" ) &

echo "--- aspen fault (CLI, through the socket): partition, real packets, heal"
ping1 "$n1" "$ASPEN_IP_NODE2" || { echo "FAIL: node1 -> node2 before any fault" >&2; exit 1; }
"$ASPEN" fault "$ASPEN_TOPOLOGY" partition node1 / node2,node3 >"$OUT/cli" 2>&1
grep -q 'partition \[node1\] | \[node2 node3\] applied' "$OUT/cli"
grep -q "adhoc-1 is active until 'aspen heal cluster3n adhoc-1'" "$OUT/cli"
if ping1 "$n1" "$ASPEN_IP_NODE2"; then echo "FAIL: node1 -> node2 crosses the cut" >&2; exit 1; fi
ping1 "$n2" "$ASPEN_IP_NODE3" || { echo "FAIL: node2 -> node3 (same side) cut" >&2; exit 1; }
"$ASPEN" heal "$ASPEN_TOPOLOGY" adhoc-1 >"$OUT/cli" 2>&1
grep -q 'Healed cluster3n: 1 fault reverted.' "$OUT/cli"
ping_again "$n1" "$ASPEN_IP_NODE2" || { echo "FAIL: node1 -> node2 after heal" >&2; exit 1; }

echo "--- the validator's verdict through the CLI: the file's message"
if "$ASPEN" fault "$ASPEN_TOPOLOGY" kill node9 >"$OUT/cli" 2>&1; then echo "FAIL: kill node9 accepted" >&2; exit 1; fi
grep -q 'aspen fault: error: node "node9" is not defined' "$OUT/cli"

echo "--- curl: partition (201), real packets, list, conflict (409), heal by id"
st=$(api POST /v1/faults '{"partition": [["node1"], ["node2","node3"]]}'); expect "$st" 201 "POST partition"
id=$(jq -r .id "$OUT/ans")
[ "$(jq -r '.applied_us > 0' "$OUT/ans")" = true ]
if ping1 "$n1" "$ASPEN_IP_NODE2"; then echo "FAIL: cut through the API not in effect" >&2; exit 1; fi
st=$(api GET /v1/faults); expect "$st" 200 "GET faults"
[ "$(jq -r ".faults[] | select(.id == \"$id\") | .kind" "$OUT/ans")" = partition ]
st=$(api POST /v1/faults '{"loss": {"nodes": ["node3"], "percent": "30%"}}'); expect "$st" 201 "POST loss"
loss=$(jq -r .id "$OUT/ans")
st=$(api POST /v1/faults '{"loss": {"nodes": ["node3"], "percent": "20%"}}'); expect "$st" 409 "second loss on node3"
jq -r .error "$OUT/ans" | grep -q "conflicts with active fault $loss"
st=$(api DELETE "/v1/faults/$loss"); expect "$st" 200 "DELETE loss"
st=$(api DELETE "/v1/faults/$id"); expect "$st" 200 "DELETE partition"
[ "$(jq -r .reverted "$OUT/ans")" = 1 ]
ping_again "$n1" "$ASPEN_IP_NODE2" || { echo "FAIL: node1 -> node2 after DELETE" >&2; exit 1; }

echo "--- 422 with the file's message, 400, 404, 405"
st=$(api POST /v1/faults '{"kill": "node9"}'); expect "$st" 422 "kill node9"
jq -r '.diagnostics[0].message' "$OUT/ans" >"$OUT/msg422"
st=$(api POST /v1/faults '{"at": "1s", "kill": "node1"}'); expect "$st" 422 "at"
st=$(api POST /v1/faults '{"partition": '); expect "$st" 400 "malformed JSON"
st=$(api DELETE /v1/faults/adhoc-99); expect "$st" 404 "unknown fault"
st=$(api POST /v1/nodes/node9/kill); expect "$st" 404 "unknown node"
st=$(api GET /v1/nothing); expect "$st" 404 "unknown path"
st=$(api PUT /v1/faults); expect "$st" 405 "PUT"

echo "--- node actions, status, matrix"
st=$(api POST /v1/nodes/node3/pause); expect "$st" 201 "pause node3"
st=$(api GET /v1/status); expect "$st" 200 "status"
[ "$(jq -r '.nodes[] | select(.name == "node3") | .state' "$OUT/ans")" = stopped ]
[ "$(jq -r '.faults | length' "$OUT/ans")" = 1 ]
st=$(api POST /v1/nodes/node3/resume); expect "$st" 201 "resume node3"
st=$(api POST /v1/faults '{"partition": {"isolate": ["node2"]}}'); expect "$st" 201 "isolate"
st=$(api GET /v1/matrix); expect "$st" 200 "matrix"
[ "$(jq -c .reachable "$OUT/ans")" = '[[true,false,true],[false,true,false],[true,false,true]]' ]
"$ASPEN" status --matrix "$ASPEN_TOPOLOGY" >"$OUT/cli" 2>&1
grep -q '^adhoc-[0-9]* *partition isolate node2' "$OUT/cli"
grep -q '^  node2  --     \.      --' "$OUT/cli"
"$ASPEN" status --json --matrix "$ASPEN_TOPOLOGY" >"$OUT/cli" 2>&1
[ "$(jq -c .matrix.reachable "$OUT/cli")" = '[[true,false,true],[false,true,false],[true,false,true]]' ]
# Heal all: the isolation and the pause's record (resume does not end it).
st=$(api DELETE /v1/faults); expect "$st" 200 "DELETE all"
[ "$(jq -r .reverted "$OUT/ans")" = 2 ]

echo "--- aspen fault --for through the socket waits for the revert"
"$ASPEN" fault "$ASPEN_TOPOLOGY" loss node1 100% --for 300ms >"$OUT/cli" 2>&1
grep -q 'loss node1 100% applied' "$OUT/cli"
grep -q 'loss node1 100% reverted' "$OUT/cli"

echo "--- aspen fault --for through the socket, interrupted by SIGINT: healed, exit 130"
# A file of its own: the background job truncates its output file only once
# it runs, and the previous step's "applied" line must not be read as this
# one's (the signal would then land before env restores SIGINT, which sh
# ignores in a background job, and be lost).
env --default-signal=INT "$ASPEN" fault "$ASPEN_TOPOLOGY" loss node1 100% --for 60s >"$OUT/int" 2>&1 &
pid=$!
i=0
until grep -q 'loss node1 100% applied' "$OUT/int" 2>/dev/null; do
	i=$((i + 1)); [ $i -le 200 ] || { cat "$OUT/int" >&2; echo "FAIL: --for 60s not applied" >&2; exit 1; }
	sleep 0.05
done
kill -INT $pid
rc=0; wait $pid || rc=$?
[ $rc = 130 ] || { cat "$OUT/int" >&2; echo "FAIL: interrupted fault: exit $rc, not 130" >&2; exit 1; }
grep -q 'reverted loss node1 100%' "$OUT/int" || { cat "$OUT/int" >&2; echo "FAIL: not reverted" >&2; exit 1; }
st=$(api GET /v1/faults); expect "$st" 200 "GET faults at the end"
[ "$(jq -r '.faults | length' "$OUT/ans")" = 0 ]
st=$(api GET /v1/events); expect "$st" 200 "events"
jq -c '.events[]' "$OUT/ans" >"$OUT/events"
echo done >"$OUT/done"
EOF

step "aspen run --no-schedule: the test drives the faults"
rc=0
OUT=$WORK ASPEN=$ASPEN timeout -s KILL 180 "$ASPEN" run --no-schedule "$F" -- sh "$WORK/t.sh" \
	>"$WORK/run.out" 2>&1 || rc=$?
cat "$WORK/run.out"
[ $rc = 0 ] && [ -e "$WORK/done" ] || fail "the test under aspen run failed ($rc)"
grep -qxF "node \"node9\" is not defined" "$WORK/msg422" || fail "422 message: $(cat "$WORK/msg422")"
grep -q 'error: node "node9" is not defined' "$WORK/validate" || fail "the file's message differs"
[ "$(grep -c '"event":"fault_applied"' "$WORK/events")" -ge 6 ] || fail "events: $(cat "$WORK/events")"
grep -q '"key":"adhoc-1","kind":"partition"' "$WORK/events" || fail "events lack the CLI's partition"
# The holder prints the API's faults as it prints its schedule.
grep -q 'partition isolate node2 applied' "$WORK/run.out" || fail "the holder did not print the API's fault"
step "the event stream ended with the run"
i=0
until grep -q '^curl-exit=' "$WORK/follow" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "events?follow=1 did not end with the run"; sleep 0.1
done
grep -qx 'curl-exit=0' "$WORK/follow" || fail "the stream did not end cleanly: $(tail -1 "$WORK/follow")"
grep -q '"event":"fault_reverted"' "$WORK/follow" || fail "the stream lacks events"
assert_clean $N
no_aspen_table

step "aspen apply serves while its schedule runs; a fault posted then outlives it"
# A schedule that waits an hour: the test ends it (SIGTERM; a background
# job ignores SIGINT) when done.
sed 's/^  - {name: lossy-node3.*$/  - {name: later, at: 1h, for: 1s, partition: [[node1], [node2]]}/' "$F" \
	>"$WORK/long.yaml"
"$ASPEN" apply "$WORK/long.yaml" >"$WORK/apply.out" 2>&1 &
applier=$!
i=0
until [ -S /run/aspen/$N/api.sock ]; do
	i=$((i + 1)); [ $i -lt 600 ] || { kill -KILL $applier; cat "$WORK/apply.out"; fail "apply did not serve"; }
	sleep 0.1
done
aspen_ok fault $N isolate node3
out_has "adhoc-1 is active until 'aspen heal $N adhoc-1'"
ns_ping aspen-$N-node1 10.100.0.4 && fail "node1 -> node3 crosses the isolation"
kill -TERM $applier
rc=0; wait $applier || rc=$?
cat "$WORK/apply.out"
[ $rc = 143 ] || fail "apply interrupted exited $rc"
grep -q 'partition isolate node3 applied' "$WORK/apply.out" || fail "apply did not print the API's fault"
[ ! -e /run/aspen/$N/api.sock ] || fail "apply left its socket"
ns_ping aspen-$N-node1 10.100.0.4 && fail "the isolation did not outlive the schedule"
aspen_ok heal $N
out_has "1 fault reverted"
ns_ping_again aspen-$N-node1 10.100.0.4 || fail "node1 -> node3 after heal"
aspen_ok destroy $N
assert_clean $N

step "SIGKILL of the holder with a fault active: heal, then destroy, leave nothing"
cat >"$WORK/hold.sh" <<'EOF'
curl -s -o /dev/null --unix-socket "$ASPEN_API" http://aspen/v1/faults \
	-d '{"partition": [["node1"], ["node2","node3"]]}'
echo $$ >"$OUT/cmd.pid"
exec sleep 300
EOF
OUT=$WORK "$ASPEN" run --no-schedule "$F" -- sh "$WORK/hold.sh" >"$WORK/run2.out" 2>&1 &
holder=$!
i=0
until [ -s "$WORK/cmd.pid" ]; do
	i=$((i + 1)); [ $i -lt 600 ] || { kill -KILL $holder; cat "$WORK/run2.out"; fail "the run did not start"; }
	sleep 0.1
done
kill -KILL $holder
wait $holder 2>/dev/null || true
kill -KILL "$(cat "$WORK/cmd.pid")" 2>/dev/null || true
ns_ping aspen-$N-node1 10.100.0.3 && fail "the partition posted before the kill is not in effect"
[ -S /run/aspen/$N/api.sock ] || fail "expected the killed holder's socket to be left"
aspen_ok heal $N
out_has "1 fault reverted"
ns_ping_again aspen-$N-node1 10.100.0.3 || fail "node1 -> node2 after heal"
aspen_ok destroy $N
assert_clean $N
no_aspen_table
[ ! -e /run/aspen/$N/api.sock ] || fail "socket left"
echo ok

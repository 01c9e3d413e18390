# aspen run FILE -- COMMAND: success (environment and cluster file visible to
# COMMAND, cluster gone after), failure (COMMAND's status passed through,
# cluster gone), interruption (SIGINT to aspen reaches COMMAND, cluster
# gone, exit 130), --keep, and usage errors.
. "$ASPEN_TESTS/e2e/lib.sh"
N=runt
F=$WORK/run.yaml
cat >"$F" <<'EOF'
apiVersion: aspen/v1
name: runt
defaults:
  kind: netns
  command: [sleep, infinity]
networks:
  lan: {subnet: 10.110.0.0/24, gateway: 10.110.0.1}
nodes:
  alpha:
    interfaces: [{network: lan, ip: 10.110.0.2}]
    health: {ping: 10.110.0.1, timeout: 10s}
  beta-2:
    interfaces: [{network: lan, ip: 10.110.0.3}]
faults:
  - {at: 1s, for: 1s, partition: [[alpha], [beta-2]]}
EOF

# A bounded aspen run: a hang is a failure, not a stuck suite.
run() { timeout -s KILL 120 "$ASPEN" run "$@"; }
# The same bound for an aspen started in the background (signalled by the
# test itself, so not under timeout(1), which would turn SIGINT into KILL).
watchdog() { (sleep 120; kill -KILL "$1" 2>/dev/null) >/dev/null 2>&1 & }

step "success: COMMAND sees the cluster, then it is gone"
cat >"$WORK/probe.sh" <<'EOF'
set -eu
env | grep '^ASPEN_' | sort >"$OUT/env"
cp "$ASPEN_CLUSTER_JSON" "$OUT/cluster.json"
# COMMAND runs in aspen's namespace: the nodes are reached through theirs.
ip netns exec "$ASPEN_NETNS_ALPHA" ping -c1 -W2 -q "$ASPEN_IP_BETA_2" >/dev/null
ip netns exec "$ASPEN_NETNS_BETA_2" ping -c1 -W2 -q "$ASPEN_IP_ALPHA" >/dev/null
echo stdout-of-command
EOF
rc=0
OUT=$WORK run --no-schedule "$F" -- sh "$WORK/probe.sh" >"$WORK/stdout" 2>"$WORK/stderr" || rc=$?
cat "$WORK/stderr"
[ $rc = 0 ] || fail "aspen run exited $rc"
[ "$(cat "$WORK/stdout")" = stdout-of-command ] || fail "stdout is COMMAND's alone: $(cat "$WORK/stdout")"
grep -q "Apply complete" "$WORK/stderr" || fail "apply summary on stderr"
grep -q "Destroy complete" "$WORK/stderr" || fail "destroy summary on stderr"
for kv in ASPEN_TOPOLOGY=runt "ASPEN_NODES=alpha beta-2" ASPEN_IP_ALPHA=10.110.0.2 \
	ASPEN_IP_BETA_2=10.110.0.3 "ASPEN_PEERS=alpha=10.110.0.2 beta-2=10.110.0.3" \
	"ASPEN_OTHERS=alpha=10.110.0.2 beta-2=10.110.0.3" ASPEN_NETNS_ALPHA=aspen-runt-alpha \
	ASPEN_NETNS_BETA_2=aspen-runt-beta-2 "ASPEN_CLUSTER_JSON=/run/aspen/runt/cluster.json"; do
	grep -qx "$kv" "$WORK/env" || fail "env lacks $kv: $(cat "$WORK/env")"
done
J=$WORK/cluster.json
grep -q '"topology":[[:space:]]*"runt"' "$J" || fail "cluster.json topology"
grep -q '"netns":[[:space:]]*"aspen-runt-beta-2"' "$J" || fail "cluster.json netns"
grep -q '"subnet":[[:space:]]*"10.110.0.0/24"' "$J" || fail "cluster.json network"
[ "$(grep -c '"kind":[[:space:]]*"netns"' "$J")" = 2 ] || fail "cluster.json kinds"
grep -q '"pid":[[:space:]]*[0-9]' "$J" || fail "cluster.json pids"
assert_clean $N

step "the schedule note: no scheduler in this build, or it ran"
rc=0
run "$F" -- true >"$WORK/out" 2>&1 || rc=$?
cat "$WORK/out"
[ $rc = 0 ] || fail "aspen run -- true exited $rc"
if "$ASPEN" --help | grep -q '^  fault '; then :; else
	out_has "no fault scheduler"
fi
assert_clean $N

step "failure: COMMAND's status is aspen's, and the cluster is gone"
rc=0
run --no-schedule "$F" -- sh -c 'exit 3' >"$WORK/out" 2>&1 || rc=$?
cat "$WORK/out"
[ $rc = 3 ] || fail "expected exit 3, got $rc"
assert_clean $N
rc=0
run --no-schedule "$F" -- /nonexistent/cmd >"$WORK/out" 2>&1 || rc=$?
[ $rc = 127 ] || fail "a missing command: expected 127, got $rc"
out_has "cannot run /nonexistent/cmd"
assert_clean $N

step "interruption: SIGINT reaches COMMAND, the cluster is destroyed, exit 130"
rm -f "$WORK/started" "$WORK/got"
# The command notes that it started, and which signal it got, then dies of it.
cat >"$WORK/sleeper.sh" <<'EOF'
trap 'echo INT >"$OUT/got"; trap - INT; kill -INT $$' INT
trap 'echo TERM >"$OUT/got"; trap - TERM; kill -TERM $$' TERM
: >"$OUT/started"
while :; do sleep 0.1; done
EOF
OUT=$WORK "$ASPEN" run --no-schedule "$F" -- sh "$WORK/sleeper.sh" >"$WORK/out" 2>&1 &
apid=$!
watchdog $apid
i=0
while [ ! -e "$WORK/started" ]; do
	i=$((i + 1)); [ $i -lt 300 ] || { cat "$WORK/out"; fail "command did not start"; }
	sleep 0.1
done
kill -INT $apid
rc=0; wait $apid || rc=$?
cat "$WORK/out"
[ "$(cat "$WORK/got" 2>/dev/null)" = INT ] || fail "the command did not get SIGINT"
[ $rc = 130 ] || fail "expected exit 130, got $rc"
assert_clean $N

step "SIGTERM likewise (128+15)"
rm -f "$WORK/started" "$WORK/got"
OUT=$WORK "$ASPEN" run --no-schedule "$F" -- sh "$WORK/sleeper.sh" >"$WORK/out" 2>&1 &
apid=$!
watchdog $apid
i=0
while [ ! -e "$WORK/started" ]; do
	i=$((i + 1)); [ $i -lt 300 ] || { cat "$WORK/out"; fail "command did not start"; }
	sleep 0.1
done
kill -TERM $apid
rc=0; wait $apid || rc=$?
[ "$(cat "$WORK/got" 2>/dev/null)" = TERM ] || fail "the command did not get SIGTERM"
[ $rc = 143 ] || fail "expected exit 143, got $rc"
assert_clean $N

step "--keep leaves the cluster up"
rc=0
run --keep --no-schedule "$F" -- true >"$WORK/out" 2>&1 || rc=$?
cat "$WORK/out"
[ $rc = 0 ] || fail "aspen run --keep exited $rc"
out_has "aspen destroy runt"
ip netns list | grep -q aspen-runt-alpha || fail "--keep: namespace gone"
ns_ping aspen-runt-alpha 10.110.0.3 || fail "--keep: cluster not reachable"
[ -e /run/aspen/runt/cluster.json ] || fail "--keep: cluster.json gone"
aspen_ok destroy $N
assert_clean $N

step "usage errors"
rc=0; "$ASPEN" run "$F" >/dev/null 2>&1 || rc=$?
[ $rc = 64 ] || fail "no command: expected 64, got $rc"
rc=0; "$ASPEN" run "$F" -- >/dev/null 2>&1 || rc=$?
[ $rc = 64 ] || fail "empty command: expected 64, got $rc"
rc=0; "$ASPEN" run -- true >/dev/null 2>&1 || rc=$?
[ $rc = 64 ] || fail "no file: expected 64, got $rc"
rc=0; "$ASPEN" run --bogus "$F" -- true >/dev/null 2>&1 || rc=$?
[ $rc = 64 ] || fail "unknown option: expected 64, got $rc"
# Options after -- belong to COMMAND.
rc=0; run --no-schedule "$F" -- sh -c 'test "$1" = --keep' sh --keep >"$WORK/out" 2>&1 || rc=$?
[ $rc = 0 ] || { cat "$WORK/out"; fail "an argument after -- was taken as aspen's"; }
assert_clean $N

step "an invalid file: exit 1, nothing created"
printf 'apiVersion: aspen/v1\nname: runt\nnodes: {}\n' >"$WORK/bad.yaml"
rc=0; run "$WORK/bad.yaml" -- true >"$WORK/out" 2>&1 || rc=$?
[ $rc = 1 ] || { cat "$WORK/out"; fail "invalid file: expected 1, got $rc"; }
assert_clean $N
echo ok

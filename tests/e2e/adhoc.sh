# Ad hoc faults: `aspen fault NAME ...` applies one fault now (checked like a
# fault in the file), `aspen heal` reverts it; the reachability matrix of
# `aspen status --matrix` shows the cut (and a one-way cut one way only);
# --for waits and reverts, Ctrl-C reverts early; node faults act on the
# node's process.
. "$ASPEN_TESTS/e2e/lib.sh"
. "$ASPEN_TESTS/e2e/fault.inc"
N=adhoc
F=$WORK/adhoc.yaml
cat >"$F" <<'Y'
apiVersion: aspen/v1
name: adhoc
defaults: {kind: netns, command: [sleep, infinity]}
networks:
  lan: {subnet: 10.132.0.0/24, gateway: 10.132.0.1}
nodes:
  n1: {interfaces: [{network: lan, ip: 10.132.0.11}]}
  n2: {interfaces: [{network: lan, ip: 10.132.0.12}]}
  n3: {interfaces: [{network: lan, ip: 10.132.0.13}]}
faults:
  - {at: 1h, kill: n1}
Y
export LANG=C LC_ALL=C
# matrix_is ROWS: `status --json --matrix` reachability, rows from n1..n3
# as 0/1 strings, e.g. "111 111 111".
matrix_is() {
	"$ASPEN" status --json --matrix $N >"$WORK/st" 2>&1 || { cat "$WORK/st"; fail "status --matrix"; }
	got=$(sed 's/.*"reachable":\[\(.*\)\]}.*/\1/' "$WORK/st" | sed 's/true/1/g; s/false/0/g; s/\],\[/ /g; s/[],[]//g')
	[ "$got" = "$1" ] || { cat "$WORK/st"; fail "matrix $got, expected $1"; }
}

step "apply (no schedule); the matrix is all reachable"
aspen_ok apply --no-schedule "$F" >/dev/null
matrix_is "111 111 111"

step "partition n1 / n2,n3 stays until heal; the matrix shows the cut"
aspen_ok fault $N partition n1 / n2,n3 --matrix
out_has "partition \[n1\] | \[n2 n3\] applied"
out_has "adhoc-1 is active until 'aspen heal $N adhoc-1'"
grep -q '^      n1    \.     --    --' "$WORK/out" || fail "the printed matrix lacks the cut"
matrix_is "100 011 011"
ns_ping aspen-$N-n1 10.132.0.12 && fail "n1 -> n2 crosses the partition"
aspen_ok status $N
out_has "adhoc-1 *partition \[n1\] | \[n2 n3\]"

step "a one-way cut on top; heal adhoc-1 leaves exactly one direction cut"
aspen_ok fault $N partition n1 '->' n2
out_has "partition n1 -> n2 (one-way) applied"
aspen_ok heal $N adhoc-1
out_has "1 fault reverted"
matrix_is "101 111 111"
aspen_ok heal $N
matrix_is "111 111 111"
no_aspen_table

step "--for waits and reverts"
aspen_ok fault $N loss n2 100% --for 500ms
out_has "loss n2 100% applied"
out_has "loss n2 100% reverted"
no_aspen_table
ns_ping aspen-$N-n1 10.132.0.12 || fail "n1 -> n2 after the loss ended"

step "--for interrupted by SIGINT: reverted, exit 130"
env --default-signal=INT "$ASPEN" fault $N isolate n3 --for 60s >"$WORK/f.out" 2>&1 &
pid=$!
i=0
until nft list tables 2>/dev/null | grep -q "aspen-$N"; do
	i=$((i + 1)); [ $i -le 200 ] || { cat "$WORK/f.out"; fail "isolate not applied"; }
	sleep 0.05
done
matrix_is "110 110 001"
kill -INT $pid
rc=0; wait $pid || rc=$?
[ $rc = 130 ] || { cat "$WORK/f.out"; fail "exit $rc, not 130"; }
no_aspen_table
matrix_is "111 111 111"

step "node faults: pause and heal, kill and start"
aspen_ok fault $N pause n2
[ -n "$(ps -eo stat=,args= | awk '$1 ~ /^T/')" ] || fail "pause stopped nothing"
aspen_ok heal $N
no_stopped
aspen_ok fault $N kill n1
[ "$(ps -eo args= | grep -c '^sleep infinity')" = 2 ] || fail "kill n1 left 3 node processes"
aspen_ok fault $N start n1
[ "$(ps -eo args= | grep -c '^sleep infinity')" = 3 ] || fail "start n1 did not start it"

step "checked like a fault in the file"
aspen_fails fault $N kill nosuch
out_has 'node "nosuch" is not defined'
aspen_fails fault $N kill n1 --for 5s
out_has "cannot be reverted"
aspen_fails fault $N link-down n1.eth7
aspen_fails fault $N loss n1 150%
rc=0; "$ASPEN" fault $N explode n1 >"$WORK/out" 2>&1 || rc=$?
[ $rc = 64 ] || fail "an unknown fault is a usage error (exit $rc)"
rc=0; "$ASPEN" fault $N partition 'n1]' / n2 >"$WORK/out" 2>&1 || rc=$?
[ $rc = 64 ] || fail "a word with YAML syntax is refused (exit $rc)"
rc=0; "$ASPEN" fault $N partition n1 n2,n3 >"$WORK/out" 2>&1 || rc=$?
cat "$WORK/out"
[ $rc = 64 ] || fail "a partition without '/' is a usage error (exit $rc)"
out_has "'partition n1 / n2,n3'"
out_has "'isolate n1'"
grep -q '\[\[' "$WORK/out" && fail "the CLI's hint is in YAML syntax"
no_aspen_table

step "the topology file gone: said so"
mv "$F" "$F.gone"
aspen_fails fault $N partition n1 / n2
out_has "cannot be read"
mv "$F.gone" "$F"

aspen_ok destroy $N
no_aspen_table
assert_clean $N
echo ok

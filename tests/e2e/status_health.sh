# status NAME shows every node's health, probed now (one attempt of each
# check), in text and JSON; status --matrix without a name is a usage error.
. "$ASPEN_TESTS/e2e/lib.sh"
cat >"$WORK/s.yaml" <<YAML
apiVersion: aspen/v1
name: sthealth
defaults: {kind: netns, command: [sleep, infinity]}
networks:
  lan: {subnet: 10.75.0.0/24, gateway: 10.75.0.1}
nodes:
  a:
    interfaces: [{network: lan, ip: 10.75.0.2}]
    health: {ping: 10.75.0.1, exec: [sh, -c, "! test -e $WORK/down"]}
  b: {interfaces: [{network: lan, ip: 10.75.0.3}]}
YAML
step "a healthy node, and one without checks"
aspen_ok apply "$WORK/s.yaml"
aspen_ok status sthealth
grep -Eq "^a +healthy +ping 10.75.0.1 ok; exec sh -c ! test -e $WORK/down ok$" "$WORK/out" || fail "a not healthy"
grep -Eq "^b +- +no checks$" "$WORK/out" || fail "b: no checks not shown"

step "a check that fails now shows as failing, with its error"
touch "$WORK/down"
aspen_ok status sthealth
grep -Eq "^a +failing +ping 10.75.0.1 ok; exec sh -c ! test -e $WORK/down: exited with status 1$" "$WORK/out" ||
	fail "a not failing"
aspen_ok status --json sthealth
grep -q '"health":\[{"node":"a","health":"failing","checks":\[{"check":"ping 10.75.0.1","ok":true},{"check":"exec sh -c ! test -e '"$WORK"'/down","ok":false,"error":"health exec sh -c ! test -e '"$WORK"'/down: exited with status 1"}\]},{"node":"b","health":"no checks","checks":\[\]}\]' \
	"$WORK/out" || fail "JSON health"
rm "$WORK/down"

step "a ping to an address that is gone fails"
ip netns exec aspen-sthealth-a ip route del default
ip -n aspen-sthealth-a addr flush dev eth0
aspen_ok status sthealth
grep -Eq "^a +failing +ping 10.75.0.1: " "$WORK/out" || fail "ping did not fail"

step "--matrix without a name is a usage error"
rc=0; "$ASPEN" status --matrix >"$WORK/out" 2>&1 || rc=$?
[ $rc = 64 ] || { cat "$WORK/out"; fail "status --matrix exited $rc, not 64"; }
out_has "--matrix needs a topology"
aspen_ok destroy sthealth
assert_clean sthealth
echo ok

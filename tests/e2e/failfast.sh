# Fail fast: node commands that exit during the health wait end it at once,
# and apply names every one of them with its exit status, the telling lines
# of its log and the log's path; a failing check reports its last completed
# attempt and how many ran. (How fast is a bench figure: bench/failfast.sh.)
. "$ASPEN_TESTS/e2e/lib.sh"
cat >"$WORK/die.yaml" <<'YAML'
apiVersion: aspen/v1
name: failfast
defaults:
  kind: netns
  # A bad flag: the error first, then a usage text whose last line says nothing.
  command: [sh, -c, "echo \"flag provided but not defined: -bogus-$ASPEN_NODE\" >&2; printf 'Usage:\\n  --name  a name\\n  --data-dir  a dir\\nRun the thing.\\n'; exit 2"]
  health: {tcp: 127.0.0.1:2379, timeout: 120s}
networks:
  lan: {subnet: 10.72.0.0/24, gateway: 10.72.0.1}
nodes:
  node1: {interfaces: [{network: lan, ip: 10.72.0.2}]}
  node2: {interfaces: [{network: lan, ip: 10.72.0.3}]}
  node3: {interfaces: [{network: lan, ip: 10.72.0.4}]}
YAML

step "three commands that exit at once are all named, each with its first error line"
aspen_fails apply "$WORK/die.yaml"
out_has "3 nodes are down"
for n in node1 node2 node3; do
	out_has "$n: command sh exited with status 2"
	out_has "flag provided but not defined: -bogus-$n"
	out_has "log /run/aspen/failfast/$n.log (5 lines), the lines that look like errors and the last line"
done
out_has "Run the thing."
# Not the 120 s check's verdict: the wait was called off, not timed out.
! grep -q "attempt" "$WORK/out" || fail "the health check's verdict was reported instead of the dead commands"
aspen_ok destroy failfast
assert_clean failfast

step "only one of three dies: the wait ends, that one is named"
sed -e 's/^  node2: .*/  node2: {interfaces: [{network: lan, ip: 10.72.0.3}], command: [sleep, infinity]}/' \
    -e 's/^  node3: .*/  node3: {interfaces: [{network: lan, ip: 10.72.0.4}], command: [sleep, infinity]}/' \
    "$WORK/die.yaml" >"$WORK/one.yaml"
aspen_fails apply "$WORK/one.yaml"
out_has "node1: command sh exited with status 2 (log: /run/aspen/failfast/node1.log)"
! grep -q "node2: command\|node3: command\|nodes are down" "$WORK/out" || fail "a live node was reported dead"
aspen_ok destroy failfast
assert_clean failfast

step "a command killed by a signal, with a log of no error words: first and last lines"
cat >"$WORK/sig.yaml" <<'YAML'
apiVersion: aspen/v1
name: failfast
networks:
  lan: {subnet: 10.72.0.0/24}
nodes:
  node1:
    kind: netns
    # $$$$: aspen turns $$ into $ (docs/language.md, "Substitution"), the shell gets $$
    command: [sh, -c, "for i in 1 2 3 4 5 6; do echo line $i; done; kill -9 $$$$"]
    interfaces: [{network: lan, ip: 10.72.0.2}]
    health: {exec: [false], timeout: 120s}
YAML
aspen_fails apply "$WORK/sig.yaml"
out_has "node1: command sh was killed by signal 9"
out_has "(6 lines), the first and last lines:"
out_has "1| line 1"
out_has "6| line 6"
! grep -q "line 3" "$WORK/out" || fail "a middle line was shown"
aspen_ok destroy failfast
assert_clean failfast

step "a failing check reports its last completed attempt and how many ran"
cat >"$WORK/check.yaml" <<'YAML'
apiVersion: aspen/v1
name: failfast
networks:
  lan: {subnet: 10.72.0.0/24}
nodes:
  node1:
    kind: netns
    command: [sleep, infinity]
    interfaces: [{network: lan, ip: 10.72.0.2}]
    health: {exec: [sh, -c, "echo not ready yet; sleep 0.3; exit 4"], timeout: 1s, interval: 100ms}
YAML
aspen_fails apply "$WORK/check.yaml"
out_has "node1: health exec sh -c echo not ready yet; sleep 0.3; exit 4: exited with status 4: not ready yet ("
grep -Eq "\(([1-9]) attempts? in 1s\)" "$WORK/out" || fail "no count of attempts"
! grep -q "still running" "$WORK/out" || fail "the attempt cut off by the deadline was reported"
aspen_ok destroy failfast
assert_clean failfast
echo ok

# Node commands start together (one wave, several at once) and apply checks
# they live without a fixed sleep: every command runs in its own namespace
# with its pidfile; one that cannot exec fails apply naming its node, and
# destroy leaves nothing.
. "$ASPEN_TESTS/e2e/lib.sh"
cat >"$WORK/p.yaml" <<'YAML'
apiVersion: aspen/v1
name: procs
defaults: {kind: netns, command: [sleep, infinity]}
networks:
  lan: {subnet: 10.72.0.0/24, gateway: 10.72.0.1}
nodes:
  n1: {interfaces: [{network: lan, ip: 10.72.0.2}]}
  n2: {interfaces: [{network: lan, ip: 10.72.0.3}]}
  n3: {interfaces: [{network: lan, ip: 10.72.0.4}]}
  n4: {interfaces: [{network: lan, ip: 10.72.0.5}]}
  n5: {interfaces: [{network: lan, ip: 10.72.0.6}]}
  n6: {interfaces: [{network: lan, ip: 10.72.0.7}]}
YAML
step "six commands start, each in its namespace, each with its pidfile"
aspen_ok apply "$WORK/p.yaml"
for n in n1 n2 n3 n4 n5 n6; do
	pidf=/run/aspen/procs/$n.pid
	[ -s "$pidf" ] || fail "no pidfile for $n"
	pid=$(cut -d' ' -f1 "$pidf")
	kill -0 "$pid" 2>/dev/null || fail "$n: pid $pid is not running"
	[ "$(readlink /proc/$pid/exe)" = "$(readlink -f "$(command -v sleep)")" ] ||
		fail "$n: pid $pid is not sleep"
	[ "$(stat -L -c %i /proc/$pid/ns/net)" = "$(stat -L -c %i /run/netns/aspen-procs-$n)" ] ||
		fail "$n: its command is not in its namespace"
done
[ "$(pgrep -c -x sleep)" = 6 ] || fail "expected 6 sleep processes, found $(pgrep -c -x sleep)"
aspen_ok destroy procs
[ -z "$(pgrep -x sleep)" ] || fail "destroy left node commands running"
assert_clean procs

step "a command that cannot exec fails apply, naming its node"
sed -e 's/^  n4: {/  n4: {command: [no-such-program-aspen], /' "$WORK/p.yaml" >"$WORK/bad.yaml"
grep -q no-such-program-aspen "$WORK/bad.yaml" || fail "test setup: sed did not apply"
aspen_fails apply "$WORK/bad.yaml"
out_has "process/n4"
out_has "no-such-program-aspen"
out_has "No such file or directory"
grep -q "process/n[12356]:.*No such file" "$WORK/out" && fail "another node blamed"
aspen_ok destroy procs
[ -z "$(pgrep -x sleep)" ] || fail "destroy left node commands running"
assert_clean procs
echo ok

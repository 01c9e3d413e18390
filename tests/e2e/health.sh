# Health: apply waits for every node; a check that never passes and a
# command that exits at once each give a clear error naming the node, and
# destroy still leaves nothing.
. "$ASPEN_TESTS/e2e/lib.sh"
cat >"$WORK/h.yaml" <<'YAML'
apiVersion: aspen/v1
name: health
defaults: {kind: netns, command: [sleep, infinity]}
networks:
  lan: {subnet: 10.70.0.0/24, gateway: 10.70.0.1}
nodes:
  up:
    interfaces: [{network: lan, ip: 10.70.0.2}]
    health: {ping: 10.70.0.1, exec: [sh, -c, "ip -4 addr show dev eth0 | grep -q 10.70.0.2"], timeout: 5s}
  late:
    interfaces: [{network: lan, ip: 10.70.0.3}]
    command: [sh, -c, "sleep 0.5; touch /tmp/late-ready-$ASPEN_NODE; exec sleep infinity"]
    health: {exec: [test, -e, /tmp/late-ready-late], timeout: 10s}
YAML
step "apply waits until every node is healthy"
rm -f /tmp/late-ready-late
aspen_ok apply "$WORK/h.yaml"
[ -e /tmp/late-ready-late ] || fail "apply returned before the late node was ready"
aspen_ok destroy health
rm -f /tmp/late-ready-late

step "a check that never passes"
sed -e 's/ping: 10.70.0.1,/tcp: 10.70.0.2:7999,/' -e 's/timeout: 5s/timeout: 1s/' "$WORK/h.yaml" >"$WORK/never.yaml"
aspen_fails apply "$WORK/never.yaml"
out_has "up: health tcp 10.70.0.2:7999"
out_has "Connection refused"
aspen_ok destroy health
assert_clean health
rm -f /tmp/late-ready-late

step "a command that exits at once"
cat >"$WORK/exits.yaml" <<'YAML'
apiVersion: aspen/v1
name: exits
networks:
  lan: {subnet: 10.71.0.0/24}
nodes:
  dies:
    kind: netns
    command: [sh, -c, "echo 'cannot bind: address in use' >&2; exit 3"]
    interfaces: [{network: lan, ip: 10.71.0.2}]
YAML
aspen_fails apply "$WORK/exits.yaml"
out_has "dies: command sh exited"
out_has "cannot bind: address in use"
aspen_ok destroy exits
assert_clean exits

step "a command that cannot start"
sed -e 's/command: .*/command: [no-such-program-aspen]/' "$WORK/exits.yaml" >"$WORK/noexec.yaml"
aspen_fails apply "$WORK/noexec.yaml"
out_has "no-such-program-aspen"
out_has "No such file or directory"
aspen_ok destroy exits
assert_clean exits
echo ok

# Node faults on netns nodes act on the node's command: kill (SIGKILL, the
# process is gone), start (a new process, in the node's namespace, in the
# journal), pause (state T) and its revert, resume, restart (a new pid);
# heal continues a paused node. No stopped process is left behind.
. "$ASPEN_TESTS/e2e/lib.sh"
. "$ASPEN_TESTS/e2e/fault.inc"
N=fnode
F=$WORK/fnode.yaml
cat >"$F" <<'YAML'
apiVersion: aspen/v1
name: fnode
defaults: {kind: netns}
networks:
  lan: {subnet: 10.114.0.0/24}
nodes:
  n1: {command: [sleep, "7001"], interfaces: [{network: lan, ip: 10.114.0.11}]}
  n2: {command: [sleep, "7002"], interfaces: [{network: lan, ip: 10.114.0.12}]}
  n3: {command: [sleep, "7003"], interfaces: [{network: lan, ip: 10.114.0.13}]}
faults:
  - {at: 1s, kill: n1}
  - {at: 2s, start: n1}
  - {at: 3s, for: 1s, pause: n2}
  - {at: 5s, pause: n3}
  - {at: 6s, resume: n3}
  - {at: 7s, restart: n1}
YAML
# pid_of ARG: the live (not zombie) `sleep ARG`; empty when none.
pid_of() { ps -eo pid=,stat=,args= | awk -v a="$1" '$3 == "sleep" && $4 == a && $2 !~ /^Z/ { print $1 }'; }
state_of() { ps -o stat= -p "$1" | cut -c1; }
journaled() { grep -Eq "\"pid\":[[:space:]]*$1[,}[:space:]]" "$ASPEN_STATE_DIR/$N/state.json"; }

aspen_ok apply --no-wait --no-schedule "$F" >/dev/null
p1=$(pid_of 7001) p2=$(pid_of 7002) p3=$(pid_of 7003)
[ -n "$p1" ] && [ -n "$p2" ] && [ -n "$p3" ] || fail "node commands not running"

step "kill n1: its process is gone, the others run on"
fc_ok apply "$F" 0
[ -z "$(pid_of 7001)" ] || fail "n1 still running after kill"
[ "$(pid_of 7002)" = "$p2" ] || fail "n2 affected by n1's kill"
fc_ok apply "$F" 0      # killing a dead node is a no-op

step "start n1: a new process in n1's namespace, recorded in the journal"
fc_ok apply "$F" 1
s1=$(pid_of 7001)
[ -n "$s1" ] && [ "$s1" != "$p1" ] || fail "n1 not started (pid '$s1')"
[ "$(ip netns identify "$s1")" = "aspen-$N-n1" ] || fail "n1 runs outside its namespace"
journaled "$s1" || fail "journal lacks n1's new pid $s1"
fc_ok apply "$F" 1      # starting a running node keeps it
[ "$(pid_of 7001)" = "$s1" ] || fail "start replaced a running node"

step "pause n2 (state T), revert resumes it"
fc_ok apply "$F" 2
[ "$(state_of "$p2")" = T ] || fail "n2 not stopped: $(state_of "$p2")"
fc_ok revert "$F" 2
[ "$(state_of "$p2")" = S ] || fail "n2 not resumed: $(state_of "$p2")"
fc_ok revert "$F" 2

step "pause n3, then the resume fault"
fc_ok apply "$F" 3
[ "$(state_of "$p3")" = T ] || fail "n3 not stopped"
fc_ok apply "$F" 4
[ "$(state_of "$p3")" = S ] || fail "n3 not resumed"

step "restart n1: a new pid, the old one gone, the journal updated"
fc_ok apply "$F" 5
r1=$(pid_of 7001)
[ -n "$r1" ] && [ "$r1" != "$s1" ] || fail "n1 not restarted ($s1 -> '$r1')"
[ -z "$(ps -o pid= -p "$s1" | tr -d ' ')" ] || [ "$(state_of "$s1")" = Z ] || fail "old n1 still there"
journaled "$r1" || fail "journal lacks n1's restarted pid $r1"

step "heal continues a paused node"
fc_ok apply "$F" 2
[ "$(state_of "$p2")" = T ] || fail "n2 not stopped"
fc_ok heal "$F"
[ "$(state_of "$p2")" = S ] || fail "heal left n2 stopped"
no_stopped

step "destroy leaves nothing"
aspen_ok destroy $N >/dev/null
assert_clean $N
[ -z "$(pid_of 7001)$(pid_of 7002)$(pid_of 7003)" ] || fail "node processes left"
echo ok

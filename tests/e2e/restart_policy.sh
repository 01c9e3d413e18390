# restart_on: adding a node to a live topology changes every node's peers;
# a node with `restart_on: [own]` keeps running (same pid, old environment),
# one with the default [own, peers] restarts, and the plan says which and
# why before apply does it. A changed command still restarts either kind.
. "$ASPEN_TESTS/e2e/lib.sh"
N=restartp
F=$WORK/r.yaml
write() {
	cat >"$F" <<EOF
apiVersion: aspen/v1
name: restartp
defaults:
  kind: netns
  command: [sleep, "${1:-infinity}"]
  restart_on: [own]
networks:
  lan: {subnet: 10.113.0.0/24, gateway: 10.113.0.1}
nodes:
  keep:
    interfaces: [{network: lan, ip: 10.113.0.2}]
  bounce:
    interfaces: [{network: lan, ip: 10.113.0.3}]
    restart_on: [own, peers]
EOF
	[ -z "${2:-}" ] || cat >>"$F" <<EOF
  added:
    interfaces: [{network: lan, ip: 10.113.0.4}]
EOF
}
pid_of() { cut -d' ' -f1 "/run/aspen/$N/$1.pid"; }
peers_of() { tr '\0' '\n' <"/proc/$1/environ" | sed -n 's/^ASPEN_PEERS=//p'; }

step "two nodes up"
write
aspen_ok apply --no-schedule "$F"
k1=$(pid_of keep); b1=$(pid_of bounce)
kill -0 "$k1" && kill -0 "$b1" || fail "node processes not running"

step "a third node: the plan names who restarts and who keeps running"
write infinity added
aspen_ok plan "$F"
out_has "~ process/keep .*cluster:"
out_has "-/+ process/bounce .*cluster:"
out_has "^Restarts: bounce (its peers changed)$"
out_has "^Keeps running though its peers changed (restart_on: \[own\]): keep$"
grep -q "process/added" "$WORK/out" || fail "the new node is not in the plan"

step "apply: keep has its pid, bounce restarted with the new peers"
aspen_ok apply --no-schedule "$F"
k2=$(pid_of keep); b2=$(pid_of bounce); a2=$(pid_of added)
[ "$k2" = "$k1" ] || fail "keep was restarted ($k1 -> $k2)"
kill -0 "$k1" || fail "keep's process is gone"
[ "$b2" != "$b1" ] || fail "bounce was not restarted"
kill -0 "$b1" 2>/dev/null && fail "bounce's old process still runs"
kill -0 "$a2" || fail "the added node does not run"
[ "$(peers_of "$b2")" = "keep=10.113.0.2 bounce=10.113.0.3 added=10.113.0.4" ] ||
	fail "bounce's peers: $(peers_of "$b2")"
[ "$(peers_of "$k1")" = "keep=10.113.0.2 bounce=10.113.0.3" ] ||
	fail "keep's environment changed under it: $(peers_of "$k1")"

step "converged: the next plan is empty"
aspen_ok plan "$F"
out_has "No changes"

step "a changed command restarts a restart_on: [own] node too"
write 86400 added
aspen_ok apply --no-schedule "$F"
[ "$(pid_of keep)" != "$k1" ] || fail "keep kept running with a changed command"
kill -0 "$k1" 2>/dev/null && fail "keep's old process still runs"

aspen_ok destroy $N
assert_clean $N
echo ok

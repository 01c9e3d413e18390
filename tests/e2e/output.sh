# Output conventions of the commands that change the system: apply and
# destroy colour their progress only on a terminal and never with NO_COLOR,
# -q leaves only errors, -v adds the plan, --json is one JSON object per line.
. "$ASPEN_TESTS/e2e/lib.sh"
N=outt
T=$WORK/out.yaml
cat >"$T" <<'EOF'
apiVersion: aspen/v1
name: outt
defaults: {kind: netns, command: [sleep, infinity]}
networks:
  lan: {subnet: 10.111.0.0/24, gateway: 10.111.0.1}
nodes:
  node1:
    interfaces: [{network: lan, ip: 10.111.0.2}]
    health: {ping: 10.111.0.1, timeout: 10s}
  node2: {interfaces: [{network: lan, ip: 10.111.0.3}]}
EOF
command -v script >/dev/null || { echo "script(1) not installed (bsdutils)"; exit 77; }
ESC=$(printf '\033')
export TERM=xterm
# A colour (SGR) sequence; cursor control (\r ESC[K) on a tty is not colour.
has_color() { grep -q "$ESC\[[0-9;]*m" "$1"; }
has_esc() { grep -q "$ESC" "$1"; }

step "apply and destroy on a terminal: colour"
env -u NO_COLOR script -qec "'$ASPEN' apply '$T'" /dev/null >"$WORK/o" 2>&1 </dev/null || { cat "$WORK/o"; fail "apply on a tty"; }
has_color "$WORK/o" || fail "apply progress on a tty has no colour"
env -u NO_COLOR script -qec "'$ASPEN' destroy $N" /dev/null >"$WORK/o" 2>&1 </dev/null || { cat "$WORK/o"; fail "destroy on a tty"; }
has_color "$WORK/o" || fail "destroy progress on a tty has no colour"
assert_clean $N

step "on a terminal with NO_COLOR: none"
NO_COLOR=1 script -qec "'$ASPEN' apply '$T'" /dev/null >"$WORK/o" 2>&1 </dev/null || fail "apply NO_COLOR"
has_color "$WORK/o" && fail "apply colours with NO_COLOR"
NO_COLOR=1 script -qec "'$ASPEN' destroy $N" /dev/null >"$WORK/o" 2>&1 </dev/null || fail "destroy NO_COLOR"
has_color "$WORK/o" && fail "destroy colours with NO_COLOR"
assert_clean $N

step "piped: plain lines, no terminal codes at all"
env -u NO_COLOR "$ASPEN" apply "$T" >"$WORK/o" 2>&1 || { cat "$WORK/o"; fail "apply piped"; }
has_esc "$WORK/o" && fail "apply writes terminal codes into a pipe"
grep -q '^  \[ 1/12\] + ' "$WORK/o" || fail "apply piped: no line per action"
env -u NO_COLOR "$ASPEN" destroy $N >"$WORK/o" 2>&1 || fail "destroy piped"
has_esc "$WORK/o" && fail "destroy writes terminal codes into a pipe"
assert_clean $N

step "-q: nothing but errors; -v: the plan too"
"$ASPEN" apply -q "$T" >"$WORK/o" 2>&1 || { cat "$WORK/o"; fail "apply -q"; }
[ -s "$WORK/o" ] && { cat "$WORK/o"; fail "apply -q printed"; }
"$ASPEN" -q destroy $N >"$WORK/o" 2>&1 || fail "destroy -q"
[ -s "$WORK/o" ] && { cat "$WORK/o"; fail "destroy -q printed"; }
assert_clean $N
aspen_ok apply -v "$T" >/dev/null
out_has "Plan: 12 to create"
aspen_ok status -v $N >/dev/null
out_has "    name = aspen-outt-node1"
aspen_ok destroy $N >/dev/null

step "--json: one JSON object per line"
aspen_ok apply --json "$T" >/dev/null
grep -v '^{.*}$' "$WORK/out" && fail "apply --json: a line that is not an object"
tail -n 1 "$WORK/out" | grep -q '^{"event":"applied","topology":"outt"' || fail "apply --json: last event"
aspen_ok destroy --json $N >/dev/null
grep -v '^{.*}$' "$WORK/out" && fail "destroy --json: a line that is not an object"
tail -n 1 "$WORK/out" | grep -q '^{"event":"destroyed","topology":"outt"' || fail "destroy --json: last event"
command -v jq >/dev/null || fail "jq not installed (make deps installs it)"
jq -c . "$WORK/out" >/dev/null || fail "destroy --json is not JSON lines"
assert_clean $N
echo ok

# One node environment: a node's command, its exec health check and a role
# probe on its behalf see the same ASPEN_* variables; `aspen run`'s command
# sees the cluster-wide ones with the same meanings (ASPEN_PEERS = every
# node, ASPEN_OTHERS = the rest). ${VAR} in command and health exec
# arguments is replaced, $VAR as a whole word splits, $$ is a literal $; an
# unknown variable is refused at its FILE:LINE:COL before anything changes.
. "$ASPEN_TESTS/e2e/lib.sh"
N=nodeenv
F=$WORK/env.yaml
D=$WORK/seen
mkdir -p "$D"
cat >"$F" <<'EOF'
apiVersion: aspen/v1
name: nodeenv
defaults:
  kind: netns
  command: [sh, -c, 'env | sort >"$0.cmd"; printf "%s\n" "$@" >"$0.args"; exec sleep infinity',
            "SEEN/${ASPEN_NODE}", "--me=${ASPEN_NODE}@${ASPEN_NODE_IP}:${PORT}", $ASPEN_OTHERS, "$$HOME", '$1']
  health: {exec: [sh, -c, 'env | sort >"$0.health"', "SEEN/${ASPEN_NODE}"], timeout: 20s}
networks:
  lan: {subnet: 10.112.0.0/24, gateway: 10.112.0.1}
roles:
  any: {command: [sh, -c, 'env | sort >"SEEN/$ASPEN_NODE.role"'], timeout: 5s}
nodes:
  a:
    interfaces: [{network: lan, ip: 10.112.0.2}]
    env: {PORT: "7000"}
  b-2:
    interfaces: [{network: lan, ip: 10.112.0.3}]
    env: {PORT: "7001"}
faults:
  - {at: 200ms, for: 200ms, isolate: "@any"}
EOF
sed -i "s|SEEN/|$D/|g" "$F"

# Only the node variables: the probes run with aspen's own environment
# under them, a command with a minimal base.
nodevars() { grep -E '^ASPEN_(TOPOLOGY|NODE|NODE_IP|NODES|PEERS|OTHERS|IP_[A-Z0-9_]+)=' "$1" | sort; }

step "command, health exec and role probe see one environment"
rc=0
timeout -s KILL 120 "$ASPEN" run "$F" -- sh -c '
	i=0; while [ ! -e "$0/b-2.role" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
	env | sort >"$0/run"' "$D" >"$WORK/out" 2>&1 || rc=$?
cat "$WORK/out"
[ $rc = 0 ] || fail "aspen run exited $rc"
for n in a b-2; do
	for k in cmd health role; do [ -s "$D/$n.$k" ] || fail "$n.$k not written"; done
	nodevars "$D/$n.cmd" >"$WORK/$n.cmd"
	nodevars "$D/$n.health" >"$WORK/$n.health"
	nodevars "$D/$n.role" >"$WORK/$n.role"
	cmp "$WORK/$n.cmd" "$WORK/$n.health" || fail "$n: health exec sees another environment"
	cmp "$WORK/$n.cmd" "$WORK/$n.role" || fail "$n: role probe sees another environment"
done
cat "$WORK/a.cmd"
for kv in ASPEN_TOPOLOGY=nodeenv ASPEN_NODE=a ASPEN_NODE_IP=10.112.0.2 "ASPEN_NODES=a b-2" \
	"ASPEN_PEERS=a=10.112.0.2 b-2=10.112.0.3" "ASPEN_OTHERS=b-2=10.112.0.3" \
	ASPEN_IP_A=10.112.0.2 ASPEN_IP_B_2=10.112.0.3; do
	grep -qx "$kv" "$WORK/a.cmd" || fail "a lacks $kv"
done
grep -qx "ASPEN_OTHERS=a=10.112.0.2" "$WORK/b-2.cmd" || fail "b-2: ASPEN_OTHERS is not the rest"
grep -qx "ASPEN_PEERS=a=10.112.0.2 b-2=10.112.0.3" "$D/run" || fail "run: ASPEN_PEERS is not every node"
grep -qx "ASPEN_OTHERS=a=10.112.0.2 b-2=10.112.0.3" "$D/run" ||
	fail "run: ASPEN_OTHERS (no node of its own) is not every node"

step "substitution: \${VAR} inside words, \$VAR split, \$\$ literal, shell \$1 kept"
printf '%s\n' --me=a@10.112.0.2:7000 b-2=10.112.0.3 '$HOME' '$1' >"$WORK/want.a"
diff "$WORK/want.a" "$D/a.args" || fail "a's arguments"
printf '%s\n' --me=b-2@10.112.0.3:7001 a=10.112.0.2 '$HOME' '$1' >"$WORK/want.b"
diff "$WORK/want.b" "$D/b-2.args" || fail "b-2's arguments"
assert_clean $N

step "an unknown variable: refused at FILE:LINE:COL with the known names, nothing changed"
sed 's/:${PORT}/:${PROT}/' "$F" >"$WORK/bad.yaml"
aspen_fails apply "$WORK/bad.yaml"
out_has "bad.yaml:6:[0-9]*: error: unknown variable \${PROT} in command of node a"
out_has "from env: PORT"
out_has "write [$][$] for a literal [$]"
assert_clean $N
echo ok

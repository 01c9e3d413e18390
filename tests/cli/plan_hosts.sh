#!/bin/sh
# plan_hosts.sh — `aspen plan` of a multi-host file (docs/multihost.md):
# the per-host split and the VXLAN links of topologies/multihost3-netns.yaml
# against golden text and JSON (tests/golden/plan-multihost3.{txt,json}),
# what each host's section holds, `--part` planning one host's share (the
# same actions as that host's section), and a part naming an unknown host
# or another aspen version refused. Contacts no host; no root needed.
#
# After an intended change of the output: UPDATE_GOLDEN=1 sh tests/cli/plan_hosts.sh
# rewrites the golden files; review the diff before committing it.
set -u
: "${ASPEN:?}"
root=$(cd "$(dirname "$0")/../.." && pwd)
G=$root/tests/golden
F=$root/topologies/multihost3-netns.yaml
tmp=$(mktemp -d /tmp/aspen-plan-hosts.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# golden NAME [ARGS...]: `aspen plan ARGS F` must equal tests/golden/NAME.
golden() {
	want=$G/$1; shift
	"$ASPEN" plan "$@" "$F" >"$tmp/got" 2>"$tmp/err" || { cat "$tmp/err"; fail "plan $* exited $?"; }
	[ -s "$tmp/err" ] && { cat "$tmp/err"; fail "plan $* wrote to stderr"; }
	if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
		cp "$tmp/got" "$want"
		echo "updated $want"
	fi
	diff -u "$want" "$tmp/got" || fail "plan $* differs from $want"
}
golden plan-multihost3.txt
golden plan-multihost3.json --json

# The goldens hold what the issue asks for, not just whatever came out.
T=$G/plan-multihost3.txt J=$G/plan-multihost3.json
grep -q '^Topology multi3 on 3 hosts. .*plan contacts no host' "$T" || fail "header"
grep -q '^host h1 (local, underlay 10.0.0.1): 8 to create$' "$T" || fail "h1 header"
grep -q '^host h2 (ssh root@10.0.0.2, underlay 10.0.0.2): 14 to create$' "$T" || fail "h2 header"
grep -q '^host h3 (ssh ops@rack3-b port 2222, underlay 10.0.0.3): 7 to create$' "$T" || fail "h3 header"
grep -q '^  lan  *VNI 7840610 *MTU 1450 *port vx-f126-lan *hosts h1 (gateway) h2 h3$' "$T" || fail "VXLAN links"
[ "$(grep -c '^Fault schedule' "$T")" = 1 ] || fail "the schedule is printed once"
jq -e '.format_version == 1 and .topology == "multi3" and ([.hosts[].name] == ["h1","h2","h3"])' "$J" >/dev/null || fail "json hosts"
jq -e '.hosts[2] | .ssh == "ops@rack3-b" and .port == 2222 and .address == "10.0.0.3" and .local == false' "$J" >/dev/null || fail "json h3"
jq -e '.vxlan == [{"network":"lan","name":"vx-f126-lan","vni":7840610,"mtu":1450,"port":4789,"gateway_host":"h1","hosts":["h1","h2","h3"]}]' "$J" >/dev/null || fail "json vxlan"
# Each host holds its own nodes only; store (h2 only) has no VXLAN;
# lan's gateway address is on h1 alone.
jq -e '[.hosts[].plan.actions[] | select(.kind == "netns") | .id] | sort == ["netns/db","netns/n1","netns/n2","netns/n3"]' "$J" >/dev/null || fail "every node once"
jq -e '[.hosts[] | select(.plan.actions | any(.id == "addr/lan")) | .name] == ["h1"]' "$J" >/dev/null || fail "gateway on the home host only"
jq -e '[.hosts[] | select(.plan.actions | any(.id == "bridge/store")) | .name] == ["h2"]' "$J" >/dev/null || fail "store bridge on h2 only"
jq -e '[.hosts[].plan.actions[] | select(.kind == "vxlan") | .props.local] == ["10.0.0.1","10.0.0.2","10.0.0.3"]' "$J" >/dev/null || fail "a vxlan port per host"
jq -e '.hosts[0].plan.actions[] | select(.id == "vxlan/lan") | .props.remotes == "10.0.0.2 10.0.0.3" and (.props.fdb | split(" ") | length == 2) and .depends_on == ["bridge/lan"]' "$J" >/dev/null || fail "vxlan props"
jq -e '[.hosts[].plan.actions[] | select(.props.bridge == "as-f126-lan") | .props.mtu] | all(. == "1450")' "$J" >/dev/null || fail "mtu 1450 on lan's ports"

# --part: a host plans its own share; the same actions as its section.
ver=$("$ASPEN" --version | awk '{print $2}')
part() { jq -n --arg v "$1" --arg h "$2" --arg f "$F" --rawfile s "$F" '{aspen: $v, host: $h, file: $f, seed: 0, source: $s}'; }
part "$ver" h3 >"$tmp/part.json"
"$ASPEN" plan --json --part "$tmp/part.json" >"$tmp/p3.json" 2>"$tmp/err" || { cat "$tmp/err"; fail "plan --part"; }
jq -e --slurpfile full "$J" '[.actions[] | {id, props}] == [$full[0].hosts[2].plan.actions[] | {id, props}]' "$tmp/p3.json" >/dev/null ||
	fail "plan --part h3 differs from h3's section"
part "$ver" h2 | "$ASPEN" plan --json --part - >"$tmp/p2.json" 2>"$tmp/err" || { cat "$tmp/err"; fail "plan --part -"; }
jq -e 'any(.actions[]; .id == "vxlan/lan" and .props.local == "10.0.0.2")' "$tmp/p2.json" >/dev/null || fail "part from stdin"
part "$ver" h9 | "$ASPEN" plan --part - >"$tmp/out" 2>&1 && fail "a part for an unknown host was planned"
grep -q 'part for host h9, which the file does not define (hosts: h1, h2, h3)' "$tmp/out" || { cat "$tmp/out"; fail "unknown host message"; }
part "0.0.1+other" h1 | "$ASPEN" plan --part - >"$tmp/out" 2>&1 && fail "a part from another version was planned"
grep -q 'the controller runs aspen 0.0.1+other, this host aspen' "$tmp/out" || { cat "$tmp/out"; fail "version message"; }
echo '{"aspen": 1}' | "$ASPEN" plan --part - >"$tmp/out" 2>&1 && fail "a malformed part was planned"
grep -q 'is not a host.s part' "$tmp/out" || { cat "$tmp/out"; fail "malformed part message"; }
echo "ok: multi-host plan"

# Every example in topologies/ validates with no diagnostic at all, plans,
# starts with the yaml-language-server line, and together they show every
# fault kind of the language, roles and generators.
set -eu
: "${ASPEN:?}" "${ASPEN_TESTS:?}"
root=$(cd "$ASPEN_TESTS/.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d /tmp/aspen-examples.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
n=0
for f in "$root"/topologies/*.yaml; do
	n=$((n + 1))
	"$ASPEN" validate -q "$f" >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "$f does not validate"; }
	[ ! -s "$tmp/out" ] || { cat "$tmp/out"; fail "$f: diagnostics on a valid example"; }
	head -n 1 "$f" | grep -q '^# yaml-language-server: \$schema=../schemas/aspen-v1.schema.json$' \
		|| fail "$f: the first line must load the JSON Schema"
	# The whole plan is printed; a VM example may still exit 1 on a machine
	# without Cloud Hypervisor or its images (preflight), and any example on
	# a machine whose own routes overlap its subnet; each says why.
	rc=0; "$ASPEN" plan --json "$f" >"$tmp/plan.json" 2>"$tmp/err" || rc=$?
	[ $rc = 0 ] || grep -q "problems* with VM nodes\|overlaps* the host's own addresses" "$tmp/err" ||
		{ cat "$tmp/err"; fail "$f: plan"; }
	# A multi-host example plans per host (docs/plan-json.md).
	jq -e '(.actions // [.hosts[].plan.actions[]]) | length > 0' "$tmp/plan.json" >/dev/null ||
		fail "$f: empty plan"
done
[ $n -ge 4 ] || fail "only $n examples"
for kind in partition latency loss duplicate corrupt reorder rate link-down kill pause resume start restart reboot; do
	grep -q "\b$kind:" "$root"/topologies/*.yaml || fail "no example shows a $kind fault"
done
grep -q 'from:' "$root"/topologies/*.yaml || fail "no example shows a one-way partition"
grep -q 'isolate:' "$root"/topologies/*.yaml || fail "no example isolates a node"
grep -q '^roles:' "$root"/topologies/*.yaml || fail "no example declares a role"
grep -q '"@[a-z]' "$root"/topologies/*.yaml || fail "no example aims a fault at a role"
grep -q 'every:' "$root"/topologies/*.yaml || fail "no example repeats a fault"
grep -q 'random-majority-ring' "$root"/topologies/*.yaml || fail "no example draws a majorities ring"
grep -q '^hosts:' "$root"/topologies/*.yaml || fail "no example spans hosts"
echo "ok: $n examples"

#!/bin/sh
# failfast.sh — issue 11's fail-fast figure: a topology whose three node
# commands exit at once (each with a 120 s health check) must fail apply in
# under 2 s, not wait the check's timeout. Runs inside tests/sandbox.sh
# (run-bench.sh starts it there). Prints the median of 5 applies; asserts
# nothing (the e2e test tests/e2e/failfast.sh checks what is reported).
set -u
: "${ASPEN:?}"
tmp=$(mktemp -d /tmp/aspen-failfast.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/die.yaml" <<'YAML'
apiVersion: aspen/v1
name: benchff
defaults:
  kind: netns
  command: [sh, -c, "echo 'flag provided but not defined: -bogus' >&2; exit 2"]
  health: {tcp: 127.0.0.1:2379, timeout: 120s}
networks:
  lan: {subnet: 10.73.0.0/24, gateway: 10.73.0.1}
nodes:
  node1: {interfaces: [{network: lan, ip: 10.73.0.2}]}
  node2: {interfaces: [{network: lan, ip: 10.73.0.3}]}
  node3: {interfaces: [{network: lan, ip: 10.73.0.4}]}
YAML
ms() { echo $(($(date +%s%N) / 1000000)); }
for i in 1 2 3 4 5; do
	t0=$(ms)
	"$ASPEN" apply "$tmp/die.yaml" >"$tmp/out" 2>&1 && { echo "  apply succeeded?"; exit 1; }
	t1=$(ms)
	grep -q "3 nodes are down" "$tmp/out" || { cat "$tmp/out"; echo "  not all three named"; exit 1; }
	echo $((t1 - t0)) >>"$tmp/times"
	"$ASPEN" destroy benchff >/dev/null 2>&1 || { echo "  destroy failed"; exit 1; }
done
med=$(sort -n "$tmp/times" | sed -n 3p)
printf '  failing apply, 3 commands exit at once (median of 5, whole apply) %6s ms   target < 2000 ms   %s\n' \
	"$med" "$(awk -v v="$med" 'BEGIN { print (v < 2000) ? "PASS" : "MISS" }')"

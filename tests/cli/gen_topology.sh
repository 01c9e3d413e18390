#!/bin/sh
# gen_topology.sh — bench/gen-topology.sh prints well-formed, deterministic
# topologies with unique addresses; once the loader is built, every
# generated file must also load, lower and plan (through bench_compile).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
gen="$root/bench/gen-topology.sh"
tmp=$(mktemp -d /tmp/aspen-gen.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

sh "$gen" 3 >"$tmp/3.yaml" || fail "gen 3"
[ "$(grep -c '^  node[0-9]*: ' "$tmp/3.yaml")" = 3 ] || fail "3 nodes expected"
grep -q '^apiVersion: aspen/v1$' "$tmp/3.yaml" || fail "apiVersion"
grep -q '^name: bench3$' "$tmp/3.yaml" || fail "name"
grep -q 'kill: node3}' "$tmp/3.yaml" || fail "faults name the last node"

sh "$gen" 2000 >"$tmp/2000.yaml" || fail "gen 2000"
[ "$(grep -c '^  node[0-9]*: ' "$tmp/2000.yaml")" = 2000 ] || fail "2000 nodes expected"
dups=$(grep -o 'ip: [0-9.]*' "$tmp/2000.yaml" | sort | uniq -d | head -1)
[ -z "$dups" ] || fail "duplicate address $dups"
grep -q 'node2000: {interfaces: \[{network: lan2, ip: 10.1.3.233}\]}' "$tmp/2000.yaml" ||
	fail "address of node2000"
sh "$gen" 2000 | cmp -s - "$tmp/2000.yaml" || fail "output not deterministic"

sh "$gen" 1 vm >"$tmp/vm.yaml" || fail "gen vm"
grep -q '^  kind: vm$' "$tmp/vm.yaml" || fail "vm kind"
grep -q 'partition: \[\[' "$tmp/vm.yaml" && fail "1 node: no group partition"

for bad in "" 0 x 65534 "3 bogus"; do
	# shellcheck disable=SC2086
	if sh "$gen" $bad >/dev/null 2>&1; then fail "accepted '$bad'"; fi
done

bench="${BUILD:-$root/build}/tools/bench_compile"
if [ -x "$bench" ]; then
	"$bench" "$tmp/3.yaml" 1 >"$tmp/out" 2>&1
	rc=$?
	if [ $rc = 77 ]; then
		echo "skipped: loading the generated files: $(cat "$tmp/out")"
	elif [ $rc = 0 ]; then
		for n in 3 2000; do
			"$bench" "$tmp/$n.yaml" 1 >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "bench $n"; }
			grep -q "^plan " "$tmp/out" || fail "bench output"
		done
		"$bench" "$tmp/vm.yaml" 1 >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "bench vm"; }
	else
		cat "$tmp/out"; fail "bench_compile exit $rc"
	fi
fi
echo ok

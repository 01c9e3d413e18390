#!/bin/sh
# run-bench.sh — `make bench`: aspen's performance figures, next to their
# targets and to iproute2. Prints; asserts nothing; exits 0 whether targets
# are met or missed (a broken build or a failing step still exits non-zero).
#
#   ASPEN=/path/to/aspen BUILD=/path/to/build bench/run-bench.sh
#
#   1. compile + plan of a generated 1000-node topology (build/tools/bench_compile)
#   2. namespace apply/destroy against iproute2 at N = 3, 10, 100
#      (bench/netns-bench.sh, inside tests/sandbox.sh: never on the host's
#      interfaces; needs root, skipped otherwise). BENCH_SIZES="3 10" narrows.
#   1b. whole-command start of --version, validate and plan next to `ip -V`
#      (bench/startup.sh; inside tests/sandbox.sh when root)
#   3. sections other branches provide: bench/vm.sh (VM boot parallelism),
#      bench/schedule.sh (fault schedule precision; heal -> first packet
#      through per fault kind), when present
#   4. the control API: request to first dropped packet (bench/api.sh)
#   5. fail fast: apply of three node commands that exit at once (bench/failfast.sh)
# Not here: `make stat-check` (bench/stat-check.sh) runs the statistical
# e2e tests 50 times each under load and counts misses; it takes an hour.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
: "${ASPEN:?set ASPEN to the aspen binary}" "${BUILD:?set BUILD to the build dir}"
export ASPEN BUILD
tmp=$(mktemp -d /tmp/aspen-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
status=0

section() { printf '\n== %s ==\n' "$*"; }
verdict() { awk -v v="$1" -v l="$2" 'BEGIN { print (v + 0 < l + 0) ? "PASS" : "MISS" }'; }

# ---- 1. compiler ----
section "1. compile + plan, 1000 nodes (target < 20 ms, < 20 MB peak RSS)"
sh "$here/gen-topology.sh" 1000 >"$tmp/t1000.yaml"
if "$BUILD/tools/bench_compile" "$tmp/t1000.yaml" 30 >"$tmp/compile" 2>&1; then
	sed 's/^/  /' "$tmp/compile"
	ms=$(awk '$1 == "total" { print $2 }' "$tmp/compile")
	kib=$(awk '/^peak RSS/ { print $3 }' "$tmp/compile")
	mb=$(awk -v k="$kib" 'BEGIN { printf "%.1f", k / 1024 }')
	printf '  wall (median of 30 runs) %8s ms   target < 20 ms   %s\n' "$ms" "$(verdict "$ms" 20)"
	printf '  peak RSS                 %8s MiB  target < 20 MB   %s\n' "$mb" \
		"$(verdict "$kib" 19531)"          # 20 MB = 20e6 bytes = 19531 KiB
else
	rc=$?
	sed 's/^/  /' "$tmp/compile"
	if [ $rc = 77 ]; then echo "  skipped"; else echo "  bench_compile failed (exit $rc)"; status=1; fi
fi

# ---- 1b. whole commands ----
section "1b. whole-command start: --version, validate, plan of cluster3-netns vs ip -V"
if [ "$(id -u)" = 0 ] && unshare --net true 2>/dev/null; then
	"$root/tests/sandbox.sh" sh "$here/startup.sh" || { echo "  startup.sh failed"; status=1; }
else
	sh "$here/startup.sh" || { echo "  startup.sh failed"; status=1; }
fi

# ---- 2. namespaces vs iproute2 ----
section "2. apply / destroy of namespace nodes vs iproute2"
if [ "$(id -u)" != 0 ] || ! unshare --net true 2>/dev/null; then
	echo "  skipped: needs root and unshare (it runs inside tests/sandbox.sh)"
elif ! command -v ip >/dev/null; then
	echo "  skipped: iproute2 (ip) is not installed"
else
	# shellcheck disable=SC2086
	{ "$root/tests/sandbox.sh" sh "$here/netns-bench.sh" ${BENCH_SIZES:-3 10 100} 2>&1 ||
		{ echo "netns-bench.sh failed"; touch "$tmp/failed"; }; } | sed 's/^/  /'
	[ ! -e "$tmp/failed" ] || status=1
fi

# ---- 3. hooks ----
section "3. VM bring-up of 1/10/50 VMs and fail-fast (bench/vm.sh)"
if [ -f "$here/vm.sh" ]; then sh "$here/vm.sh" || status=1; else echo "  not available yet"; fi
section "3. fault schedule precision (bench/schedule.sh, branch sched)"
if [ -f "$here/schedule.sh" ]; then sh "$here/schedule.sh" || status=1; else echo "  not available yet"; fi
section "4. control API: partition request to first dropped packet (bench/api.sh)"
sh "$here/api.sh" || status=1
section "5. fail fast: three node commands exit at once (bench/failfast.sh)"
if [ "$(id -u)" = 0 ] && unshare --net true 2>/dev/null; then
	"$root/tests/sandbox.sh" sh "$here/failfast.sh" || status=1
else
	echo "  skipped: needs root and unshare (it runs inside tests/sandbox.sh)"
fi
exit $status

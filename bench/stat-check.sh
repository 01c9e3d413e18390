#!/bin/sh
# stat-check.sh — `make stat-check`: do the statistical and timing e2e
# tests hold under load? Each test runs STAT_RUNS times (default 50), one
# at a time, each in its own tests/sandbox.sh, while 2 busy processes
# (started here, killed by pid at the end) keep the CPUs loaded. Prints
# the miss count per test and keeps the output of every miss. The tests
# derive their bounds so that a correct aspen misses with probability
# < 1e-5 per run: any miss is a bug to find, not bad luck.
#
#   ASPEN=... BUILD=... bench/stat-check.sh [TEST...]
#   (default: fault_loss fault_partition fault_oneway fault_heal)
#   STAT_RUNS=50 runs per test, STAT_BUSY=2 busy processes (two instances
#   on disjoint tests, one with STAT_BUSY=0, halve the wall time)
#
# fault_heal runs with its `make test` round count here (HEAL_RUNS, 2 per
# kind and timer setting: 24 first packets a run, 1200 in 50 runs); `make
# heal-check` runs it once with the 20 rounds per kind of issue 18.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
: "${ASPEN:?set ASPEN to the aspen binary}" "${BUILD:?set BUILD to the build dir}"
[ "$(id -u)" = 0 ] || { echo "stat-check: needs root (the tests run in tests/sandbox.sh)" >&2; exit 1; }
runs=${STAT_RUNS:-50}
tests=${*:-fault_loss fault_partition fault_oneway fault_heal}
keep=$(mktemp -d /tmp/aspen-stat-check.XXXXXX)
busy=""
stop_busy() { for p in $busy; do kill "$p" 2>/dev/null; done; busy=""; }
trap 'stop_busy' EXIT
trap 'stop_busy; exit 130' INT TERM
i=0
while [ $i -lt "${STAT_BUSY:-2}" ]; do
	sh -c 'while :; do :; done' &
	busy="$busy $!"
	i=$((i + 1))
done
echo "stat-check: $runs runs each, ${STAT_BUSY:-2} busy processes ($busy ); misses kept in $keep"
total=0
for t in $tests; do
	miss=0 i=0
	start=$(date +%s)
	while [ $i -lt "$runs" ]; do
		i=$((i + 1))
		if ! ASPEN="$ASPEN" BUILD="$BUILD" ASPEN_TESTS="$root/tests" \
			"$root/tests/sandbox.sh" sh "$root/tests/e2e/$t.sh" >"$keep/$t.$i.log" 2>&1; then
			miss=$((miss + 1))
			echo "  $t run $i: MISS: $(grep FAIL "$keep/$t.$i.log" | head -1)"
		else
			rm -f "$keep/$t.$i.log"
		fi
	done
	total=$((total + miss))
	printf '  %-16s %d misses in %d runs under load (%ds)\n' "$t" "$miss" "$runs" \
		$(($(date +%s) - start))
done
[ "$total" = 0 ] && rmdir "$keep" 2>/dev/null
echo "stat-check: $total misses in total"
[ "$total" = 0 ]

#!/bin/sh
# compile.sh — the compiler at scale, in-process and as whole commands.
#
#   ASPEN=... BUILD=... sh bench/compile.sh [N]        (default N: 1000)
#
# On a topology of N netns nodes (bench/gen-topology.sh):
#   - in-process: build/tools/bench_compile, load + lower + plan against an
#     empty system, median of 30 runs, and its peak RSS;
#   - whole commands, what a user waits for: `aspen validate -q`, `aspen
#     plan` and `aspen plan --json` (output to /dev/null), ROUNDS rounds
#     (default 5) of RUNS runs (default 10), interleaved; median per run
#     and the spread (min..max) of the round means, and the peak RSS of one
#     run of each (GNU time, when installed), and the CPU time per run
#     (perf stat's task-clock, mean of 10, when perf is installed).
# Targets (issue 13): plan < 15 ms, plan --json < 30 ms, RSS < 20 MB.
# ASPEN_BASELINE=/path/to/other/aspen adds its rows (before/after), the
# two binaries interleaved round by round.
# Run as root inside tests/sandbox.sh (run-bench.sh does), so `plan` reads
# a private live system as it would on a host; elsewhere it plans against
# an empty one. Prints; asserts nothing.
set -eu
: "${ASPEN:?}" "${BUILD:?}"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
n=${1:-1000}
rounds=${ROUNDS:-5} runs=${RUNS:-10}
tmp=$(mktemp -d /tmp/aspen-bench-compile.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export NO_COLOR=1
f=$tmp/t$n.yaml
sh "$here/gen-topology.sh" "$n" >"$f"

echo "  in-process (build/tools/bench_compile, median of 30):"
if "$BUILD/tools/bench_compile" "$f" 30 >"$tmp/compile" 2>&1; then
	sed 's/^/    /' "$tmp/compile"
else
	sed 's/^/    /' "$tmp/compile"
	echo "    bench_compile failed"
	exit 1
fi

set -- "aspen" "$ASPEN"
[ -z "${ASPEN_BASELINE:-}" ] || set -- "$@" "baseline" "$ASPEN_BASELINE"
load0=$(bench_load)
r=0
while [ $r -lt "$rounds" ]; do
	k=1
	while [ $k -lt $# ]; do
		eval "label=\${$k} bin=\${$((k + 1))}"
		bench_loop "$label-validate" "$runs" "$bin" validate -q "$f"
		bench_loop "$label-plan" "$runs" "$bin" plan "$f"
		bench_loop "$label-json" "$runs" "$bin" plan --json "$f"
		k=$((k + 2))
	done
	r=$((r + 1))
done
load1=$(bench_load)
rss() {
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1 | awk '{ printf "%.1f MiB", $1 / 1024 }'
	else
		echo "-"
	fi
}
# CPU time per run (perf's task-clock, mean of 10): less bent by other
# jobs on the machine than wall time, which also counts waiting for a CPU.
cpu() {
	if command -v perf >/dev/null 2>&1; then
		perf stat -x, -e task-clock -r 10 "$@" 2>&1 >/dev/null |
			awk -F, '/task-clock/ { printf "%.1f ms", $1; ok = 1 } END { if (!ok) printf "-" }'
	else
		echo "-"
	fi
}
printf '  whole commands, %d nodes (%d x %d runs)   median/run   spread of round means   peak RSS   CPU/run   target\n' \
	"$n" "$rounds" "$runs"
k=1
while [ $k -lt $# ]; do
	eval "label=\${$k} bin=\${$((k + 1))}"
	for c in validate plan json; do
		case $c in
		validate) what="validate -q"; target=; args="validate -q" ;;
		plan) what="plan"; target=15; args="plan" ;;
		json) what="plan --json"; target=30; args="plan --json" ;;
		esac
		st=$(bench_stats "$label-$c")
		verdict=
		[ -z "$target" ] || verdict="< $target ms  $(bench_verdict "$(echo "$st" | awk '{print $1}')" "$target")"
		# shellcheck disable=SC2086
		printf '  %-28s %s   %-9s  %-8s  %s\n' "$label $what" "$st" "$(rss "$bin" $args "$f")" \
			"$(cpu "$bin" $args "$f")" "$verdict"
	done
	k=$((k + 2))
done
printf '  load average %s at start, %s at end\n' "$load0" "$load1"

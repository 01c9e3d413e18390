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
#     run of each (GNU time, when installed).
# Targets (issue 13): plan < 15 ms, plan --json < 30 ms, RSS < 20 MB.
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

load0=$(bench_load)
r=0
while [ $r -lt "$rounds" ]; do
	bench_loop validate "$runs" "$ASPEN" validate -q "$f"
	bench_loop plan "$runs" "$ASPEN" plan "$f"
	bench_loop json "$runs" "$ASPEN" plan --json "$f"
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
printf '  whole commands, %d nodes (%d x %d runs)   median/run   spread of round means   peak RSS   target\n' \
	"$n" "$rounds" "$runs"
for c in validate plan json; do
	case $c in
	validate) what="aspen validate -q"; target=; set -- validate -q "$f" ;;
	plan) what="aspen plan"; target=15; set -- plan "$f" ;;
	json) what="aspen plan --json"; target=30; set -- plan --json "$f" ;;
	esac
	st=$(bench_stats "$c")
	verdict=
	[ -z "$target" ] || verdict="< $target ms  $(bench_verdict "$(echo "$st" | awk '{print $1}')" "$target")"
	printf '  %-28s %s   %-9s  %s\n' "$what" "$st" "$(rss "$ASPEN" "$@")" "$verdict"
done
printf '  load average %s at start, %s at end\n' "$load0" "$load1"

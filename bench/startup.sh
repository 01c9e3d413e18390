#!/bin/sh
# startup.sh — whole-command time of aspen's light commands, next to `ip -V`.
#
#   bench/startup.sh [FILE]         (default: topologies/cluster3-netns.yaml)
#
# What a user feels is the whole process: loading and relocating shared
# libraries, then the work. For `aspen --version`, `aspen validate FILE` and
# `aspen plan FILE` (and `ip -V`, a small program with few libraries, as the
# floor of process start on this machine) it runs ROUNDS rounds (default 5)
# of RUNS runs each (default 40, so 200 per command), the commands
# interleaved round by round so drift of the machine hits all alike, and
# prints the median per-run time over the rounds with the spread (min..max
# of the round means), the load average while it ran, and the shared
# libraries aspen loads at start (ldd). ASPEN_BASELINE=/path/to/other/aspen
# adds the same rows for another build (before/after). Prints; asserts
# nothing. Run as root inside tests/sandbox.sh so `plan` reads a private
# live system; elsewhere `plan` plans against an empty one.
set -eu
: "${ASPEN:?}"
here=$(cd "$(dirname "$0")" && pwd)
file=${1:-$here/../topologies/cluster3-netns.yaml}
rounds=${ROUNDS:-5} runs=${RUNS:-40}
tmp=$(mktemp -d /tmp/aspen-startup.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export NO_COLOR=1

. "$here/lib.sh"
loop() { _l=$1; shift; bench_loop "$_l" "$runs" "$@"; }
stats() { bench_stats "$1"; }

rows="ip-V"
set -- "aspen" "$ASPEN"
[ -z "${ASPEN_BASELINE:-}" ] || set -- "$@" "baseline" "$ASPEN_BASELINE"
load0=$(cut -d' ' -f1 /proc/loadavg)
r=0
while [ $r -lt "$rounds" ]; do
	loop ip-V ip -V
	n=1
	while [ $n -lt $# ]; do
		eval "label=\${$n} bin=\${$((n + 1))}"
		loop "$label-version" "$bin" --version
		loop "$label-validate" "$bin" validate -q "$file"
		loop "$label-plan" "$bin" plan "$file"
		n=$((n + 2))
	done
	r=$((r + 1))
done
load1=$(cut -d' ' -f1 /proc/loadavg)

printf '  %-38s %s\n' "command ($rounds x $runs runs)" "median per run, spread of round means"
printf '  %-38s %s\n' "ip -V" "$(stats ip-V)"
n=1
while [ $n -lt $# ]; do
	eval "label=\${$n} bin=\${$((n + 1))}"
	for c in version validate plan; do
		case $c in version) what="--version" ;; *) what="$c $(basename "$file")" ;; esac
		printf '  %-38s %s   %s\n' "$label $what" "$(stats "$label-$c")" \
			"$(awk -v a="$(stats "$label-$c" | awk '{print $1}')" -v b="$(stats ip-V | awk '{print $1}')" \
				'BEGIN { printf "%.1fx ip -V", a / b }')"
	done
	printf '  %-38s %s\n' "$label: libraries at start" "$(ldd "$bin" | wc -l) ($(ldd "$bin" | grep -c curl) of them libcurl)"
	n=$((n + 2))
done
printf '  load average %s at start, %s at end\n' "$load0" "$load1"

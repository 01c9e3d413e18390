#!/bin/sh
# scale.sh — aspen at 300, 1000 and 3000 namespace nodes, each command
# beside the kernel floor measured in the same run (issue 17).
#
#   tests/sandbox.sh sh bench/scale.sh            (run-bench.sh does this)
#   SCALE_SIZES="300 1000" tests/sandbox.sh sh bench/scale.sh
#
# Topologies come from bench/gen-topology.sh without node commands and
# faults (networks of 1000 nodes: a bridge holds 1023 ports). Per size:
# apply (--timings), no-op re-apply, status and plan of the live topology,
# destroy; wall time, CPU time (user + system) and peak RSS of each whole
# command (GNU time). The floor is `ip -o link show; ip -o addr show` on the
# host at the same moment, what any tool pays to look at this many links
# (for apply and destroy: at the live size, for scale only). No-op, status
# and plan are the median of 3 runs, each beside its own floor; the ratio
# is of CPU time, which a loaded machine disturbs far less than wall time.
# The growth from the smallest to the largest size is printed for each
# command next to the node ratio. No traffic is sent: the host's neighbour
# table is untouched. Prints figures; asserts nothing (a failing command
# exits 1). 3000 nodes take minutes.
set -u
: "${ASPEN:?set ASPEN to the aspen binary}"
[ "${ASPEN_SANDBOX:-}" = 1 ] || { echo "scale.sh: run it inside tests/sandbox.sh"; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
sizes=${SCALE_SIZES:-300 1000 3000}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "  skipped: GNU time (/usr/bin/time, Debian package time) is missing"; exit 0; }
work=$(mktemp -d /tmp/aspen-scale.XXXXXX)
trap 'rm -rf "$work"' EXIT
export NO_COLOR=1

# run NAME CMD...: time one command; "WALL KIB CPU" appended to $work/NAME.
run() {
	name=$1; shift
	if ! "$TIME" -f '%e %M %U %S' -o "$work/t" "$@" >"$work/out" 2>&1; then
		cat "$work/out"; echo "scale.sh: $* failed"; exit 1
	fi
	awk '{ print $1, $2, $3 + $4 }' "$work/t" >>"$work/$name"
}
floor() { # "WALL CPU" of the kernel floor, appended to $work/floor-NAME
	"$TIME" -f '%e %U %S' -o "$work/t" sh -c 'ip -o link show >/dev/null; ip -o addr show >/dev/null'
	awk '{ print $1, $2 + $3 }' "$work/t" >>"$work/floor-$1"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
col() { awk -v c="$2" '{ print $c }' "$work/$1"; }

printf '  %-6s %-8s %8s %8s %8s %8s %9s %8s\n' nodes command "wall s" "floor" "cpu s" "floor" "cpu ratio" "RSS MiB"
for n in $sizes; do
	sh "$here/gen-topology.sh" "$n" | sed -e '/^  command:/d' -e '/^faults:/,$d' >"$work/t$n.yaml"
	rm -f "$work"/apply "$work"/noop "$work"/status "$work"/plan "$work"/destroy "$work"/floor-*
	run apply "$ASPEN" apply --no-wait --no-schedule --timings "$work/t$n.yaml"
	cp "$work/out" "$work/timings$n"
	floor apply
	for i in 1 2 3; do
		floor noop; run noop "$ASPEN" apply --no-wait --no-schedule "$work/t$n.yaml"
		grep -q '^No changes' "$work/out" || { cat "$work/out"; echo "re-apply changed something"; exit 1; }
		floor status; run status "$ASPEN" status "bench$n"
		floor plan; run plan "$ASPEN" plan "$work/t$n.yaml"
	done
	floor destroy
	run destroy "$ASPEN" destroy "bench$n"
	left=$(ip netns list | wc -l)
	[ "$left" = 0 ] || { echo "scale.sh: destroy left $left namespaces"; exit 1; }
	for c in apply noop status plan destroy; do
		s=$(col $c 1 | median) kib=$(col $c 2 | sort -n | tail -1) u=$(col $c 3 | median)
		f=$(col floor-$c 1 | median) fu=$(col floor-$c 2 | median)
		printf '%s %s %s %s\n' "$n" "$c" "$u" "$fu" >>"$work/all"
		awk -v n="$n" -v c="$c" -v s="$s" -v f="$f" -v u="$u" -v fu="$fu" -v k="$kib" 'BEGIN {
			printf "  %-6s %-8s %8.2f %8.2f %8.2f %8.2f %9s %8.1f\n", n, c, s, f, u, fu,
				(fu > 0 && c != "apply" && c != "destroy" ? sprintf("%.1fx", u / fu) : "-"),
				k / 1024 }'
	done
	sed -n '/^Timings:/,$p' "$work/timings$n" | sed 's/^/         /'
done
first=$(echo $sizes | awk '{ print $1 }') last=$(echo $sizes | awk '{ print $NF }')
if [ "$first" != "$last" ]; then
	echo "  growth of CPU time $first -> $last nodes (x$(awk -v a="$first" -v b="$last" 'BEGIN { printf "%.1f", b / a }') nodes):"
	for c in apply noop status plan destroy; do
		awk -v c="$c" -v a="$first" -v b="$last" '$2 == c && $1 == a { sa = $3; fa = $4 }
			$2 == c && $1 == b { sb = $3; fb = $4 }
			END { printf "    %-9s aspen x%-7.1f floor x%.1f\n", c,
				(sa > 0 ? sb / sa : 0), (fa > 0 ? fb / fa : 0) }' "$work/all"
	done
fi

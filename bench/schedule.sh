#!/bin/sh
# schedule.sh — the fault engine's figures for `make bench`.
#
#   ASPEN=... BUILD=... sh bench/schedule.sh        (bench/run-bench.sh calls it)
#
# 1. Schedule precision: 100 timed faults (and their reverts) through the
#    scheduler with do-nothing mechanisms and the real journal: p50/p99/max
#    of |actual - scheduled| (target p99 < 1 ms), with the journal on disk
#    (/var/tmp) and on tmpfs (/dev/shm): the journal's fsync is the step that
#    can make an entry late; then on disk again with two busy processes
#    (sh loops, killed at the end) loading the machine. After each, the
#    machine's floor: a bare timed sleep to the same instants (no aspen),
#    the kernel's wake-up latency at that moment. No root needed.
# 2. In tests/sandbox.sh (private namespaces; nothing touches the host), on
#    live netns topologies made by bench/gen-topology.sh and `aspen apply
#    --no-schedule`, with the real mechanisms:
#    - time from a partition's transaction start to the first dropped probe
#      (2 nodes, probes every 0.1 ms, median of 20);
#    - heal -> first packet through, p50/p99 per fault kind (partition,
#      isolate, one-way either way, loss 100 %, link-down; target p99 < 5 ms),
#      beside fault -> first packet dropped, on fresh neighbour tables;
#    - apply and revert cost of a partition of 100 nodes in two halves.
# Prints figures; asserts nothing; exits non-zero only when a step fails.
set -eu
: "${ASPEN:?}" "${BUILD:?}"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
TOOL=$BUILD/tools/bench_schedule
[ -x "$TOOL" ] || { echo "  bench_schedule not built ($TOOL)"; exit 1; }
if [ "${ASPEN_SANDBOX:-}" != 1 ]; then
	echo "fault schedule:"
	"$TOOL" precision 100 /var/tmp
	"$TOOL" floor 100
	if [ -d /dev/shm ]; then
		"$TOOL" precision 100 /dev/shm
		"$TOOL" floor 100
	fi
	# The same with two busy processes loading the machine (issue 13):
	# started here, killed here by their pids.
	sh -c 'while :; do :; done' & b1=$!
	sh -c 'while :; do :; done' & b2=$!
	trap 'kill "$b1" "$b2" 2>/dev/null' EXIT INT TERM
	echo "  with 2 busy processes (load average $(cut -d' ' -f1 /proc/loadavg)):"
	"$TOOL" precision 100 /var/tmp || true
	"$TOOL" floor 100 || true
	kill "$b1" "$b2" 2>/dev/null || true
	wait "$b1" "$b2" 2>/dev/null || true
	trap - EXIT INT TERM
	if [ "$(id -u)" != 0 ] || ! unshare --net true 2>/dev/null; then
		echo "  live partitions skipped: needs root and unshare (runs inside tests/sandbox.sh)"
		exit 0
	fi
	exec "$root/tests/sandbox.sh" sh "$0" "$@"
fi
export NO_COLOR=1
work=$(mktemp -d /tmp/aspen-bench-sched.XXXXXX)
cleanup() {
	for n in bench2 bench100; do "$ASPEN" destroy "$n" >/dev/null 2>&1 || true; done
	rm -rf "$work"
}
trap cleanup EXIT
for n in 2 100; do
	# Live at once: subnets of their own (10.2/16, 10.100/16), or apply refuses.
	GEN_NET=$n sh "$here/gen-topology.sh" "$n" >"$work/bench$n.yaml"
	"$ASPEN" apply --no-schedule --no-wait "$work/bench$n.yaml" >"$work/apply.log" 2>&1 ||
		{ cat "$work/apply.log"; exit 1; }
done
"$TOOL" first-drop bench2 node1 node2 20
"$TOOL" first-pass bench2 node1 node2 20
"$TOOL" cost bench100 10

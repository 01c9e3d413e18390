#!/bin/sh
# api.sh — the control API's figures for `make bench`.
#
#   ASPEN=... BUILD=... sh bench/api.sh        (bench/run-bench.sh calls it)
#
# In tests/sandbox.sh (private namespaces; nothing touches the host), for
# generated netns topologies of 3 and 100 nodes held by `aspen run
# --no-schedule`: the time from a partition request (node1 against every
# other node) to the first dropped probe from node1 to node2, probes every
# 0.1 ms (build/tools/bench_schedule api-drop):
#   - POST /v1/faults on $ASPEN_API (libcurl)       target p50 < 2 ms
#   - `aspen fault NAME partition ...` end to end   target p50 < 10 ms
#     (process start, the lock check, the same request, the output)
# Prints figures; asserts nothing; exits non-zero only when a step fails.
set -eu
: "${ASPEN:?}" "${BUILD:?}"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
TOOL=$BUILD/tools/bench_schedule
[ -x "$TOOL" ] || { echo "  bench_schedule not built ($TOOL)"; exit 1; }
if [ "${ASPEN_SANDBOX:-}" != 1 ]; then
	if [ "$(id -u)" != 0 ] || ! unshare --net true 2>/dev/null; then
		echo "  skipped: needs root and unshare (runs inside tests/sandbox.sh)"
		exit 0
	fi
	exec "$root/tests/sandbox.sh" sh "$0" "$@"
fi
export NO_COLOR=1
work=$(mktemp -d /tmp/aspen-bench-api.XXXXXX)
trap 'rm -rf "$work"' EXIT
runs=${BENCH_API_RUNS:-20}
. "$here/lib.sh"
for n in 3 100; do
	sh "$here/gen-topology.sh" "$n" >"$work/bench$n.yaml"
	# The tool runs as the command of `aspen run`, which serves the API.
	"$ASPEN" run --no-schedule "$work/bench$n.yaml" -- sh -c \
		"'$TOOL' api-drop api bench$n node1 node2 $runs >'$work/api$n' &&
		 '$TOOL' api-drop cli bench$n node1 node2 $runs >'$work/cli$n'" \
		>"$work/run.log" 2>&1 || { cat "$work/run.log"; exit 1; }
	for how in api cli; do
		read -r p50 max req done <"$work/$how$n"
		target=2; label="POST /v1/faults"
		[ $how = cli ] && target=10 && label="aspen fault (CLI)"
		printf '  %-18s partition of %3d nodes: first drop %7.3f ms p50 (max %.3f; request %.3f ms; %d runs)  target < %d ms  %s\n' \
			"$label" "$n" "$p50" "$max" "$req" "$done" "$target" "$(bench_verdict "$p50" "$target")"
	done
done

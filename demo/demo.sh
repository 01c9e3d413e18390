#!/bin/sh
# demo.sh ASPEN — aspen in a minute, on topologies/cluster3-netns.yaml.
#
# `make demo` runs it inside tests/sandbox.sh (private network, mount and pid
# namespaces), so the demo creates its bridge and namespaces where nothing of
# this machine can see them, and they vanish with it. Steps: validate, plan,
# apply, status, the reachability matrix; a partition by hand and its heal,
# each followed by the matrix; then `aspen run` with a watcher that pings
# every second while the file's schedule partitions node1 from the others
# and heals it; finally destroy, and show that nothing is left.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
ASPEN=${1:-$here/aspen}
T=$here/topologies/cluster3-netns.yaml
N=cluster3n
NODES="node1 node2 node3"

ip_of() { case $1 in node1) echo 10.100.0.2 ;; node2) echo 10.100.0.3 ;; node3) echo 10.100.0.4 ;; esac; }

# One line: can each pair of nodes reach the other? (pinged from a's
# namespace; the three pairs at once, so a line takes at most a second)
matrix() {
	d=$(mktemp -d /tmp/aspen-demo.XXXXXX)
	for pair in node1:node2 node1:node3 node2:node3; do
		a=${pair%%:*} b=${pair#*:}
		( if ip netns exec "aspen-$N-$a" ping -c1 -W1 -q "$(ip_of "$b")" >/dev/null 2>&1; then
			echo "$a<->$b ok  " >"$d/$pair"
		  else
			echo "$a<->$b LOST" >"$d/$pair"
		  fi ) &
	done
	wait
	echo "  $(cat "$d/node1:node2")  $(cat "$d/node1:node3")  $(cat "$d/node2:node3")"
	rm -rf "$d"
}

# `aspen run ... -- demo.sh --watch`: the command under test, here a watcher
# that prints the matrix about once a second for 13 seconds.
if [ "${1:-}" = --watch ]; then
	start=$(date +%s)
	while t=$(($(date +%s) - start)); [ $t -le 13 ]; do
		printf '  t=%2ss%s\n' $t "$(matrix)"
		sleep 1
	done
	exit 0
fi

[ "${ASPEN_SANDBOX:-}" = 1 ] || {
	echo "demo.sh: run me with 'make demo' (as root): it uses tests/sandbox.sh so that" >&2
	echo "the demo never touches this machine's interfaces" >&2
	exit 1
}
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then B=$(printf '\033[1m') R=$(printf '\033[0m'); else B= R=; fi
say() { printf '\n%s==> %s%s\n' "$B" "$*" "$R"; }
show() { printf '$ %s\n' "$*"; "$@"; }
trap '"$ASPEN" -q destroy $N >/dev/null 2>&1 || true' EXIT

say "aspen validates the file: every error at FILE:LINE:COL, here none"
show "$ASPEN" validate "$T"

say "aspen plan shows what apply will do, and the fault schedule"
show "$ASPEN" plan "$T"

say "aspen apply creates the bridge, namespaces, veths, addresses, routes and node commands"
show "$ASPEN" apply "$T"

say "aspen status probes every resource aspen created"
show "$ASPEN" status $N

say "every node reaches every other, pinging from inside its namespace"
for n in $NODES; do
	printf '  %s: ' "$n"
	ip netns exec "aspen-$N-$n" ip -4 -o addr show dev eth0 | awk '{print $4}'
done
matrix

say "aspen status --matrix: can each node reach each other one? (real packets)"
show "$ASPEN" status --matrix $N

say "a partition by hand: node1 against node2 and node3, until healed"
show "$ASPEN" fault $N partition node1 / node2,node3
show "$ASPEN" status --matrix $N

say "aspen heal reverts it"
show "$ASPEN" heal $N
show "$ASPEN" status --matrix $N

say "the file's own schedule: node1 cut off at 2s, healed at 6s, node3 lossy from 8s to 12s"
say "(aspen run applies, waits for health, runs a command while the schedule runs, then destroys)"
show "$ASPEN" run --lock-timeout 5s "$T" -- sh "$here/demo/demo.sh" --watch
show "$ASPEN" apply -q --no-schedule "$T"

say "aspen destroy removes everything it created, from its journal"
show "$ASPEN" destroy $N
left=$(ip netns list | grep -c "aspen-$N-" || true)
echo "  namespaces of $N left: $left; links with aspen's mark left: $(ip -o link show | grep -c "alias aspen:$N:" || true)"
trap - EXIT
say "done: 'make test' runs the test suites; README.md says what else aspen does"

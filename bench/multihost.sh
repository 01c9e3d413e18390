#!/bin/sh
# multihost.sh — issue 14's figure: apply and destroy of 90 namespace nodes
# split over 3 simulated hosts (30 each, one network spanning them, joined
# by VXLAN) against the same 90 nodes on one host, as figures and a ratio.
#
#   tests/sandbox.sh sh bench/multihost.sh        (run-bench.sh does this)
#
# The hosts are tests/e2e/lib_hosts.sh's: network + mount namespaces with
# their own /run and aspen state, reached through nsenter wrappers
# (ASPEN_TRANSPORT), an underlay bridge between them. They share this
# machine's CPUs, so the split shows what the controller, the transport and
# the VXLAN cost, not what more machines would gain: three real hosts
# would each do a third of the one-host work at once. The one-host run is
# `aspen apply` of the same nodes without hosts:, in the sandbox's own
# namespace. Every journal is on a tmpfs (each host's /run), in both.
#
# Each node runs `sleep infinity` (apply returns once every command was
# exec'd and checked alive). 3 rounds, one-host and 3-host runs interleaved
# so drift of the machine hits both alike; medians. Every run must succeed
# and leave nothing; asserts nothing about time.
set -eu
[ "${ASPEN_SANDBOX:-}" = 1 ] || { echo "multihost.sh: run me inside tests/sandbox.sh" >&2; exit 1; }
: "${ASPEN:?}"
here=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/aspen-bench-mh.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export NO_COLOR=1
fail() { echo "  multihost.sh: $*" >&2; exit 1; }
. "$here/../tests/e2e/lib_hosts.sh"
N=${MH_NODES:-90} H=3 ROUNDS=${MH_ROUNDS:-3}

# gen NAME HOSTS: N nodes on one /16; HOSTS 0 = no hosts: at all, else
# node i on host h(1 + (i-1) * HOSTS / N), in blocks.
gen() {
	awk -v name="$1" -v hosts="$2" -v n="$N" 'BEGIN {
		print "apiVersion: aspen/v1"
		printf "name: %s\n", name
		if (hosts) {
			print "hosts:"
			for (h = 1; h <= hosts; h++)
				printf "  h%d: {ssh: root@10.99.0.%d, address: 10.99.0.%d}\n", h, h, h
		}
		print "defaults: {kind: netns, command: [sleep, infinity]}"
		print "networks:"
		print "  lan: {subnet: 10.0.0.0/16, gateway: 10.0.0.1}"
		print "nodes:"
		for (i = 1; i <= n; i++) {
			o = i + 1
			printf "  n%d: {", i
			if (hosts) printf "host: h%d, ", 1 + int((i - 1) * hosts / n)
			printf "interfaces: [{network: lan, ip: 10.0.%d.%d}]}\n", int(o / 256), o % 256
		}
	}'
}
gen bmh1 0 >"$WORK/one.yaml"
gen bmh3 $H >"$WORK/three.yaml"

ms() { echo $(($(date +%s%N) / 1000000)); }
# timed VAR CMD...: run CMD (must succeed), append its wall time in ms to VAR.
timed() {
	v=$1; shift
	t0=$(ms)
	"$@" >"$WORK/out" 2>&1 || { cat "$WORK/out" >&2; fail "$* failed"; }
	eval "$v=\"\$$v $(($(ms) - t0))\""
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END {
	if (NR == 0) { print "-"; exit }
	if (NR % 2) print v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "-") printf "%.2f", a / b; else print "-" }'; }

multi=yes
if ! "$ASPEN" validate "$WORK/three.yaml" >"$WORK/out" 2>&1; then
	grep -q 'unknown key "hosts"' "$WORK/out" || { cat "$WORK/out" >&2; fail "validate"; }
	multi=no
fi
[ $multi = no ] || hosts_up $H
# hosts_up's EXIT trap kills the holders and removes $WORK.

A1="" D1="" A3="" D3=""
r=1
while [ $r -le "$ROUNDS" ]; do
	timed A1 "$ASPEN" apply --no-schedule "$WORK/one.yaml"
	timed D1 "$ASPEN" destroy bmh1
	[ -z "$(ip netns list)" ] || fail "one host: namespaces left"
	if [ $multi = yes ]; then
		timed A3 "$ASPEN" apply --no-schedule "$WORK/three.yaml"
		timed D3 "$ASPEN" destroy bmh3
		for h in $HOSTS; do host_assert_clean $h bmh3; done
	fi
	r=$((r + 1))
done
a1=$(echo "$A1" | median) d1=$(echo "$D1" | median)
printf '  %-34s %9s %9s   (medians of %d rounds; each run in ms)\n' "" apply destroy "$ROUNDS"
printf '  %-34s %6s ms %6s ms   apply[%s ] destroy[%s ]\n' "1 host  x $N nodes" "$a1" "$d1" "$A1" "$D1"
if [ $multi = yes ]; then
	a3=$(echo "$A3" | median) d3=$(echo "$D3" | median)
	printf '  %-34s %6s ms %6s ms   apply[%s ] destroy[%s ]\n' "$H hosts x $((N / H)) nodes (simulated)" "$a3" "$d3" "$A3" "$D3"
	printf '  %-34s %9s %9s\n' "ratio 3 hosts / 1 host" "$(ratio "$a3" "$a1")" "$(ratio "$d3" "$d1")"
	hosts_down
else
	echo "  $H hosts x $((N / H)) nodes: not possible, this aspen has no multi-host topologies (hosts: is an unknown key)"
fi

#!/bin/sh
# gen-topology.sh — print a valid N-node aspen topology, for benchmarks.
#
#   bench/gen-topology.sh N [KIND]     KIND: netns (default) or vm
#
# Networks of 1000 nodes (a Linux bridge holds at most 1023 ports): lan is
# 10.0.0.0/16 with gateway 10.0.0.1, then lan2 10.1.0.0/16, ...; each node
# has one interface and, for netns, a command; a few faults of different
# kinds follow. Output depends only on N, KIND and GEN_NET (default 0: the
# first network's second octet; two topologies live at once need subnets
# that do not overlap, which apply checks). Uses only sh and awk.
set -eu
usage() { echo "usage: gen-topology.sh N [netns|vm]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
n=$1 kind=${2:-netns}
case $n in ''|*[!0-9]*) usage ;; esac
case $kind in netns|vm) ;; *) usage ;; esac
base=${GEN_NET:-0}
case $base in ''|*[!0-9]*) usage ;; esac
awk -v n="$n" -v kind="$kind" -v base="$base" 'BEGIN {
	if (n < 1 || n > 65533) { print "gen-topology.sh: N must be 1..65533" > "/dev/stderr"; exit 2 }
	per = 1000
	print "apiVersion: aspen/v1"
	printf "name: bench%d\n", n
	print "defaults:"
	printf "  kind: %s\n", kind
	if (kind == "vm") {
		print "  kernel: ./vmlinux"
		print "  cmdline: \"console=hvc0 root=/dev/vda rw\""
		print "  guest_ip: true"
	} else {
		print "  command: [sleep, infinity]"
	}
	print "networks:"
	for (k = 0; k * per < n; k++)
		printf "  %s: {subnet: 10.%d.0.0/16, gateway: 10.%d.0.1}\n", k ? "lan" (k + 1) : "lan",
			base + k, base + k
	print "nodes:"
	for (i = 1; i <= n; i++) {
		k = int((i - 1) / per)
		off = (i - 1) % per + 2        # .0.0 is the network, .0.1 the gateway
		printf "  node%d: {interfaces: [{network: %s, ip: 10.%d.%d.%d}]}\n", i, k ? "lan" (k + 1) : "lan",
			base + k, int(off / 256), off % 256
	}
	print "faults:"
	print "  - {at: 5s, for: 10s, partition: {isolate: node1}}"
	if (n >= 2)
		print "  - {at: 20s, for: 5s, loss: {nodes: [node2], percent: 10%}}"
	if (n >= 3)
		print "  - {at: 30s, for: 5s, partition: [[node1, node2], [node3]]}"
	printf "  - {at: 40s, kill: node%d}\n", n
	printf "  - {at: 45s, start: node%d}\n", n
}'

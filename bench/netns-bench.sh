#!/bin/sh
# netns-bench.sh — aspen apply/destroy against iproute2, side by side.
#
#   tests/sandbox.sh sh bench/netns-bench.sh [N...]     (default N: 3 10 100)
#
# Runs only inside tests/sandbox.sh (private network, mount and pid
# namespaces; /run a tmpfs): everything it creates dies with the sandbox and
# the host's interfaces are never touched. For each N it builds N namespace
# nodes on one bridge (bridge address, a veth per node with its peer born in
# the namespace as eth0, lo and eth0 up, an address, a default route) four
# ways, and times each from start to finish:
#
#   tuned   one `ip -batch` on the host (namespaces, bridge up, each veth
#           created in place: link add vhI master br up type veth peer name
#           eth0 netns nodeI), then one `ip -n nodeI -batch` per node for
#           lo/eth0 up, address and route
#   plain   a script with one `ip` command per step
#   aspen   `aspen apply --no-wait` of the same topology (bench/gen-topology.sh
#           without commands or faults: the baselines start no processes),
#           then a no-op re-apply, then `aspen destroy`
#   teardown one `ip -batch` deleting the namespaces and the bridge, then
#           polling until every veth is gone (the kernel removes them when
#           their namespace dies)
#
# Medians over 5 runs (N <= 10) or 3 (larger N); runs of the four kinds are
# interleaved so drift of the machine hits all alike. Prints figures,
# ratios and the targets of issue 3; asserts nothing.
#
# Then, for each N in $CMD_SIZES (default 10), nodes with a command
# (issue 13, "processes"): the tuned script followed by one
# `ip netns exec bnI sleep infinity &` per node, against `aspen apply` of
# the same topology with `command: [sleep, infinity]` (it returns once
# every command was exec'd, has settled and is checked alive); 7 runs,
# interleaved. ASPEN_BASELINE=/path/to/aspen adds another build's apply
# (and destroy, above) to the same rounds.
set -eu
[ "${ASPEN_SANDBOX:-}" = 1 ] || { echo "netns-bench.sh: run me inside tests/sandbox.sh" >&2; exit 1; }
: "${ASPEN:?}"
here=$(cd "$(dirname "$0")" && pwd)
sizes=${*:-3 10 100}
work=$(mktemp -d /tmp/aspen-bench.XXXXXX)
# The journal on a real disk, as /var/lib/aspen is (the sandbox's default
# state dir is a tmpfs, where fsync costs nothing).
state=$(mktemp -d /var/tmp/aspen-bench-state.XXXXXX)
trap 'rm -rf "$work" "$state"' EXIT
export ASPEN_STATE_DIR="$state" NO_COLOR=1

now_ns() { date +%s%N; }
ms_since() { echo "$1 $(now_ns)" | awk '{ printf "%.1f", ($2 - $1) / 1e6 }'; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END {
	if (NR == 0) { print "-"; exit }
	if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "-") printf "%.2f", a / b; else print "-" }'; }
die() { echo "netns-bench.sh: $*" >&2; exit 1; }

# Addresses as bench/gen-topology.sh gives them: node i at 10.0.x.y, i + 1.
addr_of() { echo "$1" | awk '{ o = $1 + 1; printf "10.0.%d.%d", int(o / 256), o % 256 }'; }

# ---- the iproute2 scripts (written before the clock starts) ----

gen_tuned() { # N -> $work/tuned.sh
	n=$1 d=$work/tuned
	rm -rf "$d" && mkdir -p "$d"
	{
		i=1; while [ $i -le "$n" ]; do echo "netns add bn$i"; i=$((i + 1)); done
		echo "link add bbr0 up type bridge"
		echo "addr add 10.0.0.1/16 dev bbr0"
		i=1; while [ $i -le "$n" ]; do
			echo "link add bvh$i master bbr0 up type veth peer name eth0 netns bn$i"
			i=$((i + 1))
		done
	} >"$d/host"
	{
		echo "ip -batch $d/host"
		i=1; while [ $i -le "$n" ]; do
			printf 'link set lo up\nlink set eth0 up\naddr add %s/16 dev eth0\nroute add default via 10.0.0.1\n' \
				"$(addr_of $i)" >"$d/n$i"
			echo "ip -n bn$i -batch $d/n$i"
			i=$((i + 1))
		done
	} >"$work/tuned.sh"
}

gen_plain() { # N -> $work/plain.sh
	n=$1
	{
		echo "ip link add bbr0 type bridge"
		echo "ip link set bbr0 up"
		echo "ip addr add 10.0.0.1/16 dev bbr0"
		i=1; while [ $i -le "$n" ]; do
			echo "ip netns add bn$i"
			echo "ip -n bn$i link set lo up"
			echo "ip link add bvh$i type veth peer name eth0 netns bn$i"
			echo "ip link set bvh$i master bbr0"
			echo "ip link set bvh$i up"
			echo "ip -n bn$i link set eth0 up"
			echo "ip -n bn$i addr add $(addr_of $i)/16 dev eth0"
			echo "ip -n bn$i route add default via 10.0.0.1"
			i=$((i + 1))
		done
	} >"$work/plain.sh"
}

gen_teardown() { # N -> $work/teardown
	n=$1
	{
		i=1; while [ $i -le "$n" ]; do echo "netns del bn$i"; i=$((i + 1)); done
		echo "link del bbr0"
	} >"$work/teardown"
}

# Batch teardown, then wait until no veth is left (the sandbox has no other).
teardown() {
	ip -batch "$work/teardown"
	while ip -o link show type veth | grep -q .; do :; done
}

check_built() { # N: the baseline really built N nodes (checked off the clock)
	[ "$(ip -o link show master bbr0 | wc -l)" = "$1" ] || die "baseline: $1 ports expected on bbr0"
	ip -n "bn$1" route show default | grep -q 'via 10.0.0.1' || die "baseline: no route in bn$1"
}

gen_topology() { # N -> $work/tN.yaml: no command (nothing to start), no faults
	sh "$here/gen-topology.sh" "$1" | sed -e '/^  command:/d' -e '/^faults:/,$d' >"$work/t$1.yaml"
}

aspen_run() { # what ARGS...: run aspen, fail loudly
	what=$1; shift
	"$ASPEN" "$@" >"$work/out" 2>&1 || { cat "$work/out" >&2; die "aspen $what failed"; }
}

# ---- one size ----

bench_size() {
	n=$1 runs=5
	[ "$n" -le 10 ] || runs=3
	gen_tuned "$n"; gen_plain "$n"; gen_teardown "$n"; gen_topology "$n"
	T_tuned="" T_plain="" T_down="" T_apply="" T_noop="" T_destroy="" T_bdestroy=""
	r=1
	while [ $r -le $runs ]; do
		t=$(now_ns); sh "$work/tuned.sh"; T_tuned="$T_tuned $(ms_since "$t")"
		check_built "$n"
		t=$(now_ns); teardown; T_down="$T_down $(ms_since "$t")"

		t=$(now_ns); sh -e "$work/plain.sh"; T_plain="$T_plain $(ms_since "$t")"
		check_built "$n"
		teardown

		t=$(now_ns); aspen_run apply apply --no-wait "$work/t$n.yaml"; T_apply="$T_apply $(ms_since "$t")"
		[ "$(ip -o link show type veth | wc -l)" = "$n" ] || die "aspen apply: $n veths expected"
		t=$(now_ns); aspen_run re-apply apply --no-wait "$work/t$n.yaml"; T_noop="$T_noop $(ms_since "$t")"
		grep -q '^No changes' "$work/out" || { cat "$work/out" >&2; die "re-apply changed something"; }
		t=$(now_ns); aspen_run destroy destroy "bench$n"; T_destroy="$T_destroy $(ms_since "$t")"
		[ -z "$(ip -o link show type veth)" ] || die "aspen destroy left veths"
		[ -z "$(ip netns list)" ] || die "namespaces left after a run"
		if [ -n "${ASPEN_BASELINE:-}" ]; then
			"$ASPEN_BASELINE" apply --no-wait "$work/t$n.yaml" >"$work/out" 2>&1 ||
				{ cat "$work/out" >&2; die "baseline apply failed"; }
			t=$(now_ns); "$ASPEN_BASELINE" destroy "bench$n" >"$work/out" 2>&1 ||
				{ cat "$work/out" >&2; die "baseline destroy failed"; }
			T_bdestroy="$T_bdestroy $(ms_since "$t")"
			[ -z "$(ip netns list)" ] || die "namespaces left after a baseline run"
		fi
		r=$((r + 1))
	done
	m_tuned=$(echo "$T_tuned" | median); m_plain=$(echo "$T_plain" | median)
	m_down=$(echo "$T_down" | median); m_apply=$(echo "$T_apply" | median)
	m_noop=$(echo "$T_noop" | median); m_destroy=$(echo "$T_destroy" | median)
	printf '%5s %9s %9s %9s %7s %10s %9s %7s %9s\n' "$n" "$m_tuned" "$m_plain" "$m_apply" \
		"$(ratio "$m_apply" "$m_tuned")" "$m_down" "$m_destroy" "$(ratio "$m_destroy" "$m_down")" \
		"$m_noop"
	echo "$n $m_tuned $m_plain $m_apply $m_down $m_destroy $m_noop" >>"$work/results"
	if [ -n "${BENCH_VERBOSE:-}" ]; then
		echo "      runs: tuned[$T_tuned ] plain[$T_plain ] teardown[$T_down ]"
		echo "            apply[$T_apply ] re-apply[$T_noop ] destroy[$T_destroy ]"
	fi
	[ -z "$T_bdestroy" ] || echo "      ASPEN_BASELINE destroy: median $(echo "$T_bdestroy" | median) ms, runs[$T_bdestroy ]"
}

# ---- nodes with a command (issue 13, item 3) ----

bench_cmd() { # N
	n=$1 runs=7
	gen_tuned "$n"; gen_teardown "$n"
	sh "$here/gen-topology.sh" "$n" | sed -e '/^faults:/,$d' >"$work/c$n.yaml"
	grep -q '^  command: \[sleep, infinity\]' "$work/c$n.yaml" || die "no command in c$n.yaml"
	{
		cat "$work/tuned.sh"
		i=1; while [ $i -le "$n" ]; do
			echo "ip netns exec bn$i sleep infinity &"; echo 'echo $! >>"$pids"'
			i=$((i + 1))
		done
	} >"$work/tuned-cmd.sh"
	T_tc="" T_ac="" T_bc=""
	r=1
	while [ $r -le $runs ]; do
		: >"$work/pids"
		t=$(now_ns); pids=$work/pids sh "$work/tuned-cmd.sh"; T_tc="$T_tc $(ms_since "$t")"
		check_built "$n"
		# off the clock: the commands are there, then go
		while [ "$(pgrep -c -x sleep || true)" -lt "$n" ]; do :; done
		kill $(cat "$work/pids") 2>/dev/null || true
		while pgrep -x sleep >/dev/null; do :; done
		teardown

		t=$(now_ns); aspen_run apply apply "$work/c$n.yaml"; T_ac="$T_ac $(ms_since "$t")"
		[ "$(pgrep -c -x sleep)" = "$n" ] || die "aspen apply: $n commands expected"
		aspen_run destroy destroy "bench$n"
		[ -z "$(pgrep -x sleep)" ] || die "aspen destroy left commands"
		if [ -n "${ASPEN_BASELINE:-}" ]; then
			t=$(now_ns); "$ASPEN_BASELINE" apply "$work/c$n.yaml" >"$work/out" 2>&1 ||
				{ cat "$work/out" >&2; die "baseline apply failed"; }
			T_bc="$T_bc $(ms_since "$t")"
			"$ASPEN_BASELINE" destroy "bench$n" >"$work/out" 2>&1 || die "baseline destroy failed"
		fi
		r=$((r + 1))
	done
	m_tc=$(echo "$T_tc" | median); m_ac=$(echo "$T_ac" | median)
	printf '  N=%-4s tuned + ip netns exec & %8s ms   aspen apply %8s ms   ratio %s  (target <= 1.0: %s)\n' \
		"$n" "$m_tc" "$m_ac" "$(ratio "$m_ac" "$m_tc")" "$(verdict "$(ratio "$m_ac" "$m_tc")" '<=' 1.0)"
	echo "         runs: tuned+exec[$T_tc ] aspen[$T_ac ]"
	[ -z "$T_bc" ] || echo "         ASPEN_BASELINE apply: median $(echo "$T_bc" | median) ms, runs[$T_bc ]"
}

verdict() { # value op limit -> PASS/MISS
	awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
		if (v == "-" || v == "") { print "n/a"; exit }
		ok = op == "<" ? v < l : v <= l; print ok ? "PASS" : "MISS" }'
}

echo "Namespace nodes on one bridge: milliseconds, medians (5 runs for N <= 10, 3 above); load average: $(cut -d" " -f1-3 /proc/loadavg)."
echo "Topologies have no node command and no faults, like the iproute2 baselines, which"
echo "start no processes. The journal is on disk ($state), as /var/lib/aspen is."
printf '%5s %9s %9s %9s %7s %10s %9s %7s %9s\n' N tuned-ip plain-ip aspen a/tuned \
	ip-teardown destroy d/tdown re-apply
for n in $sizes; do
	bench_size "$n"
done
echo "reference (measured earlier on these machines): tuned 13.5 / 29.6 / 276 ms (N=3/10/100);"
echo "  plain 108 / 316 / 2887 ms; batch teardown 79 / 79 / 118 ms. (The plain script here"
echo "  reaches into namespaces with 'ip -n', not 'ip netns exec', so it is faster than that.)"
echo
echo "Targets (issues 3 and 13; informational):"
while read -r n tuned plain apply down destroy noop; do
	case $n in
	10|100)
		printf '  apply   <= 0.6x tuned   N=%-4s %8s ms vs %8s ms  ratio %s  %s\n' "$n" "$apply" \
			"$tuned" "$(ratio "$apply" "$tuned")" "$(verdict "$(ratio "$apply" "$tuned")" '<=' 0.6)" ;;
	esac
done <"$work/results"
while read -r n tuned plain apply down destroy noop; do
	printf '  destroy <= 0.8x teardown N=%-4s %7s ms vs %8s ms  ratio %s  %s\n' "$n" "$destroy" \
		"$down" "$(ratio "$destroy" "$down")" "$(verdict "$(ratio "$destroy" "$down")" '<=' 0.8)"
done <"$work/results"
while read -r n tuned plain apply down destroy noop; do
	[ "$n" = 100 ] && printf '  no-op re-apply < 50 ms     N=100  %8s ms  %s\n' "$noop" \
		"$(verdict "$noop" '<' 50)"
done <"$work/results"
echo
echo "Nodes with a command (sleep infinity), milliseconds, medians of 7; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in ${CMD_SIZES:-10}; do
	bench_cmd "$n"
done
exit 0

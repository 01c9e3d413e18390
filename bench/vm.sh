#!/bin/sh
# vm.sh — VM bring-up against the Cloud Hypervisor API double with a 200 ms
# boot delay (CHD_BOOT_DELAY_MS): 1, 10 and 50 VMs, so one boot costs 200 ms
# and a sequential apply of 50 would cost 10 s; and the fail-fast figure: a
# VMM that dies at start (CHD_NO_KVM, CH's no-KVM exit) fails apply in how
# long (the socket wait's deadline is 10 s).
#
#   ASPEN=... BUILD=... sh bench/vm.sh          (bench/run-bench.sh calls it)
#
# Re-runs itself inside tests/sandbox.sh (private network, mount and pid
# namespaces): nothing touches the host's interfaces. Prints, for 1, 10
# and 50 VMs (median of 3 runs; 50: one run): apply wall time, its ratio
# to one boot (the 200 ms delay; target <= 1.3x for 10 VMs) and to the
# 1-VM apply, destroy time, aspen's peak RSS during apply, and whether any
# aspen process is still resident once apply returned (it must not be: the
# VMMs are daemons, aspen is not); then the fail-fast time (median of 3,
# target < 300 ms). VMM starts run $ASPEN_PARALLEL at a time (default four
# per CPU). Asserts nothing; exits non-zero only when a step fails.
set -eu
: "${ASPEN:?}" "${BUILD:?}"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
if [ "${ASPEN_SANDBOX:-}" != 1 ]; then
	if [ "$(id -u)" != 0 ] || ! unshare --net true 2>/dev/null; then
		echo "  skipped: needs root and unshare (it runs inside tests/sandbox.sh)"
		exit 0
	fi
	exec "$root/tests/sandbox.sh" sh "$0" "$@"
fi
CHD=$BUILD/tools/ch-double
[ -x "$CHD" ] || { echo "  ch-double not built ($CHD)"; exit 1; }
BOOT_MS=200
export ASPEN_CH_BINARY="$CHD" ASPEN_SKIP_KVM_CHECK=1 CHD_BOOT_DELAY_MS=$BOOT_MS NO_COLOR=1
work=$(mktemp -d /tmp/aspen-vmbench.XXXXXX)
# The journal on a real disk, as /var/lib/aspen is.
state=$(mktemp -d /var/tmp/aspen-vmbench-state.XXXXXX)
trap 'rm -rf "$work" "$state"' EXIT
export ASPEN_STATE_DIR="$state"
{ printf '\177ELF\002\001\001'; head -c 57 /dev/zero; } >"$work/vmlinux"   # what the double's loader checks
# The double uses no guest memory: do not let the memory preflight judge it.
printf 'MemAvailable: 1073741824 kB\n' >"$work/meminfo"
export ASPEN_TEST_MEMINFO="$work/meminfo"
# CH (and the double) find TAPs in /sys/class/net: sysfs of this namespace.
mount -t sysfs sysfs /sys

topology() { # N -> file
	f=$work/vm$1.yaml
	{
		echo "apiVersion: aspen/v1"
		echo "name: vmbench$1"
		echo "defaults: {kind: vm, cpus: 1, memory: 256M, kernel: $work/vmlinux}"
		echo "networks:"
		echo "  lan: {subnet: 10.200.0.0/16, gateway: 10.200.0.1}"
		echo "nodes:"
		i=1
		while [ "$i" -le "$1" ]; do
			truncate -s 1M "$work/d$i.raw"
			echo "  vm$i: {interfaces: [{network: lan, ip: 10.200.$((i / 250)).$((i % 250 + 2))}], disks: [{path: $work/d$i.raw}]}"
			i=$((i + 1))
		done
	} >"$f"
	echo "$f"
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

run() { # N -> prints "apply_ms destroy_ms rss_kib resident"
	f=$(topology "$1")
	t0=$(now_ms)
	/usr/bin/time -f %M -o "$work/rss" "$ASPEN" apply --no-wait "$f" >"$work/out" 2>&1 ||
		{ cat "$work/out" >&2; echo "apply of $1 VMs failed" >&2; exit 1; }
	t1=$(now_ms)
	resident=$(ps -eo comm= | grep -cx aspen || true)
	running=$(ps -eo stat=,args= | awk '$1 !~ /^Z/ && $2 ~ /ch-double$/' | wc -l)
	[ "$running" = "$1" ] || { echo "expected $1 VMMs, found $running" >&2; exit 1; }
	t2=$(now_ms)
	"$ASPEN" destroy "$f" >"$work/out" 2>&1 || { cat "$work/out" >&2; exit 1; }
	t3=$(now_ms)
	echo "$((t1 - t0)) $((t3 - t2)) $(tail -n 1 "$work/rss") $resident"
}

for n in 1 10 50; do
	: >"$work/r$n"
	runs="1 2 3"
	[ $n = 50 ] && runs=1
	for _ in $runs; do run $n >>"$work/r$n"; done
done
a1=$(cut -d' ' -f1 "$work/r1" | median)
printf '  one boot (CHD_BOOT_DELAY_MS)     %6d ms\n' "$BOOT_MS"
printf '  apply,  1 VM  (median of 3)      %6d ms\n' "$a1"
for n in 10 50; do
	an=$(cut -d' ' -f1 "$work/r$n" | median)
	ratio=$(awk -v a="$an" -v b="$BOOT_MS" 'BEGIN { printf "%.2f", a / b }')
	ratio1=$(awk -v a="$an" -v b="$a1" 'BEGIN { printf "%.2f", a / b }')
	target=""
	[ $n = 10 ] && target="(target <= 1.3x)  $(awk -v r="$ratio" 'BEGIN { print (r <= 1.3) ? "PASS" : "MISS" }')"
	printf '  apply, %2d VMs                    %6d ms   %sx one boot %s;  %sx the 1-VM apply\n' \
		"$n" "$an" "$ratio" "$target" "$ratio1"
	printf '  destroy, %2d VMs                  %6d ms\n' "$n" "$(cut -d' ' -f2 "$work/r$n" | median)"
done
rss=$(cut -d' ' -f3 "$work/r10" | median)
res=$(cut -d' ' -f4 "$work/r10" | sort -n | tail -n 1)
printf '  aspen peak RSS during apply (10) %6d KiB\n' "$rss"
printf '  aspen processes after apply      %6d      (target 0: not resident; the VMMs are daemons)\n' "$res"

# Fail fast: the VMM exits at start; apply must say so at once, not after
# the 10 s socket deadline.
f=$(topology 1)
: >"$work/ff"
for _ in 1 2 3; do
	t0=$(now_ms)
	CHD_NO_KVM=1 "$ASPEN" apply --no-wait "$f" >"$work/out" 2>&1 && { echo "apply with no KVM succeeded" >&2; exit 1; }
	t1=$(now_ms)
	grep -q "exited with status 1 before its API came up" "$work/out" || { cat "$work/out" >&2; exit 1; }
	echo $((t1 - t0)) >>"$work/ff"
	"$ASPEN" destroy "$f" >/dev/null 2>&1 || { echo "destroy after the failed apply failed" >&2; exit 1; }
done
ff=$(median <"$work/ff")
printf '  VMM dies at start -> apply fails %6d ms   (median of 3; target < 300 ms  %s; the socket deadline is 10000 ms)\n' \
	"$ff" "$(awk -v v="$ff" 'BEGIN { print (v < 300) ? "PASS" : "MISS" }')"

#!/bin/sh
# vm.sh — VM boot parallelism: 10 VM nodes against the Cloud Hypervisor API
# double with a 200 ms boot delay (CHD_BOOT_DELAY_MS), so one boot costs
# 200 ms and a sequential apply would cost 2 s.
#
#   ASPEN=... BUILD=... sh bench/vm.sh          (bench/run-bench.sh calls it)
#
# Re-runs itself inside tests/sandbox.sh (private network, mount and pid
# namespaces): nothing touches the host's interfaces. Prints, for 1 and 10
# VMs (median of 3 runs each): apply wall time, its ratio to one boot (the
# 200 ms delay; target <= 1.3x for 10 VMs) and to the 1-VM apply, destroy
# time, aspen's peak RSS during apply, and whether any aspen process is
# still resident once apply returned (it must not be: the VMMs are
# daemons, aspen is not). Asserts nothing; exits non-zero only when a step
# fails.
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
: >"$work/vmlinux"

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

for n in 1 10; do
	: >"$work/r$n"
	for _ in 1 2 3; do run $n >>"$work/r$n"; done
done
a1=$(cut -d' ' -f1 "$work/r1" | median)
a10=$(cut -d' ' -f1 "$work/r10" | median)
d10=$(cut -d' ' -f2 "$work/r10" | median)
rss=$(cut -d' ' -f3 "$work/r10" | median)
res=$(cut -d' ' -f4 "$work/r10" | sort -n | tail -n 1)
ratio=$(awk -v a="$a10" -v b="$BOOT_MS" 'BEGIN { printf "%.2f", a / b }')
ratio1=$(awk -v a="$a10" -v b="$a1" 'BEGIN { printf "%.2f", a / b }')
verdict=$(awk -v r="$ratio" 'BEGIN { print (r <= 1.3) ? "PASS" : "MISS" }')
printf '  one boot (CHD_BOOT_DELAY_MS)     %6d ms\n' "$BOOT_MS"
printf '  apply,  1 VM  (median of 3)      %6d ms\n' "$a1"
printf '  apply, 10 VMs (median of 3)      %6d ms   %sx one boot (target <= 1.3x)  %s;  %sx the 1-VM apply\n' \
	"$a10" "$ratio" "$verdict" "$ratio1"
printf '  destroy, 10 VMs                  %6d ms\n' "$d10"
printf '  aspen peak RSS during apply      %6d KiB\n' "$rss"
printf '  aspen processes after apply      %6d      (target 0: not resident; the VMMs are daemons)\n' "$res"

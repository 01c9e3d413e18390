# Resources of many VMs (docs/vms.md "Resources"):
# - a plan whose guests plus VMM overhead exceed MemAvailable is refused
#   before anything is created, naming the numbers (MemAvailable read from
#   $ASPEN_TEST_MEMINFO, a test-only override, since the double uses no
#   guest memory);
# - 200 VMs apply and destroy with at most $ASPEN_PARALLEL worker threads
#   (aspen's thread count sampled from /proc while it runs: sampling can
#   miss a peak, never invent one).
. "$ASPEN_TESTS/e2e/lib_vm.sh"
N=vms
F=$WORK/s.yaml
meminfo() { printf 'MemTotal: %s kB\nMemFree: %s kB\nMemAvailable: %s kB\n' "$1" "$1" "$1" >"$WORK/meminfo"; }

step "over-committed: 3 x (512 MiB + 110 MiB) against 1 GiB available -> refused, nothing created"
vm_topology "$F" $N 3
meminfo 1048576
ASPEN_TEST_MEMINFO=$WORK/meminfo aspen_fails apply "$F"
out_has "node1, node2, node3: 3 VMs need 1.8 GiB (1.5 GiB of guest memory + 110 MiB per VMM) but MemAvailable is 1.0 GiB"
out_has "nothing was changed"
[ -z "$(ip -o link show | grep "alias aspen:$N:")" ] || fail "links were created"
[ -z "$(vmm_procs)" ] || fail "VMMs were started"
[ ! -e "/run/aspen/$N" ] || fail "runtime dir created"
ASPEN_TEST_MEMINFO=$WORK/meminfo aspen_fails plan "$F"
out_has "MemAvailable is 1.0 GiB"
step "... and fits with 2 GiB"
meminfo 2097152
ASPEN_TEST_MEMINFO=$WORK/meminfo aspen_ok apply "$F"
aspen_ok destroy $N
assert_vm_clean $N

step "200 VMs with at most 3 worker threads"
n=200
{
	echo "apiVersion: aspen/v1"
	echo "name: $N"
	echo "defaults: {kind: vm, cpus: 1, memory: 128M, kernel: $IMG/vmlinux}"
	echo "networks:"
	echo "  lan: {subnet: 10.120.0.0/24, gateway: 10.120.0.1}"
	echo "nodes:"
	i=1
	while [ $i -le $n ]; do
		echo "  v$i: {interfaces: [{network: lan, ip: 10.120.0.$((i + 1))}]}"
		i=$((i + 1))
	done
} >"$F"
meminfo 1073741824
export ASPEN_TEST_MEMINFO=$WORK/meminfo ASPEN_PARALLEL=3 CHD_BOOT_DELAY_MS=20
# threads_of PID CMD...: run CMD in the background as PID's sampler target,
# print the largest thread count seen.
sample() {
	"$@" >"$WORK/out" 2>&1 &
	apid=$!
	max=0
	while kill -0 $apid 2>/dev/null; do
		t=$(awk '/^Threads:/ {print $2}' /proc/$apid/status 2>/dev/null || echo 0)
		[ "${t:-0}" -gt "$max" ] && max=$t
		sleep 0.01
	done
	wait $apid || { cat "$WORK/out"; fail "$* failed"; }
	echo "$max"
}
max=$(sample "$ASPEN" apply --no-wait "$F")
echo "apply of $n VMs: at most $max threads seen"
[ "$max" -le 4 ] || fail "apply ran $max threads, the bound is 3 workers + the main thread"
[ "$(vmm_procs | wc -l)" = $n ] || fail "expected $n VMMs, found $(vmm_procs | wc -l)"
for v in v1 v100 v200; do [ "$(vm_state $N $v)" = Running ] || fail "$v not Running"; done
max=$(sample "$ASPEN" destroy $N)
echo "destroy of $n VMs: at most $max threads seen"
[ "$max" -le 4 ] || fail "destroy ran $max threads"
assert_vm_clean $N
echo ok

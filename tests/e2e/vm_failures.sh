# Every failure mode of the CH double gives a clear error naming the node
# and CH's message, and leaves a state that destroy finishes; preflight
# problems are reported before anything is created; a crash of aspen apply
# after any action leaves nothing once destroy ran.
. "$ASPEN_TESTS/e2e/lib_vm.sh"
N=vmf
F=$WORK/f.yaml
vm_topology "$F" $N 3
nothing_created() {
	[ -z "$(ip -o link show | grep "alias aspen:$N:")" ] || fail "links were created"
	[ -z "$(vmm_procs)" ] || fail "VMMs were started: $(vmm_procs)"
	[ ! -e "/run/aspen/$N" ] || fail "runtime dir created"
}

step "vm.boot answers 500 on node2 only"
cat >"$WORK/failboot.sh" <<SH
#!/bin/sh
CHD_FAIL_ENDPOINT=vm.boot exec "$CHD" "\$@"
SH
chmod +x "$WORK/failboot.sh"
vm_topology "$WORK/failboot.yaml" $N 3 "binary: $WORK/failboot.sh"
aspen_fails apply "$WORK/failboot.yaml"
out_has "create vm/node2: vm.boot failed (500): Error from API: The VM could not boot: ch-double: injected failure"
grep -q "vm/node[13].*FAILED" "$WORK/out" && fail "other nodes failed too"
[ "$(vm_state $N node1)" = Running ] || fail "node1 should have booted"
[ "$(vm_state $N node3)" = Running ] || fail "node3 should have booted"
step "... apply again without the fault converges (node2's config is replaced)"
aspen_ok apply "$F"
[ "$(vm_state $N node2)" = Running ] || fail "node2 not Running after the fix"
aspen_ok destroy $N
assert_vm_clean $N
step "... and destroy right after the failure is clean"
aspen_fails apply "$WORK/failboot.yaml"
aspen_ok destroy $N
assert_vm_clean $N

step "the VMM crashes during vm.boot"
CHD_CRASH_ON=vm.boot aspen_fails apply "$F"
# libcurl retries once on a fresh connection, which the dead VMM refuses.
grep -Eq "create vm/node1: vm.boot: (/run/aspen/$N/node1.sock closed the connection without an answer|cannot connect to /run/aspen/$N/node1.sock: Connection refused)" "$WORK/out" ||
	fail "no clear error for a VMM that crashed in vm.boot"
aspen_ok plan "$F"
out_has "+ vmm/node1"
aspen_ok destroy $N
assert_vm_clean $N

step "the VMM dies at start (no KVM): apply fails at once with CH's own error chain"
# CH opens /dev/kvm before it binds its socket; without it, it prints its
# error chain on stderr and exits 1. The default socket wait is 10 s: an
# error that names the exit status (not "did not answer within") shows the
# VMM was watched, not polled until the deadline (bench/vm.sh times it).
CHD_NO_KVM=1 aspen_fails apply "$F"
out_has "create vmm/node1: $CHD exited with status 1 before its API came up: Failed to open hypervisor interface (is hypervisor interface available?): Failed to create the hypervisor: no supported hypervisor (log: /run/aspen/$N/node1.log)"
grep -q "did not answer within" "$WORK/out" && fail "waited for the socket of a VMM that had exited"
[ -z "$(vmm_procs)" ] || fail "VMMs left: $(vmm_procs)"
# its own log, at info level (-v), is kept for the reader
grep -q "ERROR:.*Fatal error" "/run/aspen/$N/node1.vmm.log" || fail "no error in the VMM's log"
aspen_ok destroy $N
assert_vm_clean $N

step "the VMM never creates its socket"
ASPEN_CH_READY_MS=300 CHD_NO_SOCKET=1 aspen_fails apply "$F"
out_has "create vmm/node1: vmm.ping: /run/aspen/$N/node1.sock did not answer within 300 ms"
out_has "log: /run/aspen/$N/node1.log"
[ -z "$(vmm_procs)" ] || fail "a VMM that never answered was left running: $(vmm_procs)"
aspen_ok destroy $N
assert_vm_clean $N

step "the VMM hangs on vm.create"
ASPEN_CH_TIMEOUT_MS=300 CHD_HANG_ON=vm.create aspen_fails apply "$F"
out_has "create vm/node1: vm.create: no answer from /run/aspen/$N/node1.sock within 300 ms"
[ "$(vmm_procs | wc -l)" = 3 ] || fail "expected the 3 hung VMMs"
t0=$(date +%s)
ASPEN_CH_TIMEOUT_MS=300 aspen_ok destroy $N
[ $(($(date +%s) - t0)) -lt 10 ] || fail "destroy of hung VMMs took too long"
assert_vm_clean $N

step "preflight: missing binary, missing kernel and disk -> nothing created"
ASPEN_CH_BINARY=/nonexistent/cloud-hypervisor aspen_fails apply "$F"
out_has "node1, node2, node3: cloud-hypervisor binary \$ASPEN_CH_BINARY /nonexistent/cloud-hypervisor: No such file or directory"
out_has "nothing was changed"
nothing_created
env -u ASPEN_CH_BINARY PATH=/usr/bin:/bin "$ASPEN" apply "$F" >"$WORK/out" 2>&1 && fail "apply without a binary"
out_has "cloud-hypervisor: not found in PATH"
nothing_created
rm "$IMG/vmlinux" "$IMG/node3.raw"
aspen_fails apply "$F"
out_has "2 problems with VM nodes; nothing was changed"
out_has "node1, node2, node3: kernel $IMG/vmlinux: No such file or directory"
out_has "node3: disk (read-write) $IMG/node3.raw: No such file or directory"
nothing_created
step "... plan shows the same errors"
aspen_fails plan "$F"
out_has "+ vm/node1"
out_has "aspen plan: error: apply would stop here: 2 problems with VM nodes"
out_has "node1, node2, node3: kernel $IMG/vmlinux: No such file or directory"
aspen_ok destroy $N
assert_vm_clean $N
vm_topology "$F" $N 3

step "crash of aspen apply after each action: destroy leaves nothing"
total=$("$ASPEN" plan --json "$F" | tr ',' '\n' | grep -c '"op":')
[ "$total" = 11 ] || fail "plan has $total actions, expected 11"
i=1
while [ $i -le "$total" ]; do
	ASPEN_TEST_CRASH_AFTER=$i "$ASPEN" apply "$F" >"$WORK/out" 2>&1 && fail "apply did not crash at $i"
	"$ASPEN" destroy $N >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "destroy after crash at $i"; }
	assert_vm_clean $N
	i=$((i + 1))
done
echo "destroy after a crash at each of $total actions: clean"
step "crash, then re-apply converges and adopts what runs"
for i in 6 7 9 10; do
	ASPEN_TEST_CRASH_AFTER=$i "$ASPEN" apply "$F" >/dev/null 2>&1 && fail "no crash at $i"
	pids=$(vmm_procs | awk '{print $1}' | sort | tr '\n' ' ')
	aspen_ok apply "$F"
	[ "$(vmm_procs | awk '{print $1}' | sort | tr '\n' ' ')" = "$pids" ] ||
		[ $i -lt 8 ] || fail "re-apply after a crash at $i restarted running VMMs"
	aspen_ok apply "$F"
	out_has "No changes"
	for n in 1 2 3; do [ "$(vm_state $N node$n)" = Running ] || fail "node$n after crash at $i"; done
	aspen_ok destroy $N
	assert_vm_clean $N
done
echo ok

# pause / resume / reboot / kill of a VM node through runtime/vm.h (the
# calls the fault engine makes), driven by $BUILD/tools/vmctl and checked
# against the VMM itself (curl on its socket) and the guest's console (the
# double writes one line per boot there, where a guest would print).
. "$ASPEN_TESTS/e2e/lib_vm.sh"
N=vml
F=$WORK/l.yaml
VMCTL=$BUILD/tools/vmctl
vm_topology "$F" $N 2
aspen_ok apply "$F"
[ "$("$VMCTL" $N node1 state)" = Running ] || fail "state"

step "pause"
"$VMCTL" $N node1 pause || fail "pause"
[ "$(vm_state $N node1)" = Paused ] || fail "node1 not Paused"
[ "$(vm_state $N node2)" = Running ] || fail "pausing node1 touched node2"
aspen_ok status $N
grep -Eq "^vm/node1 +Paused" "$WORK/out" || fail "status does not show Paused"
aspen_ok plan --detailed-exitcode "$F"     # a paused VM is not drift
step "pausing twice: CH's refusal, with the node named"
"$VMCTL" $N node1 pause 2>"$WORK/err" && fail "second pause succeeded"
grep -q "node1: vm.pause failed (500): Error from API: The VM could not be paused" "$WORK/err" ||
	fail "bad message: $(cat "$WORK/err")"

step "resume"
"$VMCTL" $N node1 resume || fail "resume"
[ "$(vm_state $N node1)" = Running ] || fail "node1 not Running after resume"

step "reboot"
"$VMCTL" $N node2 reboot || fail "reboot"
[ "$(vm_state $N node2)" = Running ] || fail "node2 not Running after reboot"
# the console keeps the history of every boot (Tty mode into a file aspen
# opened for appending; CH's File mode truncates at each boot)
grep -q "ch-double guest: boot 1 " "/run/aspen/$N/node2.console.log" &&
	grep -q "ch-double guest: boot 2 " "/run/aspen/$N/node2.console.log" ||
	fail "node2's console lacks a boot: $(cat "/run/aspen/$N/node2.console.log")"
"$VMCTL" $N node2 check || fail "check after reboot"

step "kill: the VMM is gone, check says so, plan shows drift, apply repairs"
pid=$(vmm_pid $N node2)
"$VMCTL" $N node2 kill || fail "kill"
kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid")" != Z ] && fail "VMM $pid still alive"
"$VMCTL" $N node2 check 2>"$WORK/err" && fail "check passed on a killed VMM"
grep -q "node2: the VMM exited" "$WORK/err" || fail "bad check message: $(cat "$WORK/err")"
"$VMCTL" $N node2 state 2>/dev/null && fail "state of a killed VMM"
"$VMCTL" $N node2 kill || fail "killing a dead VMM must succeed"
aspen_ok plan "$F"
out_has "+ vmm/node2"
aspen_ok apply "$F"
[ "$(vm_state $N node2)" = Running ] || fail "node2 not repaired"

step "destroy a paused VM"
"$VMCTL" $N node1 pause || fail "pause"
aspen_ok destroy $N
assert_vm_clean $N
echo ok

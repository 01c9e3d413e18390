# Node faults on VM nodes go through Cloud Hypervisor's API and signals:
# pause / resume (vm.pause, vm.resume), reboot (vm.reboot), kill (SIGKILL
# of the VMM) and start (a new VMM and VM), checked against the VMM itself
# with curl. Runs against the API double.
. "$ASPEN_TESTS/e2e/lib_vm.sh"
. "$ASPEN_TESTS/e2e/fault.inc"
N=vmf
F=$WORK/vmf.yaml
vm_topology "$F" $N 2
cat >>"$F" <<'YAML'
faults:
  - {at: 1s, for: 2s, pause: node1}
  - {at: 4s, reboot: node1}
  - {at: 5s, kill: node2}
  - {at: 6s, start: node2}
  - {at: 7s, for: 1s, link-down: [node1]}
YAML
aspen_ok apply --no-wait --no-schedule "$F"
[ "$(vm_state $N node1)" = Running ] || fail "node1 not running after apply"

step "pause and its revert"
fc_ok apply "$F" 0
[ "$(vm_state $N node1)" = Paused ] || fail "node1 not paused: $(vm_state $N node1)"
fc_ok revert "$F" 0
[ "$(vm_state $N node1)" = Running ] || fail "node1 not resumed: $(vm_state $N node1)"

step "reboot"
pid=$(vmm_pid $N node1)
fc_ok apply "$F" 1
[ "$(vm_state $N node1)" = Running ] || fail "node1 not running after reboot"
[ "$(vmm_pid $N node1)" = "$pid" ] || fail "reboot replaced the VMM"

step "kill, then start"
pid=$(vmm_pid $N node2)
fc_ok apply "$F" 2
sleep 0.2
kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid" | cut -c1)" != Z ] && fail "node2's VMM survived kill"
fc_ok apply "$F" 3
[ "$(vm_state $N node2)" = Running ] || fail "node2 not running after start: $(vm_state $N node2)"
[ "$(vmm_pid $N node2)" != "$pid" ] || fail "start did not make a new VMM"

aspen_ok apply --no-wait --no-schedule "$F"
out_has "No changes"
step "link-down on a VM: the TAP goes down; the revert brings it up and returns"
tap=$(ip -o link show | awk -v a="alias aspen:$N:tap/node1.eth0" 'index($0, a) { sub(/:$/, "", $2); print $2 }')
[ -n "$tap" ] || fail "no TAP for node1"
fc_ok apply "$F" 4
ip -o link show "$tap" | grep -q '[<,]UP[,>]' && fail "TAP $tap still up"
fc_ok revert "$F" 4
ip -o link show "$tap" | grep -q '[<,]UP[,>]' || fail "TAP $tap not up after the revert"

aspen_ok destroy $N
assert_vm_clean $N
echo ok

# A 3-VM cluster like topologies/cluster3.yaml, with the CH API double as
# cloud-hypervisor: apply -> three VMMs, three VMs Running with aspen's
# VmConfig, TAPs on the bridge and held open by their VMMs; re-apply -> no
# changes; a VMM killed or frozen by hand -> drift in plan, apply repairs;
# destroy -> no process, socket, TAP or file left.
. "$ASPEN_TESTS/e2e/lib_vm.sh"
N=vmc3
F=$WORK/c3.yaml
vm_topology "$F" $N 3

step "apply"
aspen_ok apply "$F"
out_has "Apply complete: 11 created"

step "three VMMs, three VMs Running"
[ "$(vmm_procs | wc -l)" = 3 ] || fail "expected 3 VMMs: $(vmm_procs)"
br=$(ip -o link show type bridge | awk -F': ' "/alias aspen:$N:bridge\\/lan/ {print \$2}")
[ -n "$br" ] || fail "no bridge"
for i in 1 2 3; do
	[ -S "/run/aspen/$N/node$i.sock" ] || fail "node$i: no API socket"
	[ "$(vm_state $N node$i)" = Running ] || fail "node$i: VM not Running: $(vm_info $N node$i)"
	vm_info $N node$i >"$WORK/info"
	# The guest's address reaches the kernel command line.
	[ "$(jq -r .config.payload.cmdline "$WORK/info")" = \
	  "console=hvc0 root=/dev/vda rw ip=10.100.0.$((i + 1))::10.100.0.1:255.255.255.0:node$i:eth0:off" ] ||
		fail "node$i cmdline: $(jq -r .config.payload.cmdline "$WORK/info")"
	[ "$(jq -r .config.cpus.boot_vcpus "$WORK/info")" = 2 ] || fail "node$i cpus"
	[ "$(jq -r .config.memory.size "$WORK/info")" = 536870912 ] || fail "node$i memory"
	[ "$(jq -r .config.disks[0].path "$WORK/info")" = "$IMG/node$i.raw" ] || fail "node$i disk"
	tap=$(jq -r .config.net[0].tap "$WORK/info")
	mac=$(jq -r .config.net[0].mac "$WORK/info")
	# The TAP is aspen's, on the bridge, and open in this node's VMM.
	ip -o link show "$tap" | grep -q "master $br .*alias aspen:$N:tap/node$i.eth0" ||
		fail "node$i: TAP $tap not aspen's or not on $br: $(ip -o link show "$tap")"
	ip -j link show "$tap" | jq -e '.[0].flags | index("UP")' >/dev/null || fail "$tap not up"
	pid=$(vmm_pid $N node$i)
	held=""
	for fd in /proc/$pid/fd/*; do
		[ "$(readlink "$fd")" = /dev/net/tun ] || continue
		grep -q "iff:[[:space:]]*$tap\$" "/proc/$pid/fdinfo/${fd##*/}" && held=yes
	done
	[ "$held" = yes ] || fail "node$i: VMM $pid does not hold $tap open"
	echo "node$i: VMM $pid Running, $tap on $br held open, guest MAC $mac"
done
[ -s "/run/aspen/$N/node1.vmm.log" ] || fail "no VMM log file"
[ -e "/run/aspen/$N/node1.console.log" ] || fail "no console log file"

step "status shows VM states and VMM pids"
aspen_ok status $N
grep -Eq "^vm/node1 +Running" "$WORK/out" || fail "status lacks vm/node1 Running"
grep -Eq "^vmm/node2 +running +pid $(vmm_pid $N node2)" "$WORK/out" || fail "status lacks the VMM pid"

step "re-apply changes nothing"
aspen_ok apply "$F"
out_has "No changes"
aspen_ok plan --detailed-exitcode "$F"

step "a VMM killed by hand: plan shows drift, apply repairs"
old=$(vmm_pid $N node2)
kill -9 "$old"
while kill -0 "$old" 2>/dev/null && [ "$(ps -o stat= -p "$old")" != Z ]; do sleep 0.05; done
"$ASPEN" plan --detailed-exitcode "$F" >"$WORK/out" 2>&1 && fail "plan saw no drift"
cat "$WORK/out"
out_has "vmm/node2"
out_has "vm/node2"
grep -q "node1\|node3" "$WORK/out" && fail "drift of node2 touches other nodes"
aspen_ok apply "$F"
[ "$(vmm_pid $N node2)" != "$old" ] || fail "VMM not restarted"
[ "$(vm_state $N node2)" = Running ] || fail "node2 not Running after repair"
aspen_ok apply "$F"
out_has "No changes"

step "a frozen VMM (API does not answer) is replaced"
export ASPEN_CH_TIMEOUT_MS=300
old=$(vmm_pid $N node3)
kill -STOP "$old"
aspen_ok plan "$F"
out_has "vmm/node3"
out_has "unresponsive"
aspen_ok apply "$F"
[ "$(vmm_pid $N node3)" != "$old" ] || fail "frozen VMM not replaced"
kill -0 "$old" 2>/dev/null && [ "$(ps -o stat= -p "$old")" != Z ] && fail "frozen VMM $old still there"
[ "$(vm_state $N node3)" = Running ] || fail "node3 not Running after repair"
unset ASPEN_CH_TIMEOUT_MS

step "destroy"
aspen_ok destroy "$F"
out_has "Destroy complete"
assert_vm_clean $N
aspen_ok destroy $N
out_has "Nothing to destroy"
echo ok

# lib_vm.sh — helpers for the VM end-to-end tests (sourced after lib.sh's
# setup, which it sources itself). The VMM is the Cloud Hypervisor API
# double ($BUILD/tools/ch-double), which needs no KVM, so the KVM preflight
# check is off (ASPEN_SKIP_KVM_CHECK, test-only). The guest kernel is a bare
# ELF64 header (the double checks what CH's loader checks first: an ELF or
# a bzImage); disks are sparse raw files.
. "$ASPEN_TESTS/e2e/lib.sh"
: "${BUILD:?}"
CHD=$BUILD/tools/ch-double
[ -x "$CHD" ] || fail "ch-double not built: $CHD"
export ASPEN_CH_BINARY="$CHD" ASPEN_SKIP_KVM_CHECK=1
IMG=$WORK/images
mkdir -p "$IMG"
# Cloud Hypervisor (and the double) look TAPs up in /sys/class/net, which
# shows the network namespace sysfs was mounted in: mount it for the
# sandbox's own (its mount namespace is private, nothing leaks out).
mount -t sysfs sysfs /sys || fail "cannot mount sysfs for the sandbox's network namespace"

# vm_kernel FILE: a 64-byte ELF64 header, all a loader's first check reads.
vm_kernel() {
	{ printf '\177ELF\002\001\001'; head -c 57 /dev/zero; } >"$1"
}

# vm_topology FILE NAME N [EXTRA_NODE_YAML]: N VM nodes on one bridge like
# topologies/cluster3.yaml, kernel and disks in $IMG. EXTRA is appended to
# node2's map (e.g. "binary: /x").
vm_topology() {
	f=$1 name=$2 n=$3 extra=${4:-}
	vm_kernel "$IMG/vmlinux"
	{
		echo "apiVersion: aspen/v1"
		echo "name: $name"
		echo "defaults:"
		echo "  kind: vm"
		echo "  cpus: 2"
		echo "  memory: 512M"
		echo "  kernel: $IMG/vmlinux"
		echo "  cmdline: \"console=hvc0 root=/dev/vda rw\""
		echo "  guest_ip: true"
		echo "networks:"
		echo "  lan: {subnet: 10.100.0.0/24, gateway: 10.100.0.1}"
		echo "nodes:"
		i=1
		while [ $i -le "$n" ]; do
			truncate -s 1M "$IMG/node$i.raw"
			echo "  node$i:"
			echo "    interfaces: [{network: lan, ip: 10.100.0.$((i + 1))}]"
			echo "    disks: [{path: $IMG/node$i.raw}]"
			[ $i = 2 ] && [ -n "$extra" ] && echo "    $extra"
			i=$((i + 1))
		done
	} >"$f"
}

# vm_state NAME NODE: the VM's state as its VMM reports it (curl, not aspen).
vm_state() {
	curl -s --max-time 2 --unix-socket "/run/aspen/$1/$2.sock" http://localhost/api/v1/vm.info |
		jq -r .state 2>/dev/null || true
}
# vm_info NAME NODE: the whole vm.info body.
vm_info() {
	curl -s --max-time 2 --unix-socket "/run/aspen/$1/$2.sock" http://localhost/api/v1/vm.info
}
# vmm_pid NAME NODE: the pid in the VMM's pidfile.
vmm_pid() { cut -d' ' -f1 "/run/aspen/$1/$2.vmm.pid"; }
# vmm_procs: live (not zombie) ch-double processes, one "pid args" per line.
vmm_procs() { ps -eo pid=,stat=,args= | awk '$2 !~ /^Z/ && $3 ~ /ch-double$|failboot.sh$/ {print $1, $3, $4, $5}'; }

# assert_vm_clean NAME: nothing of NAME left, and no VMM running.
assert_vm_clean() {
	assert_clean "$1"
	left=$(vmm_procs)
	[ -z "$left" ] || fail "VMMs left: $left"
	left=$(ip -o link show type tun 2>/dev/null || true)
	[ -z "$left" ] || fail "TAPs left: $left"
}

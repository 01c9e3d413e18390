# One VM on the real Cloud Hypervisor with a real guest kernel: apply ->
# Running, the serial console log fills, destroy -> nothing left. Needs
# cloud-hypervisor on PATH (or ASPEN_CH_BINARY), /dev/kvm and
# ASPEN_TEST_CH_KERNEL=<vmlinux>; ASPEN_TEST_CH_INITRAMFS is optional.
# Skips (77) otherwise.
. "$ASPEN_TESTS/e2e/lib.sh"
skip() {
	echo "SKIP: real Cloud Hypervisor test needs cloud-hypervisor on PATH and ASPEN_TEST_CH_KERNEL=<vmlinux>"
	exit 77
}
bin=${ASPEN_CH_BINARY:-$(command -v cloud-hypervisor || true)}
[ -n "$bin" ] && [ -x "$bin" ] && [ -n "${ASPEN_TEST_CH_KERNEL:-}" ] && [ -r "$ASPEN_TEST_CH_KERNEL" ] || skip
"$bin" --version | grep -q '^cloud-hypervisor v' || skip
[ -c /dev/kvm ] || { echo "SKIP: /dev/kvm is missing"; exit 77; }
unset ASPEN_SKIP_KVM_CHECK
N=vmreal
{
	echo "apiVersion: aspen/v1"
	echo "name: $N"
	echo "networks:"
	echo "  lan: {subnet: 10.101.0.0/24, gateway: 10.101.0.1}"
	echo "nodes:"
	echo "  node1:"
	echo "    kind: vm"
	echo "    binary: $bin"
	echo "    cpus: 1"
	echo "    memory: 256M"
	echo "    kernel: $ASPEN_TEST_CH_KERNEL"
	[ -n "${ASPEN_TEST_CH_INITRAMFS:-}" ] && echo "    initramfs: $ASPEN_TEST_CH_INITRAMFS"
	echo "    cmdline: \"console=ttyS0 panic=-1\""
	echo "    serial: log"
	echo "    guest_ip: true"
	echo "    interfaces: [{network: lan, ip: 10.101.0.2}]"
} >"$WORK/real.yaml"
aspen_ok apply "$WORK/real.yaml"
aspen_ok status $N
grep -Eq "^vm/node1 +Running" "$WORK/out" || fail "VM not Running"
i=0
while [ ! -s "/run/aspen/$N/node1.serial.log" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "/run/aspen/$N/node1.serial.log" ] || fail "the guest wrote nothing to its serial console"
grep -q "ip=10.101.0.2::10.101.0.1:255.255.255.0:node1:eth0:off" "/run/aspen/$N/node1.serial.log" ||
	echo "skipped: the ip= check: the guest did not echo its command line"
aspen_ok destroy $N
assert_clean $N
[ -z "$(ps -eo stat=,args= | awk '$1 !~ /^Z/' | grep -v grep | grep "$bin")" ] || fail "cloud-hypervisor left running"
echo ok

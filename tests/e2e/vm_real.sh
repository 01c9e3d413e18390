# Three VMs on the real Cloud Hypervisor, with real guests on raw root
# disks, checked from outside the guests (docs/vms.md "From Debian
# packages" says how to get a kernel):
#   1. the three boot to a userspace marker (ASPEN-GUEST-UP on the console);
#   2. guests ping each other and the gateway over aspen's bridge, and the
#      host pings them;
#   3. each guest's MAC is the one aspen gave it;
#   4. re-apply says no changes;
#   5. pause, a second pause (refused), resume, reboot (the console keeps
#      both boots), kill and start (the fault engine's, through faultctl);
#   6. a partition between guests stops their pings, heal restores them;
#   7. destroy leaves no process, socket, disk lock or TAP;
# and prints each VM's boot time (apply start to the marker) and VMM RSS.
#
# Needs cloud-hypervisor (PATH or $ASPEN_CH_BINARY), a /dev/kvm that opens,
# ASPEN_TEST_CH_KERNEL=<vmlinux or bzImage> (ASPEN_TEST_CH_INITRAMFS when its
# drivers are modules), busybox (static) and mkfs.ext4 for the root disks.
# Skips (77) with one line saying what is missing otherwise.
. "$ASPEN_TESTS/e2e/lib.sh"
bin=${ASPEN_CH_BINARY:-$(command -v cloud-hypervisor || true)}
busybox=$(command -v busybox || true)
missing=""
{ [ -n "$bin" ] && [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q '^cloud-hypervisor v'; } ||
	missing="$missing cloud-hypervisor (PATH or \$ASPEN_CH_BINARY),"
{ [ -n "${ASPEN_TEST_CH_KERNEL:-}" ] && [ -r "$ASPEN_TEST_CH_KERNEL" ]; } ||
	missing="$missing ASPEN_TEST_CH_KERNEL=<vmlinux or bzImage>,"
{ [ -c /dev/kvm ] && (: <>/dev/kvm) 2>/dev/null; } || missing="$missing a /dev/kvm that opens,"
{ [ -n "$busybox" ] && ! ldd "$busybox" >/dev/null 2>&1; } || missing="$missing static busybox,"
command -v mkfs.ext4 >/dev/null || missing="$missing mkfs.ext4,"
if [ -n "$missing" ]; then
	echo "real Cloud Hypervisor test needs${missing%,} (docs/vms.md)"
	exit 77
fi
unset ASPEN_SKIP_KVM_CHECK
export ASPEN_CH_BINARY="$bin"
VMCTL=$BUILD/tools/vmctl
. "$ASPEN_TESTS/e2e/fault.inc"
# CH looks TAPs up in /sys/class/net: sysfs must show the sandbox's network
# namespace (the sandbox's mount namespace is private).
mount -t sysfs sysfs /sys || fail "cannot mount sysfs for the sandbox's network namespace"

N=vmreal
F=$WORK/real.yaml
IMG=$WORK/images
GW=10.101.0.1
IP_node1=10.101.0.2 IP_node2=10.101.0.3 IP_node3=10.101.0.4
mkdir -p "$IMG"

# build_rootfs DIR: busybox and an init that configures eth0 from the
# kernel's ip= argument (whether or not the kernel did it already), says
# ASPEN-GUEST-UP <name> <mac>, then pings every aspen.peers address each
# half second: "ASPEN-PING <round> <name> <peer> ok|fail".
build_rootfs() {
	mkdir -p "$1/bin" "$1/sbin" "$1/proc" "$1/sys" "$1/dev" "$1/tmp" "$1/etc"
	cp "$busybox" "$1/bin/busybox"
	cat >"$1/sbin/aspen-init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
cfg="" peers=""
for a in $(cat /proc/cmdline); do
	case "$a" in
	ip=*) cfg=${a#ip=} ;;
	aspen.peers=*) peers=$(echo "${a#aspen.peers=}" | tr , ' ') ;;
	esac
done
addr=$(echo "$cfg" | cut -d: -f1) gw=$(echo "$cfg" | cut -d: -f3)
mask=$(echo "$cfg" | cut -d: -f4) name=$(echo "$cfg" | cut -d: -f5) dev=$(echo "$cfg" | cut -d: -f6)
ifconfig lo up
ifconfig "$dev" "$addr" netmask "$mask" up
route add default gw "$gw" 2>/dev/null
hostname "$name"
echo "ASPEN-GUEST-UP $name $(cat /sys/class/net/$dev/address)"
round=0
while :; do
	round=$((round + 1))
	for p in $peers; do
		if ping -c 1 -W 1 "$p" >/dev/null 2>&1; then r=ok; else r=fail; fi
		echo "ASPEN-PING $round $name $p $r"
	done
	sleep 0.5
done
INIT
	chmod 755 "$1/sbin/aspen-init"
}
build_rootfs "$WORK/rootfs"
for i in 1 2 3; do
	truncate -s 64M "$IMG/node$i.raw"
	mkfs.ext4 -q -F -d "$WORK/rootfs" "$IMG/node$i.raw" || fail "mkfs.ext4 -d for node$i"
done
{
	echo "apiVersion: aspen/v1"
	echo "name: $N"
	echo "defaults:"
	echo "  kind: vm"
	echo "  binary: $bin"
	echo "  cpus: 1"
	echo "  memory: 256M"
	echo "  kernel: $ASPEN_TEST_CH_KERNEL"
	[ -n "${ASPEN_TEST_CH_INITRAMFS:-}" ] && echo "  initramfs: $ASPEN_TEST_CH_INITRAMFS"
	echo "  cmdline: \"console=hvc0 root=/dev/vda rw init=/sbin/aspen-init aspen.peers=$IP_node1,$IP_node2,$IP_node3,$GW\""
	echo "  guest_ip: true"
	echo "networks:"
	echo "  lan: {subnet: 10.101.0.0/24, gateway: $GW}"
	echo "nodes:"
	for i in 1 2 3; do
		echo "  node$i:"
		echo "    interfaces: [{network: lan, ip: 10.101.0.$((i + 1))}]"
		echo "    disks: [{path: $IMG/node$i.raw}]"
	done
	echo "faults:"
	echo "  - {at: 1s, for: 5s, partition: [[node1], [node2, node3]]}"
	echo "  - {at: 8s, kill: node3}"
	echo "  - {at: 9s, start: node3}"
} >"$F"

con() { echo "/run/aspen/$N/$1.console.log"; }
vmm_pid() { cut -d' ' -f1 "/run/aspen/$N/$1.vmm.pid"; }
vm_info() { curl -s --max-time 5 --unix-socket "/run/aspen/$N/$1.sock" http://localhost/api/v1/vm.info; }
vm_state() { vm_info "$1" | jq -r .state 2>/dev/null || true; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# wait_line NODE FROM REGEX [SECONDS]: a line matching REGEX appears in
# NODE's console after its first FROM lines (default 60 s; a guest boot
# under load is slow, the deadline only ends a stuck test).
wait_line() {
	i=0
	while [ $i -lt $((${4:-60} * 10)) ]; do
		tail -n +"$(($2 + 1))" "$(con "$1")" 2>/dev/null | tr -d '\r' | grep -Eq "$3" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "--- $1's console:"; tail -n 20 "$(con "$1")" 2>/dev/null || true
	return 1
}
lines() { wc -l <"$(con "$1")" 2>/dev/null || echo 0; }

step "1. apply: three VMs boot to the userspace marker"
t0=$(now_ms)
aspen_ok apply --no-wait --no-schedule "$F"
for n in node1 node2 node3; do
	wait_line $n 0 "^ASPEN-GUEST-UP $n " || fail "$n did not reach userspace"
	t=$(now_ms)
	rss=$(awk '/^VmRSS/ {print $2, $3}' "/proc/$(vmm_pid $n)/status")
	echo "$n: up $((t - t0)) ms after apply started; VMM RSS $rss"
done

step "2. guests ping each other and the gateway; the host pings them"
for n in node1 node2 node3; do
	for p in $IP_node1 $IP_node2 $IP_node3 $GW; do
		wait_line $n 0 "^ASPEN-PING [0-9]+ $n $p ok" || fail "$n cannot ping $p"
	done
done
for p in $IP_node1 $IP_node2 $IP_node3; do ping -c1 -W2 -q "$p" >/dev/null || fail "host cannot ping $p"; done

step "3. each guest's MAC is aspen's"
for n in node1 node2 node3; do
	want=$(vm_info $n | jq -r '.config.net[0].mac')
	got=$(tr -d '\r' <"$(con $n)" | awk -v n=$n '$1 == "ASPEN-GUEST-UP" && $2 == n {print $3; exit}')
	[ "$got" = "$want" ] || fail "$n: guest MAC $got, aspen gave $want"
done

step "4. re-apply changes nothing"
aspen_ok apply --no-wait --no-schedule "$F"
out_has "No changes"

step "5. pause, pause again (refused), resume, reboot, kill, start"
"$VMCTL" $N node1 pause || fail "pause"
[ "$(vm_state node1)" = Paused ] || fail "node1 not Paused"
"$VMCTL" $N node1 pause 2>"$WORK/err" && fail "a second pause succeeded"
grep -q "node1: vm.pause failed" "$WORK/err" || fail "second pause: $(cat "$WORK/err")"
from=$(lines node1)
"$VMCTL" $N node1 resume || fail "resume"
[ "$(vm_state node1)" = Running ] || fail "node1 not Running after resume"
wait_line node1 "$from" "^ASPEN-PING [0-9]+ node1 " || fail "node1 silent after resume"
"$VMCTL" $N node2 reboot || fail "reboot"
i=0
while [ "$(tr -d '\r' <"$(con node2)" | grep -c "^ASPEN-GUEST-UP node2 ")" -lt 2 ] && [ $i -lt 600 ]; do
	sleep 0.1; i=$((i + 1))
done
[ "$(tr -d '\r' <"$(con node2)" | grep -c "^ASPEN-GUEST-UP node2 ")" -ge 2 ] ||
	fail "node2's console does not show both boots"
pid=$(vmm_pid node3)
fc_ok apply "$F" 1              # kill: node3
sleep 0.2
kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid" | cut -c1)" != Z ] && fail "node3's VMM survived kill"
from=$(lines node3)
fc_ok apply "$F" 2              # start: node3
wait_line node3 "$from" "^ASPEN-GUEST-UP node3 " || fail "node3 did not boot again"
[ "$(vmm_pid node3)" != "$pid" ] || fail "node3's VMM was not replaced"
aspen_ok apply --no-wait --no-schedule "$F"
out_has "No changes"

step "6. a partition between guests, with real packets; heal restores them"
for n in node1 node2; do wait_line $n 0 "^ASPEN-PING [0-9]+ $n $IP_node3 ok" || fail "$n -> node3 before the cut"; done
fc_ok apply "$F" 0
from1=$(lines node1) from2=$(lines node2)
wait_line node1 "$from1" "^ASPEN-PING [0-9]+ node1 $IP_node2 fail" 20 || fail "node1 still reaches node2 across the partition"
wait_line node2 "$from2" "^ASPEN-PING [0-9]+ node2 $IP_node1 fail" 20 || fail "node2 still reaches node1 across the partition"
wait_line node2 "$from2" "^ASPEN-PING [0-9]+ node2 $IP_node3 ok" 20 || fail "the partition cut node2 from node3 too"
wait_line node1 "$from1" "^ASPEN-PING [0-9]+ node1 $GW ok" 20 || fail "the partition cut node1 from the gateway"
fc_ok revert "$F" 0
from1=$(lines node1)
wait_line node1 "$from1" "^ASPEN-PING [0-9]+ node1 $IP_node2 ok" 20 || fail "heal did not restore node1 -> node2"

step "7. destroy leaves no process, socket, disk lock or TAP"
inodes=$(for i in 1 2 3; do stat -c %i "$IMG/node$i.raw"; done)
aspen_ok destroy $N
assert_clean $N
left=$(ps -eo stat=,args= | awk '$1 !~ /^Z/' | grep -F "$bin" | grep -v grep || true)
[ -z "$left" ] || fail "cloud-hypervisor left running: $left"
for ino in $inodes; do
	! grep -q ":$ino " /proc/locks || fail "a disk image is still locked: $(grep ":$ino " /proc/locks)"
done
left=$(ip -o link show type tun 2>/dev/null || true)
[ -z "$left" ] || fail "TAPs left: $left"
echo ok

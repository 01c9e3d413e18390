# Cloud Hypervisor versions (runtime/ch_version.h, docs/ch-api.md
# "Versions") against the API double speaking as each release:
# - v53 gets "image_type": "Raw" on every disk, so it never autodetects a
#   raw image and refuses its sector 0 (CH's own warning says when it does:
#   a bare vm.create without image_type shows the control case);
# - v53's 404s, socket lock file and stale-socket removal are handled, and
#   destroy leaves no <socket>.lock;
# - v48 gets no image_type; aspen refuses to boot when /sys does not show
#   its TAPs, before v48 could give them 192.168.249.1/24;
# - older than v28 is refused, newer than the table is warned about;
# - the version shows in status and in aspen run's cluster.json.
. "$ASPEN_TESTS/e2e/lib_vm.sh"
N=vmv
F=$WORK/v.yaml
vm_topology "$F" $N 2
warned="Autodetected raw image type. Disabling sector 0 writes."

step "control: a v53 VMM given a raw disk without image_type disables sector 0 writes"
tap=ctltap0
ip tuntap add dev $tap mode tap
CHD_VERSION=v53.0 "$CHD" -v --api-socket "path=$WORK/ctl.sock" --log-file "$WORK/ctl.log" &
ctl=$!
i=0
while [ ! -S "$WORK/ctl.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
api() { curl -s -o "$WORK/body" -w '%{http_code}' --unix-socket "$WORK/ctl.sock" -X "$1" ${3:+-d "$3"} "http://localhost/api/v1/$2"; }
[ "$(api GET vm.info)" = 404 ] || fail "v53: vm.info before vm.create is not 404: $(cat "$WORK/body")"
[ "$(api PUT vm.create "{\"payload\":{\"kernel\":\"$IMG/vmlinux\"},\"disks\":[{\"path\":\"$IMG/node1.raw\"}],\"net\":[{\"tap\":\"$tap\"}]}")" = 204 ] ||
	fail "control vm.create: $(cat "$WORK/body")"
[ "$(api PUT vm.boot)" = 204 ] || fail "control vm.boot: $(cat "$WORK/body")"
grep -q "$warned" "$WORK/ctl.log" || fail "control: no sector-0 warning in $(cat "$WORK/ctl.log")"
[ "$(api GET vm.info)" = 200 ] && [ "$(jq -r '.config.net[0].ip' "$WORK/body")" = null ] ||
	fail "v53: NetConfig.ip has a default: $(cat "$WORK/body")"
[ -z "$(ip -o -4 addr show dev $tap)" ] || fail "v53 set an address on $tap"
[ -e "$WORK/ctl.sock.lock" ] || fail "v53: no socket lock file"
api PUT vmm.shutdown >/dev/null
wait $ctl || fail "control VMM exit status"
ip link del $tap

step "v53: aspen sends image_type Raw; no autodetection"
CHD_VERSION=v53.0 aspen_ok apply "$F"
for n in 1 2; do
	[ "$(vm_state $N node$n)" = Running ] || fail "node$n not Running"
	[ "$(vm_info $N node$n | jq -r '.config.disks[0].image_type')" = Raw ] || fail "node$n: image_type"
	grep -q "$warned" "/run/aspen/$N/node$n.vmm.log" && fail "node$n: CH autodetected the raw image"
	[ -e "/run/aspen/$N/node$n.sock.lock" ] || fail "node$n: the v53 double took no socket lock"
done
step "... status and cluster.json carry the version"
aspen_ok status $N
grep -Eq "^vmm/node1 +running +pid [0-9]+, cloud-hypervisor v53.0" "$WORK/out" || fail "status lacks the version"
"$ASPEN" status --json $N | jq -e '.resources[] | select(.id == "vmm/node2") | .version == "v53.0"' >/dev/null ||
	fail "status --json lacks the version"
step "... re-apply changes nothing (the config CH holds covers what aspen sends)"
CHD_VERSION=v53.0 aspen_ok apply "$F"
out_has "No changes"
step "... destroy leaves no socket lock"
aspen_ok destroy $N
assert_vm_clean $N
CHD_VERSION=v53.0 "$ASPEN" run "$F" -- sh -c 'cat "$ASPEN_CLUSTER_JSON"' >"$WORK/cluster.json" 2>"$WORK/out" ||
	{ cat "$WORK/out"; fail "aspen run"; }
[ "$(jq -r '.nodes[] | select(.name == "node1") | .vmm_version' "$WORK/cluster.json")" = v53.0 ] ||
	fail "cluster.json lacks vmm_version: $(cat "$WORK/cluster.json")"
assert_vm_clean $N

step "v48: no image_type (v48 does not know it)"
aspen_ok apply "$F"
[ "$(vm_info $N node1 | jq -r '.config.disks[0] | has("image_type")')" = false ] || fail "v48 got image_type"
aspen_ok destroy $N
assert_vm_clean $N

step "v48 and a /sys that shows another network namespace: refused before vm.boot"
umount /sys
aspen_fails apply "$F"
out_has "is not in /sys/class/net: sysfs shows another network namespace"
addr=$(ip -o -4 addr show | grep 192.168.249 || true)
[ -z "$addr" ] || fail "a TAP got CH's default address: $addr"
mount -t sysfs sysfs /sys
aspen_ok destroy $N
assert_vm_clean $N

step "older than v28: refused, nothing left running"
CHD_VERSION=v27.0 aspen_fails apply "$F"
out_has "create vmm/node1: cloud-hypervisor v27.0 is older than v28"
[ -z "$(vmm_procs)" ] || fail "VMMs left: $(vmm_procs)"
aspen_ok destroy $N
assert_vm_clean $N

step "newer than the table: a warning, and it works"
CHD_VERSION=v54.0 aspen_ok apply "$F"
out_has "aspen: warning: node1: cloud-hypervisor v54.0 is newer than the releases aspen was checked against"
aspen_ok destroy $N
assert_vm_clean $N
echo ok

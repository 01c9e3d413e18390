# Rate limits (and netem) on a VM node: what the guest sends enters the host
# as its TAP's ingress, which aspen redirects (ingress qdisc, u32 + mirred)
# to an ifb device whose root is the fault's tbf. The "VM" is the API
# double, which sends nothing, so once its VMM is killed (the TAP stays)
# tests/tools/tapio opens the TAP and writes the guest's frames itself: UDP
# to a netns node on the same bridge, which counts them. Asserted is only
# what the limit causes: the bytes that arrived never beat the rate over
# the time they took (plus the bucket), every one went through aspen's tbf
# on the ifb (Sent), which held packets back (overlimits). Speeds are
# never bounded from below. The ifb is aspen's object: marked, named in the
# record before it exists, gone after revert, heal and destroy; a link of
# its name that is not aspen's is left alone. Netem: this kernel lacks
# sch_netem, so latency on a VM fails with the one clear line.
. "$ASPEN_TESTS/e2e/lib_vm.sh"
. "$ASPEN_TESTS/e2e/fault.inc"
TAPIO=$BUILD/tools/tapio
[ -x "$TAPIO" ] || fail "tapio not built: $TAPIO"
N=vmr
F=$WORK/vmr.yaml
vm_topology "$F" $N 1
cat >>"$F" <<'YAML'
  rx: {kind: netns, command: [sleep, infinity], interfaces: [{network: lan, ip: 10.100.0.9}]}
faults:
  - {at: 1s, kill: node1}
  - {at: 2s, for: 10s, rate: {nodes: [node1], rate: 2mbit}}
  - {name: slow-vm, at: 2s, for: 5s, latency: {nodes: [node1], delay: 50ms}}
YAML
RATE=2000000    # bit/s, as in faults[1]
BUCKET=3028     # tbf burst aspen picks at 2 Mbit/s: two 1514-byte frames (fault_tbf_burst)

aspen_ok apply --no-wait --no-schedule "$F" >/dev/null
TAP=$(ip -o link show | awk -F': ' '/alias aspen:vmr:tap\/node1.eth0/ {print $2}' | cut -d@ -f1)
[ -n "$TAP" ] || fail "no TAP of node1"
IFB=ai-${TAP#as-}
RXMAC=$(ip netns exec aspen-$N-rx cat /sys/class/net/eth0/address)
fc_ok apply "$F" 0     # kill node1's VMM: the TAP is free for tapio

# blast: the guest sends BURSTS bursts of 32 frames, 80 ms apart (about
# 3.3 Mbit/s offered, each burst 33 KB: ten times the bucket), to rx.
# Sets $frames $bytes (arrived, as wire bytes) and $ms (from before the
# first write to the read of the last frame: an over-estimate).
blast() {
	rm -f "$WORK/rx" "$WORK/rx.err"
	ip netns exec aspen-$N-rx "$TAPIO" recv 10.100.0.9 5001 1500 >"$WORK/rx" 2>"$WORK/rx.err" &
	rx=$!
	i=0; until grep -q ready "$WORK/rx.err" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "receiver did not start"; sleep 0.05; done
	"$TAPIO" send "$TAP" 02:00:00:00:00:42 "$RXMAC" 10.100.0.2 10.100.0.9 5001 "$1" 32 80 \
		>"$WORK/tx" || fail "tapio send failed"
	wait $rx || fail "receiver failed: $(cat "$WORK/rx.err")"
	read -r t0 sent_frames sent_bytes <"$WORK/tx"
	read -r frames bytes t1 <"$WORK/rx"
	[ "$frames" -gt 0 ] || fail "nothing of $sent_frames frames arrived"
	ms=$(((t1 - t0) / 1000000))
	echo "$sent_frames frames ($sent_bytes bytes) sent, $frames ($bytes bytes) arrived in $ms ms:" \
		"$((bytes * 8 / (ms > 0 ? ms : 1))) kbit/s"
}

step "unlimited (for the record only)"
blast 10

step "rate 2mbit on node1: tbf a5e0: on its ifb, the TAP's ingress redirected there"
fc_ok apply "$F" 1
tc qdisc show dev "$IFB" | tee "$WORK/tc"
grep -q 'qdisc tbf a5e0: root .*rate 2Mbit' "$WORK/tc" || fail "no tbf at 2Mbit on $IFB"
ip -d link show "$IFB" | grep -q "alias aspen:$N:ifb/node1.eth0" || fail "$IFB carries no mark"
tc filter show dev "$TAP" ingress | tee "$WORK/tf"
grep -q "mirred (Egress Redirect to device $IFB)" "$WORK/tf" || fail "no redirect to $IFB on $TAP"
tc qdisc show dev "$TAP" | grep -q 'a5e[01]:' && fail "a root qdisc on the TAP (that would shape the guest's ingress)"
blast 30
# Never above the rate: from a full bucket, tbf lets through at most
# BUCKET + rate * time. 2% for the kernel's rounding of rate to ticks.
limit=$((BUCKET + RATE / 8 * ms / 1000 * 102 / 100))
[ "$bytes" -le "$limit" ] || fail "$bytes bytes in $ms ms through a 2 Mbit/s limit (at most $limit)"
# ...and the limit did it: every byte went through aspen's tbf on the ifb,
# which had to hold packets back.
tc -s qdisc show dev "$IFB" | tee "$WORK/tcs"
qsent=$(awk '/^ Sent / {print $2; exit}' "$WORK/tcs")
over=$(sed -n 's/.*overlimits \([0-9]*\).*/\1/p' "$WORK/tcs" | head -n 1)
[ "${qsent:-0}" -ge "$bytes" ] || fail "the tbf sent ${qsent:-no} bytes, fewer than the $bytes that arrived"
[ "${over:-0}" -gt 0 ] || fail "the tbf never held a packet back (overlimits ${over:-?})"
fc_ok apply "$F" 1     # idempotent: the same ifb, its own qdisc replaced, the redirect made afresh
[ "$(tc filter show dev "$TAP" ingress | grep -c 'mirred')" = 1 ] || fail "not exactly one redirect after re-apply"
fc_ok revert "$F" 1
ip link show "$IFB" >/dev/null 2>&1 && fail "$IFB left after revert"
tc qdisc show dev "$TAP" | grep -q ingress && fail "ingress qdisc left on $TAP after revert"
fc_ok revert "$F" 1    # idempotent
blast 10               # unshaped again: it flows (at whatever speed)

step "heal sweeps the ifb and the redirect, whatever the records say"
fc_ok apply "$F" 1
rm -f "$WORK/$N.f1.json"
fc_ok heal "$F"
ip link show "$IFB" >/dev/null 2>&1 && fail "$IFB left after heal"
tc qdisc show dev "$TAP" | grep -q ingress && fail "ingress qdisc left on $TAP after heal"

step "a link of the ifb's name that aspen did not make is left alone"
ip link add "$IFB" type ifb
fc_fails apply "$F" 1
grep -q "not this fault's ifb" "$WORK/fc" || fail "no ownership message"
ip link show "$IFB" >/dev/null 2>&1 || fail "the foreign $IFB was deleted"
tc qdisc show dev "$TAP" | grep -q ingress && fail "an ingress qdisc was left by the failed apply"
fc_ok heal "$F"
ip link show "$IFB" >/dev/null 2>&1 || fail "heal deleted the foreign $IFB"
ip link del "$IFB"

step "an ingress filter aspen did not add is left alone"
tc qdisc add dev "$TAP" ingress
tc filter add dev "$TAP" parent ffff: protocol ip prio 7 u32 match u32 0 0 action mirred egress mirror dev lo
fc_fails apply "$F" 1
grep -q "aspen leaves it alone" "$WORK/fc" || fail "no ownership message"
ip link show "$IFB" >/dev/null 2>&1 && fail "an ifb was made for a fault that cannot run"
fc_ok heal "$F"
tc filter show dev "$TAP" ingress | grep -q 'pref 7' || fail "heal removed a foreign filter"
tc qdisc del dev "$TAP" ingress

step "latency (netem) on a VM node"
if "$FC" check "$F" 2 >"$WORK/fc" 2>&1; then
	echo "this kernel has sch_netem: exercising it"
	fc_ok apply "$F" 2
	tc qdisc show dev "$IFB" | grep -q 'netem a5e1: .*delay 50ms' || fail "no netem qdisc on $IFB"
	fc_ok revert "$F" 2
	ip link show "$IFB" >/dev/null 2>&1 && fail "$IFB left after revert"
else
	cat "$WORK/fc"
	grep -q "faults\[2\] (slow-vm): latency needs the sch_netem qdisc, which this kernel lacks" "$WORK/fc" ||
		fail "check: not the sch_netem line"
	fc_fails apply "$F" 2
	[ "$(grep -c 'sch_netem' "$WORK/fc")" = 1 ] || fail "not one line about sch_netem"
	ip link show "$IFB" >/dev/null 2>&1 && fail "an ifb was made for a fault that cannot run"
	tc qdisc show dev "$TAP" | grep -q ingress && fail "an ingress qdisc was added for it"
fi

step "timed: a schedule applies and reverts rate faults on running VMs (what CH's own limiter could not do without unplugging the NIC)"
F2=$WORK/vmr2.yaml
sed '/^faults:/,$d' "$F" >"$F2"
cat >>"$F2" <<'YAML'
faults:
  - {at: 0s, for: 300ms, rate: {nodes: [node1], rate: 5mbit}}
YAML
aspen_ok apply "$F2" >/dev/null
out_has "rate node1 5mbit applied"
out_has "rate node1 5mbit reverted"
[ "$(vm_state $N node1)" = Running ] || fail "node1 not running after the schedule"
ip link show "$IFB" >/dev/null 2>&1 && fail "$IFB left after the schedule"
tc qdisc show dev "$TAP" | grep -q ingress && fail "ingress qdisc left on $TAP after the schedule"

step "an ad hoc rate fault (journaled), then destroy: nothing left"
aspen_ok fault $N rate node1 10mbit
tc qdisc show dev "$IFB" | grep -q 'tbf a5e0: root .*rate 10Mbit' || fail "no ad hoc tbf on $IFB"
aspen_ok destroy $N >/dev/null
ip link show "$IFB" >/dev/null 2>&1 && fail "$IFB left after destroy"
assert_vm_clean $N
echo ok

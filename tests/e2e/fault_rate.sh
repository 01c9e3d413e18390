# Rate limits through tbf on the node's side of its veth: tc sees the qdisc
# with the right rate inside the namespace, the transfer's bytes went
# through it and it held them back (its overlimits counter), and the
# transfer never beat the rate; revert and heal take the qdisc away.
# Nothing here bounds how fast a transfer must be: a loaded machine only
# slows one down, so such a bound flakes. What can only come from the limit
# is asserted (never above the rate, the qdisc throttled); speeds without a
# limit are printed for the reader. Netem impairments: this kernel lacks sch_netem, so a
# latency fault must fail with one clear line and change nothing (where
# netem exists, the qdisc must appear and go again).
. "$ASPEN_TESTS/e2e/lib.sh"
. "$ASPEN_TESTS/e2e/fault.inc"
N=frate
F=$WORK/frate.yaml
cat >"$F" <<'EOF'
apiVersion: aspen/v1
name: frate
defaults: {kind: netns, command: [sleep, infinity]}
networks:
  lan: {subnet: 10.112.0.0/24, gateway: 10.112.0.1}
nodes:
  n1: {interfaces: [{network: lan, ip: 10.112.0.11}]}
  n2: {interfaces: [{network: lan, ip: 10.112.0.12}]}
faults:
  - {at: 1s, for: 10s, rate: {nodes: [n1], rate: 2mbit}}
  - {name: slow-n2, at: 1s, for: 5s, latency: {nodes: [n2], delay: 100ms, jitter: 10ms}}
  - {at: 12s, for: 5s, rate: {nodes: [n1.eth0], rate: 8mbit, burst: 64K}}
EOF
BYTES=524288    # 512 KiB: 2.1 s at 2 Mbit/s

# transfer: n1 sends BYTES over TCP to a listener in n2 (perl-base only);
# sets $ms (from before the sender starts to the listener's EOF) and $kbit
# (goodput). Timed from outside on purpose: the figure is only ever checked
# as an upper bound, so it must over-estimate the time, never miss a part
# of it (data buffered before a slow listener's accept returned).
transfer() {
	rm -f "$WORK/rx" "$WORK/rx.err"
	ip netns exec aspen-$N-n2 perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(LocalAddr => "10.112.0.12", LocalPort => 5001,
			Listen => 1, ReuseAddr => 1) or die "listen: $!";
		print STDERR "ready\n"; my $c = $s->accept; my ($n, $b, $r) = (0);
		$n += $r while ($r = sysread($c, $b, 65536)) > 0; print "$n\n";' \
		>"$WORK/rx" 2>"$WORK/rx.err" &
	rx=$!
	i=0; until grep -q ready "$WORK/rx.err" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "listener did not start"; sleep 0.05; done
	t0=$(date +%s%N)
	ip netns exec aspen-$N-n1 perl -MIO::Socket::INET -e '
		my $c = IO::Socket::INET->new(PeerAddr => "10.112.0.12", PeerPort => 5001)
			or die "connect: $!";
		my $b = "x" x 65536; print $c $b for 1 .. ($ARGV[0] / 65536); close $c or die;' $BYTES \
		|| fail "sender failed"
	wait $rx || fail "listener failed: $(cat "$WORK/rx.err")"
	t1=$(date +%s%N)
	[ "$(cat "$WORK/rx")" = $BYTES ] || fail "received $(cat "$WORK/rx") of $BYTES bytes"
	ms=$(((t1 - t0) / 1000000))
	kbit=$((BYTES * 8 / (ms > 0 ? ms : 1)))
	echo "$BYTES bytes in $ms ms: $kbit kbit/s"
}

aspen_ok apply --no-wait --no-schedule "$F" >/dev/null
step "unlimited (for the record: the limits below only ever slow it)"
transfer

step "rate 2mbit on n1: tbf a5e0: inside n1's namespace; it throttles, and nothing beats 2 Mbit/s"
fc_ok apply "$F" 0
ip netns exec aspen-$N-n1 tc qdisc show dev eth0 | tee "$WORK/tc"
grep -q 'qdisc tbf a5e0: root .*rate 2Mbit' "$WORK/tc" || fail "no tbf at 2Mbit on n1 eth0"
transfer
# Goodput never beats the rate: the bucket (10 ms at the rate, 3028 bytes
# here) is all a burst can add over 512 KiB, well under 5%.
[ "$kbit" -le 2100 ] || fail "$kbit kbit/s through a 2 Mbit/s limit"
# ...and the limit is what held it back: every byte went through aspen's
# tbf, which had to delay packets (overlimits) to keep the rate.
ip netns exec aspen-$N-n1 tc -s qdisc show dev eth0 | tee "$WORK/tcs"
sent=$(awk '/^ Sent / {print $2; exit}' "$WORK/tcs")
over=$(sed -n 's/.*overlimits \([0-9]*\).*/\1/p' "$WORK/tcs" | head -n 1)
[ "${sent:-0}" -ge $BYTES ] || fail "the tbf sent ${sent:-no} bytes, fewer than the transfer's $BYTES"
[ "${over:-0}" -gt 0 ] || fail "the tbf never held a packet back (overlimits ${over:-?})"
fc_ok apply "$F" 0   # idempotent: replaces its own qdisc
fc_ok revert "$F" 0
no_aspen_qdisc aspen-$N-n1 eth0
fc_ok revert "$F" 0

step "an explicit burst on an interface target"
fc_ok apply "$F" 2
ip netns exec aspen-$N-n1 tc qdisc show dev eth0 | grep -q 'rate 8Mbit burst 64Kb' || {
	ip netns exec aspen-$N-n1 tc qdisc show dev eth0; fail "no 8Mbit tbf with 64K burst"; }
fc_ok heal "$F"
no_aspen_qdisc aspen-$N-n1 eth0
transfer   # no qdisc is left (checked above): the data flows, at whatever speed

step "a root qdisc aspen did not add is left alone"
ip netns exec aspen-$N-n1 tc qdisc add dev eth0 root handle 1: tbf rate 50mbit burst 64k latency 50ms
fc_fails apply "$F" 0
grep -q "aspen did not add it" "$WORK/fc" || fail "no ownership message"
fc_ok heal "$F"
ip netns exec aspen-$N-n1 tc qdisc show dev eth0 | grep -q 'tbf 1: root' || fail "heal removed a foreign qdisc"
ip netns exec aspen-$N-n1 tc qdisc del dev eth0 root

step "latency (netem)"
if "$FC" check "$F" 1 >"$WORK/fc" 2>&1; then
	echo "this kernel has sch_netem: exercising it"
	fc_ok apply "$F" 1
	ip netns exec aspen-$N-n2 tc qdisc show dev eth0 | grep -q 'netem a5e1: .*delay 100ms' ||
		fail "no netem qdisc"
	fc_ok revert "$F" 1
	no_aspen_qdisc aspen-$N-n2 eth0
else
	cat "$WORK/fc"
	grep -q "faults\[1\] (slow-n2): latency needs the sch_netem qdisc, which this kernel lacks: load it (modprobe sch_netem)" "$WORK/fc" ||
		fail "check: not the sch_netem line"
	fc_fails apply "$F" 1
	grep -q "sch_netem" "$WORK/fc" || fail "apply: no sch_netem line"
	[ "$(grep -c 'sch_netem' "$WORK/fc")" = 1 ] || fail "more than one line about sch_netem"
	[ ! -e "$WORK/$N.f1.json" ] || fail "a record was written for a fault that cannot run"
	no_aspen_qdisc aspen-$N-n2 eth0
	ip netns exec aspen-$N-n2 tc qdisc show dev eth0 | grep -q 'noqueue' || fail "n2's qdisc changed"
	no_aspen_table
fi

aspen_ok destroy $N >/dev/null
assert_clean $N
echo ok

# Rate limits through tbf on the node's side of its veth: tc sees the qdisc
# with the right rate inside the namespace, and a TCP transfer out of the
# node runs near that rate (it ran far faster before); revert and heal take
# the qdisc away. Netem impairments: this kernel lacks sch_netem, so a
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
# sets $ms (the listener's accept to its EOF, timed by the listener with
# /proc/uptime's 10 ms clock, so the sender's start-up on a loaded machine
# does not count) and $kbit (goodput).
transfer() {
	rm -f "$WORK/rx" "$WORK/rx.err"
	ip netns exec aspen-$N-n2 perl -MIO::Socket::INET -e '
		sub up { open(my $u, "<", "/proc/uptime") or die "uptime: $!"; my ($s) = split " ", <$u>; $s }
		my $s = IO::Socket::INET->new(LocalAddr => "10.112.0.12", LocalPort => 5001,
			Listen => 1, ReuseAddr => 1) or die "listen: $!";
		print STDERR "ready\n"; my $c = $s->accept; my $t0 = up(); my ($n, $b, $r) = (0);
		$n += $r while ($r = sysread($c, $b, 65536)) > 0;
		printf "%d %d\n", $n, (up() - $t0) * 1000 + 0.5;' \
		>"$WORK/rx" 2>"$WORK/rx.err" &
	rx=$!
	i=0; until grep -q ready "$WORK/rx.err" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "listener did not start"; sleep 0.05; done
	ip netns exec aspen-$N-n1 perl -MIO::Socket::INET -e '
		my $c = IO::Socket::INET->new(PeerAddr => "10.112.0.12", PeerPort => 5001)
			or die "connect: $!";
		my $b = "x" x 65536; print $c $b for 1 .. ($ARGV[0] / 65536); close $c or die;' $BYTES \
		|| fail "sender failed"
	wait $rx || fail "listener failed: $(cat "$WORK/rx.err")"
	read -r got ms <"$WORK/rx"
	[ "$got" = $BYTES ] || fail "received $got of $BYTES bytes"
	kbit=$((BYTES * 8 / (ms > 0 ? ms : 1)))
	echo "$BYTES bytes in $ms ms: $kbit kbit/s"
}

aspen_ok apply --no-wait --no-schedule "$F" >/dev/null
step "unlimited: far above 2 Mbit/s"
transfer
[ "$kbit" -gt 20000 ] || fail "baseline only $kbit kbit/s"

step "rate 2mbit on n1: tbf a5e0: inside n1's namespace, transfer near 2 Mbit/s"
fc_ok apply "$F" 0
ip netns exec aspen-$N-n1 tc qdisc show dev eth0 | tee "$WORK/tc"
grep -q 'qdisc tbf a5e0: root .*rate 2Mbit' "$WORK/tc" || fail "no tbf at 2Mbit on n1 eth0"
transfer
# TCP/IP headers take ~5% of the rate; slow start and a busy machine a bit more.
[ "$kbit" -ge 1300 ] && [ "$kbit" -le 2100 ] || fail "$kbit kbit/s is not near 2000"
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
transfer
[ "$kbit" -gt 20000 ] || fail "still limited after heal: $kbit kbit/s"

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

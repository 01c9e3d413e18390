# A multi-host apply stopped at many points (docs/multihost.md): the
# controller is SIGKILLed after its k-th line of host progress, for k
# spread over the whole apply; the hosts' aspens then meet a closed pipe at
# their next line and die there too (SIGPIPE), each at its own point of
# its plan. Whatever that leaves, `aspen destroy NAME` from the
# controller's journal must leave nothing on any host, and the next apply
# must converge. Three simulated hosts (lib_hosts.sh), two nodes each.
. "$ASPEN_TESTS/e2e/lib.sh"
. "$ASPEN_TESTS/e2e/lib_hosts.sh"
N=mhc
F=$WORK/mhc.yaml
cat >"$F" <<'EOF'
apiVersion: aspen/v1
name: mhc
hosts:
  h1: {ssh: root@10.99.0.1}
  h2: {ssh: root@10.99.0.2}
  h3: {ssh: root@10.99.0.3}
defaults: {kind: netns, command: [sleep, infinity], host: round-robin}
networks:
  lan: {subnet: 10.123.0.0/24, gateway: 10.123.0.1}
  back: {subnet: 10.124.0.0/24}
nodes:
  a1: {interfaces: [{network: lan, ip: 10.123.0.11}, {network: back, ip: 10.124.0.11}]}
  b1: {interfaces: [{network: lan, ip: 10.123.0.21}, {network: back, ip: 10.124.0.21}]}
  c1: {interfaces: [{network: lan, ip: 10.123.0.31}]}
  a2: {interfaces: [{network: lan, ip: 10.123.0.12}]}
  b2: {interfaces: [{network: lan, ip: 10.123.0.22}]}
  c2: {interfaces: [{network: back, ip: 10.124.0.32}]}
EOF
hosts_up 3
clean_everywhere() {
	for h in h1 h2 h3; do host_assert_clean $h $N; done
	assert_clean $N
}
hostline='^ +h[123] +'

step "a whole apply, to count its lines"
"$ASPEN" apply "$F" >"$WORK/full" 2>&1 || { cat "$WORK/full"; fail "apply"; }
total=$(grep -E -c "$hostline" "$WORK/full")
[ "$total" -ge 20 ] || { cat "$WORK/full"; fail "only $total host lines: the test proves little"; }
aspen_q destroy $N
clean_everywhere

# apply_killed K: an apply from the controller, SIGKILLed once K lines of
# host progress reached it; returns when every host's aspen has ended.
apply_killed() {
	: >"$WORK/ctl"
	"$ASPEN" apply "$F" >>"$WORK/ctl" 2>&1 &
	ctl=$!
	n=0
	while [ "$(grep -E -c "$hostline" "$WORK/ctl")" -lt "$1" ] && kill -0 $ctl 2>/dev/null; do
		n=$((n + 1)); [ $n -lt 2000 ] || fail "k=$1: no progress"
		sleep 0.01
	done
	kill -KILL $ctl 2>/dev/null || true
	wait $ctl 2>/dev/null || true
	hosts_wait_idle "$ASPEN .*--part"
}

step "killed after k of $total host lines, then destroy from the journals"
k=1
while [ $k -lt "$total" ]; do
	apply_killed $k
	aspen_q destroy $N
	clean_everywhere || fail "k=$k"
	echo "  k=$k: killed after '$(grep -E "$hostline" "$WORK/ctl" | tail -n 1 | sed 's/  */ /g')'; destroy left nothing"
	k=$((k + k / 2 + 1))
done

step "a kill, then apply again converges"
apply_killed $((total / 2))
aspen_q apply "$F"
aspen_q apply "$F"
grep -q "Apply complete on 3 hosts: 0 changes" "$WORK/out" || { cat "$WORK/out"; fail "the second apply after the kill changed something"; }
on_host h3 ip netns exec aspen-$N-c1 ping -c1 -W2 -q 10.123.0.11 >/dev/null || fail "c1 (h3) -> a1 (h1) after converging"
aspen_q destroy $N
clean_everywhere

step "teardown"
hosts_down
echo ok

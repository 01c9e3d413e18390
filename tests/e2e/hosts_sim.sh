# The simulated hosts of lib_hosts.sh, proved before anything multi-host
# relies on them: aspen runs through each host's wrapper inside that host;
# each host has its own /run, network namespace and aspen state (one
# topology name applied on two hosts is two independent clusters that do
# not see each other); the underlay carries a VXLAN made by hand with ip
# between two hosts; teardown leaves no process and no namespace behind.
. "$ASPEN_TESTS/e2e/lib.sh"
. "$ASPEN_TESTS/e2e/lib_hosts.sh"

step "three hosts"
hosts_up 3
want=$("$ASPEN" --version)
for h in h1 h2 h3; do
	got=$(on_host $h "$ASPEN" --version) || fail "$h: aspen --version through the wrapper"
	[ "$got" = "$want" ] || fail "$h: version '$got', controller '$want'"
	# The wrapper's command really runs in the host's namespaces.
	[ "$(on_host $h readlink /proc/self/ns/net)" = "$(cat "$HOSTS_DIR/$h/netns")" ] || fail "$h: not its network namespace"
	[ "$(on_host $h readlink /proc/self/ns/mnt)" = "$(cat "$HOSTS_DIR/$h/mntns")" ] || fail "$h: not its mount namespace"
	on_host $h sh -c 'echo "$ASPEN_STATE_DIR"' | grep -qx /run/aspen-state || fail "$h: state dir"
	on_host $h touch /run/mark-$h
done
for h in h1 h2 h3; do
	for o in h1 h2 h3; do
		[ $o = $h ] && continue
		on_host $h test ! -e /run/mark-$o || fail "$h sees $o's /run"
	done
	[ ! -e /run/mark-$h ] || fail "the controller sees $h's /run"
	on_host $h rm /run/mark-$h
done

step "the underlay: every host reaches every other one"
for a in 1 2 3; do
	for b in 1 2 3; do
		[ $a = $b ] && continue
		on_host h$a ping -c1 -W2 -q $UNDERLAY.$b >/dev/null || fail "h$a -> h$b over the underlay"
	done
done

step "a VXLAN made by hand between h1 and h2 (unicast, port 4789) carries pings"
for i in 1 2; do
	o=$((3 - i))
	on_host h$i ip link add vxt type vxlan id 4242 local $UNDERLAY.$i remote $UNDERLAY.$o dstport 4789 dev eth0 \
		|| fail "h$i: vxlan"
	on_host h$i ip addr add 192.168.242.$i/24 dev vxt
	on_host h$i ip link set vxt up
done
on_host h1 ping -c1 -W2 -q 192.168.242.2 >/dev/null || fail "h1 -> h2 over the VXLAN"
on_host h2 ping -c1 -W2 -q 192.168.242.1 >/dev/null || fail "h2 -> h1 over the VXLAN"
on_host h3 ip -o link show | grep -q vxt && fail "h3 sees the VXLAN"
for i in 1 2; do on_host h$i ip link del vxt; done

step "one topology name on two hosts: two clusters that do not see each other"
# The same name and subnet on h1 (nodes a, b) and h2 (a, b, c): each host
# keeps its own journal, namespaces and links, so h2's apply creates
# everything again, and c exists on h2 only.
solo() { # FILE NODES...
	f=$1; shift
	{
		printf 'apiVersion: aspen/v1\nname: solo\n'
		printf 'defaults: {kind: netns, command: [sleep, infinity]}\n'
		printf 'networks:\n  lan: {subnet: 10.130.0.0/24, gateway: 10.130.0.1}\nnodes:\n'
		i=2
		for n in "$@"; do
			printf '  %s: {interfaces: [{network: lan, ip: 10.130.0.%d}]}\n' "$n" $i
			i=$((i + 1))
		done
	} >"$f"
}
solo "$WORK/solo1.yaml" a b
solo "$WORK/solo2.yaml" a b c
on_host h1 "$ASPEN" apply --no-schedule "$WORK/solo1.yaml" >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "apply on h1"; }
out_has "Apply complete"
on_host h2 "$ASPEN" apply --no-schedule "$WORK/solo2.yaml" >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "apply on h2"; }
out_has "Apply complete"
grep -q "No changes" "$WORK/out" && fail "h2's apply saw h1's cluster"
on_host h1 ip netns list | grep -q aspen-solo-c && fail "h1 has h2's node c"
on_host h2 ip netns list | grep -q aspen-solo-c || fail "h2 lacks its node c"
[ -z "$(ip netns list)" ] || fail "the controller has namespaces: $(ip netns list)"
[ ! -e "$ASPEN_STATE_DIR/solo" ] || fail "the controller has a state dir for solo"
on_host h1 ip netns exec aspen-solo-a ping -c1 -W2 -q 10.130.0.3 >/dev/null || fail "h1: a -> b"
on_host h2 ip netns exec aspen-solo-a ping -c1 -W2 -q 10.130.0.4 >/dev/null || fail "h2: a -> c"
on_host h1 ip netns exec aspen-solo-a ping -c2 -i0.2 -W1 -q 10.130.0.4 >/dev/null 2>&1 && fail "h1's a reaches h2's c"
[ "$(host_procs h1 | grep -c 'sleep infinity')" = 2 ] || fail "h1: expected 2 node processes: $(host_procs h1)"
[ "$(host_procs h2 | grep -c 'sleep infinity')" = 3 ] || fail "h2: expected 3 node processes: $(host_procs h2)"

step "destroy on h1 leaves h2's cluster running"
on_host h1 "$ASPEN" destroy solo >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "destroy on h1"; }
out_has "Destroy complete"
host_assert_clean h1 solo
on_host h2 ip netns exec aspen-solo-a ping -c1 -W2 -q 10.130.0.4 >/dev/null || fail "h2: a -> c after h1's destroy"
on_host h2 "$ASPEN" destroy solo >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "destroy on h2"; }
for h in h1 h2 h3; do host_assert_clean $h solo; done

step "teardown leaves nothing"
hosts_down
[ -z "$(ip -o link show | grep -v -e ': lo:' || true)" ] || fail "links left in the sandbox: $(ip -o link show)"
echo ok

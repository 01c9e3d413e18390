# One topology across three simulated hosts (lib_hosts.sh), applied from
# the controller (the sandbox's own namespace) through nsenter wrappers
# (docs/multihost.md). Checked on each host independently with ip, bridge,
# nft and ps: each host holds its nodes only, one VXLAN port joining the
# spanning network with unicast FDB entries for the other hosts, MTU 1450,
# the gateway on its home host only; real packets between every pair of
# nodes across hosts (ICMP, a full-size DF ping, TCP to each node's
# server); status lists every host; a partition across hosts — run by the
# controller's schedule, and each host's share sent by hand — cuts exactly
# the pairs it names, and its revert and heal restore them; a controller killed half way
# through an apply, then `aspen destroy NAME` from its journal, leaves
# nothing on any host.
. "$ASPEN_TESTS/e2e/lib.sh"
. "$ASPEN_TESTS/e2e/lib_hosts.sh"
N=mh
F=$WORK/mh.yaml
NODES="a1 a2 b1 b2 c1 c2"
host_of() { case $1 in a*) echo h1 ;; b*) echo h2 ;; c*) echo h3 ;; esac; }
ip_of() { case $1 in a*) echo "10.120.0.1${1#a}" ;; b*) echo "10.120.0.2${1#b}" ;; c*) echo "10.120.0.3${1#c}" ;; gw) echo 10.120.0.1 ;; esac; }
{
	cat <<'EOF'
apiVersion: aspen/v1
name: mh
hosts:
  h1: {ssh: root@10.99.0.1, address: 10.99.0.1}
  h2: {ssh: root@10.99.0.2, address: 10.99.0.2}
  h3: {ssh: root@10.99.0.3, address: 10.99.0.3}
defaults:
  kind: netns
  # A small server: answers each TCP connection on port 7000 with its name.
  command: [perl, -MIO::Socket::INET, -e, 'my $$s = IO::Socket::INET->new(LocalAddr => "${ASPEN_NODE_IP}:7000", Listen => 5, ReuseAddr => 1) or die "listen: $$!"; while (my $$c = $$s->accept) { print $$c "${ASPEN_NODE}\n"; close $$c }']
networks:
  lan: {subnet: 10.120.0.0/24, gateway: 10.120.0.1}
nodes:
EOF
	for n in $NODES; do
		printf '  %s: {host: %s, interfaces: [{network: lan, ip: %s}], health: {tcp: "%s:7000"}}\n' \
			$n "$(host_of $n)" "$(ip_of $n)" "$(ip_of $n)"
	done
	cat <<'EOF'
faults:
  # Run by the controller's schedule, then sent to each host by hand.
  - {name: split, at: 1s, for: 1s, partition: [[a1, b1], [c1, c2]]}
EOF
} >"$F"

"$ASPEN" validate "$F" >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "validate"; }

on() { # NODE CMD...: run CMD inside NODE's namespace on NODE's host
	n=$1; shift
	on_host "$(host_of $n)" ip netns exec "aspen-$N-$n" "$@"
}
reach() { on $1 ping -c1 -W2 -q "$(ip_of $2)" >/dev/null 2>&1 || fail "$1 -> $2 blocked"; }
no_reach() {
	if on $1 ping -c3 -i0.2 -W1 -q "$(ip_of $2)" >/dev/null 2>&1; then fail "$1 -> $2 gets through"; fi
}
# tcp_name A B: B's server, asked from A, answers with B's name.
tcp_name() {
	got=$(on $1 perl -MIO::Socket::INET -e '$c = IO::Socket::INET->new(PeerAddr => $ARGV[0], Timeout => 3) or die "connect $ARGV[0]: $!\n"; print scalar <$c>' "$(ip_of $2):7000") \
		|| fail "$1 -> $2: no TCP answer"
	[ "$got" = "$2" ] || fail "$1 -> $2:7000 answered '$got'"
}
all_reach() {
	for a in $NODES; do
		for b in $NODES gw; do [ $a = $b ] || reach $a $b; done
	done
}
# cut A B: does the partition [[a1, b1], [c1, c2]] cut A -> B?
cut() {
	case "$1 $2" in
	"a1 c1" | "a1 c2" | "b1 c1" | "b1 c2" | "c1 a1" | "c2 a1" | "c1 b1" | "c2 b1") return 0 ;;
	esac
	return 1
}
check_partition() {
	for a in $NODES; do
		for b in $NODES gw; do
			[ $a = $b ] && continue
			if cut $a $b; then no_reach $a $b; else reach $a $b; fi
		done
	done
}
# every host holds exactly its nodes' namespaces and nothing on the
# controller
check_placement() {
	for h in h1 h2 h3; do
		want=$(for n in $NODES; do [ "$(host_of $n)" = $h ] && echo "aspen-$N-$n"; done | sort)
		got=$(on_host $h ip netns list | awk '{print $1}' | sort)
		[ "$got" = "$want" ] || fail "$h holds namespaces '$got', expected '$want'"
	done
	[ -z "$(ip netns list)" ] || fail "the controller holds namespaces: $(ip netns list)"
}
node_pids() { for h in h1 h2 h3; do host_procs $h | awk '/IO::Socket/ {print $1}'; done | sort; }

hosts_up 3

step "plan shows every host"
aspen_q plan "$F"
for h in h1 h2 h3; do out_has "$h"; done
grep -qi vxlan "$WORK/out" || fail "the plan shows no VXLAN"

step "apply from the controller"
aspen_q apply --no-schedule "$F"
check_placement
[ "$(node_pids | wc -l)" = 6 ] || fail "expected 6 node servers: $(for h in h1 h2 h3; do host_procs $h; done)"

step "each host: one VXLAN port, unicast FDB to the other hosts, MTU 1450, a bridge MAC of its own, gateway on h1 only"
vni="" macs=""
for i in 1 2 3; do
	h=h$i
	vx=$(on_host $h ip -d -o link show type vxlan)
	[ "$(echo "$vx" | grep -c .)" = 1 ] || fail "$h: expected one VXLAN link: $vx"
	name=$(echo "$vx" | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }')
	echo "$vx" | grep -q "mtu 1450 " || fail "$h: VXLAN MTU: $vx"
	echo "$vx" | grep -q "dstport 4789" || fail "$h: VXLAN port: $vx"
	echo "$vx" | grep -q "nolearning" || fail "$h: VXLAN learns: $vx"
	echo "$vx" | grep -q "master " || fail "$h: VXLAN not on a bridge: $vx"
	v=$(echo "$vx" | sed -n 's/.*vxlan id \([0-9]*\).*/\1/p')
	[ -n "$vni" ] || vni=$v
	[ "$v" = "$vni" ] || fail "$h: VNI $v, h1's $vni"
	fdb=$(on_host $h bridge fdb show dev "$name")
	for o in 1 2 3; do
		if [ $o = $i ]; then
			echo "$fdb" | grep -q "dst $UNDERLAY.$o " && fail "$h: FDB entry to itself: $fdb"
		else
			echo "$fdb" | grep -q "^00:00:00:00:00:00 dst $UNDERLAY.$o " || fail "$h: no flood entry to h$o: $fdb"
		fi
	done
	# One L2 segment: the bridges' MACs must differ from host to host, or
	# a frame to the gateway's bridge stops at the sender's own bridge.
	br=$(echo "$vx" | sed -n 's/.* master \([^ ]*\) .*/\1/p')
	mac=$(on_host $h ip -o link show dev "$br" | sed -n 's|.*link/ether \([^ ]*\).*|\1|p')
	case " $macs " in *" $mac "*) fail "$h: bridge $br has the MAC $mac of another host's bridge" ;; esac
	macs="$macs $mac"
	gw=$(on_host $h ip -o -4 addr show | grep -c ' 10\.120\.0\.1/24' || true)
	if [ $i = 1 ]; then [ "$gw" = 1 ] || fail "h1 (home host) lacks the gateway"
	else [ "$gw" = 0 ] || fail "$h holds the gateway address"; fi
done
for n in $NODES; do
	on $n ip -o link show eth0 | grep -q "mtu 1450 " || fail "$n: eth0 MTU is not 1450"
done

step "every node reaches every other node and the gateway, across hosts"
all_reach
for a in $NODES; do
	for b in $NODES; do [ $a = $b ] || tcp_name $a $b; done
done
# 1422 bytes of ICMP payload + 28 = 1450, the whole MTU, unfragmented.
on a1 ping -c1 -W2 -q -M do -s 1422 "$(ip_of c2)" >/dev/null || fail "a full-size frame h1 -> h3"

step "status lists every host"
aspen_q status --json $N
for h in h1 h2 h3; do grep -q "\"$h\"" "$WORK/out" || fail "status --json lacks $h"; done

step "re-apply from the controller changes nothing"
before=$(node_pids)
aspen_q apply --no-schedule "$F"
check_placement
[ "$(node_pids)" = "$before" ] || fail "re-apply restarted node servers"

step "plan of an applied topology asks every host: no changes; a moved node shows on its host"
aspen_q plan --detailed-exitcode "$F"
out_has "applied from here: each host's plan against its live state"
[ "$(grep -c 'No changes' "$WORK/out")" = 3 ] || { cat "$WORK/out"; fail "not every host says no changes"; }
sed 's/10\.120\.0\.22/10.120.0.29/g' "$F" >"$WORK/moved.yaml"
rc=0; "$ASPEN" plan --detailed-exitcode --json "$WORK/moved.yaml" >"$WORK/out" 2>"$WORK/err" || rc=$?
[ ! -s "$WORK/err" ] || { cat "$WORK/err"; fail "plan said something on stderr"; }
[ $rc = 2 ] || { cat "$WORK/out"; fail "plan of a changed file exited $rc, not 2"; }
# b2's address changes on h2 alone (every node's command restarts: its
# peers changed, restart_on's default)
jq -e '([.hosts[] | select(.name == "h2") | .plan.actions[].id] | index("addr/b2.eth0")) != null and
	([.hosts[] | select(.name != "h2") | .plan.actions[].id | select(startswith("addr/"))] | length) == 0' \
	"$WORK/out" >/dev/null || { cat "$WORK/out"; fail "the plan does not put b2's new address on h2 alone"; }

step "the schedule's partition [a1 b1] | [c1 c2] from the controller: exactly those pairs cut"
# The hosts' reverts are held in their wrappers, so the fault stays on
# (however slow the machine) until the pairs are checked; then let go.
for h in h1 h2 h3; do host_hold $h --revert; done
: >"$WORK/ctl"
"$ASPEN" apply "$F" >>"$WORK/ctl" 2>&1 &
ctl=$!
n=0
until grep -q 'apply .*partition.*(3 hosts' "$WORK/ctl"; do
	kill -0 $ctl 2>/dev/null || { cat "$WORK/ctl"; fail "the controller's schedule ended before the partition was applied"; }
	n=$((n + 1)); [ $n -lt 1200 ] || { cat "$WORK/ctl"; fail "no partition after 1200 polls"; }
	sleep 0.05
done
for h in h1 h2 h3; do
	on_host $h nft list tables | grep -q "aspen-$N" || fail "$h enforces nothing (no aspen table)"
done
check_partition
for h in h1 h2 h3; do host_release $h; done
rc=0; wait $ctl || rc=$?
[ $rc = 0 ] || { cat "$WORK/ctl"; fail "apply with the schedule exited $rc"; }
grep -q 'revert .*partition.*(3 hosts' "$WORK/ctl" || { cat "$WORK/ctl"; fail "no revert on 3 hosts"; }
all_reach
aspen_q heal $N
for h in h1 h2 h3; do
	left=$(on_host $h nft list tables)
	[ -z "$left" ] || fail "$h: heal left nft tables: $left"
done

step "the file's fault 0, each host's share sent by hand, then reverted"
ver=$("$ASPEN" --version | awk '{print $2}')
for h in h1 h2 h3; do
	jq -n --arg v "$ver" --arg h $h --arg f "$F" --rawfile s "$F" \
		'{aspen: $v, host: $h, file: $f, seed: "0", source: $s}' >"$WORK/part-$h.json"
done
for h in h1 h2 h3; do
	on_host $h "$ASPEN" fault --part - --index 0 --apply <"$WORK/part-$h.json" >"$WORK/out" 2>&1 \
		|| { cat "$WORK/out"; fail "$h: fault share apply"; }
done
check_partition
for h in h1 h2 h3; do
	on_host $h "$ASPEN" fault --part - --index 0 --revert <"$WORK/part-$h.json" >"$WORK/out" 2>&1 \
		|| { cat "$WORK/out"; fail "$h: fault share revert"; }
done
all_reach

step "destroy from the controller: nothing left on any host"
aspen_q destroy $N
for h in h1 h2 h3; do host_assert_clean $h $N; done
assert_clean $N

step "controller killed half way through an apply; destroy from its journal"
# h3's apply is held in its wrapper, so the controller cannot finish: it
# is killed once an action event of h1 or h2 has reached it and one of them
# has journaled something. Then h3's part is let go (it reads a part from a
# controller that is gone), every host's aspen is waited for, and the
# controller's destroy, given only the name, must clean every host.
host_hold h3 apply
hostev='^ +h[12] +\[ *[0-9]+/'         # "  h1       [ 3/13] + netns/a2 (2.9 ms)"
: >"$WORK/ctl"
"$ASPEN" apply --no-schedule "$F" >>"$WORK/ctl" 2>&1 &
ctl=$!
n=0
until grep -E -q "$hostev" "$WORK/ctl" &&
	{ on_host h1 test -e "/run/aspen-state/$N/state.json" || on_host h2 test -e "/run/aspen-state/$N/state.json"; }; do
	kill -0 $ctl 2>/dev/null || { cat "$WORK/ctl"; fail "the controller exited before the kill point"; }
	n=$((n + 1)); [ $n -lt 1200 ] || { cat "$WORK/ctl"; fail "no host event after 1200 polls"; }
	sleep 0.05
done
kill -KILL $ctl
wait $ctl 2>/dev/null || true
echo "killed the controller after: $(grep -E "$hostev" "$WORK/ctl" | tail -n 1)"
host_release h3
hosts_wait_idle "$ASPEN .*--part"
aspen_q destroy $N
for h in h1 h2 h3; do host_assert_clean $h $N; done
assert_clean $N

step "teardown"
hosts_down
echo ok

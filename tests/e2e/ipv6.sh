# IPv6 and dual stack end to end: a 3-node topology with an IPv4 and an
# IPv6 subnet on one network comes up with both gateways on the bridge,
# addresses usable at once (no DAD), a default route per family and
# ASPEN_NODE_IP6; health checks ping the IPv6 gateway and connect to an
# IPv6 port. Every node reaches every other and the gateway over both
# families; the matrix probes both. A partition drops real packets of both
# families (ICMPv6 echo requests never arrive: the namespaces' snmp6
# counters) while neighbour discovery passes, and a heal restores both; a
# one-way cut over IPv6 drops exactly one direction; 100 % loss drops IPv6
# too. Destroy leaves nothing.
. "$ASPEN_TESTS/e2e/lib.sh"
. "$ASPEN_TESTS/e2e/fault.inc"
N=dual6
F=$WORK/dual6.yaml
cat >"$F" <<'Y'
apiVersion: aspen/v1
name: dual6
defaults:
  kind: netns
  command: [sh, -c, 'echo "$ASPEN_NODE_IP6 $ASPEN_NODE_IP" >"/run/aspen/dual6/$ASPEN_NODE.ip6"; exec sleep infinity']
  health: {ping: "fd00:136::1", timeout: 10s}
networks:
  lan:
    subnet: 10.136.0.0/24
    gateway: 10.136.0.1
    subnet6: fd00:136::/64
    gateway6: fd00:136::1
nodes:
  n1: {interfaces: [{network: lan, ip: 10.136.0.11, ip6: "fd00:136::11"}]}
  n2: {interfaces: [{network: lan, ip: 10.136.0.12, ip6: "fd00:136::12"}]}
  n3:
    interfaces: [{network: lan, ip: 10.136.0.13, ip6: "fd00:136::13"}]
    command: [perl, -MSocket, -e, 'socket(S, AF_INET6, SOCK_STREAM, 0) or die; bind(S, pack_sockaddr_in6(7006, Socket::inet_pton(AF_INET6, "fd00:136::13"))) or die "bind: $!"; listen(S, 5) or die; sleep']
    health: {tcp: "[fd00:136::13]:7006", ping: "fd00:136::1", timeout: 10s}
Y
export LANG=C LC_ALL=C
IP_n1=10.136.0.11 IP_n2=10.136.0.12 IP_n3=10.136.0.13 IP_gw=10.136.0.1
IP6_n1=fd00:136::11 IP6_n2=fd00:136::12 IP6_n3=fd00:136::13 IP6_gw=fd00:136::1

ip6_of() { eval "echo \${IP6_$1:?no IPv6 address for $1}"; }
reach6() {
	ip netns exec "aspen-$N-$1" ping -6 -c1 -W1 -q "$(ip6_of "$2")" >/dev/null 2>&1 ||
		fail "$1 -> $2 blocked over IPv6"
}
no_reach6() {
	if ip netns exec "aspen-$N-$1" ping -6 -c3 -i0.2 -W1 -q "$(ip6_of "$2")" >/dev/null 2>&1; then
		fail "$1 -> $2 gets through over IPv6"
	fi
}
# snmp6 NODE FIELD: an ICMPv6 counter (Icmp6InEchos, ...) of a node.
snmp6() { ip netns exec "aspen-$N-$1" awk -v f="$2" '$1 == f { print $2 }' /proc/net/snmp6; }
both_reach() { reach $N "$1" "$2"; reach6 "$1" "$2"; }
both_cut() { no_reach $N "$1" "$2"; no_reach6 "$1" "$2"; }
all_reach() {
	for a in n1 n2 n3; do
		for b in n1 n2 n3 gw; do [ $a = $b ] || both_reach $a $b; done
	done
}
# matrix_is ROWS ROWS6: `status --json --matrix`, rows n1..n3 as 0/1.
matrix_is() {
	"$ASPEN" status --json --matrix $N >"$WORK/st" 2>&1 || { cat "$WORK/st"; fail "status --matrix"; }
	got=$(jq -r '.matrix.reachable | map(map(if . then "1" else "0" end) | join("")) | join(" ")' "$WORK/st")
	got6=$(jq -r '.matrix.reachable6 | map(map(if . then "1" else "0" end) | join("")) | join(" ")' "$WORK/st")
	[ "$got" = "$1" ] && [ "$got6" = "$2" ] || { cat "$WORK/st"; fail "matrix $got / $got6, expected $1 / $2"; }
}
# no_pending NODE: no INCOMPLETE or FAILED IPv6 neighbour entry in a node.
no_pending() {
	left=$(ip -n "aspen-$N-$1" -6 neigh show | grep -E 'INCOMPLETE|FAILED' || true)
	[ -z "$left" ] || fail "$1 has pending IPv6 neighbour entries: $left"
}

step "plan and apply; health pings the IPv6 gateway and connects to [fd00:136::13]:7006"
aspen_ok plan "$F" >/dev/null
out_has "addr6/lan *address=fd00:136::1/64"
out_has "route6/n1 *gateway=fd00:136::1"
aspen_ok apply --no-schedule "$F"
for n in n1 n2 n3; do
	grep -q "healthy: $n" "$WORK/out" || { cat "$WORK/out"; fail "$n not healthy"; }
done

step "the kernel holds both families: gateways, addresses without DAD, default routes"
ip -6 addr show | grep -q 'inet6 fd00:136::1/64' || fail "no IPv6 gateway on the bridge"
ip -4 addr show | grep -q 'inet 10.136.0.1/24' || fail "no IPv4 gateway on the bridge"
for n in n1 n2 n3; do
	ip -n aspen-$N-$n -6 addr show dev eth0 | grep -q "inet6 $(ip6_of $n)/64" || fail "$n: no IPv6 address"
	if ip -n aspen-$N-$n -6 addr show dev eth0 scope global | grep -q tentative; then
		fail "$n: IPv6 address still tentative (DAD)"
	fi
	ip -n aspen-$N-$n -6 route show default | grep -q 'via fd00:136::1 dev eth0' || fail "$n: no IPv6 default route"
	ip -n aspen-$N-$n -4 route show default | grep -q 'via 10.136.0.1 dev eth0' || fail "$n: no IPv4 default route"
done
[ "$(cat /run/aspen/$N/n1.ip6)" = "fd00:136::11 10.136.0.11" ] || fail "n1's environment: $(cat /run/aspen/$N/n1.ip6)"

step "reachable over both families, node to node and to the gateway; the matrix probes both"
all_reach
matrix_is "111 111 111" "111 111 111"
aspen_ok status --matrix $N
out_has "IPv6:"

step "a second apply changes nothing"
aspen_ok apply --no-schedule "$F"
out_has "No changes"

step "partition n1 / n2,n3 drops both families; neighbour discovery passes"
aspen_ok fault $N partition n1 / n2,n3
in2=$(snmp6 n2 Icmp6InEchos)
both_cut n1 n2; both_cut n1 n3; both_cut n2 n1; both_cut n3 n1
[ "$(snmp6 n2 Icmp6InEchos)" = "$in2" ] || fail "n1's ICMPv6 echo requests reached n2 through the cut"
both_reach n2 n3; both_reach n3 n2
for a in n1 n2 n3; do both_reach $a gw; done
matrix_is "100 011 011" "100 011 011"
nft list table bridge aspen-$N | grep -q 'icmpv6 type' || fail "no neighbour-discovery accept rule"
no_pending n2; no_pending n3

step "heal: both families pass again at once"
aspen_ok heal $N
no_aspen_table
all_reach
matrix_is "111 111 111" "111 111 111"

step "one-way n1 -> n2 over IPv6: n1's requests never arrive, n2's do, n1's replies do not"
aspen_ok fault $N partition n1 '->' n2
in2=$(snmp6 n2 Icmp6InEchos)
no_reach6 n1 n2
[ "$(snmp6 n2 Icmp6InEchos)" = "$in2" ] || fail "n1 -> n2 echo requests arrived"
in1=$(snmp6 n1 Icmp6InEchos) rep2=$(snmp6 n2 Icmp6InEchoReplies)
ip netns exec aspen-$N-n2 ping -6 -c3 -i0.2 -W1 -q $IP6_n1 >/dev/null 2>&1 && fail "n2 got n1's IPv6 replies"
[ "$(snmp6 n1 Icmp6InEchos)" = $((in1 + 3)) ] || fail "n2 -> n1 requests did not all arrive"
[ "$(snmp6 n2 Icmp6InEchoReplies)" = "$rep2" ] || fail "n1 -> n2 replies got through"
reach6 n1 n3; reach6 n3 n1; reach6 n2 n3
no_pending n2
matrix_is "101 111 111" "101 111 111"
aspen_ok heal $N
no_aspen_table
both_reach n1 n2; both_reach n2 n1

step "loss 100% on n3 drops its IPv6 packets too"
aspen_ok fault $N loss n3 100%
both_cut n3 n1; both_cut n3 gw
both_reach n1 n2
aspen_ok heal $N
no_aspen_table
both_reach n3 n1; both_reach n3 gw

step "link-down n1: its end of the link comes back announcing its IPv6 address too"
# n2 asks for n1 while the link is down, and would ask again only after
# retrans_time_ms: 10 s here, so what resolves n2's entry at once is the
# unsolicited neighbour advertisement aspen sends when the link comes back.
ip netns exec aspen-$N-n2 sysctl -qw net.ipv6.neigh.eth0.retrans_time_ms=10000
ip -n aspen-$N-n2 -6 neigh flush dev eth0
aspen_ok fault $N link-down n1
no_reach6 n2 n1
ip -n aspen-$N-n2 -6 neigh show $IP6_n1 | grep -qE 'INCOMPLETE|FAILED' || fail "n2 holds no pending entry for n1"
aspen_ok heal $N
ok=0
for i in $(seq 50); do
	if ip -n aspen-$N-n2 -6 neigh show $IP6_n1 | grep -q lladdr; then ok=1; break; fi
	sleep 0.1
done
[ $ok = 1 ] || { ip -n aspen-$N-n2 -6 neigh show; fail "n1's advertisement did not reach n2"; }
no_pending n1
both_reach n2 n1; both_reach n1 n2

step "destroy leaves nothing"
aspen_ok destroy "$F" >/dev/null
assert_clean $N

step "aspen run: health over IPv6, cluster.json carries the IPv6 plan"
aspen_ok run "$F" -- sh -c 'cp "$ASPEN_CLUSTER_JSON" '"$WORK/cluster.json"'; ip netns exec "$ASPEN_NETNS_N1" ping -6 -c1 -W2 -q fd00:136::12'
[ "$(jq -r '.networks[0].subnet6' "$WORK/cluster.json")" = "fd00:136::/64" ] || fail "cluster.json subnet6"
[ "$(jq -r '.networks[0].gateway6' "$WORK/cluster.json")" = "fd00:136::1" ] || fail "cluster.json gateway6"
[ "$(jq -r '.nodes[1].interfaces[0].ip6' "$WORK/cluster.json")" = "fd00:136::12" ] || fail "cluster.json ip6"
assert_clean $N
left=$(ps -eo pid=,args= | grep -v grep | grep 'perl -MSocket' || true)
[ -z "$left" ] || fail "processes left: $left"
echo "ok: ipv6"

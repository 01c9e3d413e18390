# Dangerous networks are refused before anything changes (issue 9): the
# default route and its cousins by validation, overlaps with the host's own
# addresses and routes by apply's preflight. The sandbox stands in for a
# host: an uplink (a veth with IPv4 and IPv6 addresses), default routes and
# a VPN-like route in a policy table. After every refused apply (and plan),
# `ip route show table all`, `ip -6 route` and `ip addr` are byte for byte
# what they were. A network without a gateway puts nothing on the host and
# may repeat the uplink's subnet; re-applying a topology whose own bridge
# holds its subnet is no overlap.
. "$ASPEN_TESTS/e2e/lib.sh"

# No duplicate address detection in this private namespace: DAD would
# change `ip addr` (tentative -> valid) while the test compares snapshots.
sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
ip link add up0 type veth peer name up0p
ip link set up0 addrgenmode none
ip link set up0p addrgenmode none
ip link set up0 up
ip link set up0p up
ip addr add 192.168.77.5/24 dev up0
ip addr add 2001:db8:77::5/64 dev up0 nodad
ip route add default via 192.168.77.254
ip -6 route add default via 2001:db8:77::fe
ip route add 10.0.0.0/8 via 192.168.77.253 table 100
i=0
# The kernel adds the address's local route from a work queue, after the
# prefix route: under load it can land after the first snapshot.
until ip -o link show up0 | grep -q 'state UP' && ip -6 route | grep -q '^2001:db8:77::/64' &&
	ip -6 route show table local | grep -q '^local 2001:db8:77::5 '; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "the stand-in uplink did not come up"; sleep 0.05
done

snap() { { ip route show table all; echo; ip -6 route; echo; ip addr; } >"$1"; }
snap "$WORK/before"
unchanged() {
	snap "$WORK/after"
	diff -u "$WORK/before" "$WORK/after" || fail "$1 changed the host's addresses or routes"
}

# net SUBNET [GATEWAY] [NODE_IP]: a one-network, one-node topology in $WORK/t.yaml
net() {
	gw=${2:+, gateway: $2}
	ipkey=${3:+, ip: $3}
	cat >"$WORK/t.yaml" <<YAML
apiVersion: aspen/v1
name: hostnet
defaults: {kind: netns}
networks:
  lan: {subnet: $1$gw}
nodes:
  a: {interfaces: [{network: lan$ipkey}]}
YAML
}

step "the default route and its cousins are validation errors"
for s in "0.0.0.0/0 0.0.0.1" "0.0.0.0/1 10.0.0.1" "128.0.0.0/1" "10.0.0.0/7 10.0.0.1" \
	 "127.0.0.0/24 127.0.0.1" "0.0.0.0/8" "169.254.0.0/24 169.254.0.1" "224.0.0.0/24" \
	 "240.0.0.0/24" "255.255.255.252/30"; do
	set -- $s
	net "$1" "${2:-}"
	aspen_fails apply --no-schedule "$WORK/t.yaml"
	out_has "t.yaml:5:17: error: subnet $1 of network lan is "
	out_has "hint: use a private range"
	unchanged "apply of subnet $1"
done

step "a gateway on the uplink's subnet: the host's address"
net 192.168.77.0/24 192.168.77.1 192.168.77.2
aspen_fails plan "$WORK/t.yaml"
out_has "t.yaml:5:17: network lan (192.168.77.0/24, gateway 192.168.77.1 on the host) overlaps the host's address 192.168.77.5/24 on up0"
unchanged "plan"
aspen_fails apply --no-schedule "$WORK/t.yaml"
out_has "1 network overlaps the host's own addresses or routes; nothing was changed"
out_has "overlaps the host's address 192.168.77.5/24 on up0"
out_has "drop \`gateway:\`"
unchanged "apply over the uplink's address"

step "a subnet around the uplink's"
net 192.168.0.0/16 192.168.0.1 192.168.0.2
aspen_fails apply --no-schedule "$WORK/t.yaml"
out_has "overlaps the host's address 192.168.77.5/24 on up0 (and 1 more"
unchanged "apply around the uplink"

step "a subnet inside a route of a policy table"
net 10.20.0.0/24 10.20.0.1 10.20.0.2
aspen_fails apply --no-schedule "$WORK/t.yaml"
out_has "overlaps the host's route 10.0.0.0/8 via 192.168.77.253 dev up0 (table 100)"
unchanged "apply inside a table-100 route"

aspen_ok destroy hostnet
assert_clean hostnet
unchanged "destroy after refused applies"

step "without a gateway nothing goes on the host: the uplink's subnet is fine"
ip -4 route show table all >"$WORK/routes4"
net 192.168.77.0/24 "" 192.168.77.2
aspen_ok apply --no-schedule "$WORK/t.yaml"
ip -4 route show table all | diff -u "$WORK/routes4" - || fail "a network without gateway changed IPv4 routes"
ip netns exec aspen-hostnet-a ip -4 addr show dev eth0 | grep -q 192.168.77.2/24 || fail "node a has no address"
aspen_ok destroy hostnet
assert_clean hostnet
unchanged "apply and destroy of a network without gateway"

step "re-apply: the topology's own bridge route is no overlap"
net 172.16.5.0/24 172.16.5.1 172.16.5.2
aspen_ok apply --no-schedule "$WORK/t.yaml"
ip route show | grep -q '^172.16.5.0/24 dev .* src 172.16.5.1' || fail "no connected route for the gateway"
aspen_ok plan "$WORK/t.yaml"
aspen_ok apply --no-schedule "$WORK/t.yaml"
out_has "No changes"
ns_ping aspen-hostnet-a 172.16.5.1 || fail "node a cannot reach its gateway"
aspen_ok destroy hostnet
assert_clean hostnet
unchanged "apply, re-apply and destroy"
echo ok

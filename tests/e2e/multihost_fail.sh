# Multi-host failures (docs/multihost.md), over two simulated hosts
# (lib_hosts.sh): a host that runs another aspen is refused before any host
# changes anything, naming the host and both versions; a host that cannot
# be reached is named with the command that failed; a host whose part
# fails (a node command that dies) stops the apply with its error and
# leaves a state that the controller's destroy removes from every host; an
# ad hoc fault from the controller is applied on every host and healed by
# key.
. "$ASPEN_TESTS/e2e/lib.sh"
. "$ASPEN_TESTS/e2e/lib_hosts.sh"
N=mhf
F=$WORK/mhf.yaml
write_topo() { # COMMAND-OF-b1
	cat >"$F" <<EOF
apiVersion: aspen/v1
name: mhf
hosts:
  h1: {ssh: root@10.99.0.1}
  h2: {ssh: root@10.99.0.2}
defaults: {kind: netns, command: [sleep, infinity]}
networks:
  lan: {subnet: 10.121.0.0/24, gateway: 10.121.0.1}
nodes:
  a1: {host: h1, interfaces: [{network: lan, ip: 10.121.0.11}]}
  b1: {host: h2, interfaces: [{network: lan, ip: 10.121.0.21}], command: $1}
EOF
}
clean_everywhere() {
	for h in h1 h2; do host_assert_clean $h $N; done
	assert_clean $N
}
hosts_up 2

step "a host with another aspen: refused before anything changes"
cat >"$WORK/other-aspen" <<EOF
#!/bin/sh
# h2 runs another build of aspen
if [ "\$1" = --version ] && ip -o -4 addr show eth0 | grep -q ' 10\.99\.0\.2/'; then
	echo "aspen 0.0.9+elsewhere (topology language aspen/v1)"; exit 0
fi
exec "$ASPEN" "\$@"
EOF
chmod +x "$WORK/other-aspen"
write_topo '[sleep, infinity]'
(ASPEN_REMOTE="$WORK/other-aspen"; aspen_fails apply "$F") || exit 1
out_has "host h2 runs aspen 0.0.9+elsewhere, this controller aspen"
out_has "nothing was changed on any host"
clean_everywhere

step "a host that cannot be reached: named, with the command"
(ASPEN_TRANSPORT="$WORK/hosts/{host}/no-such-wrapper"; aspen_fails apply "$F") || exit 1
out_has "host h1: cannot run aspen there with '$WORK/hosts/h1/no-such-wrapper"
out_has "host h2: cannot run aspen there"
clean_everywhere

step "a host whose part fails stops the apply; destroy removes every host's part"
write_topo '[sh, -c, "echo b1 cannot start >&2; exit 3"]'
aspen_fails apply "$F"
out_has "aspen apply: h2: "
out_has "host h2 failed (exit 1)"
out_has "'aspen destroy $N' removes it from every host"
on_host h2 ip netns list | grep -q "aspen-$N-b1" || fail "h2's part left nothing to destroy: the test proves nothing"
aspen_ok destroy $N
clean_everywhere

step "an ad hoc fault from the controller: every host's share, healed by key"
write_topo '[sleep, infinity]'
aspen_ok apply "$F"
on_host h1 ip netns exec aspen-$N-a1 ping -c1 -W2 -q 10.121.0.21 >/dev/null || fail "a1 -> b1 before the fault"
aspen_ok fault $N partition a1 / b1
out_has "adhoc-1 applied on 2 hosts"
for h in h1 h2; do on_host $h nft list tables | grep -q "aspen-$N" || fail "$h has no nft table for the fault"; done
if on_host h1 ip netns exec aspen-$N-a1 ping -c2 -i0.2 -W1 -q 10.121.0.21 >/dev/null 2>&1; then fail "a1 -> b1 gets through the partition"; fi
if on_host h2 ip netns exec aspen-$N-b1 ping -c2 -i0.2 -W1 -q 10.121.0.11 >/dev/null 2>&1; then fail "b1 -> a1 gets through the partition"; fi
aspen_ok heal $N adhoc-1
for h in h1 h2; do on_host $h nft list tables | grep -q "aspen-$N" && fail "$h keeps the fault's table after heal"; done
on_host h1 ip netns exec aspen-$N-a1 ping -c1 -W2 -q 10.121.0.21 >/dev/null || fail "a1 -> b1 after heal"
aspen_fails status --matrix $N
out_has "not available across hosts yet"
aspen_ok fault --for 1s $N isolate b1
out_has "reverted on 2 hosts"
on_host h1 ip netns exec aspen-$N-a1 ping -c1 -W2 -q 10.121.0.21 >/dev/null || fail "a1 -> b1 after --for"
aspen_ok destroy $N
clean_everywhere

step "a host dropped from the file: the next apply destroys its part"
write_topo '[sleep, infinity]'
aspen_ok apply "$F"
on_host h2 ip netns list | grep -q "aspen-$N-b1" || fail "b1 is not on h2"
sed -e '/^  h2:/d' -e 's/host: h2/host: h1/' "$F" >"$WORK/one.yaml"
aspen_ok apply "$WORK/one.yaml"
out_has "1 host no longer in the file: destroying its part"
host_assert_clean h2 $N
on_host h1 ip netns list | grep -q "aspen-$N-b1" || fail "b1 did not move to h1"
grep -q '"h2"' "$ASPEN_STATE_DIR/$N/hosts.json" && fail "hosts.json still lists h2"
aspen_ok destroy $N
clean_everywhere

step "teardown"
hosts_down
echo ok

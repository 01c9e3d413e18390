# Two live topologies on overlapping subnets: the second is refused by plan
# and apply with both names, at its subnet's FILE:LINE:COL, before anything
# changes; `allow_overlap: true` lets someone who means it through. (The
# host's own routes are tests/e2e/host_routes.sh.)
. "$ASPEN_TESTS/e2e/lib.sh"
cat >"$WORK/a.yaml" <<'EOF'
apiVersion: aspen/v1
name: pca
defaults: {kind: netns, command: [sleep, infinity]}
networks:
  lan: {subnet: 10.114.0.0/24, gateway: 10.114.0.1}
nodes:
  a1: {interfaces: [{network: lan, ip: 10.114.0.2}]}
  a2: {interfaces: [{network: lan, ip: 10.114.0.3}]}
EOF
cat >"$WORK/b.yaml" <<'EOF'
apiVersion: aspen/v1
name: pcb
defaults: {kind: netns, command: [sleep, infinity]}
networks:
  other: {subnet: 10.115.0.0/24, gateway: 10.115.0.1}
  lan: {subnet: 10.114.0.128/25, gateway: 10.114.0.129}
nodes:
  b1: {interfaces: [{network: other, ip: 10.115.0.2}, {network: lan, ip: 10.114.0.130}]}
EOF
snapshot() {
	{ ip -br link; ip -br addr; ip route show table all; ip netns list; ls /run/aspen; } 2>&1 |
		sed 's/ *$//' >"$1"
}

step "the first topology is up"
aspen_ok apply --no-schedule "$WORK/a.yaml"
ns_ping aspen-pca-a1 10.114.0.3 || fail "a1 -> a2"
snapshot "$WORK/before"

step "plan of the second names both topologies"
aspen_fails plan "$WORK/b.yaml"
out_has "apply would stop here: pcb overlaps pca on this host"
out_has "b.yaml:6:[0-9]*: network lan of pcb (gateway 10.114.0.129/25) overlaps network lan of live topology pca (gateway 10.114.0.1/24, .*a.yaml)"
out_has "allow_overlap: true"
grep -q "network other" "$WORK/out" && fail "a network that overlaps nothing is named"

step "apply of the second is refused and changes nothing"
aspen_fails apply --no-schedule "$WORK/b.yaml"
out_has "pcb overlaps pca on this host"
out_has "nothing was changed"
snapshot "$WORK/after"
diff "$WORK/before" "$WORK/after" || fail "the refused apply changed something"
ns_ping aspen-pca-a1 10.114.0.3 || fail "a1 -> a2 after the refused apply"
ping -c1 -W1 -q 10.114.0.2 >/dev/null || fail "the host no longer reaches pca's a1"
aspen_ok destroy pcb
[ ! -e "$ASPEN_STATE_DIR/pcb" ] || fail "pcb's state dir left: $(ls -la "$ASPEN_STATE_DIR/pcb")"

step "allow_overlap: true on the network lets it through"
sed 's|lan: {subnet: 10.114.0.128/25, gateway: 10.114.0.129}|lan: {subnet: 10.114.0.128/25, gateway: 10.114.0.129, allow_overlap: true}|' \
	"$WORK/b.yaml" >"$WORK/b2.yaml"
grep -q allow_overlap "$WORK/b2.yaml" || fail "test setup"
aspen_ok apply --no-schedule "$WORK/b2.yaml"
ns_ping aspen-pcb-b1 10.115.0.1 || fail "b1 -> its other gateway"

step "the first topology re-applies as a no-op: it creates no gateway, so it is not refused"
aspen_ok apply --no-schedule "$WORK/a.yaml"
out_has "0 to create, 0 to update, 0 to replace, 0 to delete\|No changes\|Apply complete: 0 created"

aspen_ok destroy pcb
aspen_ok destroy pca
assert_clean pca
assert_clean pcb
echo ok

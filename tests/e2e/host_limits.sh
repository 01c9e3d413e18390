# Host limits found before anything changes: a network of 1100 nodes is
# refused by validate at the network's key (a Linux bridge holds 1023
# ports) and apply of it creates nothing; `aspen doctor` reports every limit
# against a fake /proc/sys, in text and JSON. No traffic is sent: the
# neighbour estimate is checked on its numbers, never by filling the table.
. "$ASPEN_TESTS/e2e/lib.sh"

step "validate refuses a network over a bridge's ports"
sh "$REPO/bench/gen-topology.sh" 1000 | sed 's/^name: bench1000$/name: big/' >"$WORK/ok.yaml"
# 1100 nodes on one network: the generator's addresses, all on lan.
awk 'BEGIN {
	print "apiVersion: aspen/v1"; print "name: big"
	print "defaults:"; print "  kind: netns"
	print "networks:"; print "  lan: {subnet: 10.0.0.0/16, gateway: 10.0.0.1}"
	print "nodes:"
	for (i = 1; i <= 1100; i++)
		printf "  node%d: {interfaces: [{network: lan, ip: 10.0.%d.%d}]}\n", i, int((i + 1) / 256), (i + 1) % 256
}' >"$WORK/big.yaml"
rc=0; "$ASPEN" validate "$WORK/big.yaml" >"$WORK/out" 2>&1 || rc=$?
cat "$WORK/out"
[ $rc = 1 ] || fail "validate exited $rc, want 1"
out_has "big.yaml:6:3: error: network lan has 1100 interfaces, but a Linux bridge holds at most 1023 ports (BR_MAX_PORTS) (networks.lan)"
out_has "hint: split it into 2 or more networks of at most 1023 interfaces each"

step "apply of it creates nothing"
rc=0; "$ASPEN" apply --no-wait --no-schedule "$WORK/big.yaml" >"$WORK/out" 2>&1 || rc=$?
[ $rc = 1 ] || { cat "$WORK/out"; fail "apply exited $rc, want 1"; }
out_has "big.yaml:6:3: error: network lan has 1100 interfaces"
[ -z "$(ip netns list)" ] || fail "apply made namespaces: $(ip netns list | head -3)"
[ -z "$(ip -o link show type bridge)" ] || fail "apply made a bridge"
[ "$(ip -o link show | wc -l)" = 1 ] || fail "apply made links: $(ip -o link show)"
assert_clean big

step "doctor against a fake /proc/sys"
fake=$WORK/procsys
mkdir -p "$fake/net/ipv4/neigh/default" "$fake/kernel" "$fake/user"
echo 512 >"$fake/net/ipv4/neigh/default/gc_thresh2"
echo 1024 >"$fake/net/ipv4/neigh/default/gc_thresh3"
echo 4096 >"$fake/kernel/pid_max"
echo 500 >"$fake/kernel/threads-max"
echo 800 >"$fake/user/max_net_namespaces"
export ASPEN_TEST_PROCSYS=$fake
# 1000 netns nodes, 1000 commands, one network: 1000*999 + 2000 neighbours.
rc=0; "$ASPEN" doctor "$WORK/ok.yaml" >"$WORK/out" 2>&1 || rc=$?
cat "$WORK/out"
[ $rc = 1 ] || fail "doctor exited $rc, want 1 (limits short)"
row() { grep -E "^$1 +$2 +$3 +$4\$" "$WORK/out" >/dev/null || fail "no row: $*"; }
row ok "bridge ports \\(network lan\\)" 1023 1000
row short "net.ipv4.neigh.default.gc_thresh3" 1024 1001000
row warn "net.ipv4.neigh.default.gc_thresh2" 512 1001000
row ok "kernel.pid_max" 4096 1000
row short "kernel.threads-max" 500 1000
row short "user.max_net_namespaces" 800 1001
row ok "/dev/kvm" "(yes|no)" no
row ok "nf_tables \\(partition, loss\\)" yes yes
out_has "fix: sysctl -w net.ipv4.neigh.default.gc_thresh3=2502656"
out_has "fix: sysctl -w kernel.threads-max=2000"

step "doctor --json"
rc=0; "$ASPEN" doctor --json "$WORK/ok.yaml" >"$WORK/json" 2>"$WORK/err" || rc=$?
[ $rc = 1 ] || fail "doctor --json exited $rc"
jq -e '.topology == "big" and .ok == false' "$WORK/json" >/dev/null || fail "json header"
jq -e '.limits[] | select(.limit == "net.ipv4.neigh.default.gc_thresh3")
	| .status == "short" and .have == 1024 and .need == 1001000' "$WORK/json" >/dev/null ||
	fail "json neighbour row: $(cat "$WORK/json")"

step "doctor passes when every limit fits"
echo 2000000 >"$fake/net/ipv4/neigh/default/gc_thresh2"
echo 4000000 >"$fake/net/ipv4/neigh/default/gc_thresh3"
echo 100000 >"$fake/kernel/threads-max"
echo 100000 >"$fake/user/max_net_namespaces"
aspen_ok doctor "$WORK/ok.yaml" >/dev/null
grep -q '^short' "$WORK/out" && fail "a row is short"
out_has "up to 1001000 neighbour entries"

step "plan warns about the neighbour table"
echo 512 >"$fake/net/ipv4/neigh/default/gc_thresh2"
echo 1024 >"$fake/net/ipv4/neigh/default/gc_thresh3"
"$ASPEN" plan "$WORK/ok.yaml" >/dev/null 2>"$WORK/out" || { cat "$WORK/out"; fail "plan failed"; }
out_has "aspen plan: warning: the nodes may need 1001000 neighbour (ARP) entries, more than net.ipv4.neigh.default.gc_thresh3 = 1024"

step "apply --timings: stages and per-kind action time"
sh "$REPO/bench/gen-topology.sh" 3 | sed -e 's/^name: bench3$/name: tim/' -e '/^  command:/d' \
	-e '/^faults:/,$d' >"$WORK/tim.yaml"
aspen_ok apply --no-wait --no-schedule --timings "$WORK/tim.yaml" >/dev/null
out_has "^Timings:"
for stage in compile "observe (journal + probe)" plan preflight execute "health wait"; do
	grep -q "^  $stage  *[0-9.]* ms\$" "$WORK/out" || fail "no stage line: $stage"
done
grep -q "^    netns  *3 x  *[0-9.]* ms = " "$WORK/out" || fail "no netns line"
grep -q "^    veth  *3 x  *[0-9.]* ms = " "$WORK/out" || fail "no veth line"
grep -q "^    addr  *4 x " "$WORK/out" || fail "no addr line (3 nodes + gateway)"
aspen_ok apply --no-wait --no-schedule --timings --json "$WORK/tim.yaml" >/dev/null
grep '"timings"' "$WORK/out" | jq -e '.execute_us >= 0 and .observe_us >= 0' >/dev/null ||
	fail "no JSON timings event: $(cat "$WORK/out")"
aspen_ok destroy tim >/dev/null
assert_clean tim
echo ok

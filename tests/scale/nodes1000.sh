# nodes1000.sh — `make test-scale`: 1000 namespace nodes applied and
# destroyed with nothing left. Not in `make test` (minutes under load).
# One network of 1000 nodes (a bridge holds 1023 ports), no node commands,
# no traffic: nothing fills the host's neighbour table.
. "$ASPEN_TESTS/e2e/lib.sh"
N=1000
sh "$REPO/bench/gen-topology.sh" $N | sed -e '/^  command:/d' -e '/^faults:/,$d' >"$WORK/t.yaml"

step "apply $N nodes"
aspen_ok apply --no-wait --no-schedule --timings "$WORK/t.yaml" | tail -12
[ "$(ip netns list | grep -c "^aspen-bench$N-")" = $N ] || fail "not $N namespaces"
br=$(ip -o link show type bridge | awk -F': ' '{ print $2 }' | cut -d@ -f1)
[ "$(echo "$br" | wc -l)" = 1 ] || fail "bridges: $br"
[ "$(ip -o link show master "$br" | wc -l)" = $N ] || fail "not $N ports on $br"
ip -o -4 addr show dev "$br" | grep -q "10.0.0.1/16" || fail "gateway missing on $br"
ip netns exec aspen-bench$N-node$N ip -o -4 addr show | grep -q "10.0.3.233/16" ||
	fail "address of node$N"

step "no-op re-apply, status"
aspen_ok apply --no-wait --no-schedule "$WORK/t.yaml" >/dev/null
out_has "No changes"
aspen_ok status bench$N >/dev/null

step "destroy leaves nothing"
aspen_ok destroy bench$N | tail -2
assert_clean bench$N
[ -z "$(ip -o link show type bridge)" ] || fail "bridge left"
[ "$(ip -o link show | wc -l)" = 1 ] || fail "links left: $(ip -o link show | head -3)"
echo ok

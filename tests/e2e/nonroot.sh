# Without root, apply and destroy say so clearly and change nothing.
. "$ASPEN_TESTS/e2e/lib.sh"
command -v setpriv >/dev/null || { echo "setpriv missing (util-linux)"; exit 77; }
run_as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$ASPEN" "$@"; }
if run_as_nobody apply "$TOPO/cluster3-netns.yaml" >"$WORK/out" 2>&1; then fail "apply as nobody succeeded"; fi
cat "$WORK/out"
out_has "needs root"
[ -z "$(ip netns list)" ] || fail "something was created"
run_as_nobody validate "$TOPO/cluster3-netns.yaml" >"$WORK/out" 2>&1 || fail "validate must work without root"
echo ok

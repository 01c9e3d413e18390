# Without root, apply and destroy say so clearly and change nothing; validate
# and plan work as any user.
. "$ASPEN_TESTS/e2e/lib.sh"
command -v setpriv >/dev/null || { echo "setpriv missing (util-linux)"; exit 77; }
# The checkout may sit where nobody cannot read (/root): give the unprivileged
# user its own copy of the binary and the file.
pub=$(mktemp -d /tmp/aspen-nonroot.XXXXXX)
trap 'rm -rf "$pub" "$WORK"' EXIT
cp "$ASPEN" "$pub/aspen"
cp "$TOPO/cluster3-netns.yaml" "$pub/c.yaml"
chmod 0755 "$pub" && chmod 0644 "$pub/c.yaml"
run_as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$pub/aspen" "$@"; }
if run_as_nobody apply "$pub/c.yaml" >"$WORK/out" 2>&1; then fail "apply as nobody succeeded"; fi
cat "$WORK/out"
out_has "needs root"
if run_as_nobody destroy cluster3n >"$WORK/out" 2>&1; then fail "destroy as nobody succeeded"; fi
out_has "needs root"
[ -z "$(ip netns list)" ] || fail "something was created"
run_as_nobody validate "$pub/c.yaml" >"$WORK/out" 2>&1 || fail "validate must work without root"
run_as_nobody plan "$pub/c.yaml" >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "plan must work without root"; }
out_has "not root: planning against an empty system"
echo ok

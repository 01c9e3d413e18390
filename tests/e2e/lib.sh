# lib.sh — helpers for aspen's end-to-end tests. Sourced by tests/e2e/*.sh,
# which tests/run-tests.sh runs inside tests/sandbox.sh (private network,
# mount and pid namespaces; /run is a tmpfs). They check aspen's work with
# independent tools: ip, ping, ps and the filesystem.
set -eu
: "${ASPEN:?}" "${ASPEN_TESTS:?}"
[ "${ASPEN_SANDBOX:-}" = 1 ] || { echo "refusing to run outside tests/sandbox.sh"; exit 1; }
REPO=$(cd "$ASPEN_TESTS/.." && pwd)
TOPO=$REPO/topologies
export NO_COLOR=1
WORK=$(mktemp -d /tmp/aspen-e2e.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# A failed `aspen run` keeps its files in $TMPDIR: in WORK, removed with it.
mkdir "$WORK/tmp"
export TMPDIR="$WORK/tmp"

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "--- $*"; }

# aspen_ok ARGS...: run aspen, which must succeed; output in $WORK/out
aspen_ok() {
	rc=0; "$ASPEN" "$@" >"$WORK/out" 2>&1 || rc=$?
	[ $rc = 0 ] || { cat "$WORK/out"; fail "aspen $* exited $rc"; }
	cat "$WORK/out"
}
# aspen_q ARGS...: aspen_ok, its output kept in $WORK/out but not shown.
aspen_q() {
	rc=0; "$ASPEN" "$@" >"$WORK/out" 2>&1 || rc=$?
	[ $rc = 0 ] || { cat "$WORK/out"; fail "aspen $* exited $rc"; }
}
# aspen_fails ARGS...: run aspen, which must fail; output in $WORK/out
aspen_fails() {
	if "$ASPEN" "$@" >"$WORK/out" 2>&1; then cat "$WORK/out"; fail "aspen $* succeeded"; fi
	cat "$WORK/out"
}
out_has() { grep -q -- "$1" "$WORK/out" || fail "output lacks '$1'"; }

# ns_ping NODE_NS IP: one ping from inside a namespace must be answered.
ns_ping() { ip netns exec "$1" ping -c1 -W1 -q "$2" >/dev/null 2>&1; }

# assert_clean NAME: nothing of topology NAME is left on this (sandboxed) host.
assert_clean() {
	left=$(ip netns list 2>/dev/null | grep "aspen-$1-" || true)
	[ -z "$left" ] || fail "namespaces left: $left"
	left=$(ip -o link show 2>/dev/null | grep "alias aspen:$1:" || true)
	[ -z "$left" ] || fail "links left: $left"
	[ ! -e "$ASPEN_STATE_DIR/$1" ] || fail "state dir left: $(ls -la "$ASPEN_STATE_DIR/$1")"
	[ ! -e "/run/aspen/$1" ] || fail "runtime dir left: $(ls -la "/run/aspen/$1")"
	left=$(ls /run/aspen/netns 2>/dev/null | grep "aspen-$1-" || true)
	[ -z "$left" ] || fail "namespace markers left: $left"
	left=$(ps -eo pid=,args= | grep -v grep | grep 'sleep infinity' || true)
	[ -z "$left" ] || fail "processes left: $left"
}

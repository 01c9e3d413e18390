#!/bin/sh
# lazy_curl.sh — aspen does not link libcurl (~14 ms of library loading at
# every start); it loads it at the first VM (runtime/curl.h). Commands on
# namespace topologies work with no libcurl at all; a VM topology without
# it is a preflight problem naming the library and the package.
set -u
: "${ASPEN:?}"
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/aspen-lazycurl.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v readelf >/dev/null || { echo "readelf not installed (binutils)"; exit 77; }
export ASPEN_STATE_DIR=$tmp/state NO_COLOR=1

readelf -d "$ASPEN" >"$tmp/dyn" || fail "readelf -d $ASPEN"
grep -q NEEDED "$tmp/dyn" || fail "readelf shows no NEEDED entries: not a dynamic binary?"
if grep NEEDED "$tmp/dyn" | grep -q curl; then fail "aspen is linked against libcurl"; fi

# No gateway: plan's verdict cannot depend on this machine's own routes.
printf 'apiVersion: aspen/v1\nname: lazy\nnetworks:\n  lan: {subnet: 10.100.0.0/24}\nnodes:\n  n1: {kind: netns, interfaces: [{network: lan, ip: 10.100.0.2}]}\n' >"$tmp/ns.yaml"
export ASPEN_LIBCURL=/nonexistent/libcurl.so.4
"$ASPEN" validate "$root/topologies/cluster3-netns.yaml" >"$tmp/out" 2>&1 ||
	{ cat "$tmp/out"; fail "validate needs libcurl"; }
"$ASPEN" plan "$tmp/ns.yaml" >"$tmp/out" 2>&1 ||
	{ cat "$tmp/out"; fail "plan of namespace nodes needs libcurl"; }

"$ASPEN" plan "$root/topologies/cluster3.yaml" >"$tmp/out" 2>&1 && fail "plan of VMs without libcurl passed"
grep -q "node1, node2, node3: libcurl is needed to talk to Cloud Hypervisor, and /nonexistent/libcurl.so.4 could not be loaded: .*cannot open shared object file.* (install the Debian package libcurl4)" "$tmp/out" ||
	{ cat "$tmp/out"; fail "no libcurl problem in the preflight"; }
unset ASPEN_LIBCURL
"$ASPEN" plan "$root/topologies/cluster3.yaml" >"$tmp/out" 2>&1
if grep -q libcurl "$tmp/out"; then cat "$tmp/out"; fail "libcurl reported missing though it is installed"; fi
echo ok

#!/bin/sh
# lazy_libs.sh — aspen links neither libcurl (~14 ms of library loading at
# every start), libmicrohttpd (GnuTLS and eight more libraries, ~10 ms) nor
# libnftables (~2 ms): runtime/curl.h, api/mhd.h and runtime/nftlib.h load
# them at first use (runtime/dl.c). Commands that boot no VM, serve no API
# and touch no nf_tables work with none of them present; a VM topology
# without libcurl is a preflight problem naming the library and the package.
set -u
: "${ASPEN:?}"
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/aspen-lazylibs.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v readelf >/dev/null || { echo "readelf not installed (binutils)"; exit 77; }
export ASPEN_STATE_DIR=$tmp/state NO_COLOR=1

readelf -d "$ASPEN" >"$tmp/dyn" || fail "readelf -d $ASPEN"
grep -q NEEDED "$tmp/dyn" || fail "readelf shows no NEEDED entries: not a dynamic binary?"
for lib in curl microhttpd nftables gnutls; do
	if grep NEEDED "$tmp/dyn" | grep -q "$lib"; then fail "aspen is linked against lib$lib"; fi
done

# No gateway: plan's verdict cannot depend on this machine's own routes.
printf 'apiVersion: aspen/v1\nname: lazy\nnetworks:\n  lan: {subnet: 10.100.0.0/24}\nnodes:\n  n1: {kind: netns, interfaces: [{network: lan, ip: 10.100.0.2}]}\n' >"$tmp/ns.yaml"
export ASPEN_LIBCURL=/nonexistent/libcurl.so.4 ASPEN_LIBMICROHTTPD=/nonexistent/libmicrohttpd.so.12 \
	ASPEN_LIBNFTABLES=/nonexistent/libnftables.so.1
"$ASPEN" --version >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "--version needs the libraries"; }
"$ASPEN" validate "$root/topologies/cluster3-netns.yaml" >"$tmp/out" 2>&1 ||
	{ cat "$tmp/out"; fail "validate needs the libraries"; }
"$ASPEN" plan "$tmp/ns.yaml" >"$tmp/out" 2>&1 ||
	{ cat "$tmp/out"; fail "plan of namespace nodes needs the libraries"; }
"$ASPEN" plan --json "$tmp/ns.yaml" >"$tmp/out" 2>&1 ||
	{ cat "$tmp/out"; fail "plan --json needs the libraries"; }

"$ASPEN" plan "$root/topologies/cluster3.yaml" >"$tmp/out" 2>&1 && fail "plan of VMs without libcurl passed"
grep -q "node1, node2, node3: libcurl is needed to talk to Cloud Hypervisor, and /nonexistent/libcurl.so.4 could not be loaded: .*cannot open shared object file.* (install the Debian package libcurl4)" "$tmp/out" ||
	{ cat "$tmp/out"; fail "no libcurl problem in the preflight"; }
unset ASPEN_LIBCURL
"$ASPEN" plan "$root/topologies/cluster3.yaml" >"$tmp/out" 2>&1
if grep -q libcurl "$tmp/out"; then cat "$tmp/out"; fail "libcurl reported missing though it is installed"; fi
echo ok

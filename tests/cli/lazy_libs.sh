#!/bin/sh
# lazy_libs.sh — aspen links neither libmicrohttpd (GnuTLS and eight more
# libraries, ~10 ms at every start) nor libnftables (~2 ms): api/mhd.h and
# runtime/nftlib.h load them at first use. Commands that serve no API and
# touch no nf_tables work with neither library present. (libcurl: see
# lazy_curl.sh.)
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
for lib in microhttpd nftables gnutls; do
	if grep NEEDED "$tmp/dyn" | grep -q "$lib"; then fail "aspen is linked against lib$lib"; fi
done

printf 'apiVersion: aspen/v1\nname: lazy\nnetworks:\n  lan: {subnet: 10.100.0.0/24}\nnodes:\n  n1: {kind: netns, interfaces: [{network: lan, ip: 10.100.0.2}]}\n' >"$tmp/ns.yaml"
export ASPEN_LIBMICROHTTPD=/nonexistent/libmicrohttpd.so.12 ASPEN_LIBNFTABLES=/nonexistent/libnftables.so.1
"$ASPEN" --version >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "--version needs the libraries"; }
"$ASPEN" validate "$root/topologies/cluster3-netns.yaml" >"$tmp/out" 2>&1 ||
	{ cat "$tmp/out"; fail "validate needs the libraries"; }
"$ASPEN" plan "$tmp/ns.yaml" >"$tmp/out" 2>&1 ||
	{ cat "$tmp/out"; fail "plan of namespace nodes needs the libraries"; }
"$ASPEN" plan --json "$tmp/ns.yaml" >"$tmp/out" 2>&1 ||
	{ cat "$tmp/out"; fail "plan --json needs the libraries"; }
echo ok

#!/bin/sh
# install.sh — what a packager does: a pkg-config-free build (PKG_CONFIG=,
# the Makefile's fallback flags) honouring CFLAGS/CPPFLAGS/LDFLAGS/LDLIBS,
# `make install` into a DESTDIR with a PREFIX (binary, man page, bash
# completion, JSON schema), a man page that renders without warnings, and
# `make uninstall` leaving nothing of aspen's behind. No root; builds into
# a temporary directory, never into the checkout's build/.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/aspen-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v make >/dev/null || { echo "make not installed"; exit 77; }

# A clean make: nothing of an outer `make test` (SAN=1, -j, overrides) leaks in.
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SAN make --no-print-directory -C "$root" \
	PKG_CONFIG= B="$tmp/b" ASPEN="$tmp/b/aspen" "$@"; }

# Flags reach every compile and link (dry run: the commands, not their effect).
mk -n V=1 CFLAGS="-O1 -DASPEN_PROBE_CFLAGS" CPPFLAGS=-DASPEN_PROBE_CPPFLAGS \
	LDFLAGS=-Wl,--as-needed LDLIBS=-lm "$tmp/b/aspen" >"$tmp/dry" 2>&1 || { cat "$tmp/dry"; fail "make -n"; }
grep -- ' -c ' "$tmp/dry" | grep -v -- '-DASPEN_PROBE_CFLAGS' | head -n 1 | grep -q . &&
	fail "a compile without CFLAGS: $(grep -- ' -c ' "$tmp/dry" | grep -v -- -DASPEN_PROBE_CFLAGS | head -n 1)"
grep -- ' -c ' "$tmp/dry" | grep -qv -- '-DASPEN_PROBE_CPPFLAGS' && fail "a compile without CPPFLAGS"
grep -q -- ' -c ' "$tmp/dry" || fail "no compile command in make -n"
link=$(grep -- "-o $tmp/b/aspen " "$tmp/dry")
[ -n "$link" ] || { cat "$tmp/dry"; fail "no link command"; }
for f in -Wl,--as-needed -lm -lyaml -lcjson -lnl-route-3 -lpthread; do
	printf '%s\n' "$link" | grep -q -- " $f" || fail "link lacks $f: $link"
done

# The real pkg-config-free build.
mk CFLAGS="-O1 -g0" >"$tmp/build" 2>&1 || { tail -n 30 "$tmp/build"; fail "make PKG_CONFIG= failed"; }
"$tmp/b/aspen" --version | grep -q '^aspen ' || fail "the built aspen does not run"

# Install into a DESTDIR, under a PREFIX.
D=$tmp/root P=/opt/aspen
mk install DESTDIR="$D" PREFIX="$P" >"$tmp/inst" 2>&1 || { cat "$tmp/inst"; fail "make install"; }
for f in bin/aspen share/man/man1/aspen.1 share/bash-completion/completions/aspen \
	share/aspen/aspen-v1.schema.json share/aspen/aspen-api-v1.openapi.yaml; do
	[ -f "$D$P/$f" ] || fail "make install did not install $P/$f"
done
[ -x "$D$P/bin/aspen" ] || fail "bin/aspen is not executable"
"$D$P/bin/aspen" validate -q "$root/topologies/cluster3-netns.yaml" || fail "the installed aspen"
cmp -s "$D$P/share/aspen/aspen-v1.schema.json" "$root/schemas/aspen-v1.schema.json" || fail "schema"
[ "$(find "$D" -type f | wc -l)" = 5 ] || fail "unexpected files: $(find "$D" -type f)"
# Nothing outside DESTDIR: the build dir is the only other thing written.
[ -e "$P" ] && fail "install wrote outside DESTDIR ($P exists)"

# The man page renders without a warning, and says what it must.
page=$D$P/share/man/man1/aspen.1
if command -v groff >/dev/null; then
	w=$(groff -man -z -wall "$page" 2>&1)
	[ -z "$w" ] || fail "groff warns: $w"
	groff -man -Tutf8 -rLL=80n -P-cbou "$page" >"$tmp/man.txt" 2>/dev/null || fail "groff render"
else
	echo "skipped: man page rendering: groff not installed (make deps installs groff-base)"
fi
if command -v man >/dev/null; then
	# Without a locale (the ASCII device) and with a UTF-8 one: no warning
	# under either, and each shows the matrix marks it can print.
	for loc in "" C.UTF-8; do
		w=$(env -u LANGUAGE LANG=$loc LC_ALL=$loc MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
		[ -z "$w" ] || fail "man --warnings under LANG='$loc': $w"
	done
	env LANG= LC_ALL= MANWIDTH=200 man -l "$page" 2>/dev/null | grep -q 'destinations; ok / --' ||
		fail "man without a locale: no ASCII matrix marks"
	env LANG=C.UTF-8 LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$page" 2>/dev/null | grep -q 'destinations; ✓ / ✗' ||
		fail "man under C.UTF-8: no check mark and cross"
else
	echo "skipped: man page under man: man not installed (make deps installs man-db)"
fi
if [ -s "$tmp/man.txt" ]; then
	# Every command, in the page.
	for c in $("$tmp/b/aspen" --help | awk '/^Commands:/ {on=1; next} on && /^  [a-z]/ {print $1}'); do
		grep -q "^   $c" "$tmp/man.txt" || fail "man page has no section for command $c"
	done
	for s in "EXIT STATUS" ENVIRONMENT FILES EXAMPLES ASPEN_STATE_DIR NO_COLOR \
		ASPEN_CLUSTER_JSON ASPEN_API api.sock "--detailed-exitcode" "--keep"; do
		grep -q -- "$s" "$tmp/man.txt" || fail "man page lacks $s"
	done
fi

# The installed completion loads in bash.
if command -v bash >/dev/null; then
	bash -c ". '$D$P/share/bash-completion/completions/aspen' && complete -p aspen" >/dev/null 2>&1 ||
		fail "the installed completion does not load"
fi

# Uninstall leaves nothing of aspen's (the generic directories may stay).
mk uninstall DESTDIR="$D" PREFIX="$P" >"$tmp/uninst" 2>&1 || { cat "$tmp/uninst"; fail "make uninstall"; }
left=$(find "$D" -type f)
[ -z "$left" ] || fail "uninstall left: $left"
[ -e "$D$P/share/aspen" ] && fail "uninstall left share/aspen"
mk uninstall DESTDIR="$D" PREFIX="$P" >/dev/null 2>&1 || fail "a second uninstall fails"
echo ok

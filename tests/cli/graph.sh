#!/bin/sh
# graph.sh — `aspen graph`: Mermaid and DOT output against golden files
# (tests/golden/graph-*.{mmd,dot}, from tests/golden/graph-*.yaml), DOT that
# Graphviz parses, SVG through `dot -Tsvg`, the error without Graphviz, -o
# and its extension, and usage errors. No root.
#
# After an intended change of the drawing: UPDATE_GOLDEN=1 sh tests/cli/graph.sh
# rewrites the golden files; review the diff before committing it.
set -u
: "${ASPEN:?}"
root=$(cd "$(dirname "$0")/../.." && pwd)
G=$root/tests/golden
tmp=$(mktemp -d /tmp/aspen-graph.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# golden FORMAT EXT INPUT: aspen's output must equal the golden file.
golden() {
	want=$G/$(basename "$3" .yaml).$2
	"$ASPEN" graph --format "$1" "$3" >"$tmp/got" 2>"$tmp/err" || { cat "$tmp/err"; fail "graph $1 $3"; }
	[ -s "$tmp/err" ] && { cat "$tmp/err"; fail "graph $1 $3 wrote to stderr"; }
	if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
		cp "$tmp/got" "$want"
		echo "updated $want"
	fi
	diff -u "$want" "$tmp/got" || fail "$1 output of $3 differs from $want"
}

for f in "$G"/graph-*.yaml; do
	golden mermaid mmd "$f"
	golden dot dot "$f"
done

# The goldens are not empty shells: they hold what the issue asks for.
M=$G/graph-mixed.mmd D=$G/graph-mixed.dot
grep -q '^flowchart TB$' "$M" || fail "mermaid header"
grep -q 'n1\["app<br/>netns"\]' "$M" || fail "mermaid node with kind"
[ "$(grep -c '10.121.0.3' "$M")" = 1 ] || fail "mermaid: an address labelled more than once"
grep -q 'gateway 10.120.0.1<br/>mtu 9000' "$M" || fail "mermaid network"
grep -q 'n1 ---|"eth1 10.121.0.3"| w1' "$M" || fail "mermaid edge label"
grep -q 'subgraph faults' "$M" || fail "mermaid fault strip"
grep -q 'web-1 -#gt; app.eth0' "$M" || fail "mermaid escapes >"
grep -q '"net:front" \[.*label="front\\nbridge as-[0-9a-f]*-front\\n10.120.0.0/24' "$D" || fail "dot network"
grep -q '"node:db" \[shape=box3d' "$D" || fail "dot vm node"
grep -q '"node:app" -- "net:back" \[label="eth1 10.121.0.3"\]' "$D" || fail "dot edge"
[ "$(grep -c '10.121.0.3' "$D")" = 1 ] || fail "dot: an address labelled more than once"
grep -q '"ticklabel:0" .*label="0"' "$D" || fail "dot time axis"
grep -q '"fault:1" -- "node:web-1" \[style=dashed' "$D" || fail "dot: fault not tied to its node"
grep -q 'subgraph faults' "$G/graph-minimal.mmd" && fail "no faults, no strip"

# Every example topology draws, in both notations.
for f in "$root"/topologies/*.yaml; do
	"$ASPEN" graph -f mermaid "$f" >/dev/null || fail "mermaid $f"
	"$ASPEN" graph "$f" >"$tmp/$(basename "$f" .yaml).dot" || fail "dot $f"
done

# ring5 is drawn as a ring: its nodes and links on one circle, in ring
# order (clockwise from the top: n1 l12 n2 l23 n3 l34 n4 l45 n5 l51); and
# its schedule on a time axis: the two faults at +12s side by side.
"$ASPEN" graph "$root/topologies/ring5.yaml" >"$tmp/ring5.dot" || fail "dot ring5"
awk -v pi=3.14159265358979 '
	function pos(id,   l) { l = line[id]; if (l == "") { print "no " id; bad = 1; return }
		sub(/.*pos="/, "", l); split(l, p, /[,!]/); X = p[1]; Y = p[2] }
	/^\t"[a-z0-9:]+" \[/ { id = $1; gsub(/"/, "", id); line[id] = $0 }
	END {
		n = split("node:n1 net:l12 node:n2 net:l23 node:n3 net:l34 node:n4 net:l45 node:n5 net:l51", ring, " ")
		for (i = 1; i <= n; i++) {
			pos(ring[i]); r = sqrt(X * X + Y * Y); a = atan2(Y, X)
			if (i == 1) { r0 = r; a0 = a }
			if (r - r0 > 0.01 || r0 - r > 0.01) { print ring[i] " off the circle: r=" r " not " r0; bad = 1 }
			d = a0 - a; while (d < -1e-9) d += 2 * pi
			want = 2 * pi * (i - 1) / n
			if (d - want > 0.01 || want - d > 0.01) { print ring[i] " out of ring order: " d " not " want; bad = 1 }
		}
		pos("tick:0"); t0 = X; ty = Y; pos("tick:5"); t5 = X
		if (line["ticklabel:5"] !~ /label="25s"/) { print "tick 5 is not 25s"; bad = 1 }
		pos("fault:5"); x5 = X; y5 = Y; pos("fault:6"); x6 = X; y6 = Y
		want = t0 + (t5 - t0) * 13.5 / 25   # 12s..15s: the centre at 13.5s
		if (x5 - want > 0.002 || want - x5 > 0.002) { print "fault 5 not at 12s-15s: " x5 " not " want; bad = 1 }
		if (x5 != x6 || y5 == y6) { print "concurrent faults not side by side"; bad = 1 }
		if (y5 >= ty) { print "fault bars not below the axis"; bad = 1 }
		exit bad
	}' "$tmp/ring5.dot" || fail "ring5 is not drawn as a ring with a timeline"

# -o writes the file; its extension picks the format unless --format does.
"$ASPEN" graph -o "$tmp/x.mmd" "$G/graph-mixed.yaml" || fail "-o x.mmd"
cmp -s "$tmp/x.mmd" "$M" || fail "-o x.mmd is not the mermaid output"
"$ASPEN" graph -o "$tmp/x.gv" "$G/graph-mixed.yaml" || fail "-o x.gv"
cmp -s "$tmp/x.gv" "$D" || fail "-o x.gv is not the dot output"
"$ASPEN" graph --format dot -o "$tmp/y.mmd" "$G/graph-mixed.yaml" || fail "--format wins"
cmp -s "$tmp/y.mmd" "$D" || fail "--format dot -o y.mmd is not dot"

# Errors: usage 64, invalid topology 1 (and no output file left behind).
"$ASPEN" graph --format png "$G/graph-mixed.yaml" >/dev/null 2>&1; [ $? = 64 ] || fail "bad format: 64"
"$ASPEN" graph >/dev/null 2>&1; [ $? = 64 ] || fail "no file: 64"
printf 'apiVersion: aspen/v1\nname: x\n' >"$tmp/bad.yaml"
"$ASPEN" graph -o "$tmp/bad.dot" "$tmp/bad.yaml" >/dev/null 2>&1; [ $? = 1 ] || fail "invalid file: 1"
[ -e "$tmp/bad.dot" ] && fail "invalid file left an output file"

# SVG without Graphviz: a clear error, exit 1, no file.
mkdir "$tmp/nobin"
PATH=$tmp/nobin "$ASPEN" graph --format svg -o "$tmp/none.svg" "$G/graph-mixed.yaml" 2>"$tmp/err"
[ $? = 1 ] || fail "svg without dot: exit 1"
grep -q "install it (apt-get install graphviz), or use --format dot" "$tmp/err" || fail "svg without dot: message"
[ -e "$tmp/none.svg" ] && fail "svg without dot left a file"

if ! command -v dot >/dev/null 2>&1; then
	echo "skipped: DOT parse and SVG checks: graphviz not installed (make deps installs it)"
	exit 0
fi
for f in "$tmp"/*.dot "$D" "$G/graph-minimal.dot"; do
	dot -Tsvg "$f" >"$tmp/out.svg" 2>"$tmp/err" || { cat "$tmp/err"; fail "dot cannot parse $f"; }
	[ -s "$tmp/err" ] && { cat "$tmp/err"; fail "dot warns on $f"; }
done
"$ASPEN" graph --format svg "$G/graph-mixed.yaml" >"$tmp/s.svg" || fail "svg to stdout"
grep -q '<svg' "$tmp/s.svg" || fail "svg output is not SVG"
grep -q 'gateway 10.120.0.1' "$tmp/s.svg" || fail "svg lacks the network label"
"$ASPEN" graph -o "$tmp/t.svg" "$G/graph-mixed.yaml" || fail "-o t.svg"
cmp -s "$tmp/s.svg" "$tmp/t.svg" || fail "-o t.svg differs from --format svg"
echo ok

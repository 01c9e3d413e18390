#!/bin/sh
# output.sh — output conventions of the commands that need no root:
# colour only on a terminal and never with NO_COLOR (or --no-color, or
# TERM=dumb); -q/-v/--no-color accepted before and after the command;
# --json output is JSON. The terminal is a pty from script(1).
set -u
: "${ASPEN:?}"
root=$(cd "$(dirname "$0")/../.." && pwd)
T=$root/topologies/cluster3-netns.yaml
tmp=$(mktemp -d /tmp/aspen-output.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v script >/dev/null || { echo "script(1) not installed (bsdutils)"; exit 77; }
export ASPEN_STATE_DIR=$tmp/state
unset NO_COLOR
export TERM=xterm

printf 'apiVersion: aspen/v1\nname: bad\nnodes:\n  n1: {kind: netns, cpus: 2}\n' >"$tmp/bad.yaml"
ESC=$(printf '\033')

# on_tty FILE CMD...: run CMD with a pty as stdout and stderr, output to FILE.
on_tty() {
	out=$1; shift
	# script(1) takes one command string: quote each word for sh.
	cmd=
	for w in "$@"; do cmd="$cmd '$(printf '%s' "$w" | sed "s/'/'\\\\''/g")'"; done
	script -qec "$cmd" /dev/null >"$out" 2>&1 </dev/null || true
}
# Any escape sequence: these commands print no cursor control either.
has_esc() { grep -q "$ESC" "$1"; }

# Colour on a terminal ...
on_tty "$tmp/o" "$ASPEN" plan "$T"
has_esc "$tmp/o" || fail "plan on a tty has no colour"
on_tty "$tmp/o" "$ASPEN" validate "$tmp/bad.yaml"
has_esc "$tmp/o" || fail "validate errors on a tty have no colour"
# ... never when asked not to ...
for how in "env NO_COLOR=1" "env TERM=dumb"; do
	# shellcheck disable=SC2086
	on_tty "$tmp/o" $how "$ASPEN" plan "$T"
	has_esc "$tmp/o" && fail "plan colours with $how"
	# shellcheck disable=SC2086
	on_tty "$tmp/o" $how "$ASPEN" validate "$tmp/bad.yaml"
	has_esc "$tmp/o" && fail "validate colours with $how"
done
on_tty "$tmp/o" "$ASPEN" --no-color plan "$T"
has_esc "$tmp/o" && fail "plan colours with aspen --no-color"
on_tty "$tmp/o" "$ASPEN" plan --no-color "$T"
has_esc "$tmp/o" && fail "plan colours with plan --no-color"
# NO_COLOR set but empty does not count (no-color.org).
on_tty "$tmp/o" env NO_COLOR= "$ASPEN" plan "$T"
has_esc "$tmp/o" || fail "an empty NO_COLOR turned colour off"
# ... and never into a pipe or a file.
"$ASPEN" plan "$T" >"$tmp/o" 2>&1
has_esc "$tmp/o" && fail "plan colours into a file"
"$ASPEN" validate "$tmp/bad.yaml" >"$tmp/o" 2>&1
has_esc "$tmp/o" && fail "validate colours into a file"
# Machine formats never colour, even on a terminal.
for args in "plan --json $T" "validate --format json $tmp/bad.yaml" \
	"validate --format github $tmp/bad.yaml" "graph $T" "graph -f mermaid $T" "status --json"; do
	# shellcheck disable=SC2086
	on_tty "$tmp/o" "$ASPEN" $args
	has_esc "$tmp/o" && fail "aspen $args colours on a tty"
done

# -q and -v, before or after the command.
[ -z "$("$ASPEN" validate -q "$T")" ] || fail "validate -q printed"
[ -z "$("$ASPEN" -q validate "$T")" ] || fail "aspen -q validate printed"
[ -z "$("$ASPEN" validate --quiet "$T")" ] || fail "validate --quiet printed"
"$ASPEN" validate "$T" | grep -q ": ok: topology cluster3n" || fail "validate without -q is silent"
"$ASPEN" plan -v "$T" >/dev/null 2>&1 || fail "plan -v"
"$ASPEN" graph --verbose --quiet "$T" >/dev/null || fail "graph --verbose --quiet"

# --json is JSON (checked by jq's parser).
"$ASPEN" plan --json "$T" >"$tmp/plan.json" 2>/dev/null || fail "plan --json"
"$ASPEN" status --json >"$tmp/status.json" || fail "status --json"
[ "$(cat "$tmp/status.json")" = '{"topologies":[]}' ] || fail "status --json: $(cat "$tmp/status.json")"
"$ASPEN" validate --format json "$tmp/bad.yaml" >"$tmp/validate.json" 2>/dev/null
command -v jq >/dev/null || fail "jq not installed (make deps installs it)"
for f in plan status validate; do
	jq -e . "$tmp/$f.json" >/dev/null || fail "$f --json is not JSON: $(head -c 300 "$tmp/$f.json")"
done
echo ok

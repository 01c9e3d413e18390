#!/bin/sh
# completion.sh — completions/aspen.bash, sourced in bash: COMPREPLY for
# commands, flags per command, option values, *.yaml files, topology names
# from the state dir, and the command after `run ... --`. No root.
set -u
: "${ASPEN:?}"
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v bash >/dev/null || { echo "bash not installed"; exit 77; }
tmp=$(mktemp -d /tmp/aspen-completion.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/cwd/sub" "$tmp/state/alpha" "$tmp/state/beta-2"
: >"$tmp/cwd/one.yaml"; : >"$tmp/cwd/two.yml"; : >"$tmp/cwd/notes.txt"

# The bash side: comp WORD... prints COMPREPLY sorted, one per line, for the
# command line WORD... with the cursor on the last word.
cat >"$tmp/drive.bash" <<'EOB'
. "$COMPLETION"
comp() {
	COMP_WORDS=("$ASPEN" "$@")
	COMP_CWORD=$#
	COMPREPLY=()
	_aspen
	printf '%s\n' "${COMPREPLY[@]}" | sort
}
EOB
fail() { echo "FAIL: $*"; exit 1; }

# expect "WORDS" "EXPECTED LINES": the completion must be exactly this.
expect() {
	got=$(cd "$tmp/cwd" && ASPEN_STATE_DIR=$tmp/state COMPLETION=$root/completions/aspen.bash \
		bash -c ". '$tmp/drive.bash'; comp $1" 2>&1)
	want=$(printf '%s\n' $2 | sort)
	[ "$got" = "$want" ] || fail "aspen $1: got [$(echo $got)], want [$(echo $want)]"
}
# has "WORDS" WORD...: the completion must include each WORD.
has() {
	words=$1; shift
	got=$(cd "$tmp/cwd" && ASPEN_STATE_DIR=$tmp/state COMPLETION=$root/completions/aspen.bash \
		bash -c ". '$tmp/drive.bash'; comp $words" 2>&1)
	for w in "$@"; do
		printf '%s\n' "$got" | grep -qx -- "$w" || fail "aspen $words: lacks $w in [$(echo $got)]"
	done
}

has "''" validate plan apply destroy status run graph doctor
expect "doctor --" "--json --help --quiet --verbose --no-color"
expect "doctor o" "one.yaml"
expect "gr" "graph"
expect "-q st" "status"
expect "--no-color v" "validate"
expect "--ver" "--verbose --version"
expect "apply --" "--json --events --matrix --no-schedule --lock-timeout --no-wait --state-dir --seed --artifacts --timings --part --help --quiet --verbose --no-color"
has "plan --" --seed
has "run --" --seed
expect "plan --seed ''" ""
expect "run --k" "--keep"
expect "graph -" "-f -o --format --output --help --quiet --verbose --no-color"
expect "graph --format ''" "dot mermaid svg"
expect "graph -f m" "mermaid"
expect "validate --format g" "github"
expect "plan ''" "one.yaml two.yml sub"
expect "apply o" "one.yaml"
expect "destroy ''" "alpha beta-2 one.yaml two.yml sub"
expect "status b" "beta-2"
expect "status --state-dir s" "sub"
expect "run --artifacts s" "sub"
has "run --" --wait-schedule --artifacts
has "destroy --" --artifacts
has "run one.yaml -- ech" echo
expect "run one.yaml -- echo no" "notes.txt"
expect "apply --lock-timeout ''" ""
echo ok

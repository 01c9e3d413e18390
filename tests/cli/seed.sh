# Seeded generators through the CLI: two `aspen plan --seed N` runs print
# the same timeline byte for byte, another seed changes it, the file's
# `seed:` is used without --seed, and without either a random seed is drawn,
# printed, and repeats the timeline when given back. `plan --json` carries
# the seed and each repetition's instance. A bad --seed is a usage error.
set -eu
: "${ASPEN:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d /tmp/aspen-seed.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/nem.yaml" <<'Y'
apiVersion: aspen/v1
name: nem
defaults: {kind: netns, command: [sleep, infinity]}
networks:
  lan: {subnet: 10.77.0.0/24}
nodes:
  n1: {interfaces: [{network: lan, ip: 10.77.0.2}]}
  n2: {interfaces: [{network: lan, ip: 10.77.0.3}]}
  n3: {interfaces: [{network: lan, ip: 10.77.0.4}]}
  n4: {interfaces: [{network: lan, ip: 10.77.0.5}]}
  n5: {interfaces: [{network: lan, ip: 10.77.0.6}]}
faults:
  - {every: 10s, from: 5s, until: 60s, for: 4s, partition: random-halves}
  - {every: 20s, until: 60s, for: 3s, partition: random-majority-ring}
  - {every: 7s, until: 60s, for: 2s, loss: {nodes: random-node, percent: 20%}}
Y
schedule() { sed -n '/^Fault schedule/,$p' "$1"; }

"$ASPEN" plan --seed 1234 "$tmp/nem.yaml" >"$tmp/a" 2>/dev/null
"$ASPEN" plan --seed 1234 "$tmp/nem.yaml" >"$tmp/b" 2>/dev/null
cmp -s "$tmp/a" "$tmp/b" || { diff "$tmp/a" "$tmp/b"; fail "same seed, different plans"; }
grep -q '^Fault schedule (offsets from convergence; seed 1234 from --seed):$' "$tmp/a" || fail "seed header"
[ "$(grep -c 'faults\[0\]#' "$tmp/a")" = 12 ] || fail "6 repetitions of faults[0], applied and reverted"
grep -q 'faults\[1\]#3  partition ring n1 drops \[' "$tmp/a" || fail "the majority ring's third repetition"

"$ASPEN" plan --seed 1235 "$tmp/nem.yaml" >"$tmp/c" 2>/dev/null
schedule "$tmp/a" | tail -n +2 >"$tmp/a.tl"
schedule "$tmp/c" | tail -n +2 >"$tmp/c.tl"
! cmp -s "$tmp/a.tl" "$tmp/c.tl" || fail "another seed gave the same timeline"

# The file's seed, when there is no --seed.
sed 's/^name: nem$/name: nem\nseed: 1234/' "$tmp/nem.yaml" >"$tmp/seeded.yaml"
"$ASPEN" plan "$tmp/seeded.yaml" >"$tmp/d" 2>/dev/null
grep -q 'seed 1234 from the file' "$tmp/d" || fail "file seed header"
schedule "$tmp/d" | tail -n +2 | cmp -s - "$tmp/a.tl" || fail "seed: 1234 and --seed 1234 differ"

# No seed at all: one is drawn, printed, and repeats the timeline.
"$ASPEN" plan "$tmp/nem.yaml" >"$tmp/e" 2>/dev/null
seed=$(sed -n 's/^Fault schedule (offsets from convergence; seed \([0-9]*\) drawn at random: --seed \1 repeats it):$/\1/p' "$tmp/e")
[ -n "$seed" ] || { cat "$tmp/e"; fail "no random seed printed"; }
"$ASPEN" plan --seed "$seed" "$tmp/nem.yaml" >"$tmp/f" 2>/dev/null
schedule "$tmp/e" | tail -n +2 >"$tmp/e.tl"
schedule "$tmp/f" | tail -n +2 | cmp -s - "$tmp/e.tl" || fail "the printed seed does not repeat the timeline"

# JSON: the seed and the repetitions, identical for one seed.
"$ASPEN" plan --json --seed 1234 "$tmp/nem.yaml" >"$tmp/j1" 2>/dev/null
"$ASPEN" plan --json --seed 1234 "$tmp/nem.yaml" >"$tmp/j2" 2>/dev/null
cmp -s "$tmp/j1" "$tmp/j2" || fail "plan --json differs for one seed"
jq -e '.seed == 1234' "$tmp/j1" >/dev/null || fail "json seed"
jq -e '[.schedule[] | select(.fault == 0 and .event == "apply") | .instance] == [1,2,3,4,5,6]' \
	"$tmp/j1" >/dev/null || fail "json instances"

# A topology without generators has no seed in its plan.
grep -v 'random\|every' "$tmp/nem.yaml" >"$tmp/plain.yaml"
"$ASPEN" plan --json "$tmp/plain.yaml" 2>/dev/null | jq -e '.seed == null' >/dev/null || fail "seed without generators"

rc=0; "$ASPEN" plan --seed -3 "$tmp/nem.yaml" >/dev/null 2>"$tmp/err" || rc=$?
[ $rc = 64 ] || fail "--seed -3 exited $rc"
grep -q -- "--seed takes a whole number" "$tmp/err" || fail "--seed message"
echo "ok"

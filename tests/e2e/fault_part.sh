# `aspen fault --part FILE|- --index N --apply|--revert`: a host's share of
# faults[N], as the controller of a multi-host topology sends it
# (docs/multihost.md). Checked here on one host (a topology whose one host
# is the controller itself, so every node is here): the JSON line (host, the schedule's key, op,
# local_ports, unix_us inside the command's run), the record journaled
# under that key exactly once however often it is applied, the cut seen
# with real packets, revert and revert again, `aspen heal NAME` reverting
# what --part applied, the errors (no such fault, a part from another
# version, usage).
. "$ASPEN_TESTS/e2e/lib.sh"
. "$ASPEN_TESTS/e2e/fault.inc"
N=fpart2
F=$WORK/fpart2.yaml
cat >"$F" <<'EOF'
apiVersion: aspen/v1
name: fpart2
hosts: {h1: local}
defaults: {kind: netns, command: [sleep, infinity], host: h1}
networks:
  lan: {subnet: 10.121.0.0/24, gateway: 10.121.0.1}
nodes:
  n1: {interfaces: [{network: lan, ip: 10.121.0.11}]}
  n2: {interfaces: [{network: lan, ip: 10.121.0.12}]}
faults:
  - {name: split, at: 1s, for: 5s, partition: [[n1], [n2]]}
  - {at: 1s, for: 5s, partition: {isolate: n2}}
EOF
IP_n1=10.121.0.11 IP_n2=10.121.0.12 IP_gw=10.121.0.1
J=$ASPEN_STATE_DIR/$N/state.json
version=$("$ASPEN" --version | awk '{print $2}')
P=$WORK/part.json
jq -n --arg v "$version" --arg f "$F" --rawfile src "$F" \
	'{aspen: $v, host: "h1", file: $f, seed: 0, source: $src}' >"$P"

# records KEY: how many journal records carry this key
records() { jq --arg k "$1" '[.faults // [] | .[] | select(.key == $k)] | length' "$J"; }
now_us() { echo $(($(date +%s%N) / 1000)); }
# part ARGS: aspen fault --part ... must succeed and print one JSON line,
# checked against host/key/op/local_ports and the run's time window.
part() {
	key=$1 op=$2 ports=$3; shift 3
	t0=$(now_us)
	aspen_ok fault "$@" >/dev/null
	t1=$(now_us)
	[ "$(wc -l <"$WORK/out")" = 1 ] || fail "not one line: $(cat "$WORK/out")"
	jq -e --arg k "$key" --arg o "$op" --argjson p "$ports" --argjson t0 "$t0" --argjson t1 "$t1" \
		'.host == "h1" and .key == $k and .op == $o and .local_ports == $p and
		 .unix_us >= $t0 and .unix_us <= $t1' "$WORK/out" >/dev/null ||
		fail "unexpected answer: $(cat "$WORK/out") (window $t0..$t1)"
}

step "apply the topology"
aspen_ok apply --no-wait --no-schedule "$F" >/dev/null
reach $N n1 n2; reach $N n2 n1

step "--apply faults[0]: journaled under its name, applied, one JSON line"
part split apply 2 --part "$P" --index 0 --apply
[ "$(records split)" = 1 ] || fail "split journaled $(records split) times"
no_reach $N n1 n2; no_reach $N n2 n1
reach $N n1 gw

step "--apply again (the part on stdin): still one record, one chain, cut"
part split apply 2 --part - --index 0 --apply --lock-timeout 5s <"$P"
[ "$(records split)" = 1 ] || fail "split journaled $(records split) times"
[ "$(nft list table bridge aspen-$N | grep -c 'jump fault-split')" = 3 ] || fail "jumps doubled"
no_reach $N n1 n2

step "--revert: reverted, out of the journal; again: nothing to do, success"
part split revert 2 --part "$P" --index 0 --revert
[ "$(records split)" = 0 ] || fail "split still journaled"
reach $N n1 n2; reach $N n2 n1
no_aspen_table
part split revert 2 --part "$P" --index 0 --revert
no_aspen_table

step "faults[1] without a name is f1; aspen heal NAME reverts it"
part f1 apply 1 --part "$P" --index 1 --apply
[ "$(records f1)" = 1 ] || fail "f1 not journaled"
no_reach $N n1 n2; no_reach $N n2 gw
aspen_ok heal $N >/dev/null
[ "$(records f1)" = 0 ] || fail "heal left f1 journaled"
reach $N n1 n2; reach $N n2 gw
no_aspen_table

step "errors: no faults[5], a part from another version, usage"
aspen_fails fault --part "$P" --index 5 --apply >/dev/null
out_has "has 2 faults: no faults\[5\]"
jq '.aspen = "0.0.0+other"' "$P" >"$WORK/old.json"
aspen_fails fault --part "$WORK/old.json" --index 0 --apply >/dev/null
out_has "install the same version on every host"
rc=0; "$ASPEN" fault --part "$P" --index 0 --apply --revert >"$WORK/out" 2>&1 || rc=$?
[ $rc = 64 ] || fail "--apply --revert exited $rc"
rc=0; "$ASPEN" fault --part "$P" --apply >"$WORK/out" 2>&1 || rc=$?
[ $rc = 64 ] || fail "no --index exited $rc"
no_aspen_table
reach $N n1 n2

step "destroy: nothing left"
aspen_ok destroy "$F" >/dev/null
assert_clean $N

# Random loss through nf_tables numgen, measured: 400 pings at 30% loss,
# egress / ingress / both, each count inside a binomial bound derived from
# the counts actually sent, and the direction right — egress loss drops
# n2's replies but none of the requests reaching it, ingress loss drops
# requests and no replies.
#
# Counting cannot mix phases: every phase pings with its own ICMP
# identifier (ping -e), and what arrives is counted by an nf_tables counter
# inside n2's namespace that matches echo requests of that identifier only
# (a warm-up probe, or a late probe of an earlier phase, has another one).
# Replies are ping's own count, which matches its identifier too. Each
# count is checked against the one stage before it:
#   arrived ~ Binomial(sent, 1 - ingress loss)
#   replies ~ Binomial(arrived, 1 - egress loss)
# and a stage without loss must be exact. Z = 4.89 is a two-sided
# 1e-6 bound (normal approximation; n >= 280, p = 0.7 here): with 4
# binomial checks a run, a correct 30% fails about one run in 250000, so
# 50 runs under load (bench/stat-check.sh) must show 0.
. "$ASPEN_TESTS/e2e/lib.sh"
. "$ASPEN_TESTS/e2e/fault.inc"
N=floss
F=$WORK/floss.yaml
cat >"$F" <<'EOF'
apiVersion: aspen/v1
name: floss
defaults: {kind: netns, command: [sleep, infinity]}
networks:
  lan: {subnet: 10.111.0.0/24, gateway: 10.111.0.1}
nodes:
  n1: {interfaces: [{network: lan, ip: 10.111.0.11}]}
  n2: {interfaces: [{network: lan, ip: 10.111.0.12}]}
faults:
  - {at: 1s, for: 5s, loss: {nodes: [n2], percent: 30%, direction: egress}}
  - {at: 7s, for: 5s, loss: {nodes: [n2], percent: 30%, direction: ingress}}
  - {at: 13s, for: 5s, loss: {nodes: [n2], percent: 30%}}
  - {at: 19s, for: 5s, loss: {nodes: [n2.eth0], percent: 100%}}
EOF
COUNT=400
Z=4.89
NS2=aspen-$N-n2
PHASE=1000      # the ICMP identifier of the current phase

aspen_ok apply --no-wait --no-schedule "$F" >/dev/null
# The arrival counters live in n2's own namespace, apart from aspen's table.
ip netns exec $NS2 nft add table inet probe-count
ip netns exec $NS2 nft add chain inet probe-count in '{ type filter hook input priority 0; }'

# probe: n1 pings n2 COUNT times with a fresh identifier; sets $sent,
# $arrived (requests of this phase n2's kernel saw) and $got (replies).
probe() {
	PHASE=$((PHASE + 1))
	ip netns exec $NS2 nft add rule inet probe-count in icmp type echo-request icmp id $PHASE counter
	ip netns exec aspen-$N-n1 ping -n -c $COUNT -i 0.002 -W 1 -q -e $PHASE 10.111.0.12 \
		>"$WORK/ping" 2>&1 || true
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$WORK/ping")
	got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$WORK/ping")
	arrived=$(ip netns exec $NS2 nft list chain inet probe-count in |
		  sed -n "s/.*icmp id $PHASE counter packets \([0-9]*\) .*/\1/p")
	[ -n "$sent" ] && [ -n "$got" ] && [ -n "$arrived" ] ||
		{ cat "$WORK/ping"; fail "could not count phase $PHASE"; }
	echo "phase $PHASE: sent $sent, arrived $arrived, replies $got"
}

step "no loss before the fault"
probe
[ "$arrived" = "$sent" ] && [ "$got" = "$sent" ] || fail "lost probes without a fault"

step "egress 30%: every request arrives, replies are lost"
fc_ok apply "$F" 0
nft list table bridge aspen-$N | grep -q 'numgen random mod 1000000 < 300000' || fail "rule"
probe
[ "$arrived" = "$sent" ] || fail "egress loss dropped requests to n2"
within "$arrived" 0.7 $Z "$got" || fail "egress: replies outside the bound"
fc_ok revert "$F" 0
no_aspen_table

step "ingress 30%: requests are lost, every arrived one is answered"
fc_ok apply "$F" 1
probe
within "$sent" 0.7 $Z "$arrived" || fail "ingress: arrivals outside the bound"
[ "$got" = "$arrived" ] || fail "ingress loss dropped replies from n2"
fc_ok revert "$F" 1

step "both directions: each leg loses 30%"
fc_ok apply "$F" 2
probe
within "$sent" 0.7 $Z "$arrived" || fail "both: arrivals outside the bound"
within "$arrived" 0.7 $Z "$got" || fail "both: replies outside the bound"
fc_ok revert "$F" 2

step "100% on an interface target drops everything"
fc_ok apply "$F" 3
probe
[ "$arrived" = 0 ] && [ "$got" = 0 ] || fail "100% loss let probes through"
fc_ok heal "$F"
no_aspen_table

step "after revert and heal: no loss"
probe
[ "$arrived" = "$sent" ] && [ "$got" = "$sent" ] || fail "lost probes after the faults"
aspen_ok destroy $N >/dev/null
assert_clean $N
echo ok

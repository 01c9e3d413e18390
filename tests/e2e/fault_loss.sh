# Random loss through nf_tables numgen, measured: 400 pings at 30% loss land
# within a 99.99% binomial bound, and the direction is right — egress loss
# drops n2's replies but none of the requests reaching it (its own ICMP
# counter sees all 400), ingress loss drops requests and no replies.
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
Z=3.89  # two-sided 99.99%: a correct 30% fails this test once in 10000 runs

# probe: n1 pings n2 COUNT times; sets $got (replies) and $arrived
# (requests n2's kernel saw).
probe() {
	ip netns exec aspen-$N-n1 ping -c1 -W1 -q 10.111.0.12 >/dev/null 2>&1 || true  # ARP warm
	before=$(snmp aspen-$N-n2 InEchos)
	got=$(ip netns exec aspen-$N-n1 ping -c $COUNT -i 0.01 -W 1 -q 10.111.0.12 2>/dev/null |
	      sed -n 's/.* \([0-9]*\) received.*/\1/p')
	arrived=$(($(snmp aspen-$N-n2 InEchos) - before))
	echo "replies $got, requests arrived $arrived"
}

aspen_ok apply --no-wait --no-schedule "$F" >/dev/null
step "no loss before the fault"
probe
[ "$got" = $COUNT ] || fail "lost $((COUNT - got)) of $COUNT without a fault"

step "egress 30%: every request arrives, replies are lost"
fc_ok apply "$F" 0
nft list table bridge aspen-$N | grep -q 'numgen random mod 1000000 < 300000' || fail "rule"
probe
[ "$arrived" = $COUNT ] || fail "egress loss dropped requests to n2"
within $COUNT 0.7 $Z "$got" || fail "egress: replies outside the bound"
fc_ok revert "$F" 0
no_aspen_table

step "ingress 30%: requests are lost, every arrived one is answered"
fc_ok apply "$F" 1
probe
within $COUNT 0.7 $Z "$arrived" || fail "ingress: arrivals outside the bound"
[ "$got" = "$arrived" ] || fail "ingress loss dropped replies from n2"
fc_ok revert "$F" 1

step "both directions: a round trip survives with 0.7 * 0.7"
fc_ok apply "$F" 2
probe
within $COUNT 0.49 $Z "$got" || fail "both: replies outside the bound"
within $COUNT 0.7 $Z "$arrived" || fail "both: arrivals outside the bound"
fc_ok revert "$F" 2

step "100% on an interface target drops everything"
fc_ok apply "$F" 3
no_reach $N n1 10.111.0.12
fc_ok heal "$F"
no_aspen_table

step "after revert and heal: no loss"
probe
[ "$got" = $COUNT ] || fail "lost $((COUNT - got)) after the faults"
aspen_ok destroy $N >/dev/null
assert_clean $N
echo ok

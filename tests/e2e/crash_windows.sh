# Crash windows (issue 9): SIGKILL `aspen apply` at the exact system call
# that opens each of the four windows found by fault injection, then prove
# that `destroy` leaves zero residue and, separately, that re-apply
# converges and a second re-apply says "No changes".
#
#   a. namespace file and marker exist, bind mount not yet
#   b. namespace file created before its marker (kill at every call that
#      touches either, up to the bind mount: never an unmarked file)
#   c. link created by RTM_NEWLINK, alias (the mark) set by a later
#      RTM_SETLINK: killed in between, for the bridge and for the veth
#   d. veth marked, its peer not yet up
#   e. (VM nodes) a TAP configured and marked but not yet persistent:
#      it must die with aspen
#
# Each kill point is computed from a trace of a clean apply taken here
# (strace -f; the injection counter counts per thread, and only the calls
# a -P filter lets through), never hard-coded, so the test follows the code.
# After each kill the test checks that the window was really hit.
# CRASH_WINDOWS="a c" runs only those steps.
. "$ASPEN_TESTS/e2e/lib_vm.sh"
command -v strace >/dev/null || fail "strace is needed (Debian package strace)"
N=crashwin
NS=aspen-$N-n1
F=$WORK/$N.yaml
cat >"$F" <<EOF
apiVersion: aspen/v1
name: $N
defaults: {kind: netns}
networks:
  lan: {subnet: 10.77.0.0/24, gateway: 10.77.0.1}
nodes:
  n1: {interfaces: [{network: lan, ip: 10.77.0.2}]}
EOF

# strace ARGS... aspen apply: -b execve keeps children out of the trace.
# LeakSanitizer cannot run under ptrace (make test SAN=1): off for these
# runs only; every untraced aspen run still checks for leaks.
st() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -b execve -qq "$@" "$ASPEN" apply --no-schedule "$F" >"$WORK/st.out" 2>&1
}

# trace FILTER...: trace a clean apply into $WORK/trace, then destroy it.
trace() {
	st -s 300 -o "$WORK/trace" "$@" || { cat "$WORK/st.out"; fail "traced apply failed"; }
	aspen_ok destroy $N >/dev/null
	no_residue
}

# nth SYSCALL PATTERN [PATTERN2]: the per-thread count of SYSCALL at its
# first line in $WORK/trace that holds PATTERN (and PATTERN2).
nth() {
	awk -v sc="$1(" -v p1="$2" -v p2="${3:-}" '
		index($2, sc) == 1 { n[$1]++
			if (index($0, p1) && (p2 == "" || index($0, p2))) { print n[$1]; exit } }
	' "$WORK/trace"
}

# crash_at SYSCALL N FILTER...: apply, SIGKILLed at the N-th SYSCALL of a
# thread among those FILTER lets through.
crash_at() {
	sc=$1 n=$2
	shift 2
	[ -n "$n" ] || fail "kill point for $sc not found in the trace"
	rc=0
	st -o /dev/null "$@" -e trace="$sc" -e inject="$sc":signal=KILL:when="$n" || rc=$?
	[ $rc = 137 ] || { cat "$WORK/st.out"; fail "apply was not killed at $sc #$n (exit $rc)"; }
}

# Nothing of anyone is left: only lo, no namespace file, nothing under
# /run/aspen but empty directories, no state, no nft table, no process.
no_residue() {
	left=$(ip -o link show | awk -F': ' '$2 != "lo" {print $2}')
	[ -z "$left" ] || fail "links left: $left"
	left=$(ls -A /run/netns 2>/dev/null || true)
	[ -z "$left" ] || fail "files left in /run/netns: $left"
	left=$(find /run/aspen ! -type d 2>/dev/null || true)
	[ -z "$left" ] || fail "files left under /run/aspen: $left"
	[ ! -e "$ASPEN_STATE_DIR/$N" ] || fail "state left: $(ls -la "$ASPEN_STATE_DIR/$N")"
	left=$(nft list tables 2>/dev/null || true)
	[ -z "$left" ] || fail "nft tables left: $left"
	left=$(ps -eo pid=,comm= | awk '$2 ~ /^(aspen|strace|sleep|ch-double)$/')
	[ -z "$left" ] || fail "processes left: $left"
	assert_clean $N
}

# after_crash WHAT CHECK...: CHECK proves the window was hit; then destroy
# leaves nothing; then the same crash again, and re-apply converges.
after_crash() {
	what=$1
	shift
	"$@" || fail "$what: the kill did not leave the window it was aimed at"
	aspen_ok destroy $N >/dev/null
	no_residue
	echo "$what: destroy leaves nothing"
}
converges() {
	aspen_ok apply --no-schedule "$F" >/dev/null
	aspen_ok apply --no-schedule "$F" >/dev/null
	out_has "No changes"
	ns_ping $NS 10.77.0.1 || fail "$1: n1 cannot reach the gateway after re-apply"
	aspen_ok destroy $N >/dev/null
	no_residue
	echo "$1: re-apply converges, then No changes"
}

want() { case " ${CRASH_WINDOWS:-a b c d e} " in *" $1 "*) true ;; *) false ;; esac; }
no_residue
ns_marker=/run/aspen/netns/$NS.owner
unmounted_ns() { [ -e /run/netns/$NS ] && [ -e $ns_marker ] && ! mountpoint -q /run/netns/$NS; }

if want a; then
step "a. namespace file and marker, no bind mount"
trace -P /run/netns/$NS -e trace=mount
n=$(nth mount "\"/run/netns/$NS\"" MS_BIND)
crash_at mount "$n" -P /run/netns/$NS
aspen_ok status $N >/dev/null
out_has "netns/n1 *unfinished *namespace file not mounted"
after_crash "a" unmounted_ns
crash_at mount "$n" -P /run/netns/$NS
converges "a"
fi

if want b; then
step "b. every call that makes the namespace file or its marker"
trace -P /run/netns/$NS -P $ns_marker
marked() { [ ! -e /run/netns/$NS ] || [ -e $ns_marker ]; }
# Each call up to the bind mount (window a), by thread and name.
awk '$2 !~ /^</ { sc = substr($2, 1, index($2, "(") - 1); n[$1 " " sc]++; print sc, n[$1 " " sc] }
     /MS_BIND/ { exit }' "$WORK/trace" >"$WORK/points"
[ "$(wc -l <"$WORK/points")" -ge 2 ] || { cat "$WORK/trace"; fail "too few calls traced"; }
while read -r sc n; do
	crash_at "$sc" "$n" -P /run/netns/$NS -P $ns_marker
	after_crash "b ($sc #$n)" marked
done <"$WORK/points"
sc=$(head -n1 "$WORK/points")
crash_at $sc -P /run/netns/$NS -P $ns_marker
converges "b"
fi

if want c || want d; then
	trace -v -e trace=sendmsg
fi
if want c; then
step "c. links between RTM_NEWLINK and the alias"
unaliased() { ! ip -d link show "$1" | grep -q alias && ip link show "$1" >/dev/null; }
for id in bridge/lan veth/n1.eth0; do
	n=$(nth sendmsg RTM_SETLINK "\"aspen:$N:$id\"")
	name=$(grep -o "IFLA_IFNAME}, \"[^\"]*\"\], \[{nla_len=[0-9]*, nla_type=IFLA_IFALIAS}, \"aspen:$N:$id\"" \
		"$WORK/trace" | head -n1 | cut -d'"' -f2)
	[ -n "$name" ] || fail "c: no alias request for $id in the trace"
	crash_at sendmsg "$n"
	after_crash "c ($id)" unaliased "$name"
	crash_at sendmsg "$n"
	converges "c ($id)"
done
fi

if want d; then
step "d. veth marked, peer not up"
# The first RTM_SETLINK after the veth's alias, in the same thread, naming
# eth0 (it goes to the namespace's socket: strace shows it undecoded).
n=$(awk -v mark="\"aspen:$N:veth/n1.eth0\"" '
	index($2, "sendmsg(") == 1 { n[$1]++
		if (!tid && index($0, "RTM_SETLINK") && index($0, mark)) { tid = $1; next }
		if (tid == $1 && (index($0, "RTM_SETLINK") || index($0, "nlmsg_type=0x13")) &&
		    (index($0, "\"eth0\"") || index($0, "\\x65\\x74\\x68\\x30"))) { print n[$1]; exit } }
' "$WORK/trace")
peer_down() { ip -d link | grep -q "alias aspen:$N:veth/n1.eth0" &&
	      ! ip -n $NS -o link show eth0 | grep -q '[<,]UP[,>]'; }
crash_at sendmsg "$n"
after_crash "d" peer_down
crash_at sendmsg "$n"
aspen_ok plan "$F" >/dev/null
out_has "veth/n1.eth0"
converges "d"
fi

if want e; then
step "e. a TAP marked but not yet persistent"
N=crashvm
F=$WORK/$N.yaml
vm_topology "$F" $N 1
# Killed at the TAP's alias request, or at TUNSETPERSIST: either way the
# TAP is not persistent yet and goes with aspen's descriptor.
no_tap() { [ -z "$(ip -o link show type tun)" ]; }
trace -v -e trace=sendmsg
n=$(nth sendmsg RTM_SETLINK "\"aspen:$N:tap/node1.eth0\"")
crash_at sendmsg "$n"
after_crash "e (alias)" no_tap
trace -e trace=ioctl
n=$(nth ioctl TUNSETPERSIST)
crash_at ioctl "$n"
after_crash "e (TUNSETPERSIST)" no_tap
crash_at ioctl "$n"
aspen_ok apply "$F" >/dev/null
aspen_ok apply "$F" >/dev/null
out_has "No changes"
ip -d link show type tun | grep -q "alias aspen:$N:tap/node1.eth0" || fail "e: no marked TAP"
aspen_ok destroy $N >/dev/null
no_residue
assert_vm_clean $N
echo "e: re-apply converges, then No changes"
fi
echo ok

#!/bin/sh
# matrix.sh — the syscall-level crash matrix (docs/crash-matrix.md).
#
# For each scenario (a command run on a prepared cluster), trace the command
# once with crashat (tests/tools/crashat.c) to name its mutating system
# calls, then for each named call ("point") run the command again, SIGKILL
# it on entry to that call, and check:
#   A. `aspen destroy NAME` succeeds and leaves exactly what was there
#      before the scenario (links, namespaces, /run, mounts, nft, qdiscs,
#      addresses, routes, processes);
#   B. separately (a second crash at the same point): `aspen apply` succeeds,
#      a second apply prints "No changes", `aspen heal` succeeds and the
#      system equals a clean apply of the file; then destroy leaves nothing.
#
#   matrix.sh [--sample K] [--only S1,S2] [--known FILE] [--point SCENARIO POINT]
#
# --sample K   K points of each scenario, evenly spaced in the sorted list of
#              its point names, starting at an offset the seed
#              ASPEN_CRASH_SEED picks (the same seed, the same points);
#              default: every point
# --only       these scenarios only (names: see "scenarios" below)
# --known FILE points expected to fail, one "SCENARIO POINT-GLOB  # why" a
#              line; printed at the start. A listed point that fails is
#              reported as XFAIL and does not fail the run; one that passes
#              as XPASS (which point of a window fails can depend on how
#              threads interleave, so XPASS is reported, not fatal). Without
#              --known, nothing is expected: every failure fails the run.
# --point      one point, with every command's output (reproduce a failure)
#
# Runs inside tests/sandbox.sh only (`make crash-matrix`, `make crash-point`,
# tests/e2e/crash_matrix.sh). Exit 0 when every point passed (or XFAILed).
. "$ASPEN_TESTS/e2e/lib_vm.sh"
set +e
CRASHAT=$BUILD/tools/crashat
# LeakSanitizer cannot run under ptrace (make test SAN=1), and crashat
# traces: leak checks off here; the rest of the suite still runs them.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
[ -x "$CRASHAT" ] || fail "crashat not built: $CRASHAT"
sample=0 only="" known="" point="" verbose=0
seed=${ASPEN_CRASH_SEED:-9}
while [ $# -gt 0 ]; do
	case $1 in
	--sample) sample=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	--known) known=$2; shift 2 ;;
	--point) point=$3 only=$2 verbose=1; shift 3 ;;
	*) fail "usage: matrix.sh [--sample K] [--only S,..] [--known FILE] [--point SCENARIO POINT]" ;;
	esac
done
if [ -n "$known" ]; then
	[ -r "$known" ] || fail "--known $known: not readable"
	echo "expected failures (from $known):"
	grep -v '^[[:space:]]*\(#\|$\)' "$known" | sed 's/^/  /'
fi

# --- topologies -----------------------------------------------------------
F3=$TOPO/cluster3-netns.yaml
N3=cluster3n
# 30 netns nodes on one bridge.
F30=$WORK/c30.yaml
N30=crash30
{
	echo "apiVersion: aspen/v1"
	echo "name: $N30"
	echo "defaults: {kind: netns, command: [sleep, infinity]}"
	echo "networks:"
	echo "  lan: {subnet: 10.140.0.0/24, gateway: 10.140.0.1}"
	echo "nodes:"
	i=1
	while [ $i -le 30 ]; do
		echo "  n$i: {interfaces: [{network: lan, ip: 10.140.0.$((i + 10))}]}"
		i=$((i + 1))
	done
} >"$F30"
# Three VM nodes on the Cloud Hypervisor double.
FVM=$WORK/vm.yaml
NVM=crashvm
vm_topology "$FVM" $NVM 3
# cluster3n with a short schedule: a partition, loss, a rate limit, a kill.
FS=$WORK/sched.yaml
NS=crashsched
sed -e "s/^name: .*/name: $NS/" -e '/^faults:/,$d' "$F3" >"$FS"
cat >>"$FS" <<'Y'
faults:
  - {at: 0s, for: 100ms, partition: [[node1], [node2, node3]]}
  - {at: 0s, for: 100ms, rate: {nodes: [node2], rate: 10mbit}}
  - {at: 100ms, for: 100ms, loss: {nodes: [node3], percent: 30%}}
Y

# --- scenarios: NAME FILE TOPOLOGY SETUP COMMAND... ------------------------
# SETUP: none (nothing exists), up (file applied), faulted (applied, then a
# partition and a rate limit by hand).
scenarios="apply3 apply30 applyvm destroy3 destroyvm fault heal faultvm healvm schedule run"
scen() {
	case $1 in
	apply3)    set -- "$F3" $N3 none apply --no-schedule "$F3" ;;
	apply30)   set -- "$F30" $N30 none apply --no-schedule "$F30" ;;
	applyvm)   set -- "$FVM" $NVM none apply --no-schedule "$FVM" ;;
	destroy3)  set -- "$F3" $N3 up destroy $N3 ;;
	destroyvm) set -- "$FVM" $NVM up destroy $NVM ;;
	fault)     set -- "$F3" $N3 up fault $N3 partition node1 / node2,node3 ;;
	heal)      set -- "$F3" $N3 faulted heal $N3 ;;
	faultvm)   set -- "$FVM" $NVM up fault $NVM rate node1 10mbit ;;
	healvm)    set -- "$FVM" $NVM faulted heal $NVM ;;
	schedule)  set -- "$FS" $NS none apply "$FS" ;;
	run)       set -- "$FS" $NS none run "$FS" -- true ;;
	*) fail "unknown scenario $1" ;;
	esac
	S_FILE=$1 S_NAME=$2 S_SETUP=$3
	shift 3
	S_CMD="$*"
}

# --- observing the sandbox --------------------------------------------------
# links: name, flags (without carrier), mtu, master, netns of the peer, alias
links() {
	ip "$@" -o link show 2>/dev/null | sed 's/^[0-9]*: //; s/@[^:]*:/:/' | awk '{
		name = $1; sub(/:$/, "", name); fl = $2; gsub(/,?(LOWER_UP|NO-CARRIER|M-DOWN)/, "", fl)
		out = "link " name " " fl
		for (i = 3; i <= NF; i++)
			if ($i == "mtu" || $i == "master" || $i == "link-netns" || $i == "alias") out = out " " $i "=" $(i + 1)
		print out }' | sort
}
# one namespace's (or the host's, with no argument) network state
netstate() {
	nsarg=""; [ -n "${1:-}" ] && nsarg="-n $1"
	links $nsarg
	# link-local addresses follow the random MACs of veths: not compared
	ip $nsarg -o addr show | awk '$4 !~ /^fe80:/ {print "addr", $2, $3, $4}' | sort
	ip $nsarg route show table all | grep -v '^\(local\|broadcast\|multicast\|fe80\|ff00\)' |
		sed 's/^/route /' | sort
	tc $nsarg qdisc show | grep -v '^qdisc noqueue 0: ' | sed 's/^/qdisc /' | sort
	if [ -n "${1:-}" ]; then ip netns exec "$1" nft list ruleset; else nft list ruleset; fi |
		sed 's/^/nft /'
}
# snap FILE: everything a crash could leave, in a comparable form. The
# directories aspen creates once and keeps (/run/aspen, its netns markers'
# dir, /run/netns as a shared mount, as `ip netns` keeps it) are not state.
snap() {
	{
		netstate 2>/dev/null   # ip warns about veths whose peer netns is gone
		for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | sort); do
			if ip -n "$ns" link show lo >/dev/null 2>&1; then
				echo "netns $ns"
				netstate "$ns" 2>/dev/null | sed "s/^/  /"
			else
				echo "netns $ns: a file in /run/netns, no namespace mounted on it"
			fi
		done
		find /run -mindepth 1 -not -path /run/aspen-state | sed 's/^/file /' | sort
		awk '{print "mount", $5}' /proc/self/mountinfo | sort
		# by program name: the harness's own arguments name aspen's paths
		ps -eo stat=,comm=,args= | awk '$1 !~ /^Z/ && $2 ~ /^(sleep|ch-double|aspen|crashat)$/ {
			$1 = $2 = ""; print "proc" $0 }' | sort
	} 2>&1 | grep -v -x -e 'file /run/aspen' -e 'file /run/aspen/netns' -e 'file /run/netns' \
		-e 'mount /run/netns' >"$1"
}
# force_clean: after a failed point, remove everything so the next point
# starts from the baseline (the sandbox is ours alone).
force_clean() {
	for fc_pid in $(ps -eo pid=,args= | awk '/sleep infinity|ch-double|crashat/ && !/awk/ {print $1}'); do
		kill -9 "$fc_pid" 2>/dev/null
	done
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do ip netns del "$ns" 2>/dev/null; done
	for f in /run/netns/*; do [ -e "$f" ] && { umount "$f" 2>/dev/null; rm -f "$f"; }; done
	for l in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep '^a[si]-'); do
		ip link del "$l" 2>/dev/null
	done
	nft flush ruleset
	rm -rf /run/aspen/netns/* "/run/aspen/$S_NAME" "$ASPEN_STATE_DIR/$S_NAME"
}

# run_aspen OUT ARGS...: aspen, output to OUT; its exit status
run_aspen() { o=$1; shift; "$ASPEN" "$@" >"$o" 2>&1; }

setup() {
	case $S_SETUP in
	none) return 0 ;;
	up) run_aspen "$WORK/setup.out" apply --no-schedule "$S_FILE" ;;
	faulted)
		run_aspen "$WORK/setup.out" apply --no-schedule "$S_FILE" &&
		run_aspen "$WORK/setup.out" fault "$S_NAME" partition node1 / node2,node3 &&
		run_aspen "$WORK/setup.out" fault "$S_NAME" rate node1 10mbit ;;
	esac
}

# crash POINT: set up, run the scenario's command killed at POINT.
# 0 when it was killed there, 1 when the point was not reached, 2 on error.
crash() {
	setup || { why="setup failed: $(tail -n 3 "$WORK/setup.out")"; return 2; }
	# shellcheck disable=SC2086 # S_CMD is words by design (no spaces in paths)
	"$CRASHAT" -p "$1" -- "$ASPEN" $S_CMD >"$WORK/crash.out" 2>&1
	rc=$?
	[ $verbose = 1 ] && sed 's/^/  crash| /' "$WORK/crash.out"
	case $rc in
	137) return 0 ;;
	125) return 1 ;;
	*) why="crashat exited $rc: $(tail -n 3 "$WORK/crash.out")"; return 2 ;;
	esac
}

# show LABEL: with --point, the last step's output, each line prefixed LABEL|
show() { [ $verbose = 1 ] && sed "s/^/  $1| /" "$WORK/step.out"; return 0; }

# check_a POINT / check_b POINT: 0 pass, 1 fail (why set), 3 not reached
# unreached: the command ran to its end without meeting the point (a call
# whose order depends on threads). Back to the baseline before the next
# point: left up, the cluster would make every later apply a no-op, and
# their creation calls unreachable in turn.
unreached() {
	run_aspen "$WORK/step.out" destroy "$S_NAME"
	snap "$WORK/snap"
	diff "$BASE0" "$WORK/snap" >/dev/null || force_clean
	return 3
}
check_a() {
	crash "$1"; rc=$?
	[ $rc = 1 ] && { unreached; return 3; }
	[ $rc = 2 ] && return 1
	run_aspen "$WORK/step.out" destroy "$S_NAME"; rc=$?; show destroy
	[ $rc = 0 ] || { why="destroy after the crash exited $rc: $(tail -n 3 "$WORK/step.out")"; return 1; }
	snap "$WORK/snap"
	diff "$BASE0" "$WORK/snap" >"$WORK/diff" ||
		{ why="destroy left residue: $(grep '^[<>]' "$WORK/diff" | head -n 8 | tr '\n' ';')"; return 1; }
	return 0
}
check_b() {
	crash "$1"; rc=$?
	[ $rc = 1 ] && { unreached; return 3; }
	[ $rc = 2 ] && return 1
	run_aspen "$WORK/step.out" apply --no-schedule "$S_FILE"; rc=$?; show apply
	[ $rc = 0 ] || { why="re-apply after the crash exited $rc: $(tail -n 3 "$WORK/step.out")"; return 1; }
	run_aspen "$WORK/step.out" apply --no-schedule "$S_FILE"; rc=$?; show apply2
	[ $rc = 0 ] && grep -q '^No changes' "$WORK/step.out" ||
		{ why="second re-apply (exit $rc) did not say No changes: $(grep -v healthy "$WORK/step.out" | tail -n 3)"; return 1; }
	run_aspen "$WORK/step.out" heal "$S_NAME"; rc=$?; show heal
	[ $rc = 0 ] || { why="heal after re-apply exited $rc: $(tail -n 3 "$WORK/step.out")"; return 1; }
	snap "$WORK/snap"
	# A crashed `aspen run` leaves its cluster.json and events.jsonl (as
	# `run --keep` does) until destroy, which check A covers: not a
	# difference here.
	[ "$S_CMD" = "${S_CMD#run }" ] || sed -i -e "\|^file /run/aspen/$S_NAME/cluster.json\$|d" \
		-e "\|^file /run/aspen/$S_NAME/events.jsonl\$|d" "$WORK/snap"
	diff "$BASEUP" "$WORK/snap" >"$WORK/diff" ||
		{ why="re-apply did not converge to a clean apply: $(grep '^[<>]' "$WORK/diff" | head -n 8 | tr '\n' ';')"; return 1; }
	run_aspen "$WORK/step.out" destroy "$S_NAME"; rc=$?; show destroy
	[ $rc = 0 ] || { why="destroy after re-apply exited $rc: $(tail -n 3 "$WORK/step.out")"; return 1; }
	snap "$WORK/snap"
	diff "$BASE0" "$WORK/snap" >"$WORK/diff" ||
		{ why="destroy after re-apply left residue: $(grep '^[<>]' "$WORK/diff" | head -n 8 | tr '\n' ';')"; return 1; }
	return 0
}

# is_known SCENARIO POINT: listed in the --known file ("SCENARIO POINT-GLOB")?
is_known() {
	[ -n "$known" ] || return 1
	while read -r k_scen k_glob _; do
		case $k_scen in ''|'#'*) continue ;; esac
		[ "$k_scen" = "$1" ] || continue
		# shellcheck disable=SC2254 # the glob is the point of the file
		case $2 in $k_glob) return 0 ;; esac
	done <"$known"
	return 1
}

# --- the baseline ---------------------------------------------------------------
# One clean apply + destroy first, so the directories and the mount aspen
# creates on first use exist: their first-use calls could not be reached by
# any later run (mkdir of an existing path is not a point).
BASE0=$WORK/base0
run_aspen "$WORK/step.out" apply --no-schedule "$F3" || { cat "$WORK/step.out"; fail "warm-up apply"; }
run_aspen "$WORK/step.out" destroy "$N3" || { cat "$WORK/step.out"; fail "warm-up destroy"; }
snap "$BASE0"

total=0 total_fail=0 total_xfail=0 total_unreached=0 failures="" xpass=""
start_all=$(date +%s)
for s in $scenarios; do
	case ",${only:-$s}," in *",$s,"*) ;; *) continue ;; esac
	scen "$s"
	t0=$(date +%s)
	# The state of a clean apply of the file, once per file; the traced run
	# of an `apply --no-schedule` scenario below provides it for free.
	BASEUP=$WORK/base-$(basename "$S_FILE")
	if [ ! -f "$BASEUP" ] && [ "$S_CMD" = "${S_CMD#apply --no-schedule }" ]; then
		run_aspen "$WORK/step.out" apply --no-schedule "$S_FILE" || { cat "$WORK/step.out"; fail "$s: clean apply"; }
		snap "$BASEUP"
		run_aspen "$WORK/step.out" destroy "$S_NAME" || { cat "$WORK/step.out"; fail "$s: clean destroy"; }
	fi

	# Enumerate: the command once, traced, every mutating call named.
	setup || { cat "$WORK/setup.out"; fail "$s: setup"; }
	# shellcheck disable=SC2086
	"$CRASHAT" -l "$WORK/list-$s" -- "$ASPEN" $S_CMD >"$WORK/enum.out" 2>&1 ||
		{ cat "$WORK/enum.out"; fail "$s: the traced command failed"; }
	[ -f "$BASEUP" ] || snap "$BASEUP"
	run_aspen "$WORK/step.out" destroy "$S_NAME" || { cat "$WORK/step.out"; fail "$s: destroy after the traced run"; }
	snap "$WORK/snap"
	diff "$BASE0" "$WORK/snap" || fail "$s: a clean run left residue"
	cut -f2 "$WORK/list-$s" | LC_ALL=C sort >"$WORK/points-$s"
	n_all=$(wc -l <"$WORK/points-$s")
	if [ -n "$point" ]; then
		echo "$point" >"$WORK/chosen"
	else
		# K evenly spaced names from a seeded offset (all when K is 0 or >= n)
		off=$(printf '%s:%s' "$seed" "$s" | cksum | cut -d' ' -f1)
		awk -v k="$sample" -v n="$n_all" -v off="$off" '
			k == 0 || k >= n { print; next }
			{ p[NR] = $0 }
			END { if (k > 0 && k < n) for (i = 0; i < k; i++)
				print p[1 + (int(i * n / k) + off) % n] }' "$WORK/points-$s" |
			LC_ALL=C sort -u >"$WORK/chosen"
	fi
	n=0 nf=0 nx=0 nu=0
	# The list on fd 3: the commands below must not eat their stdin's lines.
	while read -r p <&3; do
		n=$((n + 1))
		res=pass why="" all_why=""
		# A and B each start from the baseline; a failed check is cleaned up
		# by hand (force_clean) so the other still runs.
		for chk in a b; do
			why=""
			"check_$chk" "$p"; rc=$?
			[ $rc = 0 ] && continue
			if [ $rc = 3 ]; then
				[ $res = pass ] && res=unreached
				continue
			fi
			res=fail
			cwhy="[$(echo $chk | tr ab AB)] $why"
			all_why="${all_why:+$all_why; }$cwhy"
			force_clean
			snap "$WORK/snap"
			diff "$BASE0" "$WORK/snap" || fail "$s: cannot restore the baseline after $p"
		done
		why=$all_why all_why=""
		why=$(printf '%s' "$why" | tr '\n' ' ')
		repro="make crash-point SCENARIO=$s POINT='$p'"
		if is_known "$s" "$p"; then
			if [ $res = fail ]; then
				nx=$((nx + 1)); echo "XFAIL $s $p: $why"
			else
				xpass="$xpass
  $s $p"
				echo "XPASS $s $p: listed in $known, passed ($res)"
			fi
		elif [ $res = fail ]; then
			nf=$((nf + 1))
			echo "FAIL  $s $p: $why"
			echo "      reproduce: $repro"
			failures="$failures
  $s $p: $why
    reproduce: $repro"
		elif [ $res = unreached ]; then
			nu=$((nu + 1)); echo "note  $s $p: not reached in this run (timing-dependent call)"
		elif [ $verbose = 1 ]; then
			echo "pass  $s $p"
		fi
	done 3<"$WORK/chosen"
	echo "$s: $n of $n_all crash points run ($nf failed, $nx expected failures, $nu not reached) in $(( $(date +%s) - t0 ))s"
	total=$((total + n)) total_fail=$((total_fail + nf)) total_xfail=$((total_xfail + nx))
	total_unreached=$((total_unreached + nu))
done
echo "crash matrix: $total crash points, $total_fail failed, $total_xfail expected failures," \
	"$total_unreached not reached, in $(( $(date +%s) - start_all ))s"
[ -n "$failures" ] && echo "failures:$failures"
[ -n "$xpass" ] && echo "listed as known failures but passed (XPASS):$xpass"
[ -n "$known" ] && echo "note: $total_xfail failures were tolerated because $known lists them"
[ "$total_fail" = 0 ]

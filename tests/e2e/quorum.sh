# topologies/quorum5-netns.yaml as its README runs it: five aspen-quorum
# nodes under `aspen run`, with the `leader` role and the seeded generators
# (the leader isolated three times, random halves, a majorities ring, a
# pause). The check script must pass (never two leaders, a leader at the
# end); each `isolate: "@leader"` must have hit the node the watcher saw
# leading just before it fired, and leadership must have moved; nothing is
# left afterwards.
. "$ASPEN_TESTS/e2e/lib.sh"
: "${BUILD:?}"
[ -x "$BUILD/tools/aspen-quorum" ] || fail "no $BUILD/tools/aspen-quorum (make run-tests builds it)"
export PATH="$BUILD/tools:$PATH"
N=quorum5

step "aspen run quorum5-netns.yaml -- quorum5-check.sh"
rc=0; "$ASPEN" run "$TOPO/quorum5-netns.yaml" -- "$TOPO/quorum5-check.sh" \
	>"$WORK/run.out" 2>&1 || rc=$?
cat "$WORK/run.out"
[ $rc = 0 ] || fail "aspen run exited $rc"
out() { grep -q -- "$1" "$WORK/run.out" || fail "output lacks '$1'"; }
out ", 0 with two or more leaders"
out "partition isolate q[1-5] (@leader = q[1-5]) applied"
[ "$(grep -c '(@leader = q[1-5]) applied' "$WORK/run.out")" = 3 ] || fail "three isolations of the leader"
out "partition ring q1 drops \["
out "pause q[1-5] applied"

step "each isolation hit the node that led when it fired"
# The watcher's last "leader: qN" before each "+T.TTs partition isolate qM" is qM.
awk '
	/^\+[0-9.]+s leader: q[1-5]$/ { sub(/^\+/, "", $1); sub(/s$/, "", $1); lt[++n] = $1; lv[n] = $3 }
	/ partition isolate q[1-5] \(@leader = q[1-5]\) applied/ { t = $1; sub(/^\+/, "", t); sub(/s$/, "", t); it[++m] = t; iv[m] = $4 }
	END {
		if (m != 3) { print "isolations: " m; exit 1 }
		for (k = 1; k <= m; k++) {
			who = ""
			for (j = 1; j <= n; j++) if (lt[j] + 0 <= it[k] + 0) who = lv[j]
			if (who != iv[k]) { print "isolation " k " at " it[k] " hit " iv[k] ", leader was " who; exit 1 }
		}
	}' "$WORK/run.out" || fail "an isolation missed the leader"
[ "$(grep -c '^+[0-9.]*s leader: q' "$WORK/run.out")" -ge 4 ] || fail "leadership never moved"

step "nothing is left"
assert_clean $N

#!/bin/sh
# run-tests.sh — run every aspen test suite and print "N passed, N failed".
#
#   unit:   $BUILD/tests/test_* built from tests/unit (pure, no root)
#   kernel: $BUILD/tests/test_* built from tests/kernel, each in tests/sandbox.sh
#   cli:    tests/cli/*.sh, the aspen binary without root (golden output)
#   e2e:    tests/e2e/*.sh, each in tests/sandbox.sh, with $ASPEN set
# ONLY=unit|cli|kernel|e2e restricts the run. Kernel and e2e suites need root;
# without it they are reported as skipped, never as passed.
#
# A test that cannot run at all exits 77 (SKIP); one that runs but must leave
# a part out prints "skipped: WHAT: WHY", and the summary lists those lines.
#
# Tests assert no wall-clock times (speed belongs to `make bench`); a hang is
# caught here instead: each suite runs under timeout(1), TERM at the limit and
# KILL 10 s later, and counts as failed with a "timed out" line. Limits in
# seconds: ASPEN_TEST_TIMEOUT (unit, cli, kernel; default 300) and
# ASPEN_E2E_TIMEOUT (e2e; default 600).
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${BUILD:?}" "${ASPEN:?}"
export ASPEN BUILD
export ASPEN_TESTS="$here"
pass=0 fail=0 skip=0 failed=""
log=$(mktemp -d /tmp/aspen-tests.XXXXXX)
test_timeout=${ASPEN_TEST_TIMEOUT:-300}
e2e_timeout=${ASPEN_E2E_TIMEOUT:-600}

run_one() { # kind name cmd...
	kind=$1 name=$2; shift 2
	limit=$test_timeout
	[ "$kind" = e2e ] && limit=$e2e_timeout
	if timeout -k 10 "$limit" "$@" >"$log/$name.log" 2>&1; then
		pass=$((pass + 1)); echo "PASS  $kind/$name"
		# A part of a passing test that could not run says "skipped: ...":
		# named again in the summary, so no check is skipped silently.
		grep '^skipped: ' "$log/$name.log" | sed "s|^skipped: |  $kind/$name: |" >>"$log/skipped-checks"
	else
		rc=$?
		if [ "$rc" = 77 ]; then
			skip=$((skip + 1)); echo "SKIP  $kind/$name: $(tail -n 1 "$log/$name.log")"
		elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
			fail=$((fail + 1)); failed="$failed $kind/$name"
			how="timed out after ${limit}s (hung?)"
			[ "$rc" = 137 ] && how="killed: timed out after ${limit}s and ignored TERM, or SIGKILL"
			echo "FAIL  $kind/$name: $how; last output:"
			sed 's/^/      /' "$log/$name.log" | tail -n 30
		else
			fail=$((fail + 1)); failed="$failed $kind/$name"
			echo "FAIL  $kind/$name (exit $rc)"; sed 's/^/      /' "$log/$name.log" | tail -n 60
		fi
	fi
}

want() { [ -z "${ONLY:-}" ] || [ "$ONLY" = "$1" ]; }

if want unit; then
	for src in "$here"/unit/test_*.c; do
		[ -e "$src" ] || continue
		n=$(basename "$src" .c)
		run_one unit "$n" "$BUILD/tests/$n"
	done
fi

if want cli; then
	for t in "$here"/cli/*.sh; do
		[ -e "$t" ] || continue
		n=$(basename "$t" .sh)
		run_one cli "$n" sh "$t"
	done
fi

root=no
[ "$(id -u)" = 0 ] && unshare --net true 2>/dev/null && root=yes

if want kernel; then
	for src in "$here"/kernel/test_*.c; do
		[ -e "$src" ] || continue
		n=$(basename "$src" .c)
		if [ $root = yes ]; then run_one kernel "$n" "$here/sandbox.sh" "$BUILD/tests/$n"
		else skip=$((skip + 1)); echo "SKIP  kernel/$n: needs root and unshare"; fi
	done
fi

if want e2e; then
	for t in "$here"/e2e/*.sh; do
		[ -e "$t" ] || continue
		case $(basename "$t") in lib*) continue ;; esac   # helpers, not tests
		n=$(basename "$t" .sh)
		if [ $root = yes ]; then run_one e2e "$n" "$here/sandbox.sh" sh "$t"
		else skip=$((skip + 1)); echo "SKIP  e2e/$n: needs root and unshare"; fi
	done
fi

if [ -s "$log/skipped-checks" ]; then
	echo "checks skipped inside passing tests:"
	cat "$log/skipped-checks"
fi
rm -rf "$log"
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]

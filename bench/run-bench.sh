#!/bin/sh
# run-bench.sh — `make bench`: aspen's performance figures, next to their
# targets and baselines. Prints; asserts nothing; exits 0 whether targets
# are met or missed (a broken build or a failing step still exits non-zero).
#
#   ASPEN=/path/to/aspen BUILD=/path/to/build bench/run-bench.sh
#
# A list of sections, each a script of its own (docs/performance.md says
# what each measures). Every section prints the load average before and
# after it: on a shared machine a figure means little without it. Whole-
# command figures (what a user waits for) come next to in-process ones.
# To add a section: one `section` line below and a script in bench/.
# Not here: `make stat-check` (bench/stat-check.sh) runs the statistical
# e2e tests 50 times each under load and counts misses; it takes an hour.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
: "${ASPEN:?set ASPEN to the aspen binary}" "${BUILD:?set BUILD to the build dir}"
export ASPEN BUILD
status=0
can_sandbox() { [ "$(id -u)" = 0 ] && unshare --net true 2>/dev/null; }

# section TITLE WHERE SCRIPT [ARGS...]
#   WHERE: plain      run the script as it is
#          sandbox    inside tests/sandbox.sh when root (else plainly)
#          need-root  inside tests/sandbox.sh; skipped without root
# A script that is not there (another branch brings it) is "not available".
section() {
	title=$1 where=$2 script=$here/$3
	shift 3
	printf '\n== %s ==   (load average %s)\n' "$title" "$(cut -d' ' -f1-3 /proc/loadavg)"
	if [ ! -f "$script" ]; then
		echo "  not available yet ($(basename "$script"))"
		return
	fi
	case $where in
	plain) sh "$script" "$@" ;;
	sandbox) if can_sandbox; then "$root/tests/sandbox.sh" sh "$script" "$@"; else sh "$script" "$@"; fi ;;
	need-root)
		if ! can_sandbox; then
			echo "  skipped: needs root and unshare (it runs inside tests/sandbox.sh)"
			return
		fi
		"$root/tests/sandbox.sh" sh "$script" "$@" ;;
	esac || { echo "  $(basename "$script") failed"; status=1; }
}

echo "aspen bench: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
section "1. compiler at scale: 1000 nodes, in-process and whole commands" sandbox compile.sh 1000
section "1b. whole-command start: --version, validate, plan of cluster3-netns vs ip -V" sandbox startup.sh
# shellcheck disable=SC2086
section "2. apply / destroy of namespace nodes vs iproute2" need-root netns-bench.sh ${BENCH_SIZES:-3 10 100}
section "2b. scale: 300 / 1000 / 3000 nodes beside the kernel floor (SCALE_SIZES=)" need-root scale.sh
section "3. VM bring-up of 1/10/50 VMs and fail-fast" plain vm.sh
section "3b. fault schedule precision and heal -> first packet" plain schedule.sh
section "4. control API and aspen fault: request to first dropped packet" plain api.sh
section "5. fail fast: three node commands exit at once" need-root failfast.sh
section "6. multi-host: 3 simulated hosts x 30 nodes vs 1 host x 90" need-root multihost.sh
echo
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
exit $status

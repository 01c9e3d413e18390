# The syscall-level crash matrix, sampled (tests/crash/matrix.sh,
# docs/crash-matrix.md): one crash point of each scenario but apply30
# (evenly spaced over the sorted point names from a seeded offset:
# ASPEN_CRASH_SEED picks other points, ASPEN_CRASH_SAMPLE more of them),
# each checked for zero residue after destroy and for convergence on
# re-apply. `make crash-matrix` runs every point of every scenario.
#
# Failures this branch knows of and another branch fixes are listed in
# tests/crash/known-failures, which the matrix prints before it starts;
# with that file deleted nothing is tolerated.
known=""
[ -f "$ASPEN_TESTS/crash/known-failures" ] && known="--known $ASPEN_TESTS/crash/known-failures"
# shellcheck disable=SC2086 # $known is two words or none
exec sh "$ASPEN_TESTS/crash/matrix.sh" --sample "${ASPEN_CRASH_SAMPLE:-1}" \
	--only apply3,applyvm,destroy3,destroyvm,fault,heal,faultvm,healvm,schedule,run $known

# The syscall-level crash matrix, sampled (tests/crash/matrix.sh,
# docs/crash-matrix.md): every 80th crash point of each scenario (names
# sorted) plus a seeded few, each checked for zero residue after destroy and
# for convergence on re-apply. `make crash-matrix` runs every point.
#
# Failures the branch knows of and another branch fixes are listed in
# tests/crash/known-failures, which the matrix prints before it starts;
# with that file deleted nothing is tolerated.
known=""
[ -f "$ASPEN_TESTS/crash/known-failures" ] && known="--known $ASPEN_TESTS/crash/known-failures"
# shellcheck disable=SC2086 # $known is two words or none
exec sh "$ASPEN_TESTS/crash/matrix.sh" --sample "${ASPEN_CRASH_SAMPLE:-80}" $known

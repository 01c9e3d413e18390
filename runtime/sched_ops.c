/* sched_ops.c — the real fault mechanisms as a struct fault_ops.
 *
 * The scheduler, `aspen heal` and `aspen fault` call the mechanisms of
 * runtime/fault.h through this table, so a test or the bench can hand the
 * scheduler a recording double instead (schedule.h). Nothing else lives
 * here: the mechanisms themselves are fault*.c. */
#include "runtime/fault.h"
#include "runtime/schedule.h"

const struct fault_ops fault_ops_real = {
	.check_supported = fault_check_supported,
	.prepare = fault_prepare,
	.apply = fault_apply,
	.revert = fault_revert,
	.heal_all = fault_heal_all,
};

/* sched_ops.c — the real fault mechanisms as a struct fault_ops.
 *
 * The scheduler, `aspen heal` and `aspen fault` call the mechanisms of
 * runtime/fault.h through this table, so a test or the bench can hand the
 * scheduler a recording double instead (schedule.h). Nothing else lives
 * here: the mechanisms themselves are fault*.c. */
#include "runtime/fault.h"
#include "runtime/schedule.h"

/* Until the mechanisms (branch `faults`) are merged the symbols may be
 * absent: weak references leave the table's entries NULL, and the callers
 * then say "built without fault mechanisms". TODO(merge): drop these. */
#pragma weak fault_check_supported
#pragma weak fault_prepare
#pragma weak fault_apply
#pragma weak fault_revert
#pragma weak fault_heal_all

const struct fault_ops fault_ops_real = {
	.check_supported = fault_check_supported,
	.prepare = fault_prepare,
	.apply = fault_apply,
	.revert = fault_revert,
	.heal_all = fault_heal_all,
};

/* apply.h — the apply flow as a function, for `aspen apply` and `aspen run`.
 *
 * apply_run() is everything `aspen apply FILE` does after option parsing:
 * compile, lock, observe, plan, execute, wait for health, report. `aspen run`
 * calls it with a `then` hook that runs while the topology is still locked
 * and its runtime context open (the user's command, the fault schedule). */
#ifndef ASPEN_APPLY_H
#define ASPEN_APPLY_H

#include <stdbool.h>
#include <stdio.h>

#include "compiler/resource.h"
#include "compiler/topology.h"
#include "runtime/runtime.h"

/* Called after a successful apply (converged and, unless wait is false,
 * healthy), with the context still open and locked. Its return value is
 * apply_run's. */
typedef int (*apply_then_fn)(struct rt_ctx *c, const struct topology *t,
			     const struct res_list *desired, void *ud);

struct apply_opts {
	const char *file;               /* the topology file */
	char **argv;                    /* recorded in the lock as its holder */
	FILE *out;                      /* progress and summary (stdout for apply) */
	bool json;                      /* JSON event lines instead of text */
	bool brief;                     /* summary lines only, no line per action */
	bool wait;                      /* wait for health checks */
	int lock_ms;                    /* as lock_acquire: 0 fail at once */
	bool timings;                   /* --timings: where the time went, at the end */
	const char *artifacts;          /* --artifacts DIR: copy the runtime files and
					 * journal there when apply ends, or NULL */
	apply_then_fn then;             /* NULL: nothing */
	void *ud;
};

/* Returns an exit status: EXIT_OK, EXIT_ERR (messages printed), or what
 * `then` returned. */
int apply_run(const struct apply_opts *o);

#endif

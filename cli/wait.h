/* wait.h — waiting for a converged topology's nodes to be up. */
#ifndef ASPEN_WAIT_H
#define ASPEN_WAIT_H

#include <stdbool.h>

#include "cli/progress.h"
#include "compiler/topology.h"
#include "runtime/runtime.h"

/* Wait for every node's health checks (each group of nodes up to its own
 * timeout) and check every node command still runs (a command this apply
 * started has settled by then: drv_process.c). 0 when all are up; -1 with
 * the node, the check and the last error. */
int wait_healthy(struct rt_ctx *c, const struct topology *t, struct progress *pr,
		 struct rt_err *e);

#endif

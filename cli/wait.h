/* wait.h — waiting for a converged topology's nodes to be up. */
#ifndef ASPEN_WAIT_H
#define ASPEN_WAIT_H

#include <stdbool.h>

#include "cli/progress.h"
#include "compiler/topology.h"
#include "runtime/health.h"
#include "runtime/runtime.h"

/* Every node's health checks (tcp, ping, exec: up to 3 a node) and what
 * they point into: the namespace paths, and each exec check's environment
 * and argv with ${VAR} replaced. */
struct wait_checks {
	size_t n_nodes;
	struct health_check *v;         /* 3 * n_nodes */
	char (*nspath)[96];
	char ***envs, ***args;
};

/* Room for t's nodes; -1 with e set when out of memory. */
int wait_checks_alloc(struct wait_checks *w, const struct topology *t, struct rt_err *e);
void wait_checks_free(struct wait_checks *w);

/* Node i's checks into out (room for 3), which may be anywhere in w->v.
 * An exec check runs with the node's environment (nodeenv.h). Returns how
 * many, or -1 with e set. */
int wait_node_checks(struct wait_checks *w, const struct topology *t, size_t i,
		     struct health_check *out, struct rt_err *e);

/* Call before the plan runs: aspen becomes the reaper of the node commands
 * it daemonizes (PR_SET_CHILD_SUBREAPER), so a command that dies during the
 * wait stays our zombie and its exit status can be reported. */
void wait_prepare(void);

/* Wait for every node's health checks (each group of nodes up to its own
 * timeout) and check every node command still runs (a command this apply
 * started has settled by then: drv_process.c); a command that exits ends
 * the wait at once. 0 when all are up; -1 with the node, the check and the
 * last completed attempt's result, or every node that is down with its exit
 * status and log path; then *detail (malloc'd, may stay NULL) holds each
 * dead command's log excerpt, lines indented for stderr. */
int wait_healthy(struct rt_ctx *c, const struct topology *t, struct progress *pr,
		 struct rt_err *e, char **detail);

#endif

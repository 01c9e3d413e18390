/* wait.h — waiting for a converged topology's nodes to be up. */
#ifndef ASPEN_WAIT_H
#define ASPEN_WAIT_H

#include <stdbool.h>

#include "cli/progress.h"
#include "compiler/topology.h"
#include "runtime/health.h"
#include "runtime/runtime.h"

/* Node i's health checks (tcp, ping, exec: up to 3) into out; nspath is
 * the storage their namespace path points into. An exec check runs with the
 * node's environment and its argv with ${VAR} replaced: *envp and *argv
 * (NULL without one; the caller frees both with nodeenv_free). Returns how
 * many, or -1 with e set. */
int wait_node_checks(const struct topology *t, size_t i, char nspath[96],
		     struct health_check out[3], char ***envp, char ***argv, struct rt_err *e);

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

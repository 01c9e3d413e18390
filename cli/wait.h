/* wait.h — waiting for a converged topology's nodes to be up. */
#ifndef ASPEN_WAIT_H
#define ASPEN_WAIT_H

#include <stdbool.h>

#include "cli/progress.h"
#include "compiler/topology.h"
#include "runtime/health.h"
#include "runtime/runtime.h"

/* nd's health checks (tcp, ping, exec: up to 3) into out; nspath is the
 * storage their namespace path points into. Returns how many. */
size_t wait_node_checks(const struct topo_node *nd, char nspath[96], struct health_check out[3]);

/* Call before the plan runs: aspen becomes the reaper of the node commands
 * it daemonizes (PR_SET_CHILD_SUBREAPER), so a command that dies during the
 * wait stays our zombie and its exit status can be reported. */
void wait_prepare(void);

/* Wait for every node's health checks (each group of nodes up to its own
 * timeout) and check every node command still runs; a command that exits
 * ends the wait at once. spawned: processes were started by this apply (a
 * command without checks gets a moment to fail). 0 when all are up; -1
 * with the node, the check and the last completed attempt's result, or
 * every node that is down with its exit status and log path; then *detail
 * (malloc'd, may stay NULL) holds each dead command's log excerpt, lines
 * indented for stderr. */
int wait_healthy(struct rt_ctx *c, const struct topology *t, struct progress *pr, bool spawned,
		 struct rt_err *e, char **detail);

#endif

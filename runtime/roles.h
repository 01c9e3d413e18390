/* roles.h — fault targets chosen when the fault fires: "@ROLE", "@others".
 *
 * One entry point, called by the schedule's apply path (schedule.c,
 * fault_arm) for a fault whose targets name roles. It runs each named
 * role's probe once per node, in parallel, and returns a copy of the fault
 * whose targets are the nodes holding the role at this moment. */
#ifndef ASPEN_ROLES_H
#define ASPEN_ROLES_H

#include "compiler/topology.h"
#include "runtime/err.h"
#include "runtime/runtime.h"

/* Resolve f's role targets now. Returns 0 with *out (a copy of f in
 * c->arena, every target a node) and *note ("@leader = node2"), 1 when the
 * fault must be skipped (a role held by no node, an empty @others, a node
 * that would end up on two sides of a partition: e->msg says which), -1 on
 * a system error. f without roles comes back as it is. */
int roles_resolve(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
		  const struct topo_fault **out, const char **note, struct rt_err *e);

#endif

/* plan.h — the action plan: what apply changes, in which order.
 *
 * plan_compute() diffs desired resources (from lowering) against observed
 * resources (empty for a fresh system; journal + live probe at runtime) and
 * orders the actions: creates and updates follow dependencies, deletes run in
 * reverse dependency order before anything that replaces them. The plan also
 * carries the fault schedule as a timeline, for display.
 *
 * The compiler is pure: nothing here makes a system call. */
#ifndef ASPEN_PLAN_H
#define ASPEN_PLAN_H

#include <stdint.h>
#include <stdio.h>

#include "compiler/resource.h"
#include "compiler/topology.h"

enum action_op {
	ACT_CREATE,     /* + */
	ACT_UPDATE,     /* ~ : only updatable props differ */
	ACT_REPLACE,    /* -/+ : delete then create */
	ACT_DELETE,     /* - */
};

struct prop_change {
	const char *key, *old_value, *new_value;   /* old or new NULL when absent */
};

struct action {
	enum action_op op;
	const struct resource *desired;    /* NULL for DELETE */
	const struct resource *observed;   /* NULL for CREATE */
	struct prop_change *changes; size_t n_changes;  /* UPDATE/REPLACE */
	const char *reason;                /* short why, for REPLACE ("mac changed") */
};

enum timeline_event { TL_APPLY, TL_REVERT };

struct timeline_entry {
	uint64_t at_us;
	enum timeline_event ev;
	const struct topo_fault *fault;
	const char *desc;                  /* "partition [node1] | [node2 node3]" */
};

struct plan {
	struct arena arena;
	const char *topology;               /* name */
	struct action *actions; size_t n_actions;
	size_t n_create, n_update, n_replace, n_delete;
	struct timeline_entry *timeline; size_t n_timeline;
};

/* Compute the plan. desired/observed are not copied: they must outlive the
 * plan. topo may be NULL (destroy from the journal alone: no timeline).
 * Returns 0, or -1 with a message in d (a dependency cycle or a dependency on
 * an id that exists nowhere: both are compiler bugs, but are reported). */
int plan_compute(struct plan *p, const struct topology *topo,
		 const struct res_list *desired, const struct res_list *observed,
		 struct diag_list *d);
void plan_free(struct plan *p);

/* A plan that deletes every observed resource, in reverse dependency order. */
int plan_destroy(struct plan *p, const struct res_list *observed, struct diag_list *d);

/* Human output: Terraform-style lines, a summary, the timeline. */
void plan_print_text(const struct plan *p, FILE *out, bool color);
/* Stable JSON (see docs/plan-json.md). */
void plan_print_json(const struct plan *p, FILE *out);

/* One-line description of a fault for timelines and events. */
const char *fault_describe(struct arena *a, const struct topology *t, const struct topo_fault *f);

#endif

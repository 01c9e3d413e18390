/* plan.h — the action plan: what apply changes, in which order.
 *
 * plan_compute() diffs desired resources (from lowering) against observed
 * resources (empty for a fresh system; journal + live probe at runtime) and
 * orders the actions: creates and updates follow dependencies, deletes run in
 * reverse dependency order before anything that replaces them. The plan also
 * carries the fault schedule as a timeline, for display.
 *
 * Execution model (what the runtime's executor does with plan.actions):
 * the entries run in array order. First come every PHASE_DELETE entry —
 * DELETEs and the delete halves of REPLACEs — in reverse dependency order of
 * the observed resources; then every PHASE_CREATE entry — CREATEs, UPDATEs
 * and the create halves of REPLACEs — in dependency order of the desired
 * resources. A REPLACE therefore appears twice (once per phase, same action
 * contents); the printers show it once, as one `-/+` line at its create
 * position, and the summary counts it once. Because a replacement cascades to
 * every existing dependent, nothing that stays depends on a deleted resource.
 *
 * The compiler is pure: nothing here makes a system call. */
#ifndef ASPEN_PLAN_H
#define ASPEN_PLAN_H

#include <stdbool.h>
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

enum action_phase {
	PHASE_DELETE,   /* remove `observed` (DELETE, first half of REPLACE) */
	PHASE_CREATE,   /* create or update `desired` (CREATE, UPDATE, second half of REPLACE) */
};

struct action {
	enum action_op op;
	enum action_phase phase;
	const struct resource *desired;    /* NULL for DELETE */
	const struct resource *observed;   /* NULL for CREATE */
	struct prop_change *changes; size_t n_changes;  /* UPDATE/REPLACE */
	const char *reason;                /* short why, for REPLACE ("mac changed") */
};

/* True for the entries a display shows: all but the delete half of a REPLACE. */
static inline bool action_shown(const struct action *a)
{
	return !(a->op == ACT_REPLACE && a->phase == PHASE_DELETE);
}

enum timeline_event { TL_APPLY, TL_REVERT };

struct timeline_entry {
	uint64_t at_us;
	enum timeline_event ev;
	const struct topo_fault *fault;
	const char *desc;                  /* "partition [node1] | [node2 node3]";
					      a pause's revert reads "resume node1" */
};

struct plan {
	struct arena arena;
	const char *topology;               /* name; NULL for plan_destroy (the caller may set it) */
	struct action *actions; size_t n_actions;   /* entries, in execution order (see above) */
	size_t n_create, n_update, n_replace, n_delete;
	struct timeline_entry *timeline; size_t n_timeline;
	/* The seed the timeline was drawn with, when some fault picks at
	 * random (plan_timeline copies it from the topology). */
	bool uses_random;
	uint64_t seed;
	enum seed_source seed_source;
};

/* "the file", "--seed", "random", "default": where a seed came from. */
const char *plan_seed_source(enum seed_source s);

/* Compute the plan. desired/observed are not copied: they must outlive the
 * plan. topo may be NULL (destroy from the journal alone: no timeline).
 * Returns 0, or -1 with a message in d (a dependency cycle, a duplicate id,
 * or a desired resource depending on an id that is not desired: compiler
 * bugs, but reported). An observed dependency on an id that is not observed
 * is ignored: that resource is already gone. p is initialised here and must
 * be released with plan_free() whatever the result. Runs in
 * O((R + D) log R) for R resources and D dependencies. */
int plan_compute(struct plan *p, const struct topology *topo,
		 const struct res_list *desired, const struct res_list *observed,
		 struct diag_list *d);
void plan_free(struct plan *p);

/* A plan that deletes every observed resource, in reverse dependency order. */
int plan_destroy(struct plan *p, const struct res_list *observed, struct diag_list *d);

/* Human output: Terraform-style lines, a summary, the timeline. */
/* whole: values as they are (`-v`), not shortened to what changed. */
void plan_print_text(const struct plan *p, FILE *out, bool color, bool whole);
/* The fault schedule part of plan_print_text alone (nothing without one):
 * a multi-host plan prints it once after every host's actions. */
void plan_print_schedule(const struct plan *p, FILE *out);
/* Stable JSON (see docs/plan-json.md). */
void plan_print_json(const struct plan *p, FILE *out);
/* The same object as the value of a key the caller wrote, indented for
 * nesting depth (0..6) and without the final newline: the multi-host plan
 * puts one per host in its own JSON. */
void plan_print_json_in(const struct plan *p, FILE *out, int depth);

/* One-line description of a fault for timelines and events. */
const char *fault_describe(struct arena *a, const struct topology *t, const struct topo_fault *f);

/* Fill p->timeline from t's faults (timeline.c): an APPLY at at_us, and a
 * REVERT at at_us + for_us when the fault has `for`. Sorted by time; at the
 * same instant reverts come before applies, then by fault index. */
void plan_timeline(struct plan *p, const struct topology *t);

/* A duration the way the language writes it: "0", "500us", "1.5ms",
 * "100ms", "5s", "1m30s", "1h", "1.25s". buf of at least 32 bytes. */
void plan_fmt_duration(char *buf, size_t n, uint64_t us);

#endif

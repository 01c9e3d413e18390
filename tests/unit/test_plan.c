/* test_plan.c — diffing desired against observed resources and ordering
 * the actions: fresh creates, no-op plans, in-place updates, replacements
 * and their cascade, deletions, the phase invariants every plan must keep,
 * error cases, destroy plans, the fault timeline and speed at 1000 nodes. */
#include "tests/testutil.h"

#include <time.h>

#include "tests/unit/fixture.h"

/* ---------------- helpers ---------------- */

/* Two netns nodes with a command on one network with a gateway. mtu 0 =
 * default; with_n2 false leaves n2 out. */
static struct topology *small(uint32_t mtu, bool with_n2)
{
	struct topology *t = fx_topology("p", 4);
	fx_network(t, "lan", "10.1.0.0/24", "10.1.0.1", mtu);
	struct topo_node *n1 = fx_node(t, "n1", NODE_NETNS);
	fx_iface(t, n1, "lan", "10.1.0.2");
	fx_command(t, n1, (const char *const[]){"srv", NULL});
	if (with_n2) {
		struct topo_node *n2 = fx_node(t, "n2", NODE_NETNS);
		fx_iface(t, n2, "lan", "10.1.0.3");
		fx_command(t, n2, (const char *const[]){"srv", NULL});
	}
	return t;
}

static const char *op_sym(enum action_op op)
{
	static const char *const s[] = {"+", "~", "-/+", "-"};
	return s[op];
}

/* "d -/+ id\n" per entry: phase (d/c), op symbol, id. */
static char *steps(const struct plan *p)
{
	char *s = NULL;
	FX_CAPTURE(s, {
		for (size_t i = 0; i < p->n_actions; i++) {
			const struct action *a = &p->actions[i];
			const struct resource *r = a->desired ? a->desired : a->observed;
			fprintf(out, "%c %s %s\n", a->phase == PHASE_DELETE ? 'd' : 'c',
				op_sym(a->op), r->id);
		}
	});
	return s;
}

static void assert_steps(const struct plan *p, const char *want)
{
	char *got = steps(p);
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "---- got:\n%s---- want:\n%s----\n", got, want);
		free(got);
		fail();
	}
	free(got);
}

static size_t step_index(const struct plan *p, enum action_phase ph, const char *id)
{
	for (size_t i = 0; i < p->n_actions; i++) {
		const struct action *a = &p->actions[i];
		const struct resource *r = ph == PHASE_DELETE ? a->observed : a->desired;
		if (a->phase == ph && r && strcmp(r->id, id) == 0)
			return i;
	}
	return SIZE_MAX;
}

/* What every plan must satisfy, whatever the inputs:
 *  - all delete-phase entries come before all create-phase entries;
 *  - a deleted resource's observed dependents are deleted before it;
 *  - no observed resource that is kept depends on one that is deleted;
 *  - a created/updated resource's deps are created earlier or already exist
 *    and are kept;
 *  - each REPLACE has exactly one entry per phase. */
static void check_invariants(const struct plan *p, const struct res_list *des,
			     const struct res_list *obs)
{
	bool in_create = false;
	for (size_t i = 0; i < p->n_actions; i++) {
		const struct action *a = &p->actions[i];
		if (a->phase == PHASE_CREATE)
			in_create = true;
		else
			assert_false(in_create);
		if (a->op == ACT_REPLACE) {
			assert_int_not_equal(step_index(p, PHASE_DELETE, a->observed->id), SIZE_MAX);
			assert_int_not_equal(step_index(p, PHASE_CREATE, a->desired->id), SIZE_MAX);
		}
	}
	for (size_t j = 0; j < obs->n; j++) {
		const struct resource *r = &obs->v[j];
		size_t del = step_index(p, PHASE_DELETE, r->id);
		for (size_t k = 0; k < r->n_deps; k++) {
			size_t dd = step_index(p, PHASE_DELETE, r->deps[k]);
			if (dd == SIZE_MAX)
				continue;
			/* r depends on something deleted: r must be deleted, first. */
			assert_int_not_equal(del, SIZE_MAX);
			assert_true(del < dd);
		}
	}
	for (size_t i = 0; i < des->n; i++) {
		const struct resource *r = &des->v[i];
		size_t at = step_index(p, PHASE_CREATE, r->id);
		if (at == SIZE_MAX)
			continue;
		for (size_t k = 0; k < r->n_deps; k++) {
			size_t dc = step_index(p, PHASE_CREATE, r->deps[k]);
			if (dc != SIZE_MAX) {
				assert_true(dc < at);
			} else {
				/* not touched: must exist and survive */
				assert_non_null(fx_find(obs, r->deps[k]));
				assert_int_equal(step_index(p, PHASE_DELETE, r->deps[k]), SIZE_MAX);
			}
		}
	}
}

static const struct action *shown(const struct plan *p, const char *id)
{
	for (size_t i = 0; i < p->n_actions; i++) {
		const struct action *a = &p->actions[i];
		const struct resource *r = a->desired ? a->desired : a->observed;
		if (action_shown(a) && strcmp(r->id, id) == 0)
			return a;
	}
	return NULL;
}

/* ---------------- scenarios ---------------- */

static void test_fresh_create(void **state)
{
	(void)state;
	struct topology *t = small(0, true);
	struct res_list des = {0}, obs = {0};
	topo_lower(t, &des);
	struct diag_list d;
	diag_init(&d, "p.yaml");
	struct plan p;
	assert_int_equal(plan_compute(&p, t, &des, &obs, &d), 0);
	assert_steps(&p,
		     "c + bridge/lan\n"
		     "c + netns/n1\n"
		     "c + netns/n2\n"
		     "c + addr/lan\n"
		     "c + veth/n1.eth0\n"
		     "c + veth/n2.eth0\n"
		     "c + addr/n1.eth0\n"
		     "c + addr/n2.eth0\n"
		     "c + route/n1\n"
		     "c + route/n2\n"
		     "c + process/n1\n"
		     "c + process/n2\n");
	assert_int_equal(p.n_create, 12);
	assert_int_equal(p.n_update + p.n_replace + p.n_delete, 0);
	assert_string_equal(p.topology, "p");
	check_invariants(&p, &des, &obs);
	plan_free(&p);
	diag_clear(&d);
	topo_free(t);
}

/* Waves: everything without a pending dependency first (in list order, not
 * the alphabet), then what depended on them; a list whose order puts a
 * dependent first still gets its dependency created first. */
static void test_create_respects_deps_not_list(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct res_list des = {0}, obs = {0};
	struct resource *r = res_list_add(&des, &a, RES_PROCESS, "process/x");
	res_add_dep(&a, r, "netns/x");
	res_list_add(&des, &a, RES_BRIDGE, "bridge/z");
	res_list_add(&des, &a, RES_NETNS, "netns/x");
	res_list_add(&des, &a, RES_BRIDGE, "bridge/a");
	struct diag_list d;
	diag_init(&d, NULL);
	struct plan p;
	assert_int_equal(plan_compute(&p, NULL, &des, &obs, &d), 0);
	assert_steps(&p, "c + bridge/z\nc + netns/x\nc + bridge/a\nc + process/x\n");
	assert_null(p.topology);
	assert_int_equal(p.n_timeline, 0);
	plan_free(&p);
	diag_clear(&d);
	arena_free(&a);
}

static void test_no_change(void **state)
{
	(void)state;
	struct topology *t = small(0, true);
	struct res_list des = {0}, obs = {0};
	topo_lower(t, &des);
	struct arena oa;
	arena_init(&oa);
	fx_clone(&obs, &oa, &des);
	struct diag_list d;
	diag_init(&d, NULL);
	struct plan p;
	assert_int_equal(plan_compute(&p, t, &des, &obs, &d), 0);
	assert_int_equal(p.n_actions, 0);
	assert_int_equal(p.n_create + p.n_update + p.n_replace + p.n_delete, 0);
	plan_free(&p);
	diag_clear(&d);
	arena_free(&oa);
	topo_free(t);
}

static void test_mtu_update(void **state)
{
	(void)state;
	struct topology *want = small(9000, true), *had = small(1500, true);
	struct res_list des = {0}, obs = {0};
	topo_lower(want, &des);
	topo_lower(had, &obs);
	struct diag_list d;
	diag_init(&d, NULL);
	struct plan p;
	assert_int_equal(plan_compute(&p, want, &des, &obs, &d), 0);
	assert_steps(&p, "c ~ bridge/lan\nc ~ veth/n1.eth0\nc ~ veth/n2.eth0\n");
	assert_int_equal(p.n_update, 3);
	const struct action *a = shown(&p, "veth/n1.eth0");
	assert_int_equal(a->n_changes, 1);
	assert_string_equal(a->changes[0].key, "mtu");
	assert_string_equal(a->changes[0].old_value, "1500");
	assert_string_equal(a->changes[0].new_value, "9000");
	assert_null(a->reason);
	check_invariants(&p, &des, &obs);
	plan_free(&p);

	/* From the default MTU (no prop) to 9000: still an update, old absent. */
	struct topology *dflt = small(0, true);
	struct res_list obs2 = {0};
	topo_lower(dflt, &obs2);
	assert_int_equal(plan_compute(&p, want, &des, &obs2, &d), 0);
	assert_int_equal(p.n_update, 3);
	assert_int_equal(p.n_replace, 0);
	a = shown(&p, "bridge/lan");
	assert_null(a->changes[0].old_value);
	assert_string_equal(a->changes[0].new_value, "9000");
	plan_free(&p);
	diag_clear(&d);
	topo_free(want);
	topo_free(had);
	topo_free(dflt);
}

static void test_mac_replace_cascades(void **state)
{
	(void)state;
	struct topology *t = small(0, true);
	struct res_list des = {0}, obs = {0};
	topo_lower(t, &des);
	struct arena oa;
	arena_init(&oa);
	fx_clone(&obs, &oa, &des);
	res_set(&oa, fx_find(&obs, "veth/n1.eth0"), "mac", "02:00:00:00:99:99");
	struct diag_list d;
	diag_init(&d, NULL);
	struct plan p;
	assert_int_equal(plan_compute(&p, t, &des, &obs, &d), 0);
	assert_steps(&p,
		     "d -/+ process/n1\n"
		     "d -/+ route/n1\n"
		     "d -/+ addr/n1.eth0\n"
		     "d -/+ veth/n1.eth0\n"
		     "c -/+ veth/n1.eth0\n"
		     "c -/+ addr/n1.eth0\n"
		     "c -/+ route/n1\n"
		     "c -/+ process/n1\n");
	assert_int_equal(p.n_replace, 4);
	assert_int_equal(p.n_create + p.n_update + p.n_delete, 0);
	const struct action *a = shown(&p, "veth/n1.eth0");
	assert_string_equal(a->reason, "mac changed");
	assert_int_equal(a->n_changes, 1);
	assert_string_equal(a->changes[0].old_value, "02:00:00:00:99:99");
	assert_string_equal(a->changes[0].new_value, "02:00:00:00:01:00");
	assert_string_equal(shown(&p, "addr/n1.eth0")->reason,
			    "depends on veth/n1.eth0, which is replaced");
	assert_int_equal(shown(&p, "addr/n1.eth0")->n_changes, 0);
	assert_string_equal(shown(&p, "route/n1")->reason,
			    "depends on addr/n1.eth0, which is replaced");
	assert_string_equal(shown(&p, "process/n1")->reason,
			    "depends on veth/n1.eth0, which is replaced");
	assert_null(shown(&p, "veth/n2.eth0"));
	check_invariants(&p, &des, &obs);
	plan_free(&p);
	diag_clear(&d);
	arena_free(&oa);
	topo_free(t);
}

/* Renaming the bridge replaces almost everything: each replacement deletes
 * its dependents first and recreates them after. */
static void test_bridge_rename_ordered_safely(void **state)
{
	(void)state;
	struct topology *t = small(0, true);
	struct res_list des = {0}, obs = {0};
	topo_lower(t, &des);
	struct arena oa;
	arena_init(&oa);
	fx_clone(&obs, &oa, &des);
	res_set(&oa, fx_find(&obs, "bridge/lan"), "name", "br-old");
	struct diag_list d;
	diag_init(&d, NULL);
	struct plan p;
	assert_int_equal(plan_compute(&p, t, &des, &obs, &d), 0);
	/* Everything but the namespaces depends on the bridge. */
	assert_int_equal(p.n_replace, 10);
	assert_null(shown(&p, "netns/n1"));
	assert_string_equal(shown(&p, "bridge/lan")->reason, "name changed");
	assert_string_equal(shown(&p, "addr/lan")->reason,
			    "depends on bridge/lan, which is replaced");
	assert_string_equal(shown(&p, "veth/n2.eth0")->reason,
			    "depends on bridge/lan, which is replaced");
	assert_true(step_index(&p, PHASE_DELETE, "process/n1") <
		    step_index(&p, PHASE_DELETE, "veth/n1.eth0"));
	assert_int_equal(step_index(&p, PHASE_DELETE, "bridge/lan"), 9);
	assert_int_equal(step_index(&p, PHASE_CREATE, "bridge/lan"), 10);
	check_invariants(&p, &des, &obs);
	plan_free(&p);
	diag_clear(&d);
	arena_free(&oa);
	topo_free(t);
}

/* Dependents found only through the observed graph are replaced too: the
 * journal says the route needs the veth, the desired graph does not. */
static void test_cascade_through_observed_deps(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct res_list des = {0}, obs = {0};
	struct resource *r = res_list_add(&des, &a, RES_VETH, "veth/x");
	res_set(&a, r, "mac", "new");
	r = res_list_add(&des, &a, RES_ROUTE, "route/x");
	res_set(&a, r, "gateway", "g");
	r = res_list_add(&obs, &a, RES_VETH, "veth/x");
	res_set(&a, r, "mac", "old");
	r = res_list_add(&obs, &a, RES_ROUTE, "route/x");
	res_set(&a, r, "gateway", "g");
	res_add_dep(&a, r, "veth/x");
	struct diag_list d;
	diag_init(&d, NULL);
	struct plan p;
	assert_int_equal(plan_compute(&p, NULL, &des, &obs, &d), 0);
	assert_steps(&p, "d -/+ route/x\nd -/+ veth/x\nc -/+ veth/x\nc -/+ route/x\n");
	assert_string_equal(shown(&p, "route/x")->reason, "depends on veth/x, which is replaced");
	plan_free(&p);

	/* A kept resource whose observed dependency goes away entirely is
	 * recreated as well. */
	struct res_list des2 = {0};
	r = res_list_add(&des2, &a, RES_ROUTE, "route/x");
	res_set(&a, r, "gateway", "g");
	assert_int_equal(plan_compute(&p, NULL, &des2, &obs, &d), 0);
	assert_steps(&p, "d -/+ route/x\nd - veth/x\nc -/+ route/x\n");
	assert_string_equal(shown(&p, "route/x")->reason, "depends on veth/x, which is deleted");
	check_invariants(&p, &des2, &obs);
	plan_free(&p);
	diag_clear(&d);
	arena_free(&a);
}

static void test_removed_node(void **state)
{
	(void)state;
	struct topology *want = small(0, false), *had = small(0, true);
	struct res_list des = {0}, obs = {0};
	topo_lower(want, &des);
	topo_lower(had, &obs);
	struct diag_list d;
	diag_init(&d, NULL);
	struct plan p;
	assert_int_equal(plan_compute(&p, want, &des, &obs, &d), 0);
	/* n1's environment loses n2, so its process restarts. */
	assert_steps(&p,
		     "d - process/n2\n"
		     "d - route/n2\n"
		     "d - addr/n2.eth0\n"
		     "d - veth/n2.eth0\n"
		     "d - netns/n2\n"
		     "d -/+ process/n1\n"
		     "c -/+ process/n1\n");
	assert_int_equal(p.n_delete, 5);
	assert_int_equal(p.n_replace, 1);
	assert_string_equal(shown(&p, "process/n1")->reason, "cluster changed");
	const struct action *del = shown(&p, "netns/n2");
	assert_int_equal(del->op, ACT_DELETE);
	assert_null(del->desired);
	assert_non_null(del->observed);
	check_invariants(&p, &des, &obs);
	plan_free(&p);
	diag_clear(&d);
	topo_free(want);
	topo_free(had);
}

static void test_kind_change(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct res_list des = {0}, obs = {0};
	struct resource *r = res_list_add(&des, &a, RES_TAP, "x/1");
	res_set(&a, r, "mtu", "1500");
	r = res_list_add(&obs, &a, RES_VETH, "x/1");
	res_set(&a, r, "mtu", "1500");
	struct diag_list d;
	diag_init(&d, NULL);
	struct plan p;
	assert_int_equal(plan_compute(&p, NULL, &des, &obs, &d), 0);
	assert_int_equal(p.n_replace, 1);
	assert_string_equal(shown(&p, "x/1")->reason, "kind changed (veth -> tap)");
	plan_free(&p);
	diag_clear(&d);
	arena_free(&a);
}

/* ---------------- errors ---------------- */

static void test_cycle(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct res_list des = {0}, obs = {0};
	res_list_add(&des, &a, RES_NETNS, "netns/ok");
	struct resource *r = res_list_add(&des, &a, RES_VETH, "veth/a");
	res_add_dep(&a, r, "addr/b");
	r = res_list_add(&des, &a, RES_ADDR, "addr/b");
	res_add_dep(&a, r, "veth/a");
	struct diag_list d;
	diag_init(&d, NULL);
	struct plan p;
	assert_int_equal(plan_compute(&p, NULL, &des, &obs, &d), -1);
	assert_true(diag_failed(&d));
	assert_string_equal(d.v[0].msg,
			    "plan: dependency cycle among desired resources: veth/a, addr/b");
	assert_int_equal(p.n_actions, 0);
	plan_free(&p);
	diag_clear(&d);

	/* A self-dependency is a cycle too. */
	struct res_list self = {0};
	r = res_list_add(&self, &a, RES_NETNS, "netns/s");
	res_add_dep(&a, r, "netns/s");
	assert_int_equal(plan_compute(&p, NULL, &self, &obs, &d), -1);
	assert_non_null(strstr(d.v[0].msg, "cycle"));
	plan_free(&p);
	diag_clear(&d);

	/* A cycle among observed resources blocks their deletion. */
	assert_int_equal(plan_destroy(&p, &des, &d), -1);
	assert_string_equal(d.v[0].msg,
			    "plan: dependency cycle among observed resources: veth/a, addr/b");
	plan_free(&p);
	diag_clear(&d);
	arena_free(&a);
}

static void test_unknown_and_duplicate(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct res_list des = {0}, obs = {0};
	struct resource *r = res_list_add(&des, &a, RES_VETH, "veth/a");
	res_add_dep(&a, r, "netns/nowhere");
	struct diag_list d;
	diag_init(&d, NULL);
	struct plan p;
	assert_int_equal(plan_compute(&p, NULL, &des, &obs, &d), -1);
	assert_string_equal(d.v[0].msg, "plan: veth/a depends on unknown resource \"netns/nowhere\"");
	plan_free(&p);
	diag_clear(&d);

	/* Observed deps on vanished resources are tolerated (drift). */
	assert_int_equal(plan_destroy(&p, &des, &d), 0);
	assert_steps(&p, "d - veth/a\n");
	plan_free(&p);

	struct res_list dup = {0};
	res_list_add(&dup, &a, RES_NETNS, "netns/x");
	res_list_add(&dup, &a, RES_NETNS, "netns/x");
	assert_int_equal(plan_compute(&p, NULL, &dup, &obs, &d), -1);
	assert_string_equal(d.v[0].msg, "plan: duplicate desired resource id \"netns/x\"");
	plan_free(&p);
	diag_clear(&d);
	arena_free(&a);
}

static void test_destroy(void **state)
{
	(void)state;
	struct topology *t = small(0, true);
	struct res_list obs = {0};
	topo_lower(t, &obs);
	struct diag_list d;
	diag_init(&d, NULL);
	struct plan p;
	assert_int_equal(plan_destroy(&p, &obs, &d), 0);
	assert_steps(&p,
		     "d - process/n2\n"
		     "d - process/n1\n"
		     "d - route/n2\n"
		     "d - route/n1\n"
		     "d - addr/n2.eth0\n"
		     "d - addr/n1.eth0\n"
		     "d - veth/n2.eth0\n"
		     "d - veth/n1.eth0\n"
		     "d - addr/lan\n"
		     "d - netns/n2\n"
		     "d - netns/n1\n"
		     "d - bridge/lan\n");
	assert_int_equal(p.n_delete, 12);
	assert_null(p.topology);
	struct res_list none = {0};
	check_invariants(&p, &none, &obs);
	plan_free(&p);

	assert_int_equal(plan_destroy(&p, &none, &d), 0);
	assert_int_equal(p.n_actions, 0);
	plan_free(&p);
	plan_free(NULL);
	diag_clear(&d);
	topo_free(t);
}

/* ---------------- timeline ---------------- */

static struct topology *with_faults(void)
{
	struct topology *t = small(0, true);
	const uint64_t S = 1000000;
	struct topo_fault *f = fx_fault(t, FAULT_PARTITION, 5 * S, 10 * S);
	f->u.partition.mode = PART_GROUPS;
	f->u.partition.groups = arena_array(&t->arena, 2, sizeof(struct target_list));
	f->u.partition.groups[0] = fx_targets(t, (const char *const[]){"n1", NULL});
	f->u.partition.groups[1] = fx_targets(t, (const char *const[]){"n2", "n3", NULL});
	f->u.partition.n_groups = 2;
	f = fx_fault(t, FAULT_LATENCY, 15 * S, 5 * S);
	f->u.impair.targets = fx_targets(t, (const char *const[]){"n2", NULL});
	f->u.impair.delay_us = 100000;
	f->u.impair.jitter_us = 10000;
	f = fx_fault(t, FAULT_KILL, 15 * S, 0);
	f->u.node.targets = fx_targets(t, (const char *const[]){"n3", NULL});
	f = fx_fault(t, FAULT_PAUSE, 1 * S, 14 * S);
	f->u.node.targets = fx_targets(t, (const char *const[]){"n1", "n2", NULL});
	f->label = "freeze";
	return t;
}

static void test_timeline(void **state)
{
	(void)state;
	struct topology *t = with_faults();
	struct res_list des = {0}, obs = {0};
	topo_lower(t, &des);
	struct diag_list d;
	diag_init(&d, NULL);
	struct plan p;
	assert_int_equal(plan_compute(&p, t, &des, &obs, &d), 0);
	char *got = NULL;
	FX_CAPTURE(got, {
		for (size_t i = 0; i < p.n_timeline; i++)
			fprintf(out, "%llu %s %zu %s\n", (unsigned long long)p.timeline[i].at_us,
				p.timeline[i].ev == TL_APPLY ? "apply" : "revert",
				p.timeline[i].fault->index, p.timeline[i].desc);
	});
	assert_string_equal(got,
			    "1000000 apply 3 pause n1 n2\n"
			    "5000000 apply 0 partition [n1] | [n2 n3]\n"
			    "15000000 revert 0 partition [n1] | [n2 n3]\n"
			    "15000000 revert 3 resume n1 n2\n"
			    "15000000 apply 1 latency n2 100ms \u00b110ms\n"
			    "15000000 apply 2 kill n3\n"
			    "20000000 revert 1 latency n2 100ms \u00b110ms\n");
	free(got);
	plan_free(&p);
	diag_clear(&d);
	topo_free(t);
}

static void test_fault_describe(void **state)
{
	(void)state;
	struct topology *t = small(0, true);
	struct arena *a = &t->arena;
	struct topo_fault f;

	memset(&f, 0, sizeof(f));
	f.kind = FAULT_PARTITION;
	f.u.partition.mode = PART_ONEWAY;
	f.u.partition.groups = arena_array(a, 2, sizeof(struct target_list));
	f.u.partition.groups[0] = fx_targets(t, (const char *const[]){"node1", NULL});
	f.u.partition.groups[1] = fx_targets(t, (const char *const[]){"node2", NULL});
	f.u.partition.n_groups = 2;
	assert_string_equal(fault_describe(a, t, &f), "partition node1 -> node2 (one-way)");
	f.u.partition.mode = PART_ISOLATE;
	f.u.partition.n_groups = 1;
	assert_string_equal(fault_describe(a, t, &f), "partition isolate node1");

	memset(&f, 0, sizeof(f));
	f.kind = FAULT_LOSS;
	f.u.impair.targets = fx_targets(t, (const char *const[]){"node2.eth0", NULL});
	f.u.impair.percent = 20;
	f.u.impair.direction = DIR_EGRESS;
	assert_string_equal(fault_describe(a, t, &f), "loss node2.eth0 20% egress");
	f.u.impair.direction = DIR_BOTH;
	f.u.impair.percent = 0.5;
	f.u.impair.correlation = 25;
	assert_string_equal(fault_describe(a, t, &f), "loss node2.eth0 0.5% correlation 25%");

	memset(&f, 0, sizeof(f));
	f.kind = FAULT_RATE;
	f.u.impair.targets = fx_targets(t, (const char *const[]){"node1", NULL});
	f.u.impair.rate_bps = 10000000;
	assert_string_equal(fault_describe(a, t, &f), "rate node1 10mbit");
	f.u.impair.rate_bps = 1500;
	f.u.impair.burst_bytes = 32768;
	assert_string_equal(fault_describe(a, t, &f), "rate node1 1500bit burst 32K");

	memset(&f, 0, sizeof(f));
	f.kind = FAULT_LATENCY;
	f.u.impair.targets = fx_targets(t, (const char *const[]){"node2", NULL});
	f.u.impair.delay_us = 1500000;
	assert_string_equal(fault_describe(a, t, &f), "latency node2 1.5s");

	memset(&f, 0, sizeof(f));
	f.kind = FAULT_REORDER;
	f.u.impair.targets = fx_targets(t, (const char *const[]){"node2", NULL});
	f.u.impair.percent = 25;
	f.u.impair.delay_us = 10000;
	assert_string_equal(fault_describe(a, t, &f), "reorder node2 25% delay 10ms");

	memset(&f, 0, sizeof(f));
	f.kind = FAULT_LINK_DOWN;
	f.u.link.targets = fx_targets(t, (const char *const[]){"node1.eth0", NULL});
	assert_string_equal(fault_describe(a, t, &f), "link-down node1.eth0");

	memset(&f, 0, sizeof(f));
	f.kind = FAULT_PAUSE;
	f.u.node.targets = fx_targets(t, (const char *const[]){"node1", "node2", NULL});
	assert_string_equal(fault_describe(a, t, &f), "pause node1 node2");
	f.kind = FAULT_KILL;
	f.u.node.targets.n = 0;
	f.u.node.targets = fx_targets(t, (const char *const[]){"node3", NULL});
	assert_string_equal(fault_describe(a, t, &f), "kill node3");
	topo_free(t);
}

static void test_durations(void **state)
{
	(void)state;
	static const struct { uint64_t us; const char *s; } cases[] = {
		{0, "0"}, {1, "1us"}, {500, "500us"}, {1000, "1ms"}, {1500, "1.5ms"},
		{100000, "100ms"}, {1000000, "1s"}, {1500000, "1.5s"}, {1250000, "1.25s"},
		{60000000, "1m"}, {90000000, "1m30s"}, {3600000000ull, "1h"},
		{3661000000ull, "1h1m1s"}, {3600500000ull, "1h0.5s"}, {1000001, "1.000001s"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[32];
		plan_fmt_duration(buf, sizeof(buf), cases[i].us);
		assert_string_equal(buf, cases[i].s);
	}
}

/* ---------------- determinism and speed ---------------- */

static char *plan_json(const struct plan *p)
{
	char *s = NULL;
	FX_CAPTURE(s, plan_print_json(p, out));
	return s;
}

static void test_deterministic(void **state)
{
	(void)state;
	struct topology *want = small(9000, false), *had = small(0, true);
	struct res_list des = {0}, obs = {0};
	topo_lower(want, &des);
	topo_lower(had, &obs);
	struct arena oa;
	arena_init(&oa);
	res_set(&oa, fx_find(&obs, "veth/n1.eth0"), "mac", "02:aa:aa:aa:aa:aa");
	struct diag_list d;
	diag_init(&d, NULL);
	struct plan p1, p2;
	assert_int_equal(plan_compute(&p1, want, &des, &obs, &d), 0);
	assert_int_equal(plan_compute(&p2, want, &des, &obs, &d), 0);
	char *a = plan_json(&p1), *b = plan_json(&p2);
	assert_string_equal(a, b);
	check_invariants(&p1, &des, &obs);
	free(a);
	free(b);
	plan_free(&p1);
	plan_free(&p2);
	diag_clear(&d);
	arena_free(&oa);
	topo_free(want);
	topo_free(had);
}

/* 1000 netns nodes with commands (~6000 resources): a fresh plan, a no-op
 * plan and a destroy plan are complete and correct at scale. Speed is the
 * benchmark's business (bench_compile), never a test's. */
static void test_thousand_nodes(void **state)
{
	(void)state;
	enum { N = 1000 };
	struct topology *t = fx_big_cluster(N);
	struct res_list des = {0}, none = {0};
	topo_lower(t, &des);
	assert_int_equal(des.n, 2 + 5 * N);
	struct diag_list d;
	diag_init(&d, NULL);
	struct plan p;
	assert_int_equal(plan_compute(&p, t, &des, &none, &d), 0);
	assert_int_equal(p.n_create, des.n);
	check_invariants(&p, &des, &none);   /* O(n^2) checker, outside the timing */
	plan_free(&p);
	assert_int_equal(plan_compute(&p, t, &des, &des, &d), 0);
	assert_int_equal(p.n_actions, 0);
	plan_free(&p);
	assert_int_equal(plan_destroy(&p, &des, &d), 0);
	assert_int_equal(p.n_delete, des.n);
	plan_free(&p);
	diag_clear(&d);
	topo_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_create),
		cmocka_unit_test(test_create_respects_deps_not_list),
		cmocka_unit_test(test_no_change),
		cmocka_unit_test(test_mtu_update),
		cmocka_unit_test(test_mac_replace_cascades),
		cmocka_unit_test(test_bridge_rename_ordered_safely),
		cmocka_unit_test(test_cascade_through_observed_deps),
		cmocka_unit_test(test_removed_node),
		cmocka_unit_test(test_kind_change),
		cmocka_unit_test(test_cycle),
		cmocka_unit_test(test_unknown_and_duplicate),
		cmocka_unit_test(test_destroy),
		cmocka_unit_test(test_timeline),
		cmocka_unit_test(test_fault_describe),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_thousand_nodes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* plan.c — diff desired against observed resources and order the actions.
 *
 * The data first: both resource lists are indexed by id (strmap) and turned
 * into integer dependency graphs (CSR arrays of deps and of dependents), so
 * every later step is linear in resources + dependencies.
 *
 *   1. classify   each desired resource: same, create, update (only
 *                 updatable props differ) or replace; each observed-only
 *                 resource: delete.
 *   2. cascade    a replaced or deleted resource takes its existing
 *                 dependents with it (the kernel drops an address with its
 *                 veth): they are replaced too, "depends on X, which is
 *                 replaced". Dependents are followed in the desired graph and
 *                 in the observed graph, so nothing that survives the delete
 *                 phase depends on something it removed.
 *   3. order      deletes (and the delete halves of replaces) in reverse
 *                 dependency order of the observed graph; then creates,
 *                 updates and replace-creates in dependency order of the
 *                 desired graph. Both are Kahn's algorithm in waves (a min-heap
 *                 on dependency depth, then list position), so independent
 *                 actions stay together and the plan is deterministic.
 *
 * Temporaries live in a local arena; the plan's actions, changes and reasons
 * in the plan's arena. */
#include "compiler/plan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/strmap.h"

#define NONE SIZE_MAX

/* ---------------- integer graphs ---------------- */

struct graph {
	size_t n;
	size_t *dep_off, *dep;          /* deps of i: dep[dep_off[i] .. dep_off[i+1]) */
	size_t *rev_off, *rev;          /* dependents of i, likewise */
};

/* Index a list by id. Duplicate ids are an error. */
static int index_ids(struct strmap *m, const struct res_list *l, const char *what,
		     struct diag_list *d)
{
	strmap_init(m, l->n);
	for (size_t i = 0; i < l->n; i++) {
		if (!strmap_put(m, l->v[i].id, i, NULL)) {
			diag_error(d, (struct pos){0, 0}, NULL, "plan: duplicate %s resource id \"%s\"",
				   what, l->v[i].id);
			return -1;
		}
	}
	return 0;
}

/* Build g from l's deps. With strict, a dep missing from the list is an
 * error; otherwise it is dropped (an observed dependency that is gone). */
static int graph_build(struct graph *g, struct arena *a, const struct res_list *l,
		       const struct strmap *m, bool strict, struct diag_list *d)
{
	size_t n = l->n, e = 0;
	g->n = n;
	g->dep_off = arena_array(a, n + 1, sizeof(size_t));
	g->rev_off = arena_array(a, n + 1, sizeof(size_t));
	for (size_t i = 0; i < n; i++)
		e += l->v[i].n_deps;
	g->dep = arena_array(a, e + 1, sizeof(size_t));
	g->rev = arena_array(a, e + 1, sizeof(size_t));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		g->dep_off[i] = k;
		for (size_t j = 0; j < l->v[i].n_deps; j++) {
			size_t t;
			if (strmap_get(m, l->v[i].deps[j], &t)) {
				g->dep[k++] = t;
				g->rev_off[t + 1]++;
			} else if (strict) {
				diag_error(d, (struct pos){0, 0}, NULL,
					   "plan: %s depends on unknown resource \"%s\"",
					   l->v[i].id, l->v[i].deps[j]);
				return -1;
			}
		}
	}
	g->dep_off[n] = k;
	for (size_t i = 0; i < n; i++)
		g->rev_off[i + 1] += g->rev_off[i];
	size_t *fill = arena_array(a, n + 1, sizeof(size_t));
	memcpy(fill, g->rev_off, (n + 1) * sizeof(size_t));
	for (size_t i = 0; i < n; i++)
		for (size_t j = g->dep_off[i]; j < g->dep_off[i + 1]; j++)
			g->rev[fill[g->dep[j]]++] = i;
	return 0;
}

/* ---------------- a min-heap of indices ---------------- */

struct heap {
	size_t *v, n;
};

static void heap_push(struct heap *h, size_t x)
{
	size_t i = h->n++;
	while (i > 0 && h->v[(i - 1) / 2] > x) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = x;
}

static size_t heap_pop(struct heap *h)
{
	size_t top = h->v[0], x = h->v[--h->n], i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1] < h->v[c])
			c++;
		if (h->v[c] >= x)
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = x;
	return top;
}

/* Topological order (dependencies first) of the members of g (member[i];
 * NULL = all), in waves: first everything with no pending dependency, then
 * everything that only depended on the first wave, and so on; within a wave
 * by index. Waves keep independent actions together, so the executor can
 * journal once per wave, and the plan reads kind by kind (bridges, then
 * namespaces, then veths...). Dependencies on non-members are ignored.
 * Writes the order to out and returns its length; a result shorter than the
 * member count means a cycle, and then stuck[i] marks the nodes on or behind
 * it. */
static size_t topo_sort(const struct graph *g, const bool *member, struct arena *a,
			size_t *out, size_t **stuck_indeg)
{
	size_t *indeg = arena_array(a, g->n + 1, sizeof(size_t));
	size_t *level = arena_array(a, g->n + 1, sizeof(size_t));
	const size_t base = g->n + 1;           /* heap key = level * base + index */
	struct heap h = {arena_array(a, g->n + 1, sizeof(size_t)), 0};
	for (size_t i = 0; i < g->n; i++) {
		if (member && !member[i])
			continue;
		for (size_t j = g->dep_off[i]; j < g->dep_off[i + 1]; j++)
			if (!member || member[g->dep[j]])
				indeg[i]++;
		if (indeg[i] == 0)
			heap_push(&h, i);
	}
	size_t n = 0;
	while (h.n) {
		size_t i = heap_pop(&h) % base;
		out[n++] = i;
		for (size_t j = g->rev_off[i]; j < g->rev_off[i + 1]; j++) {
			size_t k = g->rev[j];
			if (member && !member[k])
				continue;
			if (level[k] < level[i] + 1)
				level[k] = level[i] + 1;
			if (--indeg[k] == 0)
				heap_push(&h, level[k] * base + k);
		}
	}
	*stuck_indeg = indeg;
	return n;
}

static void report_cycle(struct diag_list *d, const struct res_list *l, const bool *member,
			 const size_t *indeg, const char *what)
{
	char buf[512];
	size_t len = 0, shown = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < l->n && shown < 6; i++) {
		if ((member && !member[i]) || indeg[i] == 0)
			continue;
		int w = snprintf(buf + len, sizeof(buf) - len, "%s%s", shown ? ", " : "", l->v[i].id);
		if (w < 0 || (size_t)w >= sizeof(buf) - len)
			break;
		len += (size_t)w;
		shown++;
	}
	diag_error(d, (struct pos){0, 0}, NULL, "plan: dependency cycle among %s resources: %s",
		   what, buf);
}

/* ---------------- classification ---------------- */

enum dstate { D_SAME, D_CREATE, D_UPDATE, D_REPLACE };

struct plan_ctx {
	struct plan *p;
	struct arena tmp;
	const struct res_list *des, *obs;
	struct strmap dmap, omap;
	struct graph dg, og;
	enum dstate *state;             /* per desired */
	struct prop_change **changes;   /* per desired */
	size_t *n_changes;
	const char **reason;
	size_t *d2o, *o2d;              /* counterpart index or NONE */
	bool *deleted;                  /* per observed: not desired */
};

/* Compare props of a desired resource with its observed counterpart. */
static void classify(struct plan_ctx *c, size_t i)
{
	const struct resource *dr = &c->des->v[i], *or = &c->obs->v[c->d2o[i]];
	struct prop_change *ch = NULL;
	size_t nch = 0;
	const char *forcing = NULL;
	for (int pass = 0; pass < 2; pass++) {
		size_t x = 0, y = 0, k = 0;
		while (x < dr->n_props || y < or->n_props) {
			int cmp = x >= dr->n_props ? 1 : y >= or->n_props ? -1
				  : strcmp(dr->props[x].key, or->props[y].key);
			const char *key, *ov = NULL, *nv = NULL;
			if (cmp == 0) {
				key = dr->props[x].key;
				nv = dr->props[x++].value;
				ov = or->props[y++].value;
				if (strcmp(nv, ov) == 0)
					continue;
			} else if (cmp < 0) {
				key = dr->props[x].key;
				nv = dr->props[x++].value;
			} else {
				key = or->props[y].key;
				ov = or->props[y++].value;
			}
			if (pass == 1)
				ch[k] = (struct prop_change){key, ov, nv};
			else if (!forcing && !res_prop_updatable_in(dr, key))
				forcing = key;
			k++;
		}
		if (pass == 0) {
			nch = k;
			if (nch == 0)
				break;
			ch = arena_array(&c->p->arena, nch, sizeof(*ch));
		}
	}
	c->changes[i] = ch;
	c->n_changes[i] = nch;
	if (dr->kind != or->kind) {
		c->state[i] = D_REPLACE;
		c->reason[i] = arena_printf(&c->p->arena, "kind changed (%s -> %s)",
					    res_kinds[or->kind].name, res_kinds[dr->kind].name);
	} else if (forcing) {
		c->state[i] = D_REPLACE;
		c->reason[i] = arena_printf(&c->p->arena, "%s changed", forcing);
	} else {
		c->state[i] = nch ? D_UPDATE : D_SAME;
	}
}

/* Mark desired resource i replaced because of `cause`; true if it was not. */
static bool cascade_mark(struct plan_ctx *c, size_t i, const char *cause, const char *how)
{
	if (c->state[i] == D_REPLACE || c->state[i] == D_CREATE)
		return false;
	c->state[i] = D_REPLACE;
	c->reason[i] = arena_printf(&c->p->arena, "depends on %s, which is %s", cause, how);
	return true;
}

/* Replacement and deletion take existing dependents with them. A work item
 * is a desired index (replaced) or NONE-offset observed index (deleted). */
static void cascade(struct plan_ctx *c)
{
	size_t nd = c->des->n, no = c->obs->n;
	size_t *q = arena_array(&c->tmp, nd + no + 1, sizeof(size_t));
	size_t qh = 0, qt = 0;
	for (size_t i = 0; i < nd; i++)
		if (c->state[i] == D_REPLACE)
			q[qt++] = i;
	for (size_t j = 0; j < no; j++)
		if (c->deleted[j])
			q[qt++] = nd + j;
	while (qh < qt) {
		size_t w = q[qh++];
		size_t oj = w >= nd ? w - nd : c->d2o[w];
		const char *cause = w >= nd ? c->obs->v[oj].id : c->des->v[w].id;
		const char *how = w >= nd ? "deleted" : "replaced";
		if (w < nd)
			for (size_t e = c->dg.rev_off[w]; e < c->dg.rev_off[w + 1]; e++)
				if (cascade_mark(c, c->dg.rev[e], cause, how))
					q[qt++] = c->dg.rev[e];
		if (oj == NONE)
			continue;
		for (size_t e = c->og.rev_off[oj]; e < c->og.rev_off[oj + 1]; e++) {
			size_t k = c->o2d[c->og.rev[e]];
			if (k != NONE && cascade_mark(c, k, cause, how))
				q[qt++] = k;
		}
	}
}

/* ---------------- ordering ---------------- */

static struct action *emit(struct plan *p, enum action_op op, enum action_phase ph)
{
	struct action *a = &p->actions[p->n_actions++];
	a->op = op;
	a->phase = ph;
	return a;
}

static int order_deletes(struct plan_ctx *c, struct diag_list *d)
{
	size_t no = c->obs->n;
	bool *del = arena_array(&c->tmp, no + 1, sizeof(bool));
	size_t ndel = 0;
	for (size_t j = 0; j < no; j++) {
		del[j] = c->deleted[j] || c->state[c->o2d[j]] == D_REPLACE;
		ndel += del[j];
	}
	size_t *order = arena_array(&c->tmp, no + 1, sizeof(size_t)), *indeg;
	size_t n = topo_sort(&c->og, del, &c->tmp, order, &indeg);
	if (n < ndel) {
		report_cycle(d, c->obs, del, indeg, "observed");
		return -1;
	}
	while (n-- > 0) {
		size_t j = order[n];
		if (c->deleted[j]) {
			struct action *a = emit(c->p, ACT_DELETE, PHASE_DELETE);
			a->observed = &c->obs->v[j];
			c->p->n_delete++;
			continue;
		}
		size_t i = c->o2d[j];
		struct action *a = emit(c->p, ACT_REPLACE, PHASE_DELETE);
		a->desired = &c->des->v[i];
		a->observed = &c->obs->v[j];
		a->changes = c->changes[i];
		a->n_changes = c->n_changes[i];
		a->reason = c->reason[i];
	}
	return 0;
}

static int order_creates(struct plan_ctx *c, struct diag_list *d)
{
	size_t nd = c->des->n;
	size_t *order = arena_array(&c->tmp, nd + 1, sizeof(size_t)), *indeg;
	size_t n = topo_sort(&c->dg, NULL, &c->tmp, order, &indeg);
	if (n < nd) {
		report_cycle(d, c->des, NULL, indeg, "desired");
		return -1;
	}
	static const enum action_op ops[] = {[D_CREATE] = ACT_CREATE, [D_UPDATE] = ACT_UPDATE,
					     [D_REPLACE] = ACT_REPLACE};
	for (size_t k = 0; k < n; k++) {
		size_t i = order[k];
		if (c->state[i] == D_SAME)
			continue;
		struct action *a = emit(c->p, ops[c->state[i]], PHASE_CREATE);
		a->desired = &c->des->v[i];
		a->observed = c->d2o[i] == NONE ? NULL : &c->obs->v[c->d2o[i]];
		a->changes = c->changes[i];
		a->n_changes = c->n_changes[i];
		a->reason = c->reason[i];
		c->p->n_create += c->state[i] == D_CREATE;
		c->p->n_update += c->state[i] == D_UPDATE;
		c->p->n_replace += c->state[i] == D_REPLACE;
	}
	return 0;
}

/* ---------------- entry points ---------------- */

static void ctx_alloc(struct plan_ctx *c)
{
	size_t nd = c->des->n + 1, no = c->obs->n + 1;
	c->state = arena_array(&c->tmp, nd, sizeof(*c->state));
	c->changes = arena_array(&c->tmp, nd, sizeof(*c->changes));
	c->n_changes = arena_array(&c->tmp, nd, sizeof(*c->n_changes));
	c->reason = arena_array(&c->tmp, nd, sizeof(*c->reason));
	c->d2o = arena_array(&c->tmp, nd, sizeof(*c->d2o));
	c->o2d = arena_array(&c->tmp, no, sizeof(*c->o2d));
	c->deleted = arena_array(&c->tmp, no, sizeof(*c->deleted));
}

static int plan_run(struct plan_ctx *c, struct diag_list *d)
{
	size_t nd = c->des->n, no = c->obs->n;
	if (index_ids(&c->dmap, c->des, "desired", d) || index_ids(&c->omap, c->obs, "observed", d))
		return -1;
	if (graph_build(&c->dg, &c->tmp, c->des, &c->dmap, true, d) ||
	    graph_build(&c->og, &c->tmp, c->obs, &c->omap, false, d))
		return -1;
	ctx_alloc(c);
	for (size_t j = 0; j < no; j++)
		c->o2d[j] = NONE;
	for (size_t i = 0; i < nd; i++) {
		size_t j;
		if (!strmap_get(&c->omap, c->des->v[i].id, &j)) {
			c->d2o[i] = NONE;
			c->state[i] = D_CREATE;
			continue;
		}
		c->d2o[i] = j;
		c->o2d[j] = i;
		classify(c, i);
	}
	for (size_t j = 0; j < no; j++)
		c->deleted[j] = c->o2d[j] == NONE;
	cascade(c);
	c->p->actions = arena_array(&c->p->arena, nd + no + 1, sizeof(*c->p->actions));
	if (order_deletes(c, d) || order_creates(c, d))
		return -1;
	return 0;
}

static void plan_init(struct plan *p)
{
	memset(p, 0, sizeof(*p));
	arena_init(&p->arena);
}

int plan_compute(struct plan *p, const struct topology *topo,
		 const struct res_list *desired, const struct res_list *observed,
		 struct diag_list *d)
{
	static const struct res_list empty;
	plan_init(p);
	p->topology = topo ? topo->name : NULL;
	struct plan_ctx c = {.p = p, .des = desired ? desired : &empty,
			     .obs = observed ? observed : &empty};
	arena_init(&c.tmp);
	int rc = plan_run(&c, d);
	strmap_free(&c.dmap);
	strmap_free(&c.omap);
	arena_free(&c.tmp);
	if (rc == 0 && topo)
		plan_timeline(p, topo);
	if (rc) {
		p->n_actions = 0;
		p->n_create = p->n_update = p->n_replace = p->n_delete = 0;
	}
	return rc;
}

int plan_destroy(struct plan *p, const struct res_list *observed, struct diag_list *d)
{
	return plan_compute(p, NULL, NULL, observed, d);
}

void plan_free(struct plan *p)
{
	if (!p)
		return;
	arena_free(&p->arena);
	memset(p, 0, sizeof(*p));
}

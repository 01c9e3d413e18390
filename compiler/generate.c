/* generate.c — nemesis generators: fault entries that repeat and pick their
 * targets from a seed, expanded into plain faults (topo_generate).
 *
 * An entry with `every` becomes one fault per start time from, from+every,
 * ... while the start is before `until`; an entry with a random pick
 * (`partition: random-halves`, `random-majority-ring`, `random-node`, a
 * target `random` / `random-node`) gets concrete nodes drawn from the seed.
 * The result replaces t->faults, so the timeline, the schedule checks
 * (node states, one mechanism per interface) and the runtime see ordinary
 * faults, and `aspen plan` shows exactly what will run.
 *
 * Determinism: the PRNG is splitmix64, aspen's own (never rand()), so a
 * seed gives the same faults on every machine and libc. Each entry draws
 * from its own stream (the seed mixed with the entry's index), so adding or
 * removing one entry does not change what the others pick.
 *
 * Entries are checked by validate.c before they are expanded (targets
 * resolved, `for` allowed, ...); what only a generator has — `every` > 0,
 * `until` after `from`, `for` at most `every` (instances of one entry never
 * overlap), enough nodes for the pick — is checked here. */
#include "compiler/compile.h"
#include "compiler/plan.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEN_MAX_INSTANCES 100000u       /* per entry: a typo in `every` stays an error */

uint64_t gen_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n) without modulo bias. */
static size_t gen_below(uint64_t *st, size_t n)
{
	uint64_t lim = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;
	do
		x = gen_next(st);
	while (x >= lim);
	return (size_t)(x % n);
}

static void gen_shuffle(uint64_t *st, size_t *v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = gen_below(st, i);
		size_t tmp = v[i - 1];
		v[i - 1] = v[j];
		v[j] = tmp;
	}
}

struct gen {
	struct topology *t;
	struct diag_list *d;
	char path[64];
};

/* ---------------- target lists ---------------- */

static struct target_list *gen_lists(struct topo_fault *f, size_t *n)
{
	if (f->kind == FAULT_PARTITION) {
		*n = f->pick == PICK_NONE ? f->u.partition.n_groups : 0;
		return f->u.partition.groups;
	}
	*n = 1;
	if (f->kind == FAULT_LINK_DOWN)
		return &f->u.link.targets;
	if (f->kind >= FAULT_KILL)
		return &f->u.node.targets;
	return &f->u.impair.targets;
}

static bool fault_has_random(const struct topo_fault *f)
{
	if (f->kind == FAULT_PARTITION && f->pick != PICK_NONE)
		return true;
	size_t n;
	const struct target_list *l = gen_lists((struct topo_fault *)f, &n);
	for (size_t g = 0; g < n; g++)
		for (size_t k = 0; k < l[g].n; k++)
			if (l[g].v[k].random)
				return true;
	return false;
}

/* A node for each random target of f: uniformly among the nodes no other
 * target of f names (so a pick never lands on both sides of a partition)
 * and, for kill, that no earlier instance of the entry killed. The lists
 * are copied: instances do not share what they picked. */
static bool gen_pick_targets(struct gen *g, struct topo_fault *f, uint64_t *st, bool *killed)
{
	struct topology *t = g->t;
	size_t nl;
	struct target_list *src = gen_lists(f, &nl);
	bool *taken = arena_array(&t->arena, t->n_nodes + 1, sizeof(bool));
	for (size_t l = 0; l < nl; l++)
		for (size_t k = 0; k < src[l].n; k++)
			if (src[l].v[k].node_idx < t->n_nodes)
				taken[src[l].v[k].node_idx] = true;
	if (killed)
		for (size_t i = 0; i < t->n_nodes; i++)
			taken[i] = taken[i] || killed[i];
	/* A partition's groups array is shared with the entry (f is a shallow
	 * copy): copy it. The other kinds hold their one list inside f. */
	struct target_list *dst = src;
	if (f->kind == FAULT_PARTITION) {
		dst = arena_array(&t->arena, nl + 1, sizeof(*dst));
		memcpy(dst, src, nl * sizeof(*dst));
		f->u.partition.groups = dst;
	}
	size_t *free_nodes = arena_array(&t->arena, t->n_nodes + 1, sizeof(size_t));
	for (size_t l = 0; l < nl; l++) {
		struct fault_target *v = arena_array(&t->arena, dst[l].n + 1, sizeof(*v));
		memcpy(v, dst[l].v, dst[l].n * sizeof(*v));
		dst[l].v = v;
		for (size_t k = 0; k < dst[l].n; k++) {
			if (!v[k].random)
				continue;
			size_t nf = 0;
			for (size_t i = 0; i < t->n_nodes; i++)
				if (!taken[i])
					free_nodes[nf++] = i;
			if (nf == 0) {
				diag_error(g->d, v[k].pos, g->path,
					   "no node left to pick for \"random\"%s", killed ?
					   ": every node is killed by an earlier repetition" :
					   ": every node is already a target of this fault");
				diag_hint(g->d, killed ? "kill cannot be undone: use `restart: random`, "
					  "or `pause: random` with `for`" : "name fewer nodes");
				return false;
			}
			size_t n = free_nodes[gen_below(st, nf)];
			taken[n] = true;
			v[k].node = t->nodes[n].name;
			v[k].iface = NULL;
			v[k].random = false;
			v[k].node_idx = n;
			v[k].iface_idx = SIZE_MAX;
			if (killed)
				killed[n] = true;
		}
	}
	return true;
}

/* ---------------- partitions from the seed ---------------- */

static int target_idx_cmp(const void *a, const void *b)
{
	const struct fault_target *x = a, *y = b;
	return (x->node_idx > y->node_idx) - (x->node_idx < y->node_idx);
}

static void gen_list_sorted(struct topology *t, struct target_list *l, const size_t *idx,
			    size_t n, struct pos pos)
{
	l->v = arena_array(&t->arena, n + 1, sizeof(*l->v));
	l->n = n;
	l->pos = pos;
	for (size_t i = 0; i < n; i++)
		l->v[i] = (struct fault_target){.node = t->nodes[idx[i]].name, .pos = pos,
						.node_idx = idx[i], .iface_idx = SIZE_MAX};
	qsort(l->v, n, sizeof(*l->v), target_idx_cmp);
}

/* random-halves: the shuffled nodes cut in two, the larger half first.
 * random-node: one node isolated. random-majority-ring (Jepsen's
 * majorities-ring): the shuffled nodes on a ring; each node sees the
 * majority window centred on itself and drops what the others send it, so
 * every node sees a majority and no two see the same one. */
static bool gen_partition(struct gen *g, struct topo_fault *f, uint64_t *st)
{
	struct topology *t = g->t;
	size_t n = t->n_nodes;
	size_t need = f->pick == PICK_RING ? 3 : f->pick == PICK_HALVES ? 2 : 1;
	if (n < need) {
		diag_error(g->d, f->kind_pos, g->path, "%s needs at least %zu nodes; the topology has %zu",
			   f->pick == PICK_RING ? "random-majority-ring" : "random-halves", need, n);
		return false;
	}
	size_t *r = arena_array(&t->arena, n + 1, sizeof(size_t));
	for (size_t i = 0; i < n; i++)
		r[i] = i;
	gen_shuffle(st, r, n);
	struct pos pos = f->kind_pos;
	if (f->pick == PICK_NODE) {
		f->u.partition.mode = PART_ISOLATE;
		f->u.partition.n_groups = 1;
		f->u.partition.groups = arena_array(&t->arena, 1, sizeof(struct target_list));
		gen_list_sorted(t, &f->u.partition.groups[0], r, 1, pos);
	} else if (f->pick == PICK_HALVES) {
		size_t big = n - n / 2;
		f->u.partition.mode = PART_GROUPS;
		f->u.partition.n_groups = 2;
		f->u.partition.groups = arena_array(&t->arena, 2, sizeof(struct target_list));
		gen_list_sorted(t, &f->u.partition.groups[0], r, big, pos);
		gen_list_sorted(t, &f->u.partition.groups[1], r + big, n - big, pos);
	} else {
		size_t m = n / 2 + 1, lo = m / 2;
		f->u.partition.mode = PART_GRUDGE;
		f->u.partition.n_groups = 2 * n;
		f->u.partition.groups = arena_array(&t->arena, 2 * n, sizeof(struct target_list));
		size_t *out = arena_array(&t->arena, n + 1, sizeof(size_t));
		size_t *pos_of = arena_array(&t->arena, n + 1, sizeof(size_t));
		for (size_t j = 0; j < n; j++)
			pos_of[r[j]] = j;
		/* In file order of the receiving node, so the text reads in order. */
		for (size_t b = 0; b < n; b++) {
			size_t c = pos_of[b], no = 0;
			for (size_t j = 0; j < n; j++) {
				/* distance of ring position j after the window's start */
				size_t d = (j + n - (c + n - lo) % n) % n;
				if (d >= m)
					out[no++] = r[j];
			}
			gen_list_sorted(t, &f->u.partition.groups[2 * b], out, no, pos);
			gen_list_sorted(t, &f->u.partition.groups[2 * b + 1], &b, 1, pos);
		}
	}
	f->pick = PICK_NONE;
	return true;
}

/* ---------------- entries ---------------- */

static bool gen_check(struct gen *g, const struct topo_fault *f, size_t *count)
{
	char a[32], b[32];
	*count = 1;
	if (!f->has_every)
		return true;
	if (f->every_us == 0) {
		diag_error(g->d, f->every_pos, g->path, "`every: 0` would repeat the fault forever at once");
		return false;
	}
	if (!f->has_until)
		return false;           /* reported by the decoder */
	if (f->until_us <= f->from_us) {
		plan_fmt_duration(a, sizeof(a), f->until_us);
		plan_fmt_duration(b, sizeof(b), f->from_us);
		diag_error(g->d, f->until_pos, g->path, "`until: %s` is not after `from: %s`", a, b);
		return false;
	}
	if (f->has_for && f->for_us > f->every_us) {
		plan_fmt_duration(a, sizeof(a), f->for_us);
		plan_fmt_duration(b, sizeof(b), f->every_us);
		diag_error(g->d, f->for_pos, g->path,
			   "`for: %s` is longer than `every: %s`: each repetition would overlap the next",
			   a, b);
		diag_hint(g->d, "make `for` at most `every`");
		return false;
	}
	uint64_t n = (f->until_us - f->from_us + f->every_us - 1) / f->every_us;
	if (n > GEN_MAX_INSTANCES) {
		plan_fmt_duration(a, sizeof(a), f->every_us);
		diag_error(g->d, f->every_pos, g->path,
			   "`every: %s` repeats the fault %" PRIu64 " times; at most %u are allowed",
			   a, n, GEN_MAX_INSTANCES);
		return false;
	}
	*count = (size_t)n;
	return true;
}

/* Expand entry f into out[*n...]; false (nothing added) on an error. */
static bool gen_entry(struct gen *g, const struct topo_fault *f, struct topo_fault *out,
		      size_t *n)
{
	struct topology *t = g->t;
	size_t count;
	if (!gen_check(g, f, &count))
		return false;
	bool random = fault_has_random(f);
	t->uses_random = t->uses_random || random;
	uint64_t st = t->seed ^ gen_next(&(uint64_t){f->index + 1});
	bool *killed = f->kind == FAULT_KILL ? arena_array(&t->arena, t->n_nodes + 1, sizeof(bool))
					       : NULL;
	size_t first = *n;
	for (size_t k = 0; k < count; k++) {
		struct topo_fault *x = &out[*n];
		*x = *f;
		if (f->has_every) {
			x->at_us = f->from_us + k * f->every_us;
			x->at_pos = f->every_pos;
			x->instance = k + 1;
		}
		if (x->kind == FAULT_PARTITION && x->pick != PICK_NONE) {
			if (!gen_partition(g, x, &st))
				break;
		} else if (random && !gen_pick_targets(g, x, &st, killed)) {
			break;
		}
		(*n)++;
	}
	if (*n - first != count) {
		*n = first;
		return false;
	}
	return true;
}

void topo_generate(struct topology *t, struct diag_list *d)
{
	size_t total = 0;
	struct gen g = {.t = t, .d = d};
	bool any = false;
	for (size_t i = 0; i < t->n_faults; i++) {
		size_t c = 1;
		const struct topo_fault *f = &t->faults[i];
		if (f->has_every || fault_has_random(f))
			any = true;
		if (f->has_every && f->every_us && f->has_until && f->until_us > f->from_us) {
			uint64_t n = (f->until_us - f->from_us + f->every_us - 1) / f->every_us;
			c = n > GEN_MAX_INSTANCES ? 1 : (size_t)n;
		}
		total += c;
	}
	if (!any)
		return;
	struct topo_fault *out = arena_array(&t->arena, total + 1, sizeof(*out));
	size_t n = 0;
	for (size_t i = 0; i < t->n_faults; i++) {
		snprintf(g.path, sizeof(g.path), "faults[%zu]", t->faults[i].index);
		gen_entry(&g, &t->faults[i], out, &n);
	}
	t->faults = out;
	t->n_faults = n;
}

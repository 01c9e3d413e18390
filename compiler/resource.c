/* resource.c — TEMPORARY, replaced by branch plan.
 *
 * A minimal implementation of compiler/resource.h so the runtime's journal
 * and its tests link on branch `state`. The real resource.c (kind table with
 * the updatable properties, validation of ids) lives on branch `plan`; drop
 * this file when merging. Everything lives in the caller's arena: the list's
 * array grows by copying into a bigger arena block, props stay sorted. */
#include "compiler/resource.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const struct res_kind_info res_kinds[RES__COUNT] = {
	[RES_NETNS] = {"netns", NULL},   [RES_BRIDGE] = {"bridge", NULL},
	[RES_ADDR] = {"addr", NULL},     [RES_VETH] = {"veth", NULL},
	[RES_TAP] = {"tap", NULL},       [RES_ROUTE] = {"route", NULL},
	[RES_PROCESS] = {"process", NULL}, [RES_VMM] = {"vmm", NULL},
	[RES_VM] = {"vm", NULL},
};

struct resource *res_list_add(struct res_list *l, struct arena *a, enum res_kind kind,
			      const char *id)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct resource *v = arena_array(a, cap, sizeof(*v));
		if (l->n)
			memcpy(v, l->v, l->n * sizeof(*v));
		l->v = v;
		l->cap = cap;
	}
	struct resource *r = &l->v[l->n++];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->id = arena_strdup(a, id);
	return r;
}

void res_set(struct arena *a, struct resource *r, const char *key, const char *value)
{
	size_t i = 0;
	while (i < r->n_props && strcmp(r->props[i].key, key) < 0)
		i++;
	if (i < r->n_props && strcmp(r->props[i].key, key) == 0) {
		r->props[i].value = arena_strdup(a, value);
		return;
	}
	struct prop *p = arena_array(a, r->n_props + 1, sizeof(*p));
	if (i)
		memcpy(p, r->props, i * sizeof(*p));
	p[i].key = arena_strdup(a, key);
	p[i].value = arena_strdup(a, value);
	if (r->n_props > i)
		memcpy(p + i + 1, r->props + i, (r->n_props - i) * sizeof(*p));
	r->props = p;
	r->n_props++;
}

void res_setf(struct arena *a, struct resource *r, const char *key, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	res_set(a, r, key, buf);
}

void res_add_dep(struct arena *a, struct resource *r, const char *dep_id)
{
	const char **d = arena_array(a, r->n_deps + 1, sizeof(*d));
	if (r->n_deps)
		memcpy(d, r->deps, r->n_deps * sizeof(*d));
	d[r->n_deps++] = arena_strdup(a, dep_id);
	r->deps = d;
}

const char *res_get(const struct resource *r, const char *key)
{
	for (size_t i = 0; i < r->n_props; i++)
		if (strcmp(r->props[i].key, key) == 0)
			return r->props[i].value;
	return NULL;
}

bool res_prop_updatable(enum res_kind kind, const char *key)
{
	(void)kind;
	(void)key;
	return false;
}

int res_kind_from_name(const char *name)
{
	for (int k = 0; k < RES__COUNT; k++)
		if (strcmp(res_kinds[k].name, name) == 0)
			return k;
	return -1;
}

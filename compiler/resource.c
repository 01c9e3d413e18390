/* resource.c — the resource kind table and the builders of resources.
 *
 * A resource is a bag of sorted string properties plus dependency ids. The
 * kind table is the one place that knows, per kind, which properties the
 * runtime can change in place (everything else forces a replacement) and
 * which properties summarise a resource on a plan line. Everything is
 * allocated in the caller's arena; arrays grow by doubling and the old copy
 * is simply left in the arena (a compile is freed at once). */
#include "compiler/resource.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "state" is never desired: a probe reports it when a live object lacks
 * something create sets that no other property names (a half-made or
 * drifted object); the update then finishes it (docs/executor.md). */
static const char *const upd_link[] = {"mtu", "state", NULL};
static const char *const upd_state[] = {"state", NULL};
/* A VXLAN port's forwarding table is changed entry by entry in place. */
static const char *const upd_vxlan[] = {"fdb", "mtu", "remotes", "state", NULL};
/* The policy itself changes without a restart; `cluster` too when the
 * desired process says restart_on=own (res_prop_updatable_in). */
static const char *const upd_process[] = {"restart_on", NULL};

static const char *const sum_netns[] = {"name", NULL};
static const char *const sum_bridge[] = {"name", "mtu", NULL};
static const char *const sum_addr[] = {"address", "dev", NULL};
static const char *const sum_veth[] = {"name", "bridge", "mac", "mtu", NULL};
static const char *const sum_tap[] = {"name", "bridge", "mtu", NULL};
static const char *const sum_route[] = {"gateway", "dev", NULL};
static const char *const sum_process[] = {"argv", NULL};
static const char *const sum_vmm[] = {"socket", NULL};
static const char *const sum_vm[] = {"cpus", "memory", NULL};
static const char *const sum_vxlan[] = {"name", "vni", "remotes", "mtu", NULL};

const struct res_kind_info res_kinds[RES__COUNT] = {
	[RES_NETNS] = {"netns", upd_state, sum_netns},
	[RES_BRIDGE] = {"bridge", upd_link, sum_bridge},
	[RES_ADDR] = {"addr", NULL, sum_addr},
	[RES_VETH] = {"veth", upd_link, sum_veth},
	[RES_TAP] = {"tap", upd_link, sum_tap},
	[RES_ROUTE] = {"route", NULL, sum_route},
	[RES_PROCESS] = {"process", upd_process, sum_process},
	[RES_VMM] = {"vmm", NULL, sum_vmm},
	[RES_VM] = {"vm", NULL, sum_vm},
	[RES_VXLAN] = {"vxlan", upd_vxlan, sum_vxlan},
};

/* Make room for one more element in an arena array of `size`-byte items.
 * Arrays not allocated here (cap < n) are copied on first growth. */
static void *res_grow(struct arena *a, void *v, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return v;
	size_t ncap = *cap > n ? *cap * 2 : (n ? n * 2 : 4);
	void *nv = arena_array(a, ncap, size);
	if (n)
		memcpy(nv, v, n * size);
	*cap = ncap;
	return nv;
}

struct resource *res_list_add(struct res_list *l, struct arena *a, enum res_kind kind,
			      const char *id)
{
	l->v = res_grow(a, l->v, l->n, &l->cap, sizeof(*l->v));
	struct resource *r = &l->v[l->n++];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->id = arena_strdup(a, id);
	return r;
}

/* Index of key in r->props, or of the slot where it would be inserted;
 * *found tells which. */
static size_t res_find(const struct resource *r, const char *key, bool *found)
{
	size_t lo = 0, hi = r->n_props;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(r->props[mid].key, key);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

void res_set(struct arena *a, struct resource *r, const char *key, const char *value)
{
	assert(key && value);
	bool found;
	size_t i = res_find(r, key, &found);
	if (found) {
		r->props[i].value = arena_strdup(a, value);
		return;
	}
	r->props = res_grow(a, r->props, r->n_props, &r->cap_props, sizeof(*r->props));
	memmove(&r->props[i + 1], &r->props[i], (r->n_props - i) * sizeof(*r->props));
	r->props[i].key = arena_strdup(a, key);
	r->props[i].value = arena_strdup(a, value);
	r->n_props++;
}

void res_set_ref(struct resource *r, struct arena *a, const char *key, const char *value)
{
	assert(key && value);
	bool found;
	size_t i = res_find(r, key, &found);
	if (!found) {
		r->props = res_grow(a, r->props, r->n_props, &r->cap_props, sizeof(*r->props));
		memmove(&r->props[i + 1], &r->props[i], (r->n_props - i) * sizeof(*r->props));
		r->n_props++;
	}
	r->props[i].key = key;
	r->props[i].value = value;
}

void res_setf(struct arena *a, struct resource *r, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		fputs("aspen: out of memory\n", stderr);
		abort();
	}
	res_set(a, r, key, s);
	free(s);
}

void res_add_dep(struct arena *a, struct resource *r, const char *dep_id)
{
	for (size_t i = 0; i < r->n_deps; i++)
		if (strcmp(r->deps[i], dep_id) == 0)
			return;
	r->deps = res_grow(a, r->deps, r->n_deps, &r->cap_deps, sizeof(*r->deps));
	r->deps[r->n_deps++] = arena_strdup(a, dep_id);
}

const char *res_get(const struct resource *r, const char *key)
{
	bool found;
	size_t i = res_find(r, key, &found);
	return found ? r->props[i].value : NULL;
}

bool res_prop_updatable(enum res_kind kind, const char *key)
{
	if ((unsigned)kind >= RES__COUNT || !res_kinds[kind].updatable)
		return false;
	for (const char *const *u = res_kinds[kind].updatable; *u; u++)
		if (strcmp(*u, key) == 0)
			return true;
	return false;
}

bool res_prop_updatable_in(const struct resource *r, const char *key)
{
	if (res_prop_updatable(r->kind, key))
		return true;
	const char *pol = r->kind == RES_PROCESS ? res_get(r, "restart_on") : NULL;
	return pol && strcmp(pol, "own") == 0 && strcmp(key, "cluster") == 0;
}

int res_kind_from_name(const char *name)
{
	for (int k = 0; k < RES__COUNT; k++)
		if (strcmp(res_kinds[k].name, name) == 0)
			return k;
	return -1;
}

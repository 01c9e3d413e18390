/* observe.c — what is live: the journal probed, plus discovery.
 *
 * Every journaled resource is handed to its driver's probe, which reports it
 * absent or present with live property values. Then discovery looks for
 * objects of this topology that the journal does not list — a crash between
 * a kernel call and the next journal save leaves exactly those — by their
 * ownership marks: link aliases, namespace marker files, node pidfiles
 * (<node>.pid: process/<node>; <node>.vmm.pid: vmm/<node>) and VMM API
 * sockets (<node>.sock: vmm/<node>, whose probe asks the VMM for its pid).
 * A discovered object becomes a resource with the properties a delete needs
 * (its name); the planner then replaces or deletes it like any other.
 * A link a crash left without its alias is not discovered here: the
 * journal already lists it (its intent is saved before it is created,
 * exec.c) and its probe proves it ours by its creation MAC. */
#include "runtime/runtime.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtime/mark.h"
#include "runtime/netns.h"
#include "runtime/nl.h"
#include "runtime/proc.h"

/* The resource with this id in l from position `from` on (NULL-safe), or NULL. */
static const struct resource *find_in(const struct res_list *l, size_t from, const char *id)
{
	for (size_t i = from; l && i < l->n; i++)
		if (strcmp(l->v[i].id, id) == 0)
			return &l->v[i];
	return NULL;
}

/* A copy of r as the template its probe fills in. "state" is the probe's
 * own finding, never carried over (an adopted half-made object is
 * journaled with it). */
static struct resource *copy_res(struct rt_ctx *c, struct res_list *out, const struct resource *r)
{
	struct resource *o = res_list_add(out, &c->arena, r->kind, r->id);
	for (size_t i = 0; i < r->n_props; i++)
		if (strcmp(r->props[i].key, "state") != 0)
			res_set(&c->arena, o, r->props[i].key, r->props[i].value);
	for (size_t i = 0; i < r->n_deps; i++)
		res_add_dep(&c->arena, o, r->deps[i]);
	return o;
}

/* Probe r; keep it in out when present. */
static int probe_into(struct rt_ctx *c, struct res_list *out, const struct resource *r,
		      struct rt_err *e)
{
	const struct res_driver *d = c->drv[r->kind];
	if (!d)
		return rt_errf(e, ENOTSUP, "%s: no driver for %s resources", r->id,
			       res_kinds[r->kind].name);
	struct resource *o = copy_res(c, out, r);
	bool present = false;
	if (d->probe(c, r, &present, o, e) < 0)
		return rt_err_prefix(e, "probe %s", r->id);
	if (!present)
		out->n--;          /* drop the copy: the arena keeps it until the end */
	return 0;
}

/* A resource id from a mark "aspen:<topology>:<id>" of this topology. */
static const char *mark_id(const struct rt_ctx *c, const char *mark)
{
	if (!mark_in_topology(mark, c->topology))
		return NULL;
	return mark + strlen(ASPEN_MARK_PREFIX) + strlen(c->topology) + 1;
}

/* An object found by its mark. When the topology still wants a resource
 * with that id, the desired resource is the template the probe checks the
 * live object against (so a crash leaves no needless replacement);
 * otherwise the object is known by its name alone, which is all a delete
 * needs. */
/* out holds the journal's resources that are present, then the ones
 * discovered so far (from c->observe_probed on): a journaled id is found
 * through the journal's index, and only the few discovered ones are
 * scanned, so discovery stays linear in the links and namespaces seen. */
static int discovered(struct rt_ctx *c, struct res_list *out, const struct res_list *desired,
		      const char *id, const char *name, struct rt_err *e)
{
	if (journal_find_resource(&c->journal, id) || find_in(out, c->observe_probed, id))
		return 0;
	const struct resource *want = find_in(desired, 0, id);
	if (want && (!name || !res_get(want, "name") || strcmp(res_get(want, "name"), name) == 0))
		return probe_into(c, out, want, e);
	const char *slash = strchr(id, '/');
	char kind[32];
	if (!slash || (size_t)(slash - id) >= sizeof(kind))
		return 0;
	memcpy(kind, id, (size_t)(slash - id));
	kind[slash - id] = '\0';
	int k = res_kind_from_name(kind);
	if (k < 0)
		return 0;
	struct res_list one = {0};
	struct resource *r = res_list_add(&one, &c->arena, (enum res_kind)k, arena_strdup(&c->arena, id));
	if (name)
		res_set(&c->arena, r, "name", arena_strdup(&c->arena, name));
	return probe_into(c, out, r, e);
}

static int link_cb(const struct nl_link_info *li, void *arg, struct rt_err *e)
{
	struct rt_ctx *c = ((void **)arg)[0];
	struct res_list *out = ((void **)arg)[1];
	const struct res_list *desired = ((void **)arg)[2];
	const char *id = mark_id(c, li->alias);
	return id ? discovered(c, out, desired, id, li->name, e) : 0;
}

static int discover_netns(struct rt_ctx *c, struct res_list *out, const struct res_list *desired,
			  struct rt_err *e)
{
	DIR *d = opendir(NETNS_OWNER_DIR);
	if (!d)
		return 0;
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n < 7 || strcmp(de->d_name + n - 6, ".owner") != 0)
			continue;
		char name[256], mark[ASPEN_MARK_MAX + 1];
		snprintf(name, sizeof(name), "%.*s", (int)(n - 6), de->d_name);
		struct rt_err ignore;
		if (netns_owner(name, mark, sizeof(mark), &ignore) < 0)
			continue;
		const char *id = mark_id(c, mark);
		if (id)
			rc = discovered(c, out, desired, id, name, e);
	}
	closedir(d);
	return rc;
}

static int discover_pidfiles(struct rt_ctx *c, struct res_list *out, const struct res_list *desired,
			     struct rt_err *e)
{
	DIR *d = opendir(c->run_dir);
	if (!d)
		return 0;
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char id[300];
		if (n > 8 && strcmp(de->d_name + n - 8, ".vmm.pid") == 0)
			snprintf(id, sizeof(id), "vmm/%.*s", (int)(n - 8), de->d_name);
		else if (n > 5 && strcmp(de->d_name + n - 5, ".sock") == 0)
			snprintf(id, sizeof(id), "vmm/%.*s", (int)(n - 5), de->d_name);
		else if (n > 4 && strcmp(de->d_name + n - 4, ".pid") == 0)
			snprintf(id, sizeof(id), "process/%.*s", (int)(n - 4), de->d_name);
		else
			continue;
		rc = discovered(c, out, desired, id, NULL, e);
	}
	closedir(d);
	return rc;
}

int rt_observe(struct rt_ctx *c, const struct res_list *desired, struct res_list *out,
	       struct rt_err *e)
{
	memset(out, 0, sizeof(*out));
	/* One dump of the host's links answers the probes' lookups and
	 * discovery alike (rt_link). */
	if (rt_link_each(c, c->host, NULL, NULL, e) < 0)
		return rt_err_prefix(e, "list links");
	const struct res_list *j = &c->journal.resources;
	for (size_t i = 0; i < j->n; i++)
		if (probe_into(c, out, &j->v[i], e) < 0)
			return -1;
	c->observe_probed = out->n;
	void *arg[3] = {c, out, (void *)desired};
	if (rt_link_each(c, c->host, link_cb, arg, e) < 0)
		return rt_err_prefix(e, "list links");
	if (discover_netns(c, out, desired, e) < 0 || discover_pidfiles(c, out, desired, e) < 0)
		return -1;
	return 0;
}

int rt_adopt(struct rt_ctx *c, const struct res_list *observed, struct rt_err *e)
{
	size_t added = 0;
	for (size_t i = 0; i < observed->n; i++) {
		const struct resource *r = &observed->v[i];
		if (journal_find_resource(&c->journal, r->id))
			continue;
		if (journal_set_resource(&c->journal, r, e) < 0)
			return -1;
		struct proc_id p;
		if ((r->kind == RES_PROCESS || r->kind == RES_VMM) && rt_process_find(c, r, &p))
			journal_set_process(&c->journal, r->id, &p);
		added++;
	}
	return added ? journal_save(&c->journal, e) : 0;
}

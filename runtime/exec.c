/* exec.c — running a plan against the live system.
 *
 * The plan is already in a safe order (deletes in reverse dependency order,
 * then creates and updates in dependency order). The executor walks it,
 * calls each resource kind's driver and records the result in the journal.
 *
 * Journal writes are batched: consecutive actions none of which depends on
 * another in the batch form a batch, and the journal is saved once per
 * batch, before any action that depends on the batch runs. A crash inside a
 * batch can leave objects the journal does not list; their ownership marks
 * (link alias, namespace marker, pidfile) let discovery (observe.c) find
 * them, so destroy stays complete. Saving once per batch instead of once per
 * action keeps a 100-node apply at a handful of fsyncs. A batch of deletes
 * alone is not saved: a journal that still lists deleted objects is safe
 * (their probes find them gone), so the save at the end is enough.
 *
 * Deletes of links and namespaces are checked (ownership) when their action
 * runs, and carried out together at the end of the delete phase: first all
 * links in one kernel batch (veth host ends take their peers along), then
 * the namespaces, which by then hold nothing but lo. Addresses and routes
 * inside a namespace or on a link that the plan deletes need no kernel call
 * at all. Deleting one link costs the kernel ~20-50 ms of RCU waiting, a
 * batch about the same, so a 100-node destroy pays it once, not 100 times.
 *
 * Independent creates of one kind run together when the driver can
 * (create_many): namespaces are made on all CPUs at once. */
#include "runtime/runtime.h"
#include "runtime/mark.h"
#include "runtime/netns.h"
#include "runtime/nl.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void emit(struct rt_ctx *c, enum rt_event_kind k, const struct action *a, size_t i,
		 size_t n, uint64_t us, const char *err)
{
	if (!c->on_event)
		return;
	struct rt_event ev = {k, a, i + 1, n, us, err};
	c->on_event(&ev, c->ud);
}

static const struct resource *action_res(const struct action *a)
{
	return a->phase == PHASE_DELETE ? a->observed : a->desired;
}

/* Does a depend on any resource touched by actions [from, to)? */
static bool depends_on_batch(const struct plan *p, size_t from, size_t to, const struct action *a)
{
	const struct resource *r = action_res(a);
	for (size_t i = from; i < to; i++) {
		const struct resource *b = action_res(&p->actions[i]);
		/* A delete must wait for deletes of its dependents: the reverse edge. */
		for (size_t k = 0; k < r->n_deps; k++)
			if (strcmp(r->deps[k], b->id) == 0)
				return true;
		for (size_t k = 0; k < b->n_deps; k++)
			if (strcmp(b->deps[k], r->id) == 0)
				return true;
		if (strcmp(b->id, r->id) == 0)
			return true;
	}
	return false;
}

static int run_action(struct rt_ctx *c, const struct action *a, struct rt_err *e)
{
	const struct resource *r = a->phase == PHASE_DELETE ? a->observed : a->desired;
	const struct res_driver *d = c->drv[r->kind];
	if (!d)
		return rt_errf(e, ENOTSUP, "%s: no driver for %s resources yet", r->id,
			       res_kinds[r->kind].name);
	if (a->phase == PHASE_DELETE) {          /* DELETE, or the first half of a REPLACE */
		if (d->destroy(c, a->observed, e) < 0)
			return -1;
		journal_remove_resource(&c->journal, a->observed->id);
		return 0;
	}
	if (a->op == ACT_UPDATE) {
		if (d->update(c, a->observed, a->desired, e) < 0)
			return -1;
		return journal_set_resource(&c->journal, a->desired, e);
	}
	if (a->op == ACT_CREATE || a->op == ACT_REPLACE) {
		if (d->create(c, a->desired, e) < 0)
			return -1;
		return journal_set_resource(&c->journal, a->desired, e);
	}
	return rt_errf(e, EINVAL, "unknown action");
}

/* Fault injection for the crash-safety tests: ASPEN_TEST_CRASH_AFTER=N
 * makes aspen SIGKILL itself right after its N-th action succeeds, before
 * any journal save that would follow — the worst moment to die. */
static size_t crash_after(void)
{
	const char *s = getenv("ASPEN_TEST_CRASH_AFTER");
	return s ? (size_t)strtoul(s, NULL, 10) : 0;
}

/* The namespaces and host links the plan deletes. */
static void collect_dying(struct rt_ctx *c, const struct plan *p)
{
	c->dying_ns = arena_array(&c->arena, p->n_actions + 1, sizeof(char *));
	c->dying_links = arena_array(&c->arena, p->n_actions + 1, sizeof(char *));
	c->n_dying_ns = c->n_dying_links = 0;
	for (size_t i = 0; i < p->n_actions; i++) {
		const struct action *a = &p->actions[i];
		if (a->phase != PHASE_DELETE)
			continue;
		const char *name = res_get(a->observed, "name");
		enum res_kind k = a->observed->kind;
		if (name && k == RES_NETNS)
			c->dying_ns[c->n_dying_ns++] = name;
		if (name && (k == RES_BRIDGE || k == RES_VETH || k == RES_TAP))
			c->dying_links[c->n_dying_links++] = name;
	}
}

/* A deferred delete failed: the journal lists r again (it may be gone by
 * now; a journal listing more than exists is safe). */
static void rejournal(struct rt_ctx *c, const struct rt_deferred *d, size_t n)
{
	struct rt_err ignore;
	for (size_t i = 0; i < n; i++)
		journal_set_resource(&c->journal, d[i].r, &ignore);
}

/* End of the delete phase: the deferred links in one batch, then the
 * namespaces. Everything is gone when this returns, so creates may reuse
 * the names. */
static int finish_deletes(struct rt_ctx *c, struct rt_err *e)
{
	int rc = 0;
	if (c->n_del_links) {
		int *ifindex = arena_array(&c->arena, c->n_del_links, sizeof(int));
		for (size_t i = 0; i < c->n_del_links; i++)
			ifindex[i] = c->del_links[i].ifindex;
		rt_link_changed(c, NULL, NULL);
		if (nl_link_del_many(c->host, ifindex, c->n_del_links, e) < 0) {
			rejournal(c, c->del_links, c->n_del_links);
			rc = -1;
		}
		c->n_del_links = 0;
	}
	for (size_t i = 0; i < c->n_del_ns; i++) {
		const struct resource *r = c->del_ns[i].r;
		char mark[ASPEN_MARK_MAX + 1];
		struct rt_err ne;
		if (netns_delete_owned(res_get(r, "name"), rt_mark(c, r, mark, sizeof(mark)), &ne) == 0)
			continue;
		rejournal(c, &c->del_ns[i], 1);
		if (rc == 0) {
			*e = ne;
			rt_err_prefix(e, "delete %s", r->id);
			rc = -1;
		}
	}
	c->n_del_ns = 0;
	return rc;
}

/* Run the creates [i, i + n) of one kind through the driver's create_many;
 * each outcome is journaled and reported as if run alone. Returns 0, or -1
 * with e set to the first failure. */
static int run_create_many(struct rt_ctx *c, const struct plan *p, size_t i, size_t n,
			   size_t crash, struct rt_err *e)
{
	const struct resource **rs = arena_array(&c->arena, n, sizeof(*rs));
	int *rc = arena_array(&c->arena, n, sizeof(int));
	struct rt_err *errs = arena_array(&c->arena, n, sizeof(*errs));
	uint64_t *us = arena_array(&c->arena, n, sizeof(uint64_t));
	for (size_t k = 0; k < n; k++) {
		rs[k] = p->actions[i + k].desired;
		emit(c, RT_EV_START, &p->actions[i + k], i + k, p->n_actions, 0, NULL);
	}
	c->drv[rs[0]->kind]->create_many(c, rs, n, rc, errs, us);
	int ret = 0;
	for (size_t k = 0; k < n; k++) {
		const struct action *a = &p->actions[i + k];
		if (rc[k] == 0 && journal_set_resource(&c->journal, rs[k], &errs[k]) < 0)
			rc[k] = -1;
		if (rc[k] < 0) {
			rt_err_prefix(&errs[k], "create %s", rs[k]->id);
			emit(c, RT_EV_FAIL, a, i + k, p->n_actions, us[k], errs[k].msg);
			if (ret == 0)
				*e = errs[k];
			ret = -1;
			continue;
		}
		c->mutations++;
		emit(c, RT_EV_DONE, a, i + k, p->n_actions, us[k], NULL);
		if (crash && c->mutations == crash)
			raise(SIGKILL);
	}
	return ret;
}

/* How many actions from i on can go to create_many together: creates of
 * the same kind, none depending on another or on the batch since `batch`. */
static size_t create_run(struct rt_ctx *c, const struct plan *p, size_t batch, size_t i)
{
	const struct action *a = &p->actions[i];
	if (a->phase != PHASE_CREATE || a->op == ACT_UPDATE || !c->drv[a->desired->kind] ||
	    !c->drv[a->desired->kind]->create_many)
		return 1;
	size_t j = i + 1;
	while (j < p->n_actions) {
		const struct action *b = &p->actions[j];
		if (b->phase != PHASE_CREATE || b->op == ACT_UPDATE ||
		    b->desired->kind != a->desired->kind || depends_on_batch(p, batch, j, b))
			break;
		j++;
	}
	return j - i;
}

int rt_execute(struct rt_ctx *c, const struct plan *p, struct rt_err *e)
{
	size_t batch = 0, crash = crash_after();
	bool creates = false;           /* the batch since `batch` adds to the journal */
	int rc = 0;
	collect_dying(c, p);
	for (size_t i = 0; i < p->n_actions && rc == 0; i++) {
		const struct action *a = &p->actions[i];
		if (a->phase == PHASE_CREATE && (i == 0 || p->actions[i - 1].phase == PHASE_DELETE) &&
		    finish_deletes(c, e) < 0) {
			rc = -1;
			break;
		}
		if (i > batch && depends_on_batch(p, batch, i, a)) {
			if (creates && journal_save(&c->journal, e) < 0)
				return -1;
			batch = i;
			creates = false;
		}
		creates |= a->phase == PHASE_CREATE;
		size_t run = create_run(c, p, batch, i);
		if (run > 1) {
			rc = run_create_many(c, p, i, run, crash, e);
			i += run - 1;
			continue;
		}
		emit(c, RT_EV_START, a, i, p->n_actions, 0, NULL);
		uint64_t t0 = now_us();
		rc = run_action(c, a, e);
		uint64_t dt = now_us() - t0;
		if (rc < 0) {
			rt_err_prefix(e, "%s %s",
				      a->phase == PHASE_DELETE ? "delete" : a->op == ACT_UPDATE ? "update" :
				      "create", action_res(a)->id);
			emit(c, RT_EV_FAIL, a, i, p->n_actions, dt, e->msg);
		} else {
			c->mutations++;
			emit(c, RT_EV_DONE, a, i, p->n_actions, dt, NULL);
			if (crash && c->mutations == crash)
				raise(SIGKILL);
		}
	}
	/* Deletes deferred by a failed run still happen: they were checked. */
	if (finish_deletes(c, rc < 0 ? &(struct rt_err){0} : e) < 0)
		rc = -1;
	/* Save what succeeded, also after a failure. */
	struct rt_err se;
	if (p->n_actions && journal_save(&c->journal, rc < 0 ? &se : e) < 0 && rc == 0)
		return -1;
	return rc;
}

/* The name a create would claim, and whether something foreign holds it. */
static bool foreign(struct rt_ctx *c, const struct resource *r, char *what, size_t len)
{
	char mark[ASPEN_MARK_MAX + 1], owner[ASPEN_MARK_MAX + 1];
	struct rt_err ignore;
	const char *name = res_get(r, "name");
	if (!name)
		return false;
	rt_mark(c, r, mark, sizeof(mark));
	if (r->kind == RES_NETNS) {
		if (!netns_exists(name) ||
		    (netns_owner(name, owner, sizeof(owner), &ignore) == 0 && !strcmp(owner, mark)))
			return false;
		snprintf(what, len, "network namespace %s exists and is not aspen's "
			 "(delete it with 'ip netns delete %s', or rename the topology)", name, name);
		return true;
	}
	if (r->kind != RES_BRIDGE && r->kind != RES_VETH && r->kind != RES_TAP)
		return false;
	struct nl_link_info li;
	if (rt_link(c, c->host, name, &li, &ignore) < 0 || !strcmp(li.alias, mark))
		return false;
	snprintf(what, len, "link %s exists and is not aspen's%s%s%s (delete it, or %s)", name,
		 li.alias[0] ? " (alias \"" : "", li.alias, li.alias[0] ? "\")" : "",
		 r->kind == RES_BRIDGE ? "give the network another `bridge:` name" :
		 "rename the node or the topology");
	return true;
}

int rt_preflight(struct rt_ctx *c, const struct plan *p, struct rt_err *e)
{
	size_t n = 0, used = 0;
	char msg[sizeof(e->msg)];
	msg[0] = '\0';
	for (size_t i = 0; i < p->n_actions; i++) {
		const struct action *a = &p->actions[i];
		char what[400];
		if (a->phase != PHASE_CREATE || a->op == ACT_UPDATE || !foreign(c, a->desired, what, sizeof(what)))
			continue;
		n++;
		int w = snprintf(msg + used, sizeof(msg) - used, "\n  %s: %s", a->desired->id, what);
		if (w > 0 && (size_t)w < sizeof(msg) - used)
			used += (size_t)w;
	}
	if (n == 0)
		return 0;
	return rt_errf(e, EEXIST, "%zu name collision%s with objects aspen did not create; nothing "
		       "was changed:%s", n, n == 1 ? "" : "s", msg);
}

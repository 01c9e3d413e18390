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
 * action keeps a 100-node apply at a handful of fsyncs. */
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

/* The namespaces the plan deletes (see veth_destroy in drv_link.c). */
static void collect_dying(struct rt_ctx *c, const struct plan *p)
{
	c->dying_ns = arena_array(&c->arena, p->n_actions + 1, sizeof(char *));
	c->n_dying_ns = 0;
	for (size_t i = 0; i < p->n_actions; i++) {
		const struct action *a = &p->actions[i];
		const char *name = a->phase == PHASE_DELETE && a->observed->kind == RES_NETNS ?
				   res_get(a->observed, "name") : NULL;
		if (name)
			c->dying_ns[c->n_dying_ns++] = name;
	}
}

/* End of the delete phase: links deferred to their namespace's death must
 * be gone before anything reuses their names. */
static int finish_deletes(struct rt_ctx *c, struct rt_err *e)
{
	if (c->n_deferred == 0)
		return 0;
	int rc = nl_link_wait_gone(c->host, c->deferred, c->n_deferred, 10000, e);
	c->n_deferred = 0;
	return rc;
}

int rt_execute(struct rt_ctx *c, const struct plan *p, struct rt_err *e)
{
	size_t batch = 0, crash = crash_after();
	int rc = 0;
	collect_dying(c, p);
	for (size_t i = 0; i < p->n_actions && rc == 0; i++) {
		const struct action *a = &p->actions[i];
		if (a->phase == PHASE_CREATE && (i == 0 || p->actions[i - 1].phase == PHASE_DELETE) &&
		    finish_deletes(c, e) < 0)
			return -1;
		if (i > batch && depends_on_batch(p, batch, i, a)) {
			if (journal_save(&c->journal, e) < 0)
				return -1;
			batch = i;
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
	if (rc == 0 && finish_deletes(c, e) < 0)
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
	if (nl_link_find(c->host, name, &li, &ignore) < 0 || !strcmp(li.alias, mark))
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

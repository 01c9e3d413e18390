/* exec.c — running a plan against the live system.
 *
 * The plan is already in a safe order (deletes in reverse dependency order,
 * then creates and updates in dependency order). The executor walks it,
 * calls each resource kind's driver and records the result in the journal.
 *
 * Journal writes are batched: consecutive actions of one phase none of which
 * depends on another in the batch form a batch, and the journal is saved
 * once per batch, before any action that depends on the batch runs.
 * Actions of the kinds the context marks parallel (VMMs and VMs) run
 * concurrently within their batch, one worker thread each; everything else,
 * netlink above all, stays on the main thread (docs/executor.md). A crash inside a
 * batch can leave objects the journal does not list; their ownership marks
 * (link alias, namespace marker, pidfile) let discovery (observe.c) find
 * them, so destroy stays complete. Saving once per batch instead of once per
 * action keeps a 100-node apply at a handful of fsyncs. A batch of deletes
 * alone is not saved: a journal that still lists deleted objects is safe
 * (their probes find them gone), so the save at the end is enough.
 *
 * Deletes of links and namespaces are checked (ownership) when their action
 * runs, and carried out together at the end of the delete phase: all links
 * in one kernel batch (veth host ends take their peers along), and the
 * namespaces on a second thread while the kernel works on that batch. Addresses and routes
 * inside a namespace or on a link that the plan deletes need no kernel call
 * at all. Deleting one link costs the kernel ~20-50 ms of RCU waiting, a
 * batch about the same, so a 100-node destroy pays it once, not 100 times.
 *
 * Independent creates of one kind run together when the driver can
 * (create_many): namespaces are made on all CPUs at once. */
#include "runtime/runtime.h"
#include "runtime/drv_link.h"
#include "runtime/mark.h"
#include "runtime/netns.h"
#include "runtime/nl.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
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

/* The driver call of an action, without the journal update (record()).
 * May run in a worker thread when the context marks the kind parallel. */
static int drive(struct rt_ctx *c, const struct action *a, struct rt_err *e)
{
	const struct resource *r = action_res(a);
	const struct res_driver *d = c->drv[r->kind];
	if (!d)
		return rt_errf(e, ENOTSUP, "%s: no driver for %s resources yet", r->id,
			       res_kinds[r->kind].name);
	if (a->phase == PHASE_DELETE)            /* DELETE, or the first half of a REPLACE */
		return d->destroy(c, a->observed, e);
	if (a->op == ACT_UPDATE)
		return d->update(c, a->observed, a->desired, e);
	if (a->op == ACT_CREATE || a->op == ACT_REPLACE)
		return d->create(c, a->desired, e);
	return rt_errf(e, EINVAL, "unknown action");
}

/* The journal side of an action that succeeded. Main thread only. */
static int record(struct rt_ctx *c, const struct action *a, struct rt_err *e)
{
	if (a->phase == PHASE_DELETE) {
		journal_remove_resource(&c->journal, a->observed->id);
		return 0;
	}
	return journal_set_resource(&c->journal, a->desired, e);
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
		if (name && (k == RES_BRIDGE || k == RES_VETH || k == RES_TAP || k == RES_VXLAN))
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

/* The deferred namespace deletes, run beside the link batch. Each is
 * checked against its marker (netns_delete_owned) and touches only files
 * and mounts: no netlink handle, no arena, no journal, so it may run on
 * its own thread. */
struct ns_deletes {
	struct rt_ctx *c;
	const struct rt_deferred *v;
	size_t n;
	struct rt_err *errs;            /* errs[i].errnum != 0: v[i] failed */
	bool *failed;
};

static void *delete_namespaces(void *arg)
{
	struct ns_deletes *d = arg;
	for (size_t i = 0; i < d->n; i++) {
		const struct resource *r = d->v[i].r;
		char mark[ASPEN_MARK_MAX + 1];
		d->failed[i] = netns_delete_owned(res_get(r, "name"), rt_mark(d->c, r, mark, sizeof(mark)),
						  &d->errs[i]) < 0;
	}
	return NULL;
}

/* End of the delete phase: the deferred links in one kernel batch, and the
 * namespaces beside it. Everything is gone when this returns, so creates
 * may reuse the names.
 *
 * Why at the same time: the batch's RTM_DELLINK is answered only after the
 * kernel's RCU waits (tens of ms, sleeping), and a namespace delete is an
 * unmount that hands the namespace to the kernel's asynchronous cleanup.
 * Unmounting during those waits costs nothing; after them it added 5-30 ms
 * at N = 100. Either order is correct: a veth whose namespace dies first
 * is deleted by the kernel with it, and the batch accepts links that went
 * already (nl_link_del_many). */
static int finish_deletes(struct rt_ctx *c, struct rt_err *e)
{
	int rc = 0;
	size_t n_ns = c->n_del_ns;
	struct ns_deletes nd = {c, c->del_ns, n_ns, NULL, NULL};
	pthread_t t;
	bool threaded = false;
	if (n_ns) {
		nd.errs = arena_array(&c->arena, n_ns, sizeof(*nd.errs));
		nd.failed = arena_array(&c->arena, n_ns, sizeof(*nd.failed));
		threaded = c->n_del_links && pthread_create(&t, NULL, delete_namespaces, &nd) == 0;
	}
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
	if (threaded)
		pthread_join(t, NULL);
	else if (n_ns)
		delete_namespaces(&nd);
	for (size_t i = 0; i < n_ns; i++) {
		if (!nd.failed[i])
			continue;
		rejournal(c, &c->del_ns[i], 1);
		if (rc == 0) {
			*e = nd.errs[i];
			rt_err_prefix(e, "delete %s", c->del_ns[i].r->id);
			rc = -1;
		}
	}
	c->n_del_ns = 0;
	return rc;
}

static pthread_mutex_t shared_mu = PTHREAD_MUTEX_INITIALIZER;

void rt_shared_lock(struct rt_ctx *c)
{
	(void)c;
	pthread_mutex_lock(&shared_mu);
}

void rt_shared_unlock(struct rt_ctx *c)
{
	(void)c;
	pthread_mutex_unlock(&shared_mu);
}

/* One action of a batch: its outcome, filled by drive() on whichever
 * thread ran it. */
struct job {
	struct rt_ctx *c;
	const struct action *a;
	size_t index;
	int rc;
	uint64_t us;
	struct rt_err err;
	bool threaded, ran;     /* threaded: run by the batch's worker pool */
};

static void job_run(struct job *j)
{
	uint64_t t0 = now_us();
	j->rc = drive(j->c, j->a, &j->err);
	j->us = now_us() - t0;
	j->ran = true;
}

/* The parallel jobs of a batch are shared by at most rt_parallel_limit()
 * worker threads, each taking the next job not yet taken. */
struct pool {
	struct job *jobs;
	size_t n, next;
	pthread_mutex_t mu;
};

static void *pool_worker(void *arg)
{
	struct pool *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->next < p->n && !p->jobs[p->next].threaded)
			p->next++;
		struct job *j = p->next < p->n ? &p->jobs[p->next++] : NULL;
		pthread_mutex_unlock(&p->mu);
		if (!j)
			return NULL;
		job_run(j);
	}
}

/* How many parallel actions run at once: $ASPEN_PARALLEL, else four per
 * online CPU (at least 4). A VMM start is mostly waiting (exec, the socket,
 * vm.boot), but also a few ms of CPU each; 200 of them at once on 2 cores
 * took up to 5.5 s each, 8 at a time keeps each start short and the batch
 * as fast (docs/executor.md). */
static size_t rt_parallel_limit(void)
{
	const char *s = getenv("ASPEN_PARALLEL");
	long v = s && *s ? strtol(s, NULL, 10) : 0;
	if (v > 0)
		return (size_t)v;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return cpus > 1 ? (size_t)cpus * 4 : 4;
}

static bool is_parallel(const struct rt_ctx *c, const struct action *a)
{
	return c->parallel[action_res(a)->kind];
}

/* The end of the batch that starts at i: the following actions of the same
 * phase none of which depends on another in the batch. */
static size_t batch_end(const struct plan *p, size_t i)
{
	size_t end = i + 1;
	while (end < p->n_actions && p->actions[end].phase == p->actions[i].phase &&
	       !depends_on_batch(p, i, end, &p->actions[end]))
		end++;
	return end;
}

/* Journal and report one action that ran, on the main thread (workers of
 * the batch may still run: the journal is touched under the shared lock).
 * The first failure's message goes to e; later ones are counted. */
static void settle(struct rt_ctx *c, const struct plan *p, struct job *j, size_t crash,
		   size_t *failed, struct rt_err *e)
{
	if (j->rc == 0) {
		rt_shared_lock(c);
		if (record(c, j->a, &j->err) < 0)
			j->rc = -1;
		rt_shared_unlock(c);
	}
	if (j->rc < 0) {
		rt_err_prefix(&j->err, "%s %s",
			      j->a->phase == PHASE_DELETE ? "delete" :
			      j->a->op == ACT_UPDATE ? "update" : "create", action_res(j->a)->id);
		emit(c, RT_EV_FAIL, j->a, j->index, p->n_actions, j->us, j->err.msg);
		if ((*failed)++ == 0)
			*e = j->err;
		return;
	}
	c->mutations++;
	emit(c, RT_EV_DONE, j->a, j->index, p->n_actions, j->us, NULL);
	if (crash && c->mutations == crash)
		raise(SIGKILL);
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
		if (rc[k] == 0) {
			rt_shared_lock(c);
			if (journal_set_resource(&c->journal, rs[k], &errs[k]) < 0)
				rc[k] = -1;
			rt_shared_unlock(c);
		}
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

/* How many actions of the batch, from i on (before end), go to create_many
 * together: creates of one kind whose driver has it (also a single one:
 * node commands settle there). 0 when action i is not such a create.
 * Actions of one batch never depend on each other. */
static size_t create_run(struct rt_ctx *c, const struct plan *p, size_t i, size_t end)
{
	const struct action *a = &p->actions[i];
	if (a->phase != PHASE_CREATE || a->op == ACT_UPDATE || !c->drv[a->desired->kind] ||
	    !c->drv[a->desired->kind]->create_many || c->parallel[a->desired->kind])
		return 0;
	size_t j = i + 1;
	while (j < end) {
		const struct action *b = &p->actions[j];
		if (b->phase != PHASE_CREATE || b->op == ACT_UPDATE || b->desired->kind != a->desired->kind)
			break;
		j++;
	}
	return j - i;
}

/* Run the batch [i, end). When it holds more than one action of parallel
 * drivers, those run in one worker thread each while the others run here,
 * in order; the main thread stops at its first failure, the workers all
 * finish and are joined before the batch ends. */
static int run_batch(struct rt_ctx *c, const struct plan *p, size_t i, size_t end, size_t crash,
		     struct rt_err *e)
{
	size_t n = end - i, n_par = 0, failed = 0, n_workers = 0;
	struct job *jobs = calloc(n, sizeof(*jobs));
	if (!jobs)
		return rt_errf(e, ENOMEM, "out of memory");
	for (size_t k = 0; k < n; k++) {
		jobs[k] = (struct job){.c = c, .a = &p->actions[i + k], .index = i + k};
		n_par += is_parallel(c, jobs[k].a);
	}
	struct pool pool = {.jobs = jobs, .n = n, .mu = PTHREAD_MUTEX_INITIALIZER};
	size_t limit = rt_parallel_limit();
	pthread_t *workers = n_par > 1 ? calloc(n_par < limit ? n_par : limit, sizeof(*workers)) : NULL;
	for (size_t k = 0; k < n && workers; k++) {
		if (!is_parallel(c, jobs[k].a))
			continue;
		emit(c, RT_EV_START, jobs[k].a, jobs[k].index, p->n_actions, 0, NULL);
		jobs[k].threaded = true;
	}
	while (workers && n_workers < (n_par < limit ? n_par : limit) &&
	       pthread_create(&workers[n_workers], NULL, pool_worker, &pool) == 0)
		n_workers++;
	if (workers && n_workers == 0)          /* no thread at all: run them here */
		pool_worker(&pool);
	for (size_t k = 0; k < n && failed == 0; k++) {
		if (jobs[k].threaded)
			continue;
		size_t run = create_run(c, p, i + k, end);
		if (run > 0) {             /* e.g. every namespace of the wave at once */
			if (run_create_many(c, p, i + k, run, crash, e) < 0)
				failed++;
			k += run - 1;
			continue;
		}
		emit(c, RT_EV_START, jobs[k].a, jobs[k].index, p->n_actions, 0, NULL);
		job_run(&jobs[k]);
		settle(c, p, &jobs[k], crash, &failed, e);
	}
	for (size_t w = 0; w < n_workers; w++)
		pthread_join(workers[w], NULL);
	for (size_t k = 0; k < n; k++)
		if (jobs[k].threaded)
			settle(c, p, &jobs[k], crash, &failed, e);
	free(workers);
	free(jobs);
	if (failed > 1) {
		size_t len = strlen(e->msg);
		snprintf(e->msg + len, sizeof(e->msg) - len, " (and %zu more failed action%s)",
			 failed - 1, failed == 2 ? "" : "s");
	}
	return failed ? -1 : 0;
}

/* Journal the intent of the batch [i, end)'s bridge, veth and vxlan
 * creates, so the save before the batch records them before the kernel
 * call: the kernel cannot put the alias (the mark) on a link in the request that
 * creates it, and the journal entry is what lets destroy find a link a
 * crash left between RTM_NEWLINK and the alias (its creation-time MAC then
 * proves it ours; docs/executor.md). A journaled resource that does not
 * exist is harmless: its probe finds it absent. Returns how many were
 * added, -1 on failure. */
static int journal_intents(struct rt_ctx *c, const struct plan *p, size_t i, size_t end,
			   struct rt_err *e)
{
	int added = 0;
	for (size_t k = i; k < end; k++) {
		const struct action *a = &p->actions[k];
		if (a->phase != PHASE_CREATE || a->op == ACT_UPDATE ||
		    (a->desired->kind != RES_BRIDGE && a->desired->kind != RES_VETH &&
		     a->desired->kind != RES_VXLAN) ||
		    journal_find_resource(&c->journal, a->desired->id))
			continue;
		if (journal_set_resource(&c->journal, a->desired, e) < 0)
			return -1;
		added++;
	}
	return added;
}

int rt_execute(struct rt_ctx *c, const struct plan *p, struct rt_err *e)
{
	size_t crash = crash_after();
	bool creates = false;           /* the previous batch added to the journal */
	int rc = 0;
	collect_dying(c, p);
	for (size_t i = 0, end; i < p->n_actions && rc == 0; i = end) {
		const struct action *a = &p->actions[i];
		if (a->phase == PHASE_CREATE && (i == 0 || p->actions[i - 1].phase == PHASE_DELETE) &&
		    finish_deletes(c, e) < 0) {
			rc = -1;
			break;
		}
		/* Save what the previous batch added, and this batch's intents,
		 * before anything that may depend on them runs (a batch that
		 * only deleted needs no save before the next one: the final
		 * save records it). */
		end = batch_end(p, i);
		int intents = journal_intents(c, p, i, end, e);
		if (intents < 0 || ((creates || intents) && journal_save(&c->journal, e) < 0))
			return -1;
		creates = false;
		for (size_t k = i; k < end; k++)
			creates |= p->actions[k].phase == PHASE_CREATE;
		rc = run_batch(c, p, i, end, crash, e);
	}
	/* Deletes deferred by a failed run still happen: they were checked. */
	if (finish_deletes(c, rc < 0 ? &(struct rt_err){0} : e) < 0)
		rc = -1;
	/* Save what succeeded, also after a failure. A destroy that succeeded
	 * removes the journal next (rt_forget): a save would only be fsynced
	 * to be deleted, and a crash between the two leaves a journal that
	 * lists what is gone, which is safe (its probes find it absent). */
	struct rt_err se;
	if (p->n_actions && !(c->destroying && rc == 0) &&
	    journal_save(&c->journal, rc < 0 ? &se : e) < 0 && rc == 0)
		return -1;
	return rc;
}

/* The name a create would claim, and whether something foreign holds it. */
static bool foreign(struct rt_ctx *c, const struct resource *r, char *what, size_t len)
{
	char mark[ASPEN_MARK_MAX + 1];
	struct rt_err ignore;
	const char *name = res_get(r, "name");
	if (!name)
		return false;
	rt_mark(c, r, mark, sizeof(mark));
	if (r->kind == RES_NETNS) {
		if (netns_state(name, mark) != NETNS_FOREIGN)
			return false;
		snprintf(what, len, "network namespace %s exists and is not aspen's "
			 "(delete it with 'ip netns delete %s', or rename the topology)", name, name);
		return true;
	}
	if (r->kind != RES_BRIDGE && r->kind != RES_VETH && r->kind != RES_TAP &&
	    r->kind != RES_VXLAN)
		return false;
	if (r->kind == RES_VXLAN && drvvx_vni_taken(c, r, what, len))
		return true;
	struct nl_link_info li;
	if (rt_link(c, c->host, name, &li, &ignore) < 0 ||
	    mark_link_owned(mark, li.alias, li.has_mac ? li.mac : NULL))
		return false;
	snprintf(what, len, "link %s exists and is not aspen's%s%s%s (delete it, or %s)", name,
		 li.alias[0] ? " (alias \"" : "", li.alias, li.alias[0] ? "\")" : "",
		 r->kind == RES_BRIDGE ? "give the network another `bridge:` name" :
		 r->kind == RES_VXLAN ? "rename the network or the topology" :
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

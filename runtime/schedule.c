/* schedule.c — the fault schedule: timed apply and revert, journaled first.
 *
 * One poll loop waits on two descriptors: a timerfd armed with the next
 * entry's absolute CLOCK_MONOTONIC deadline (t0 + at; one t0 for the whole
 * run, so a late entry never delays the ones after it), and a signalfd for
 * SIGINT/SIGTERM. The active faults of the run are a stack: a signal, or a
 * failure, reverts them newest first, so overlapping faults come off in the
 * reverse of the order they went on.
 *
 * The journal's "faults" array holds one undo record per active revertible
 * fault. A record goes in (and the journal is saved) before fault_apply,
 * and comes out only after fault_revert succeeded: the saved journal is
 * always a superset of what is live, which is what makes `aspen heal` after
 * a SIGKILL complete. The run saves ahead: the records of the coming
 * faults go to disk in one save, well before their time, and a revert's
 * removal rides on the next save (run_fill; docs/schedule.md, "Saving
 * ahead"), so no fsync sits between a deadline and its fault. sched_heal
 * works from the records alone and is shared by `aspen heal`, `aspen
 * destroy` and the signal path. */
#include "runtime/schedule.h"
#include "runtime/roles.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* ---------------- small helpers ---------------- */

uint64_t sched_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t sched_real_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t sched_unix_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static const struct fault_ops *sched_ops(const struct sched_opts *o)
{
	return o && o->ops ? o->ops : &fault_ops_real;
}

/* Every event carries its wall-clock instant: the one it was given (the
 * moment a change was committed, t0 for the start), else now. */
static void sched_emit(const struct sched_opts *o, const struct sched_event *ev)
{
	if (!o || !o->on_event)
		return;
	struct sched_event copy = *ev;
	if (!copy.unix_us)
		copy.unix_us = sched_unix_us();
	o->on_event(&copy, o->ud);
}

void sched_fmt_time(uint64_t unix_us, char *buf, size_t len)
{
	time_t sec = (time_t)(unix_us / 1000000u);
	struct tm tm;
	gmtime_r(&sec, &tm);
	char day[32];
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06uZ", day, (unsigned)(unix_us % 1000000u));
}

bool sched_revertible(enum fault_kind k)
{
	switch (k) {
	case FAULT_KILL: case FAULT_RESUME: case FAULT_START: case FAULT_RESTART: case FAULT_REBOOT:
		return false;
	default:
		return true;
	}
}

const char *sched_fault_key(const struct topo_fault *f, char *buf, size_t len)
{
	/* Repetitions of a generator: "<key>_<n>" (journal keys allow '_'). */
	if (f->label)
		snprintf(buf, len, f->instance ? "%s_%zu" : "%s", f->label, f->instance);
	else
		snprintf(buf, len, f->instance ? "f%zu_%zu" : "f%zu", f->index, f->instance);
	return buf;
}

static const char *sched_kind_name(const struct topo_fault *f)
{
	return (unsigned)f->kind < FAULT__COUNT ? fault_kind_names[f->kind] : "?";
}

static const char *rec_str(const cJSON *rec, const char *field)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, field);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---------------- journal records ---------------- */

static cJSON *rec_array(struct journal *j)
{
	if (!cJSON_IsArray(j->faults))
		journal_set_faults(j, cJSON_CreateArray());
	return j->faults;
}

/* Index of the record with this key, or -1. */
static int rec_find(const struct journal *j, const char *key)
{
	int n = cJSON_GetArraySize(j->faults);
	for (int i = n - 1; i >= 0; i--) {
		const char *k = rec_str(cJSON_GetArrayItem(j->faults, i), "key");
		if (k && !strcmp(k, key))
			return i;
	}
	return -1;
}

/* Set a field the scheduler owns, replacing what the mechanism put. */
static void rec_set(cJSON *rec, const char *field, cJSON *v)
{
	if (cJSON_HasObjectItem(rec, field))
		cJSON_ReplaceItemInObjectCaseSensitive(rec, field, v);
	else
		cJSON_AddItemToObject(rec, field, v);
}

/* The common fields of fault.h: key, kind, desc, deadline. */
static void rec_stamp(cJSON *rec, const char *key, const struct topo_fault *f, const char *desc,
		      uint64_t deadline_ms)
{
	rec_set(rec, "key", cJSON_CreateString(key));
	if (!rec_str(rec, "kind"))
		rec_set(rec, "kind", cJSON_CreateString(sched_kind_name(f)));
	if (!rec_str(rec, "desc") && desc)
		rec_set(rec, "desc", cJSON_CreateString(desc));
	rec_set(rec, "deadline", cJSON_CreateNumber((double)deadline_ms));
}

/* Revert record i of the journal; on success remove it, and save unless
 * the caller saves later (a record of a reverted fault left on disk is
 * harmless: revert is idempotent, and heal only reverts again).
 * The event is REVERTED (or FAILED) with scheduled/timing from tmpl. */
static int rec_revert(struct rt_ctx *c, int i, const struct sched_opts *o,
		      const struct sched_event *tmpl, bool save, struct rt_err *e)
{
	cJSON *rec = cJSON_GetArrayItem(c->journal.faults, i);
	struct sched_event ev = *tmpl;
	ev.key = rec_str(rec, "key");
	ev.kind = rec_str(rec, "kind");
	ev.desc = rec_str(rec, "desc");
	uint64_t s = sched_mono_us();
	int rc = sched_ops(o)->revert ? sched_ops(o)->revert(c, rec, e)
				       : rt_errf(e, ENOSYS, "this aspen is built without fault mechanisms");
	ev.cost_us = sched_mono_us() - s;
	ev.unix_us = sched_unix_us();   /* the revert is committed: the event's instant */
	if (rc < 0) {
		rt_err_prefix(e, "revert %s (%s)", ev.key ? ev.key : "?", ev.desc ? ev.desc : "?");
		ev.ev = SCHED_EV_FAILED;
		ev.revert = true;
		ev.err = e->msg;
		sched_emit(o, &ev);
		return -1;
	}
	/* The strings of ev point into rec: emit before it is deleted. */
	sched_emit(o, &ev);
	cJSON_DeleteItemFromArray(c->journal.faults, i);
	return save ? journal_save(&c->journal, e) : 0;
}

/* ---------------- capability check ---------------- */

int sched_check(const struct topology *t, const struct fault_ops *ops, struct rt_err *e)
{
	if (!ops)
		ops = &fault_ops_real;
	size_t bad = 0, len = 0;
	char msg[sizeof(e->msg)];
	msg[0] = '\0';
	for (size_t i = 0; i < t->n_faults; i++) {
		struct rt_err fe = {0};
		if (!ops->check_supported)
			rt_errf(&fe, ENOSYS, "faults[%zu]: this aspen is built without fault mechanisms",
				i);
		else if (ops->check_supported(t, &t->faults[i], &fe) == 0)
			continue;
		if (bad++ == 0)
			e->errnum = fe.errnum;
		int w = snprintf(msg + len, sizeof(msg) - len, "%s%s", len ? "\n" : "", fe.msg);
		if (w > 0)
			len = len + (size_t)w < sizeof(msg) ? len + (size_t)w : sizeof(msg) - 1;
	}
	if (!bad)
		return 0;
	return rt_errf(e, e->errnum, "%s", msg);
}

/* ---------------- one fault on ---------------- */

/* A fault prepared and (when revertible) journaled, not yet applied. */
struct armed {
	const struct topo_fault *f;
	cJSON *undo;            /* owned by the journal when journaled, else by us */
	bool journaled;
	char key[64];
	const char *desc;       /* with roles: as resolved ("isolate n2 (@leader = n2)") */
};

/* prepare -> record stamped -> into the journal and saved (revertible
 * kinds; without save the caller saves a batch before any of it is
 * applied). Nothing changes on the system. */
static int fault_arm(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
		     const char *key, const char *desc, uint64_t deadline_ms, const cJSON *extra,
		     const struct sched_opts *o, bool save, struct armed *a, struct rt_err *e)
{
	const struct fault_ops *ops = sched_ops(o);
	memset(a, 0, sizeof(*a));
	if (f->has_roles) {     /* targets chosen now: 1 = skip (no node holds a role) */
		const char *note;
		int rr = roles_resolve(c, t, f, &f, &note, e);
		if (rr != 0)
			return rr < 0 ? rt_err_prefix(e, "%s: roles", key) : 1;
		desc = arena_printf(&c->arena, "%s (%s)", fault_describe(&c->arena, t, f), note);
	}
	a->desc = desc;
	if (!ops->prepare || !ops->apply)
		return rt_errf(e, ENOSYS, "%s: this aspen is built without fault mechanisms", key);
	cJSON *undo = NULL;
	if (ops->prepare(c, t, f, key, &undo, e) < 0 || !undo) {
		cJSON_Delete(undo);
		if (!undo && e->msg[0] == '\0')
			rt_errf(e, EINVAL, "no undo record");
		return rt_err_prefix(e, "prepare %s (%s)", key, desc);
	}
	rec_stamp(undo, key, f, desc, deadline_ms);
	for (const cJSON *x = extra ? extra->child : NULL; x; x = x->next)
		rec_set(undo, x->string, cJSON_Duplicate(x, true));
	a->f = f;
	a->undo = undo;
	snprintf(a->key, sizeof(a->key), "%s", key);
	if (!sched_revertible(f->kind))
		return 0;
	/* o->replace_key: the new record takes the old one's place in the
	 * same save, so the journal never holds two for one key, nor none
	 * while the fault may be in force. */
	int old_i = o && o->replace_key ? rec_find(&c->journal, key) : -1;
	cJSON *old = old_i >= 0 ? cJSON_DetachItemFromArray(c->journal.faults, old_i) : NULL;
	cJSON_AddItemToArray(rec_array(&c->journal), undo);
	a->journaled = true;
	if (save && journal_save(&c->journal, e) < 0) {
		cJSON_DeleteItemFromArray(c->journal.faults, rec_find(&c->journal, key));
		if (old)
			cJSON_InsertItemInArray(c->journal.faults, old_i, old);
		memset(a, 0, sizeof(*a));
		return rt_err_prefix(e, "%s: cannot journal the fault before applying it", key);
	}
	cJSON_Delete(old);
	return 0;
}

/* Give up an armed fault that was never applied: its record leaves the
 * journal (a revert first would be harmless, and is not needed), saved
 * now or by the caller's next save. */
static void fault_disarm(struct rt_ctx *c, struct armed *a, bool save)
{
	if (!a->undo)
		return;
	if (a->journaled) {
		struct rt_err e;
		cJSON_DeleteItemFromArray(c->journal.faults, rec_find(&c->journal, a->key));
		if (save)
			journal_save(&c->journal, &e);
	} else {
		cJSON_Delete(a->undo);
	}
	memset(a, 0, sizeof(*a));
}

/* fault_apply from the armed record. On failure whatever half of it went
 * in comes out (revert is idempotent) and the record leaves the journal. */
static int fault_fire(struct rt_ctx *c, const struct topology *t, struct armed *a,
		      const char *desc, const struct sched_opts *o, bool save, struct sched_event *ev,
		      struct rt_err *e)
{
	const struct fault_ops *ops = sched_ops(o);
	uint64_t s = sched_mono_us();
	int rc = ops->apply(c, t, a->f, a->undo, e);
	ev->cost_us = sched_mono_us() - s;
	ev->unix_us = sched_unix_us();  /* the change is committed: the event's instant */
	if (rc < 0) {
		rt_err_prefix(e, "apply %s (%s)", a->key, desc);
		struct rt_err re = {0};
		if (a->journaled && ops->revert && ops->revert(c, a->undo, &re) < 0)
			a->journaled = false;   /* keep the record: heal retries it */
		if (a->journaled || !sched_revertible(a->f->kind))
			fault_disarm(c, a, save);
		memset(a, 0, sizeof(*a));
		return -1;
	}
	if (!a->journaled)
		cJSON_Delete(a->undo);
	memset(a, 0, sizeof(*a));
	return 0;
}

int sched_apply_one(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
		    const char *key, const struct sched_opts *o, struct rt_err *e)
{
	return sched_apply_rec(c, t, f, key, 0, NULL, o, e);
}

int sched_apply_rec(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
		    const char *key, uint64_t deadline_ms, const cJSON *extra,
		    const struct sched_opts *o, struct rt_err *e)
{
	const char *desc = fault_describe(&c->arena, t, f);
	struct sched_event ev = {.ev = SCHED_EV_APPLIED, .key = key, .kind = sched_kind_name(f),
				 .desc = desc};
	struct armed a;
	int rc = fault_arm(c, t, f, key, desc, deadline_ms, extra, o, true, &a, e);
	if (rc == 0)
		ev.desc = a.desc;
	if (rc != 0 || fault_fire(c, t, &a, ev.desc, o, true, &ev, e) < 0) {
		ev.ev = rc > 0 ? SCHED_EV_SKIPPED : SCHED_EV_FAILED;
		ev.err = e->msg;
		sched_emit(o, &ev);
		return -1;
	}
	sched_emit(o, &ev);
	return 0;
}

/* ---------------- heal ---------------- */

static void sched_list_keys(const struct journal *j, char *buf, size_t len)
{
	size_t l = 0;
	buf[0] = '\0';
	int n = cJSON_GetArraySize(j->faults);
	for (int i = 0; i < n && l + 1 < len; i++) {
		const char *k = rec_str(cJSON_GetArrayItem(j->faults, i), "key");
		int w = snprintf(buf + l, len - l, "%s%s", l ? ", " : "", k ? k : "?");
		if (w > 0)
			l = l + (size_t)w < len ? l + (size_t)w : len - 1;
	}
}

int sched_heal(struct rt_ctx *c, const char *key, const struct sched_opts *o,
	       size_t *n_reverted, struct rt_err *e)
{
	size_t done = 0, failed = 0;
	bool found = false;
	struct sched_event tmpl = {.ev = SCHED_EV_REVERTED};
	struct rt_err first = {0};
	for (int i = cJSON_GetArraySize(c->journal.faults) - 1; i >= 0; i--) {
		const char *k = rec_str(cJSON_GetArrayItem(c->journal.faults, i), "key");
		if (key && (!k || strcmp(k, key)))
			continue;
		if (k && sched_is_armed(c, k))
			continue;       /* not applied yet: the schedule owns it */
		found = true;
		struct rt_err re = {0};
		if (rec_revert(c, i, o, &tmpl, true, &re) < 0) {
			if (failed++ == 0)
				first = re;
			continue;
		}
		done++;
	}
	if (n_reverted)
		*n_reverted = done;
	if (key && !found) {
		char keys[512];
		sched_list_keys(&c->journal, keys, sizeof(keys));
		return rt_errf(e, ENOENT, "no active fault '%s' on %s (%s%s)", key, c->topology,
			       keys[0] ? "active: " : "none is active", keys);
	}
	if (failed) {
		*e = first;
		if (failed > 1)
			rt_err_prefix(e, "%zu faults could not be reverted (they stay journaled); first", failed);
		return -1;
	}
	return 0;
}

int sched_revert_due(struct rt_ctx *c, const char *key, uint64_t at_us, uint64_t t_us,
		     const struct sched_opts *o, struct rt_err *e)
{
	int i = rec_find(&c->journal, key);
	if (i < 0)
		return rt_errf(e, ENOENT, "no active fault '%s' on %s", key, c->topology);
	struct sched_event tmpl = {.ev = SCHED_EV_REVERTED, .scheduled = true, .at_us = at_us,
				   .t_us = t_us};
	return rec_revert(c, i, o, &tmpl, true, e);
}

void sched_adhoc_key(const struct rt_ctx *c, char *buf, size_t len)
{
	unsigned long max = 0;
	int n = cJSON_GetArraySize(c->journal.faults);
	for (int i = 0; i < n; i++) {
		const char *k = rec_str(cJSON_GetArrayItem(c->journal.faults, i), "key");
		if (k && !strncmp(k, "adhoc-", 6)) {
			unsigned long v = strtoul(k + 6, NULL, 10);
			if (v > max)
				max = v;
		}
	}
	snprintf(buf, len, "adhoc-%lu", max + 1);
}

/* ---------------- the run ---------------- */

struct active {
	const struct topo_fault *f;
	char key[64];
	const char *desc;
};

struct run {
	struct rt_ctx *c;
	const struct topology *t;
	const struct sched_opts *o;
	struct sched_result *res;
	int tfd, sfd;
	uint64_t t0;            /* CLOCK_MONOTONIC us */
	uint64_t rt0_ms;        /* CLOCK_REALTIME ms at t0 */
	uint64_t t0_unix_us;    /* CLOCK_REALTIME us at t0 (schedule_start's) */
	struct active *act;
	size_t n_act;
	/* arm[i]: timeline entry i prepared (and journaled) ahead of its time,
	 * until it is applied; entries below arm_end were considered. */
	struct armed *arm;
	size_t arm_end;
	uint64_t save_us;       /* what the last save-ahead cost */
	bool dirty;             /* records removed in memory, not yet on disk */
};

/* Saving ahead (run_fill): how many records, and how far ahead, one save
 * journals; a save is made early only when the time to the next entry
 * leaves room for twice the last one's cost plus this. */
#define RUN_ARM_MAX 128
#define RUN_ARM_AHEAD_US (10u * 1000000u)
#define RUN_SLACK_US 2000u

#define RUN_STOPPED (-2)
#define RUN_STOP_POLL_MS 50     /* how often a stop flag set by another thread is seen */

static bool run_stopped(const struct run *r)
{
	return r->o && r->o->stop && *r->o->stop;
}

/* The poll timeout: ms, or sooner when the io source asks for it. */
static int run_io_timeout(const struct sched_io *io, int ms)
{
	int t = io && io->timeout_ms ? io->timeout_ms(io->ud) : -1;
	return t >= 0 && (ms < 0 || t < ms) ? t : ms;
}

/* Wait until t0 + at_us. Returns 0 when the time came, the signal number
 * when SIGINT/SIGTERM arrived first, RUN_STOPPED when the stop flag was
 * set, -1 on a system error. */
static int run_wait(struct run *r, uint64_t at_us, struct rt_err *e)
{
	uint64_t when = r->t0 + at_us;
	bool due = sched_mono_us() >= when;
	if (!due) {
		struct itimerspec its = {0};
		its.it_value.tv_sec = (time_t)(when / 1000000u);
		its.it_value.tv_nsec = (long)(when % 1000000u) * 1000;
		if (timerfd_settime(r->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
			return rt_errf(e, errno, "schedule: timerfd_settime: %s", strerror(errno));
	}
	bool stoppable = r->o && r->o->stop;
	const struct sched_io *io = r->o ? r->o->io : NULL;
	for (;;) {
		if (run_stopped(r))
			return RUN_STOPPED;
		/* A negative fd is ignored by poll: no signalfd in stop mode, no
		 * timer once due, no io without a server. */
		struct pollfd p[3] = {{r->sfd, POLLIN, 0}, {due ? -1 : r->tfd, POLLIN, 0},
				      {io ? io->fd : -1, POLLIN, 0}};
		int n = poll(p, 3, run_io_timeout(io, due ? 0 : stoppable ? RUN_STOP_POLL_MS : -1));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return rt_errf(e, errno, "schedule: poll: %s", strerror(errno));
		if (io)
			io->serve(io->ud);
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(r->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				return (int)si.ssi_signo;
		}
		if (due)
			return 0;
		if (p[1].revents & POLLIN) {
			uint64_t exp;
			if (read(r->tfd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
				return rt_errf(e, errno, "schedule: timerfd read: %s", strerror(errno));
			if (sched_mono_us() >= when)
				return 0;
		}
	}
}

static struct active *run_find(struct run *r, const struct topo_fault *f)
{
	for (size_t i = r->n_act; i-- > 0;)
		if (r->act[i].f == f)
			return &r->act[i];
	return NULL;
}

static void run_drop(struct run *r, struct active *a)
{
	size_t i = (size_t)(a - r->act);
	memmove(&r->act[i], &r->act[i + 1], (r->n_act - i - 1) * sizeof(*a));
	r->n_act--;
}

static uint64_t run_deadline(const struct run *r, const struct topo_fault *f)
{
	return f->has_for ? r->rt0_ms + (f->at_us + f->for_us) / 1000u : 0;
}

bool sched_is_armed(const struct rt_ctx *c, const char *key)
{
	const struct run *r = c->sched_run;
	for (size_t i = 0; r && key && i < r->arm_end; i++)
		if (r->arm[i].journaled && !strcmp(r->arm[i].key, key))
			return true;
	return false;
}

/* Prepare timeline entry i (and journal its record, saved now when save)
 * without applying it. 1: skipped (roles), -1: failed; either way the
 * event is emitted only when emit (a batch retries a failure later, when
 * the entry is due, so it fails at its own time as before). */
static int run_arm(struct run *r, const struct timeline_entry *tl, size_t i, bool save, bool emit,
		   struct rt_err *e)
{
	const struct timeline_entry *te = &tl[i];
	char key[64];
	sched_fault_key(te->fault, key, sizeof(key));
	struct sched_event ev = {.ev = SCHED_EV_FAILED, .key = key, .kind = sched_kind_name(te->fault),
				 .desc = te->desc, .at_us = te->at_us,
				 .t_us = r->t0 ? sched_mono_us() - r->t0 : 0};
	int rc = fault_arm(r->c, r->t, te->fault, key, te->desc, run_deadline(r, te->fault), NULL, r->o,
			   save, &r->arm[i], e);
	if (rc != 0 && emit) {
		if (rc > 0)
			ev.ev = SCHED_EV_SKIPPED;
		ev.err = e->msg;
		sched_emit(r->o, &ev);
	}
	return rc;
}

/* Save ahead: prepare and journal the coming APPLY entries from `next`
 * on, up to RUN_ARM_MAX records or RUN_ARM_AHEAD_US ahead, in ONE save,
 * so at their deadlines only fault_apply runs. The save is due when entry
 * `next` is an APPLY not yet armed; before that it is made only when the
 * window runs short and the wait for `next` has room for it (a save on a
 * busy disk can take hundreds of ms; made in a gap, it delays nothing).
 * The window stops at a fault naming roles (its targets are chosen at its
 * time) and at a kill, start, restart, reboot or resume: what follows may
 * depend on the process it leaves (a pause's record holds the pid), so it
 * is prepared only after that entry ran, as when one entry was armed at a
 * time. A record journaled and not applied yet is harmless: heal and
 * destroy revert idempotently (docs/schedule.md). */
static int run_fill(struct run *r, const struct timeline_entry *tl, size_t n, size_t next,
		    struct rt_err *e)
{
	size_t j = r->arm_end > next ? r->arm_end : next;
	if (next >= n || j >= n)
		return 0;
	uint64_t now = r->t0 ? sched_mono_us() - r->t0 : 0;
	size_t held = 0;
	for (size_t k = next; k < j; k++)
		held += r->arm[k].journaled;
	bool due = j == next && tl[next].ev == TL_APPLY;
	if (!due) {
		uint64_t slack = tl[next].at_us > now ? tl[next].at_us - now : 0;
		bool short_ = held < RUN_ARM_MAX / 2 || tl[j].at_us < now + RUN_ARM_AHEAD_US / 2;
		if (!short_ || slack < 2 * r->save_us + RUN_SLACK_US)
			return 0;
	}
	size_t from = j;
	bool journaled = false;
	for (; j < n; j++) {
		const struct timeline_entry *te = &tl[j];
		if (te->ev != TL_APPLY)
			continue;
		bool rev = sched_revertible(te->fault->kind);
		if (te->fault->has_roles || (!rev && j != next))
			break;
		if (j != next && (held >= RUN_ARM_MAX || te->at_us > now + RUN_ARM_AHEAD_US))
			break;
		struct rt_err ae = {0};
		if (run_arm(r, tl, j, false, j == next, &ae) != 0) {
			if (j == next) {
				*e = ae;
				r->arm_end = j;
				return -1;
			}
			break;          /* fails at its own time, after what comes first */
		}
		journaled |= r->arm[j].journaled;
		held += r->arm[j].journaled;
		if (!rev) {
			j++;
			break;
		}
	}
	r->arm_end = j;
	if (!journaled)
		return 0;
	uint64_t s = sched_mono_us();
	struct rt_err se = {0};
	int rc = journal_save(&r->c->journal, &se);
	r->save_us = sched_mono_us() - s;
	if (rc == 0) {
		r->dirty = false;
		return 0;
	}
	/* Nothing of the batch may be applied without its record on disk. */
	for (size_t k = from; k < j; k++)
		fault_disarm(r->c, &r->arm[k], false);
	r->arm_end = from;
	if (!due)
		return 0;       /* tried again when the next entry is due */
	char key[64];
	sched_fault_key(tl[next].fault, key, sizeof(key));
	*e = se;
	rt_err_prefix(e, "%s: cannot journal the fault before applying it", key);
	struct sched_event ev = {.ev = SCHED_EV_FAILED, .key = key,
				 .kind = sched_kind_name(tl[next].fault), .desc = tl[next].desc,
				 .at_us = tl[next].at_us, .t_us = now, .err = e->msg};
	sched_emit(r->o, &ev);
	return -1;
}

static int run_apply(struct run *r, const struct timeline_entry *tl, size_t i, uint64_t t_us,
		     struct rt_err *e)
{
	const struct timeline_entry *te = &tl[i];
	const struct topo_fault *f = te->fault;
	struct armed *a = &r->arm[i];
	if (!a->undo) {         /* not armed ahead: roles resolve now */
		int rc = run_arm(r, tl, i, true, true, e);
		if (rc != 0)
			return rc < 0 ? -1 : 0;         /* skipped: the event said why */
		r->dirty = false;
	}
	char key[64];
	snprintf(key, sizeof(key), "%s", a->key);
	bool journaled = a->journaled;
	const char *desc = a->desc ? a->desc : te->desc;
	struct sched_event ev = {.ev = SCHED_EV_APPLIED, .key = key, .kind = sched_kind_name(f),
				 .desc = desc, .at_us = te->at_us, .t_us = t_us};
	if (fault_fire(r->c, r->t, a, desc, r->o, false, &ev, e) < 0) {
		r->dirty = true;
		ev.ev = SCHED_EV_FAILED;
		ev.err = e->msg;
		sched_emit(r->o, &ev);
		return -1;
	}
	r->res->applied++;
	if (journaled) {
		struct active *ac = &r->act[r->n_act++];
		ac->f = f;
		snprintf(ac->key, sizeof(ac->key), "%s", key);
		ac->desc = desc;
	}
	sched_emit(r->o, &ev);
	return 0;
}

/* Revert the active fault a (its journal record); on success it leaves the
 * active list. */
static int run_revert(struct run *r, struct active *a, bool scheduled, uint64_t at_us,
		      uint64_t t_us, struct rt_err *e)
{
	int i = rec_find(&r->c->journal, a->key);
	if (i < 0) {           /* healed behind our back: nothing to revert */
		run_drop(r, a);
		return 0;
	}
	struct sched_event tmpl = {.ev = SCHED_EV_REVERTED, .scheduled = scheduled,
				   .at_us = at_us, .t_us = t_us};
	if (rec_revert(r->c, i, r->o, &tmpl, false, e) < 0)
		return -1;
	r->dirty = true;        /* the removal rides on the next save */
	r->res->reverted++;
	run_drop(r, a);
	return 0;
}

/* Revert every active fault, newest first; keep going past failures. */
static int run_unwind(struct run *r, struct rt_err *e)
{
	int rc = 0;
	for (size_t i = r->n_act; i-- > 0;) {
		struct rt_err re = {0};
		uint64_t now = sched_mono_us() - r->t0;
		if (run_revert(r, &r->act[i], false, now, now, &re) < 0) {
			if (rc == 0)
				*e = re;
			rc = -1;
		}
	}
	return rc;
}

/* Records left by an earlier run (not ad hoc ones) come off before t0. */
static int run_leftovers(struct run *r, struct rt_err *e)
{
	struct sched_event tmpl = {.ev = SCHED_EV_LEFTOVER};
	for (int i = cJSON_GetArraySize(r->c->journal.faults) - 1; i >= 0; i--) {
		const char *k = rec_str(cJSON_GetArrayItem(r->c->journal.faults, i), "key");
		if (k && !strncmp(k, "adhoc-", 6))
			continue;
		if (rec_revert(r->c, i, r->o, &tmpl, true, e) < 0)
			return rt_err_prefix(e, "a fault left by an earlier run");
	}
	return 0;
}

static int run_loop(struct run *r, const struct timeline_entry *tl, size_t n, struct rt_err *e)
{
	struct sched_event ev = {.ev = SCHED_EV_START, .n = n, .unix_us = r->t0_unix_us};
	sched_emit(r->o, &ev);
	for (size_t i = 0; i < n; i++) {
		int w = run_wait(r, tl[i].at_us, e);
		if (w == RUN_STOPPED || w > 0)
			r->res->not_run = n - i;
		if (w == RUN_STOPPED)
			return RUN_STOPPED;
		if (w < 0)
			return -1;
		if (w > 0) {
			r->res->signal = w;
			return 1;
		}
		uint64_t t_us = sched_mono_us() - r->t0;
		if (tl[i].ev == TL_APPLY) {
			if (run_apply(r, tl, i, t_us, e) < 0)
				return -1;
		} else {
			struct active *a = run_find(r, tl[i].fault);
			if (a && run_revert(r, a, true, tl[i].at_us, t_us, e) < 0)
				return -1;
		}
		/* Journal the coming faults now, while there is time. */
		if (run_fill(r, tl, n, i + 1, e) < 0)
			return -1;
	}
	return 0;
}

/* SIGINT and SIGTERM, except one the process inherited as ignored (a
 * background job of a non-interactive shell ignores SIGINT: a blocked
 * signal is queued even when ignored, so it would otherwise count). */
static void sched_signals(sigset_t *set)
{
	sigemptyset(set);
	int sigs[2] = {SIGINT, SIGTERM};
	for (int i = 0; i < 2; i++) {
		struct sigaction sa;
		if (sigaction(sigs[i], NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
			continue;
		sigaddset(set, sigs[i]);
	}
}

/* Stop mode, timeline done: faults without `for` stay until told to stop,
 * and so does a server (it may apply faults at any time). */
static void run_hold(struct run *r)
{
	const struct sched_io *io = r->o->io;
	while ((r->n_act || io) && !run_stopped(r)) {
		struct pollfd p = {io ? io->fd : -1, POLLIN, 0};
		poll(&p, 1, run_io_timeout(io, RUN_STOP_POLL_MS));
		if (io)
			io->serve(io->ud);
	}
}

int sched_run(struct rt_ctx *c, const struct topology *t, const struct timeline_entry *tl,
	      size_t n, const struct sched_opts *o, struct sched_result *res, struct rt_err *e)
{
	memset(res, 0, sizeof(*res));
	struct run r = {.c = c, .t = t, .o = o, .res = res, .tfd = -1, .sfd = -1};
	bool stop_mode = o && o->stop;
	sigset_t set, old;
	sched_signals(&set);
	if (!stop_mode)
		pthread_sigmask(SIG_BLOCK, &set, &old);
	int rc = -1;
	r.act = calloc(n + 1, sizeof(*r.act));
	r.arm = calloc(n + 1, sizeof(*r.arm));
	if (!stop_mode)
		r.sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	r.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (!r.act || !r.arm || (!stop_mode && r.sfd < 0) || r.tfd < 0) {
		rt_errf(e, errno ? errno : ENOMEM, "schedule: %s", strerror(errno ? errno : ENOMEM));
		goto out;
	}
	if (!(o && o->keep_journaled) && run_leftovers(&r, e) < 0)
		goto out;
	/* The first faults are journaled before t0 (their recorded deadlines
	 * are early by the time that takes), later ones while the schedule
	 * waits. */
	c->sched_run = &r;
	r.rt0_ms = sched_real_ms();
	if (run_fill(&r, tl, n, 0, e) < 0)
		goto out;
	/* t0 is now, or the caller's instant when it has already passed (the
	 * command of `aspen run` was told when the schedule ends before the
	 * schedule started). */
	uint64_t now = sched_mono_us();
	r.t0 = o && o->t0_us && o->t0_us <= now ? o->t0_us : now;
	r.rt0_ms = sched_real_ms() - (now - r.t0) / 1000u;
	bool theirs = o && o->t0_us && r.t0 == o->t0_us && o->t0_unix_us;
	r.t0_unix_us = theirs ? o->t0_unix_us : sched_unix_us() - (sched_mono_us() - r.t0);
	int lr = run_loop(&r, tl, n, e);
	if (lr == 0 || lr == RUN_STOPPED) {
		if (lr == 0) {
			struct sched_event done = {.ev = SCHED_EV_DONE, .n = res->applied,
						   .t_us = sched_mono_us() - r.t0};
			sched_emit(o, &done);
		}
		if (stop_mode) {
			run_hold(&r);
			res->stopped = run_stopped(&r);
			rc = run_unwind(&r, e);
		} else {
			res->left_active = r.n_act;
			rc = 0;
		}
		goto out;
	}
	if (lr > 0) {
		struct sched_event sig = {.ev = SCHED_EV_SIGNAL, .signal = res->signal, .n = r.n_act,
					  .t_us = sched_mono_us() - r.t0};
		sched_emit(o, &sig);
		size_t n_act = r.n_act;
		if (run_unwind(&r, e) < 0)
			rt_err_prefix(e, "interrupted by %s; reverting", strsignal(res->signal));
		else
			rt_errf(e, EINTR, "interrupted by %s: %zu active fault%s reverted",
				res->signal == SIGINT ? "SIGINT" : "SIGTERM", n_act, n_act == 1 ? "" : "s");
		goto out;
	}
	/* A failure: take the rest off too, keep the first error. */
	struct rt_err ue = {0};
	if (run_unwind(&r, &ue) < 0)
		rt_err_prefix(e, "%s; also", ue.msg);
out:
	for (size_t i = 0; r.arm && i < r.arm_end; i++)
		if (r.arm[i].undo) {
			r.dirty |= r.arm[i].journaled;
			fault_disarm(c, &r.arm[i], false);
		}
	c->sched_run = NULL;
	if (r.dirty) {
		/* Best effort: a record left on disk is a superset of what is
		 * live, which heal and destroy finish. */
		struct rt_err se;
		journal_save(&c->journal, &se);
	}
	free(r.arm);
	if (r.tfd >= 0)
		close(r.tfd);
	if (r.sfd >= 0)
		close(r.sfd);
	free(r.act);
	if (!stop_mode)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* ---------------- events as JSON ---------------- */

const char *const sched_ev_names[SCHED_EV__COUNT] = {
	[SCHED_EV_START] = "schedule_start",
	[SCHED_EV_APPLIED] = "fault_applied",
	[SCHED_EV_REVERTED] = "fault_reverted",
	[SCHED_EV_FAILED] = "fault_failed",
	[SCHED_EV_LEFTOVER] = "fault_leftover_reverted",
	[SCHED_EV_SIGNAL] = "interrupted",
	[SCHED_EV_DONE] = "schedule_done",
	[SCHED_EV_SKIPPED] = "fault_skipped",
};

/* An exact integer: cJSON prints a double with 15 significant digits
 * when that round-trips within an epsilon, which turns 16-digit
 * microsecond instants ending in 0 into "1.79639933331580e+15". */
static void sched_json_unix_us(cJSON *o, uint64_t us)
{
	char buf[24];
	if (!us)
		return;
	snprintf(buf, sizeof(buf), "%" PRIu64, us);
	cJSON_AddRawToObject(o, "unix_us", buf);
}

char *sched_event_json(const struct sched_event *ev)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "event", sched_ev_names[ev->ev]);
	if (ev->key)
		cJSON_AddStringToObject(o, "key", ev->key);
	if (ev->kind)
		cJSON_AddStringToObject(o, "kind", ev->kind);
	if (ev->desc)
		cJSON_AddStringToObject(o, "desc", ev->desc);
	switch (ev->ev) {
	case SCHED_EV_START:
		cJSON_AddNumberToObject(o, "entries", (double)ev->n);
		cJSON_AddNumberToObject(o, "t_us", 0);
		break;
	case SCHED_EV_APPLIED: case SCHED_EV_REVERTED: case SCHED_EV_FAILED:
		if (ev->ev == SCHED_EV_REVERTED)
			cJSON_AddBoolToObject(o, "scheduled", ev->scheduled);
		if (ev->ev == SCHED_EV_FAILED)
			cJSON_AddStringToObject(o, "during", ev->revert ? "revert" : "apply");
		cJSON_AddNumberToObject(o, "at_us", (double)ev->at_us);
		cJSON_AddNumberToObject(o, "t_us", (double)ev->t_us);
		cJSON_AddNumberToObject(o, "late_us", (double)(ev->t_us > ev->at_us ? ev->t_us - ev->at_us
										: ev->at_us - ev->t_us));
		cJSON_AddNumberToObject(o, "cost_us", (double)ev->cost_us);
		if (ev->err)
			cJSON_AddStringToObject(o, "error", ev->err);
		break;
	case SCHED_EV_LEFTOVER:
		cJSON_AddNumberToObject(o, "cost_us", (double)ev->cost_us);
		break;
	case SCHED_EV_SKIPPED:
		cJSON_AddNumberToObject(o, "at_us", (double)ev->at_us);
		cJSON_AddNumberToObject(o, "t_us", (double)ev->t_us);
		cJSON_AddStringToObject(o, "reason", ev->err ? ev->err : "");
		break;
	case SCHED_EV_SIGNAL:
		cJSON_AddStringToObject(o, "signal", ev->signal == SIGINT ? "SIGINT" :
					ev->signal == SIGTERM ? "SIGTERM" : "?");
		cJSON_AddNumberToObject(o, "active", (double)ev->n);
		cJSON_AddNumberToObject(o, "t_us", (double)ev->t_us);
		break;
	case SCHED_EV_DONE:
		cJSON_AddNumberToObject(o, "applied", (double)ev->n);
		cJSON_AddNumberToObject(o, "t_us", (double)ev->t_us);
		break;
	}
	/* Both clocks last, so readers matching the keys before keep working. */
	uint64_t when = ev->unix_us ? ev->unix_us : sched_unix_us();
	char t[40];
	sched_fmt_time(when, t, sizeof(t));
	sched_json_unix_us(o, when);
	cJSON_AddStringToObject(o, "time", t);
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

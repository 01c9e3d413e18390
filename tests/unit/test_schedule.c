/* test_schedule.c — the fault schedule against a recording struct fault_ops.
 *
 * No kernel: the recording mechanisms log every call, and at each apply and
 * revert read the journal back FROM DISK, so the tests prove the crash rule
 * (the record is saved before apply, removed only after revert). Offsets
 * are a few milliseconds of real time; the tests assert order and journal
 * contents only, never durations (precision is measured by make bench).
 * SIGINT/SIGTERM come from a POSIX timer armed by the recording apply while
 * the scheduler waits for an entry seconds away. */
#include "tests/testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compiler/compile.h"
#include "compiler/plan.h"
#include "runtime/journal.h"
#include "runtime/schedule.h"

#define NAME "schedtest"

/* ---------------- the recording mechanisms ---------------- */

static struct rec {
	char log[64][96];
	size_t n;
	const char *fail_apply;         /* key whose apply fails */
	const char *fail_revert;        /* key whose revert fails */
	const char *unsupported;        /* fault kind name that is unsupported */
	const char *arm_key;            /* applying this key arms the signal timer */
	int arm_signal;
	timer_t timer;
	bool timer_made;
	bool never_armed;               /* a revert saw "never" journaled ahead of time */
	const char *stop_key;           /* applying this key sets STOP (stop mode) */
	const char *stop_later_key;     /* ... arms a thread timer that sets STOP */
	bool sigint_blocked;            /* an apply saw SIGINT blocked */
	uint64_t done_unix_us[2];       /* CLOCK_REALTIME when apply / revert of "split" returned */
	struct {                        /* when applying key at: is key on disk, armed? */
		const char *at, *key;
		bool disk, armed;
	} peek[2];
} R;

static uint64_t unix_us_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static volatile sig_atomic_t STOP;
static pthread_t stopper;
static bool stopper_made;

/* Another thread sets the flag 30 ms later, as `aspen run`'s waiter does. */
static void *set_stop(void *arg)
{
	(void)arg;
	struct timespec ts = {0, 30 * 1000 * 1000};
	nanosleep(&ts, NULL);
	STOP = 1;
	return NULL;
}

/* One log line: "WHAT KEY[ (journaled)]". */
static void rec_log(const char *what, const char *key, bool journaled)
{
	assert_true(R.n < 64);
	snprintf(R.log[R.n++], sizeof(R.log[0]), "%s%s%s%s", what, key[0] ? " " : "", key,
		 journaled ? " (journaled)" : "");
}

/* Is there a record with this key in the journal as saved on disk? */
static bool on_disk(const char *key)
{
	struct journal j;
	struct rt_err e = {0};
	assert_int_equal(journal_load(&j, NAME, &e), 0);
	bool found = false;
	const cJSON *it;
	cJSON_ArrayForEach(it, j.faults) {
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(it, "key");
		found |= cJSON_IsString(k) && !strcmp(k->valuestring, key);
	}
	journal_free(&j);
	return found;
}

static size_t disk_count(void)
{
	struct journal j;
	struct rt_err e = {0};
	assert_int_equal(journal_load(&j, NAME, &e), 0);
	size_t n = (size_t)cJSON_GetArraySize(j.faults);
	journal_free(&j);
	return n;
}

static int r_check(const struct topology *t, const struct topo_fault *f, struct rt_err *e)
{
	(void)t;
	if (R.unsupported && !strcmp(fault_kind_names[f->kind], R.unsupported))
		return rt_errf(e, ENOTSUP, "faults[%zu]: %s is not supported here", f->index,
			       R.unsupported);
	return 0;
}

static int r_prepare(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
		     const char *key, cJSON **undo, struct rt_err *e)
{
	(void)c; (void)t; (void)e;
	rec_log("prepare", key, false);
	*undo = cJSON_CreateObject();
	cJSON_AddStringToObject(*undo, "key", key);
	cJSON_AddStringToObject(*undo, "kind", fault_kind_names[f->kind]);
	cJSON_AddStringToObject(*undo, "mine", "chain-x");
	return 0;
}

static void arm_timer(int sig)
{
	struct sigevent sev = {0};
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = sig;
	assert_int_equal(timer_create(CLOCK_MONOTONIC, &sev, &R.timer), 0);
	R.timer_made = true;
	struct itimerspec its = {0};
	its.it_value.tv_nsec = 5 * 1000 * 1000;
	assert_int_equal(timer_settime(R.timer, 0, &its, NULL), 0);
}

static int r_apply(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
		   const cJSON *undo, struct rt_err *e)
{
	(void)t;
	const char *key = cJSON_GetObjectItemCaseSensitive(undo, "key")->valuestring;
	/* A revertible fault's record must already be saved. */
	rec_log("apply", key, on_disk(key));
	for (size_t i = 0; i < 2; i++)
		if (R.peek[i].at && !strcmp(key, R.peek[i].at)) {
			R.peek[i].disk = on_disk(R.peek[i].key);
			R.peek[i].armed = sched_is_armed(c, R.peek[i].key);
		}
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(undo, "mine")->valuestring, "chain-x");
	assert_non_null(cJSON_GetObjectItemCaseSensitive(undo, "deadline"));
	assert_non_null(cJSON_GetObjectItemCaseSensitive(undo, "desc"));
	if (R.arm_key && !strcmp(key, R.arm_key))
		arm_timer(R.arm_signal);
	sigset_t cur;
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	R.sigint_blocked |= sigismember(&cur, SIGINT);
	if (R.stop_key && !strcmp(key, R.stop_key))
		STOP = 1;
	if (R.stop_later_key && !strcmp(key, R.stop_later_key)) {
		assert_int_equal(pthread_create(&stopper, NULL, set_stop, NULL), 0);
		stopper_made = true;
	}
	if (R.fail_apply && !strcmp(key, R.fail_apply))
		return rt_errf(e, EIO, "injected failure of %s", fault_kind_names[f->kind]);
	if (!strcmp(key, "split"))
		R.done_unix_us[0] = unix_us_now();
	return 0;
}

static int r_revert(struct rt_ctx *c, const cJSON *undo, struct rt_err *e)
{
	(void)c;
	const char *key = cJSON_GetObjectItemCaseSensitive(undo, "key")->valuestring;
	rec_log("revert", key, on_disk(key));
	R.never_armed |= on_disk("never");
	if (R.fail_revert && !strcmp(key, R.fail_revert))
		return rt_errf(e, EIO, "injected revert failure");
	if (!strcmp(key, "split"))
		R.done_unix_us[1] = unix_us_now();
	return 0;
}

static int r_heal_all(struct rt_ctx *c, struct rt_err *e)
{
	(void)c; (void)e;
	rec_log("heal_all", "", false);
	return 0;
}

static const struct fault_ops rec_ops = {r_check, r_prepare, r_apply, r_revert, r_heal_all};

/* ---------------- events ---------------- */

static char events[64][512];
static size_t n_events;

static void on_event(const struct sched_event *ev, void *ud)
{
	(void)ud;
	char *s = sched_event_json(ev);
	assert_true(n_events < 64);
	snprintf(events[n_events++], sizeof(events[0]), "%s", s);
	cJSON_free(s);
}

/* "fault_applied split" from the n-th event line. */
static const char *ev_short(size_t i, char *buf, size_t len)
{
	cJSON *o = cJSON_Parse(events[i]);
	assert_non_null(o);
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "key");
	snprintf(buf, len, "%s%s%s", cJSON_GetObjectItemCaseSensitive(o, "event")->valuestring,
		 k ? " " : "", k ? k->valuestring : "");
	cJSON_Delete(o);
	return buf;
}

/* ---------------- fixtures ---------------- */

static char root[256];

static int rm_cb(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)st; (void)type; (void)f;
	return remove(p);
}

static struct rt_ctx C;
static struct topology *T;
static struct plan P;

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/aspen-sched.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	setenv("ASPEN_STATE_DIR", root, 1);
	memset(&R, 0, sizeof(R));
	n_events = 0;
	memset(&C, 0, sizeof(C));
	C.topology = NAME;
	arena_init(&C.arena);
	struct rt_err e = {0};
	if (journal_load(&C.journal, NAME, &e) < 0)
		return -1;
	C.journal_loaded = true;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (R.timer_made)
		timer_delete(R.timer);
	if (stopper_made)
		pthread_join(stopper, NULL);
	stopper_made = false;
	journal_free(&C.journal);
	arena_free(&C.arena);
	plan_free(&P);
	topo_free(T);
	T = NULL;
	nftw(root, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static const char HEAD[] =
	"apiVersion: aspen/v1\n"
	"name: " NAME "\n"
	"defaults: {kind: netns, command: [sleep, infinity]}\n"
	"networks:\n"
	"  lan: {subnet: 10.9.0.0/24}\n"
	"nodes:\n"
	"  a: {interfaces: [{network: lan, ip: 10.9.0.2}]}\n"
	"  b: {interfaces: [{network: lan, ip: 10.9.0.3}]}\n"
	"  c: {interfaces: [{network: lan, ip: 10.9.0.4}]}\n"
	"faults:\n";

/* Load HEAD + faults and build its timeline into P. */
static void load(const char *faults)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s%s", HEAD, faults);
	struct diag_list d;
	diag_init(&d, "test.yaml");
	T = topo_load_buffer("test.yaml", buf, strlen(buf), &d);
	if (diag_failed(&d))
		diag_print(&d, stderr, DIAG_TEXT, false);
	assert_false(diag_failed(&d));
	diag_clear(&d);
	memset(&P, 0, sizeof(P));
	arena_init(&P.arena);
	plan_timeline(&P, T);
}

static void assert_log(const char *const *want, size_t n)
{
	for (size_t i = 0; i < R.n || i < n; i++) {
		if (i >= R.n || i >= n || strcmp(R.log[i], want[i])) {
			for (size_t k = 0; k < R.n; k++)
				fprintf(stderr, "  log[%zu] = %s\n", k, R.log[k]);
			fail_msg("log[%zu]: got '%s', want '%s'", i, i < R.n ? R.log[i] : "(none)",
				 i < n ? want[i] : "(none)");
		}
	}
}

static struct sched_opts OPTS = {.ops = &rec_ops, .on_event = on_event};

/* ---------------- tests ---------------- */

static void test_order_and_journal(void **state)
{
	(void)state;
	load("  - {name: split, at: 10ms, for: 40ms, partition: [[a], [b, c]]}\n"
	     "  - {at: 20ms, for: 10ms, loss: {nodes: [b], percent: 20%}}\n"
	     "  - {at: 30ms, kill: c}\n"
	     "  - {at: 60ms, start: c}\n"
	     "  - {at: 70ms, link-down: [a.eth0]}\n");
	struct sched_result res;
	struct rt_err e = {0};
	int rc = sched_run(&C, T, P.timeline, P.n_timeline, &OPTS, &res, &e);
	if (rc < 0)
		fail_msg("%s", e.msg);
	static const char *const want[] = {
		"prepare split", "prepare f1",          /* saved ahead, in one save */
		"apply split (journaled)", "apply f1 (journaled)",
		"revert f1 (journaled)",                /* at 30ms, before the kill at 30ms */
		/* kill: not revertible, not journaled; prepared only when due,
		 * and nothing after it before it ran (it ends a process) */
		"prepare f2", "apply f2",
		"revert split (journaled)",
		"prepare f3", "apply f3",
		"prepare f4", "apply f4 (journaled)",
	};
	assert_log(want, sizeof(want) / sizeof(want[0]));
	assert_int_equal(res.applied, 5);
	assert_int_equal(res.reverted, 2);
	assert_int_equal(res.left_active, 1);
	assert_int_equal(res.signal, 0);
	/* Only the link-down without `for` stays, with no deadline. */
	assert_int_equal(disk_count(), 1);
	assert_true(on_disk("f4"));
	cJSON *r = cJSON_GetArrayItem(C.journal.faults, 0);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(r, "deadline")->valuedouble, 0);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(r, "desc")->valuestring,
			    "link-down a.eth0");

	static const char *const ev_want[] = {
		"schedule_start", "fault_applied split", "fault_applied f1", "fault_reverted f1",
		"fault_applied f2", "fault_reverted split", "fault_applied f3", "fault_applied f4",
		"schedule_done",
	};
	assert_int_equal(n_events, sizeof(ev_want) / sizeof(ev_want[0]));
	char b[128];
	for (size_t i = 0; i < n_events; i++)
		assert_string_equal(ev_short(i, b, sizeof(b)), ev_want[i]);
	/* An event line carries what --events promises. */
	cJSON *o = cJSON_Parse(events[1]);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "desc")->valuestring,
			    "partition [a] | [b c]");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "kind")->valuestring, "partition");
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(o, "at_us")->valuedouble, 10000);
	assert_non_null(cJSON_GetObjectItemCaseSensitive(o, "t_us"));
	assert_non_null(cJSON_GetObjectItemCaseSensitive(o, "late_us"));
	assert_non_null(cJSON_GetObjectItemCaseSensitive(o, "cost_us"));
	/* The event's instant is when the change was committed: not before
	 * the mechanism returned, and an exact integer of microseconds. */
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(o, "unix_us");
	assert_non_null(u);
	assert_true(R.done_unix_us[0] > 0 && (uint64_t)u->valuedouble >= R.done_unix_us[0]);
	assert_true((uint64_t)u->valuedouble - R.done_unix_us[0] < 1000000u);
	const char *txt = strstr(events[1], "\"unix_us\":");      /* digits, never 1.7e+15 */
	assert_non_null(txt);
	txt += strlen("\"unix_us\":");
	assert_true(strspn(txt, "0123456789") >= 16 && strchr(",}", txt[strspn(txt, "0123456789")]));
	cJSON_Delete(o);
	o = cJSON_Parse(events[3]);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "scheduled")));
	cJSON_Delete(o);
	o = cJSON_Parse(events[5]);         /* fault_reverted split */
	u = cJSON_GetObjectItemCaseSensitive(o, "unix_us");
	assert_non_null(u);
	assert_true(R.done_unix_us[1] > 0 && (uint64_t)u->valuedouble >= R.done_unix_us[1]);
	cJSON_Delete(o);
}

static void test_sigint_reverts_newest_first(void **state)
{
	(void)state;
	load("  - {name: one, at: 1ms, for: 10s, partition: [[a], [b, c]]}\n"
	     "  - {name: two, at: 2ms, loss: {nodes: [b], percent: 20%}}\n"
	     "  - {name: boom, at: 3ms, kill: c}\n"
	     "  - {name: three, at: 4ms, for: 10s, pause: a}\n"
	     "  - {name: never, at: 10s, for: 1s, link-down: [b.eth0]}\n");
	R.arm_key = "three";
	R.arm_signal = SIGINT;
	struct sched_result res;
	struct rt_err e = {0};
	assert_int_equal(sched_run(&C, T, P.timeline, P.n_timeline, &OPTS, &res, &e), -1);
	assert_int_equal(res.signal, SIGINT);
	assert_non_null(strstr(e.msg, "SIGINT"));
	static const char *const want[] = {
		"prepare one", "prepare two",
		"apply one (journaled)", "apply two (journaled)",
		"prepare boom", "apply boom",
		"prepare three",
		"prepare never",        /* journaled ahead of its time (10s) */
		"apply three (journaled)",
		/* the signal: newest first, the kill has nothing to revert */
		"revert three (journaled)", "revert two (journaled)", "revert one (journaled)",
	};
	assert_log(want, sizeof(want) / sizeof(want[0]));
	assert_int_equal(disk_count(), 0);
	assert_int_equal(res.reverted, 3);
	char b[128];
	assert_string_equal(ev_short(5, b, sizeof(b)), "interrupted");
	cJSON *o = cJSON_Parse(events[5]);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "signal")->valuestring, "SIGINT");
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(o, "active")->valuedouble, 3);
	cJSON_Delete(o);
	o = cJSON_Parse(events[6]);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "scheduled")));
	cJSON_Delete(o);
	/* The signal mask is restored: SIGINT is not blocked after the run. */
	sigset_t cur;
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	assert_false(sigismember(&cur, SIGINT));
	assert_false(sigismember(&cur, SIGTERM));
}

static void test_sigterm(void **state)
{
	(void)state;
	load("  - {name: one, at: 1ms, for: 10s, partition: [[a], [b, c]]}\n"
	     "  - {name: never, at: 10s, for: 1s, link-down: [b.eth0]}\n");
	R.arm_key = "one";
	R.arm_signal = SIGTERM;
	struct sched_result res;
	struct rt_err e = {0};
	assert_int_equal(sched_run(&C, T, P.timeline, P.n_timeline, &OPTS, &res, &e), -1);
	assert_int_equal(res.signal, SIGTERM);
	static const char *const want[] = {"prepare one", "prepare never", "apply one (journaled)",
					   "revert one (journaled)"};
	assert_log(want, 4);
	/* The next fault was journaled ahead of its time, and the
	 * interrupted run took its record out without applying it. */
	assert_true(R.never_armed);
	assert_int_equal(disk_count(), 0);
}

/* A failed apply is reverted from its record, and so is every active fault. */
static void test_apply_failure_unwinds(void **state)
{
	(void)state;
	load("  - {name: one, at: 1ms, for: 1s, partition: [[a], [b, c]]}\n"
	     "  - {name: two, at: 2ms, for: 1s, loss: {nodes: [b], percent: 20%}}\n"
	     "  - {name: three, at: 3ms, for: 1s, link-down: [c.eth0]}\n");
	R.fail_apply = "two";
	struct sched_result res;
	struct rt_err e = {0};
	assert_int_equal(sched_run(&C, T, P.timeline, P.n_timeline, &OPTS, &res, &e), -1);
	assert_int_equal(res.signal, 0);
	assert_non_null(strstr(e.msg, "apply two"));
	assert_non_null(strstr(e.msg, "injected failure of loss"));
	static const char *const want[] = {
		"prepare one", "prepare two", "prepare three",
		"apply one (journaled)", "apply two (journaled)",
		"revert two (journaled)",       /* its half-applied rules come out */
		"revert one (journaled)",       /* and the schedule stops */
	};
	assert_log(want, sizeof(want) / sizeof(want[0]));
	assert_int_equal(disk_count(), 0);
}

/* A revert that fails leaves its record for `aspen heal`. */
static void test_revert_failure_keeps_record(void **state)
{
	(void)state;
	load("  - {name: one, at: 1ms, for: 1ms, partition: [[a], [b, c]]}\n");
	R.fail_revert = "one";
	struct sched_result res;
	struct rt_err e = {0};
	assert_int_equal(sched_run(&C, T, P.timeline, P.n_timeline, &OPTS, &res, &e), -1);
	assert_non_null(strstr(e.msg, "revert one"));
	assert_true(on_disk("one"));
	/* heal retries it, and succeeds once the mechanism does. */
	R.fail_revert = NULL;
	size_t n = 0;
	assert_int_equal(sched_heal(&C, NULL, &OPTS, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(disk_count(), 0);
}

static void test_check_reports_every_unsupported(void **state)
{
	(void)state;
	load("  - {at: 1s, for: 1s, latency: {nodes: [a], delay: 10ms}}\n"
	     "  - {at: 1s, for: 1s, partition: [[a], [b]]}\n"
	     "  - {at: 3s, for: 1s, latency: {nodes: [b], delay: 10ms}}\n");
	R.unsupported = "latency";
	struct rt_err e = {0};
	assert_int_equal(sched_check(T, &rec_ops, &e), -1);
	assert_string_equal(e.msg, "faults[0]: latency is not supported here\n"
				   "faults[2]: latency is not supported here");
	assert_int_equal(e.errnum, ENOTSUP);
	R.unsupported = NULL;
	assert_int_equal(sched_check(T, &rec_ops, &e), 0);
	assert_int_equal(R.n, 0);       /* a check changes nothing */
}

static void test_apply_one_and_heal(void **state)
{
	(void)state;
	load("  - {name: adhoc-1, at: 0s, partition: [[a], [b, c]]}\n"
	     "  - {name: adhoc-2, at: 0s, loss: {nodes: [b], percent: 20%}}\n"
	     "  - {name: adhoc-3, at: 0s, link-down: [c.eth0]}\n");
	struct rt_err e = {0};
	char key[32];
	for (size_t i = 0; i < 3; i++) {
		sched_adhoc_key(&C, key, sizeof(key));
		assert_int_equal(sched_apply_one(&C, T, &T->faults[i], key, &OPTS, &e), 0);
	}
	assert_string_equal(key, "adhoc-3");
	assert_int_equal(disk_count(), 3);
	sched_adhoc_key(&C, key, sizeof(key));
	assert_string_equal(key, "adhoc-4");

	size_t n = 0;
	assert_int_equal(sched_heal(&C, "adhoc-nope", &OPTS, &n, &e), -1);
	assert_int_equal(e.errnum, ENOENT);
	assert_non_null(strstr(e.msg, "active: adhoc-1, adhoc-2, adhoc-3"));
	assert_int_equal(sched_heal(&C, "adhoc-2", &OPTS, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_false(on_disk("adhoc-2"));
	assert_int_equal(disk_count(), 2);
	R.n = 0;
	assert_int_equal(sched_heal(&C, NULL, &OPTS, &n, &e), 0);
	assert_int_equal(n, 2);
	static const char *const want[] = {"revert adhoc-3 (journaled)", "revert adhoc-1 (journaled)"};
	assert_log(want, 2);
	assert_int_equal(disk_count(), 0);
	assert_int_equal(sched_heal(&C, NULL, &OPTS, &n, &e), 0);
	assert_int_equal(n, 0);
}

/* A non-revertible ad hoc fault is applied and never journaled. */
static void test_apply_one_kill_not_journaled(void **state)
{
	(void)state;
	load("  - {name: adhoc-1, at: 0s, kill: a}\n");
	struct rt_err e = {0};
	assert_int_equal(sched_apply_one(&C, T, &T->faults[0], "adhoc-1", &OPTS, &e), 0);
	static const char *const want[] = {"prepare adhoc-1", "apply adhoc-1"};
	assert_log(want, 2);
	assert_int_equal(disk_count(), 0);
}

/* Records of an earlier run come off before t0; ad hoc ones stay. */
static void test_leftovers(void **state)
{
	(void)state;
	load("  - {name: one, at: 1ms, for: 1ms, partition: [[a], [b, c]]}\n");
	journal_set_faults(&C.journal, cJSON_Parse(
		"[{\"key\":\"adhoc-1\",\"kind\":\"loss\",\"desc\":\"loss b 20%\",\"deadline\":0},"
		" {\"key\":\"one\",\"kind\":\"partition\",\"desc\":\"partition [a] | [b c]\",\"deadline\":1}]"));
	struct rt_err e = {0};
	assert_int_equal(journal_save(&C.journal, &e), 0);
	struct sched_result res;
	assert_int_equal(sched_run(&C, T, P.timeline, P.n_timeline, &OPTS, &res, &e), 0);
	static const char *const want[] = {
		"revert one (journaled)",       /* the leftover */
		"prepare one", "apply one (journaled)", "revert one (journaled)",
	};
	assert_log(want, sizeof(want) / sizeof(want[0]));
	char b[128];
	assert_string_equal(ev_short(0, b, sizeof(b)), "fault_leftover_reverted one");
	assert_int_equal(disk_count(), 1);
	assert_true(on_disk("adhoc-1"));
}

/* An ad hoc run (`aspen fault --for`) leaves other records alone. */
static void test_keep_journaled(void **state)
{
	(void)state;
	load("  - {name: adhoc-2, at: 0s, for: 1ms, partition: [[a], [b, c]]}\n");
	journal_set_faults(&C.journal, cJSON_Parse(
		"[{\"key\":\"f0\",\"kind\":\"loss\",\"desc\":\"loss b 20%\",\"deadline\":0}]"));
	struct rt_err e = {0};
	assert_int_equal(journal_save(&C.journal, &e), 0);
	struct sched_opts o = OPTS;
	o.keep_journaled = true;
	struct sched_result res;
	assert_int_equal(sched_run(&C, T, P.timeline, P.n_timeline, &o, &res, &e), 0);
	static const char *const want[] = {"prepare adhoc-2", "apply adhoc-2 (journaled)",
					   "revert adhoc-2 (journaled)"};
	assert_log(want, 3);
	assert_int_equal(disk_count(), 1);
	assert_true(on_disk("f0"));
}

/* Deadlines: absolute realtime ms of at + for, 0 without `for`. */
static int deadline_seen;
static double deadline_val;
static int r_apply_deadline(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
			    const cJSON *undo, struct rt_err *e)
{
	(void)c; (void)t; (void)f; (void)e;
	deadline_seen++;
	deadline_val = cJSON_GetObjectItemCaseSensitive(undo, "deadline")->valuedouble;
	return 0;
}

static void test_deadline_is_absolute(void **state)
{
	(void)state;
	load("  - {name: one, at: 1ms, for: 1h, partition: [[a], [b, c]]}\n");
	struct fault_ops ops = rec_ops;
	ops.apply = r_apply_deadline;
	struct sched_opts o = {.ops = &ops};
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	double now_ms = (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
	/* Only the APPLY entry: the revert an hour later is not run here. */
	struct sched_result res;
	struct rt_err e = {0};
	assert_int_equal(sched_run(&C, T, P.timeline, 1, &o, &res, &e), 0);
	assert_int_equal(deadline_seen, 1);
	/* An hour ahead of the start, give or take the run itself (no timing
	 * claim: the bound is the hour, not the scheduler's precision). */
	assert_true(deadline_val > now_ms + 3600e3 - 60e3);
	assert_true(deadline_val < now_ms + 3600e3 + 60e3);
	assert_int_equal(res.left_active, 1);
	assert_true(on_disk("one"));
}

/* Stop mode (`aspen run`): no signal is touched; the flag stops the run
 * and every applied fault is reverted, newest first. */
static void test_stop_flag(void **state)
{
	(void)state;
	load("  - {name: one, at: 1ms, for: 10s, partition: [[a], [b, c]]}\n"
	     "  - {name: two, at: 2ms, loss: {nodes: [b], percent: 20%}}\n"
	     "  - {name: later, at: 10s, for: 1s, link-down: [c.eth0]}\n");
	STOP = 0;
	R.stop_key = "two";
	struct sched_opts o = OPTS;
	o.stop = &STOP;
	struct sched_result res;
	struct rt_err e = {0};
	assert_int_equal(sched_run(&C, T, P.timeline, P.n_timeline, &o, &res, &e), 0);
	assert_true(res.stopped);
	assert_int_equal(res.signal, 0);
	assert_false(R.sigint_blocked);
	static const char *const want[] = {
		"prepare one", "prepare two", "prepare later",
		"apply one (journaled)", "apply two (journaled)",
		"revert two (journaled)", "revert one (journaled)",
	};
	assert_log(want, sizeof(want) / sizeof(want[0]));
	assert_int_equal(disk_count(), 0);
}

/* Saving ahead: the coming faults' records are saved in one go before t0,
 * as far as the window reaches (10 s: "later" at 11 s is not prepared); a
 * revert's removal is saved by the next save (here: the one at the end),
 * and a record saved ahead is not an active fault until it is applied. */
static void test_save_ahead_window(void **state)
{
	(void)state;
	load("  - {name: one, at: 1ms, for: 1ms, partition: [[a], [b, c]]}\n"
	     "  - {name: two, at: 4ms, for: 1ms, loss: {nodes: [b], percent: 20%}}\n"
	     "  - {name: three, at: 7ms, link-down: [c.eth0]}\n"
	     "  - {name: later, at: 11s, for: 1s, pause: a}\n");
	STOP = 0;
	R.stop_key = "three";
	R.peek[0].at = "one";
	R.peek[0].key = "three";
	R.peek[1].at = "three";
	R.peek[1].key = "one";
	struct sched_opts o = OPTS;
	o.stop = &STOP;
	struct sched_result res;
	struct rt_err e = {0};
	assert_int_equal(sched_run(&C, T, P.timeline, P.n_timeline, &o, &res, &e), 0);
	static const char *const want[] = {
		"prepare one", "prepare two", "prepare three",
		"apply one (journaled)",
		"revert one (journaled)",
		"apply two (journaled)", "revert two (journaled)",
		"apply three (journaled)",
		"prepare later",                /* now the next entry: saved now */
		"revert three (journaled)",     /* stopped */
	};
	assert_log(want, sizeof(want) / sizeof(want[0]));
	assert_true(R.peek[0].disk);    /* three is on disk when one goes on ... */
	assert_true(R.peek[0].armed);   /* ... but not active: heal leaves it alone */
	assert_true(R.peek[1].disk);    /* one's removal waited for a later save */
	assert_false(R.peek[1].armed);
	assert_null(C.sched_run);
	assert_int_equal(disk_count(), 0);      /* the end saves what was removed */
	assert_int_equal(cJSON_GetArraySize(C.journal.faults), 0);
}

/* Stop mode, timeline done: a fault without `for` stays until the flag. */
static void test_stop_holds_until_flag(void **state)
{
	(void)state;
	load("  - {name: one, at: 1ms, for: 1ms, partition: [[a], [b, c]]}\n"
	     "  - {name: two, at: 2ms, loss: {nodes: [b], percent: 20%}}\n");
	STOP = 0;
	R.stop_later_key = "two";
	struct sched_opts o = OPTS;
	o.stop = &STOP;
	struct sched_result res;
	struct rt_err e = {0};
	assert_int_equal(sched_run(&C, T, P.timeline, P.n_timeline, &o, &res, &e), 0);
	assert_true(STOP);
	assert_true(res.stopped);
	static const char *const want[] = {
		"prepare one", "prepare two",
		"apply one (journaled)", "revert one (journaled)", "apply two (journaled)",
		"revert two (journaled)",       /* only once the flag was set */
	};
	assert_log(want, sizeof(want) / sizeof(want[0]));
	assert_int_equal(disk_count(), 0);
	char b[128];
	assert_string_equal(ev_short(n_events - 2, b, sizeof(b)), "schedule_done");
	assert_string_equal(ev_short(n_events - 1, b, sizeof(b)), "fault_reverted two");
}

/* ---------------- a second source in the loop (the control API) ---------------- */

static struct {
	int fd[2];
	size_t calls, served;
	size_t reverted_by_heal;
	int heal_rc, apply_rc;
	size_t stop_after;              /* stop mode: set STOP after this many calls */
} IO;

/* What the API server does on a request: heal all, then apply a fault. */
static void io_serve(void *ud)
{
	(void)ud;
	IO.calls++;
	char b;
	if (read(IO.fd[0], &b, 1) == 1) {
		IO.served++;
		struct rt_err e = {0};
		IO.heal_rc = sched_heal(&C, NULL, &OPTS, &IO.reverted_by_heal, &e);
		cJSON *extra = cJSON_CreateObject();
		cJSON_AddStringToObject(extra, "spec", "posted");
		IO.apply_rc = sched_apply_rec(&C, T, &T->faults[1], "adhoc-1", 0, extra, &OPTS, &e);
		cJSON_Delete(extra);
	}
	if (IO.stop_after && IO.calls >= IO.stop_after)
		STOP = 1;
}

static int io_timeout(void *ud)
{
	(void)ud;
	return IO.stop_after ? 1 : -1;
}

/* A request waiting when the run starts is served before the first entry,
 * between two schedule steps: its heal leaves the record the run journaled
 * ahead of its time (the run applies and reverts it as planned), and the
 * fault it applies is journaled first, with its extra fields. */
static void test_io_served_between_entries(void **state)
{
	(void)state;
	load("  - {name: split, at: 30ms, for: 20ms, partition: [[a], [b, c]]}\n"
	     "  - {at: 1h, loss: {nodes: [b], percent: 20%}}\n");
	memset(&IO, 0, sizeof(IO));
	assert_int_equal(pipe2(IO.fd, O_NONBLOCK | O_CLOEXEC), 0);   /* serve() must not block */
	assert_int_equal(write(IO.fd[1], "x", 1), 1);
	struct sched_io io = {IO.fd[0], io_timeout, io_serve, NULL};
	struct sched_opts o = OPTS;
	o.io = &io;
	struct sched_result res;
	struct rt_err e = {0};
	/* The timeline without the 1h entry: the loss is the API's. */
	assert_int_equal(sched_run(&C, T, P.timeline, 2, &o, &res, &e), 0);
	assert_int_equal(IO.served, 1);
	assert_int_equal(IO.heal_rc, 0);
	assert_int_equal(IO.reverted_by_heal, 0);
	assert_int_equal(IO.apply_rc, 0);
	static const char *const want[] = {
		"prepare split",                /* journaled ahead of its time */
		"prepare adhoc-1", "apply adhoc-1 (journaled)",
		"apply split (journaled)", "revert split (journaled)",
	};
	assert_log(want, sizeof(want) / sizeof(*want));
	assert_null(C.sched_run);
	assert_true(on_disk("adhoc-1"));
	assert_false(on_disk("split"));
	struct journal j;
	assert_int_equal(journal_load(&j, NAME, &e), 0);
	const cJSON *rec = cJSON_GetArrayItem(j.faults, 0);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(rec, "spec")->valuestring, "posted");
	journal_free(&j);
	/* The API's fault, reverted at the end of its `for`, is a scheduled revert. */
	n_events = 0;
	assert_int_equal(sched_revert_due(&C, "adhoc-1", 5000, 5100, &OPTS, &e), 0);
	assert_non_null(strstr(events[0], "\"event\":\"fault_reverted\""));
	assert_non_null(strstr(events[0], "\"scheduled\":true"));
	assert_non_null(strstr(events[0], "\"at_us\":5000"));
	assert_int_equal(sched_revert_due(&C, "adhoc-1", 5000, 5100, &OPTS, &e), -1);
	assert_int_equal(e.errnum, ENOENT);
	close(IO.fd[0]);
	close(IO.fd[1]);
}

/* Stop mode with a server and nothing to run: the run holds, serving,
 * until told to stop. */
static void test_io_holds_until_stop(void **state)
{
	(void)state;
	load("  - {at: 1h, kill: c}\n");
	memset(&IO, 0, sizeof(IO));
	assert_int_equal(pipe2(IO.fd, O_NONBLOCK | O_CLOEXEC), 0);   /* serve() must not block */
	IO.stop_after = 5;
	STOP = 0;
	struct sched_io io = {IO.fd[0], io_timeout, io_serve, NULL};
	struct sched_opts o = OPTS;
	o.io = &io;
	o.stop = &STOP;
	struct sched_result res;
	struct rt_err e = {0};
	assert_int_equal(sched_run(&C, T, P.timeline, 0, &o, &res, &e), 0);
	assert_true(res.stopped);
	assert_true(IO.calls >= 5);
	STOP = 0;
	close(IO.fd[0]);
	close(IO.fd[1]);
}

static void test_keys(void **state)
{
	(void)state;
	load("  - {name: split, at: 1s, partition: [[a], [b]]}\n"
	     "  - {at: 2s, kill: c}\n");
	char b[40];
	assert_string_equal(sched_fault_key(&T->faults[0], b, sizeof(b)), "split");
	assert_string_equal(sched_fault_key(&T->faults[1], b, sizeof(b)), "f1");
	assert_true(sched_revertible(FAULT_PARTITION));
	assert_true(sched_revertible(FAULT_PAUSE));
	assert_false(sched_revertible(FAULT_KILL));
	assert_false(sched_revertible(FAULT_START));
	assert_false(sched_revertible(FAULT_RESUME));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_and_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigint_reverts_newest_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigterm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_failure_unwinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revert_failure_keeps_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_reports_every_unsupported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_one_and_heal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_one_kill_not_journaled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leftovers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_journaled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadline_is_absolute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_holds_until_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_ahead_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_served_between_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_holds_until_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

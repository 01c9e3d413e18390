/* schedule.h — running a topology's fault schedule on a monotonic clock.
 *
 * After `aspen apply` has converged and the nodes are healthy, the
 * scheduler walks the plan's timeline (plan_timeline): every APPLY entry at
 * t0 + at, every REVERT at t0 + at + for, where t0 is one CLOCK_MONOTONIC
 * instant and every deadline is absolute (timerfd, TFD_TIMER_ABSTIME), so
 * lateness never accumulates. SIGINT and SIGTERM arrive on a signalfd in the
 * same poll loop: the schedule stops, every fault it applied that is still
 * active is reverted (newest first), and sched_run reports the signal.
 *
 * The crash-safety rule: a revertible fault's undo record (fault.h) is in
 * the saved journal, with its absolute deadline, BEFORE fault_apply runs,
 * and leaves it only after fault_revert succeeded. So after a SIGKILL at any
 * instant `aspen heal` or `aspen destroy` finds everything to revert.
 *
 * Per APPLY:  fault_prepare -> record into journal, journal_save -> fault_apply -> event
 * Per REVERT: fault_revert(record) -> record out of journal, journal_save -> event
 * The first half of an APPLY (prepare and journal) runs ahead of time, as
 * soon as the entry before it is done, so at the deadline only fault_apply
 * runs and a slow fsync of the journal does not make the fault late. A
 * record journaled but not yet applied is harmless: revert is idempotent;
 * an interrupted run removes it.
 * Non-revertible faults (kill, resume, start, restart, reboot) are prepared
 * and applied but never journaled: there is nothing to undo.
 *
 * The mechanisms are reached through struct fault_ops so tests (and the
 * bench) can substitute a recording implementation; NULL means the real
 * ones (fault_ops_real). */
#ifndef ASPEN_SCHEDULE_H
#define ASPEN_SCHEDULE_H

#include <cJSON.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "compiler/plan.h"
#include "compiler/topology.h"
#include "runtime/err.h"
#include "runtime/runtime.h"

/* The functions of runtime/fault.h, as a table. */
struct fault_ops {
	int (*check_supported)(const struct topology *t, const struct topo_fault *f, struct rt_err *e);
	int (*prepare)(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
		       const char *key, cJSON **undo, struct rt_err *e);
	int (*apply)(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
		     const cJSON *undo, struct rt_err *e);
	int (*revert)(struct rt_ctx *c, const cJSON *undo, struct rt_err *e);
	int (*heal_all)(struct rt_ctx *c, struct rt_err *e);
};

/* The mechanisms of runtime/fault.h (sched_ops.c). */
extern const struct fault_ops fault_ops_real;

enum sched_ev {
	SCHED_EV_START,         /* the schedule begins (t0); n = timeline entries */
	SCHED_EV_APPLIED,       /* a fault was applied */
	SCHED_EV_REVERTED,      /* a fault was reverted (at its time, on a signal, or by heal) */
	SCHED_EV_FAILED,        /* applying or reverting failed: err */
	SCHED_EV_LEFTOVER,      /* a record of an earlier run was reverted before t0 */
	SCHED_EV_SIGNAL,        /* SIGINT/SIGTERM: n active faults are about to be reverted */
	SCHED_EV_DONE,          /* the timeline is done */
	SCHED_EV_SKIPPED,       /* a fault naming roles was not applied: err says why
				   (no node holds the role now) */
};
#define SCHED_EV__COUNT (SCHED_EV_SKIPPED + 1)

/* Now, in microseconds: CLOCK_MONOTONIC (offsets, costs) and
 * CLOCK_REALTIME (an event's unix_us). */
uint64_t sched_mono_us(void);
uint64_t sched_unix_us(void);

/* The "event" name of each kind in the JSON lines: "fault_applied", ... */
extern const char *const sched_ev_names[SCHED_EV__COUNT];

struct sched_event {
	enum sched_ev ev;
	const char *key;        /* "split", "f3", "adhoc-1"; NULL for START/SIGNAL/DONE */
	const char *kind;       /* fault_kind_names[], or the record's "kind" */
	const char *desc;       /* fault_describe() text */
	bool revert;            /* FAILED: while reverting */
	bool scheduled;         /* REVERTED: at its timeline time (not a signal or heal) */
	uint64_t at_us;         /* scheduled offset from t0 */
	uint64_t t_us;          /* actual offset from t0 when the entry was handled */
	uint64_t cost_us;       /* how long fault_apply / fault_revert took */
	uint64_t unix_us;       /* CLOCK_REALTIME us. APPLIED / REVERTED / LEFTOVER / FAILED:
				 * when fault_apply / fault_revert returned, i.e. when
				 * the kernel change was committed (or failed); START: t0;
				 * 0 when made: sched_run fills in the instant it emits */
	int signal;             /* SIGNAL */
	size_t n;               /* START: entries; SIGNAL: active faults; DONE: applied */
	const char *err;        /* FAILED */
};

typedef void (*sched_event_fn)(const struct sched_event *ev, void *ud);

/* A second source of work served by the schedule's own poll loop, so its
 * changes are serialised with the timeline's (the control API, api/server.h).
 * fd is polled for input next to the timer; serve() runs on every wake-up
 * (fd readable, timeout_ms() passed, or a schedule entry done) and must not
 * block. timeout_ms() returns how soon serve() wants to run again, -1 for
 * "only when fd is readable". */
struct sched_io {
	int fd;
	int (*timeout_ms)(void *ud);
	void (*serve)(void *ud);
	void *ud;
};

struct sched_opts {
	const struct fault_ops *ops;    /* NULL: fault_ops_real */
	sched_event_fn on_event;        /* may be NULL */
	void *ud;
	bool keep_journaled;            /* sched_run: leave earlier runs' records alone */
	/* sched_apply_one / _rec: a record already journaled under the key
	 * (an earlier apply of the same fault, or one a crash cut between its
	 * journal and its apply) is replaced by the new one in the save that
	 * journals it, and the fault applied again (every mechanism's apply
	 * of the same fault is idempotent): a host's share of a multi-host
	 * schedule, which its controller may send twice (`aspen fault --part`). */
	bool replace_key;
	/* Stop mode (`aspen run`, where the caller owns the signals): when set,
	 * sched_run touches no signal; it stops when *stop becomes nonzero
	 * (seen within 50 ms, at once when a signal interrupts its wait), holds
	 * faults without `for` after the timeline until then, and reverts
	 * every fault it applied before returning. */
	volatile sig_atomic_t *stop;
	/* Served while the schedule runs (NULL: nothing). In stop mode the run
	 * then holds until *stop even when no fault is active. */
	const struct sched_io *io;
	/* t0 (sched_mono_us), when the caller fixed it in advance; 0 = when
	 * the run starts. A t0 in the future counts as 0. */
	uint64_t t0_us;
	uint64_t t0_unix_us;    /* with t0_us: the wall clock the caller read at t0
				 * (schedule_start carries it, so the caller's own
				 * record of the instant matches to the microsecond) */
};

/* What a run did. */
struct sched_result {
	size_t applied;         /* APPLY entries that succeeded */
	size_t reverted;        /* records reverted (on time or on a signal) */
	size_t left_active;     /* revertible faults without `for`, still active (journaled) */
	int signal;             /* SIGINT or SIGTERM when interrupted, else 0 */
	bool stopped;           /* stop mode: *stop ended the run */
	size_t not_run;         /* timeline entries never reached (stopped or interrupted) */
};

/* Exit statuses of a run stopped by a signal: 128 + the signal. */
#define SCHED_EXIT_SIGINT  130
#define SCHED_EXIT_SIGTERM 143

/* Every fault of t must be supported on this machine (fault_check_supported).
 * Reports every unsupported fault (lines joined with "\n"); 0 when all can
 * run. Call before anything changes, so no schedule is half applied. */
int sched_check(const struct topology *t, const struct fault_ops *ops, struct rt_err *e);

/* The journal key of f: its label, or "f<index>". buf of at least 40 bytes. */
const char *sched_fault_key(const struct topo_fault *f, char *buf, size_t len);

/* True for faults with an inverse (partition, impairments, link-down, pause). */
bool sched_revertible(enum fault_kind k);

/* Run tl[0..n) (sorted by at_us, as plan_timeline makes it) against the live
 * topology. Journal records of an earlier run that are not ad hoc
 * ("adhoc-*") are reverted first (SCHED_EV_LEFTOVER) unless
 * o->keep_journaled: a new run of a schedule starts from a clean system. Returns 0 when the
 * timeline completed; -1 when interrupted by SIGINT/SIGTERM (res->signal
 * set, every active fault reverted, e says so) or when applying or
 * reverting failed (then the other active faults are reverted too and e
 * names the failure). SIGINT and SIGTERM are blocked for the duration of
 * the run (threads created meanwhile inherit that) and restored after; a
 * signal the process inherited as ignored (SIG_IGN) stays ignored.
 * The caller holds the topology's lock. */
int sched_run(struct rt_ctx *c, const struct topology *t, const struct timeline_entry *tl,
	      size_t n, const struct sched_opts *o, struct sched_result *res, struct rt_err *e);

/* Apply one fault now, journaled first, and leave it active (ad hoc faults
 * without a duration). key names the record. 0, or -1 with nothing left
 * applied or journaled. */
int sched_apply_one(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
		    const char *key, const struct sched_opts *o, struct rt_err *e);

/* sched_apply_one with the record's deadline (CLOCK_REALTIME ms, 0: none)
 * and extra fields copied into the record before it is journaled (extra
 * may be NULL): the control API records the fault's own text ("spec"). */
int sched_apply_rec(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
		    const char *key, uint64_t deadline_ms, const cJSON *extra,
		    const struct sched_opts *o, struct rt_err *e);

/* Revert journaled records, newest first: all of them (key NULL), or the
 * one whose "key" is key (-1 with the active keys listed when none is).
 * Each is removed from the journal and the journal saved after its revert.
 * A record whose revert fails stays journaled; the others are still tried.
 * *n_reverted (optional) counts successes. */
int sched_heal(struct rt_ctx *c, const char *key, const struct sched_opts *o,
	       size_t *n_reverted, struct rt_err *e);

/* True while the schedule running on c holds a record journaled ahead of
 * its time under this key and has not applied it yet (sched_run saves the
 * records of the coming faults in one go, docs/schedule.md). Such a
 * record is not an active fault: heal and listings skip it. */
bool sched_is_armed(const struct rt_ctx *c, const char *key);

/* Revert the record key at the end of its `for`, as the schedule does at
 * a REVERT entry: the event is a scheduled revert at at_us, handled at
 * t_us (offsets from when the fault was applied). -1 with ENOENT when no
 * such record is active (healed meanwhile). */
int sched_revert_due(struct rt_ctx *c, const char *key, uint64_t at_us, uint64_t t_us,
		     const struct sched_opts *o, struct rt_err *e);

/* The next free ad hoc key ("adhoc-<n>", one more than any journaled). */
void sched_adhoc_key(const struct rt_ctx *c, char *buf, size_t len);

/* unix_us as RFC 3339 in UTC with microseconds: "2026-12-04T18:40:05.000142Z". */
void sched_fmt_time(uint64_t unix_us, char *buf, size_t len);

/* One JSON object (no newline) for an event, the form of `--json` and
 * `--events FILE`. Every event ends with "unix_us" and "time" (the same
 * instant as RFC 3339, UTC, microseconds), next to its offset t_us from t0:
 *   {"event":"fault_applied","key":"split","kind":"partition",
 *    "desc":"partition [node1] | [node2 node3]","at_us":5000000,
 *    "t_us":5000142,"late_us":142,"cost_us":410,
 *    "unix_us":1796402405000142,"time":"2026-12-04T18:40:05.000142Z"}
 * events: schedule_start, fault_applied, fault_reverted, fault_failed,
 * fault_leftover_reverted, interrupted, schedule_done, fault_skipped
 * (with "reason"). malloc'd. */
char *sched_event_json(const struct sched_event *ev);

#endif

/* schedout.h — rendering fault-schedule events (apply, fault, heal). */
#ifndef ASPEN_SCHEDOUT_H
#define ASPEN_SCHEDOUT_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli/progress.h"
#include "runtime/runtime.h"
#include "runtime/schedule.h"

struct schedout {
	struct progress *pr;    /* stream, json, tty, colour, quiet */
	FILE *events;           /* --events FILE (appended JSON lines), or NULL */
	bool verbose;           /* lateness and keys in text lines */
	bool matrix;            /* probe and print the reachability matrix after each fault */
	struct rt_ctx *c;       /* the journal the matrix reads its nodes from */
};

/* Open FILE for --events: created 0600 if missing, appended to. */
int schedout_open_events(struct schedout *so, const char *path, struct rt_err *e);
void schedout_close(struct schedout *so);

/* A sched_event_fn: pass the struct schedout as ud. */
void schedout_event(const struct sched_event *ev, void *ud);

/* Measure and print c's reachability matrix: a table (prefix before each
 * line) or, with json, one {"event":"matrix",...} line; also to events. */
int schedout_matrix(struct schedout *so, struct rt_err *e);

/* The exit status of a run sched_run stopped: 130 (SIGINT), 143 (SIGTERM), else 1. */
int schedout_exit_status(const struct sched_result *res);

struct api_server;

/* The fault schedule for `aspen run` (its run_schedule_fn): t's timeline,
 * text events on stderr, until it ends or *stop becomes nonzero; every
 * fault it applied is reverted before it returns (runtime/schedule.h, stop
 * mode). Checks first that every fault can run here. With srv (may be
 * NULL) the control API is served by the same loop and the events go
 * through it (api_server_event), which prints them. run (may be NULL) gives
 * the event sink without a server, a t0 fixed in advance and the result. 0,
 * or -1 with e. */
struct schedout_run {
	sched_event_fn on_event;        /* events when there is no server (NULL: text on stderr) */
	void *ud;
	uint64_t t0_us, t0_unix_us;     /* sched_opts.t0_us, .t0_unix_us */
	struct sched_result *res;       /* filled (may be NULL) */
};
int schedout_run_until(struct rt_ctx *c, const struct topology *t, volatile sig_atomic_t *stop,
		       struct api_server *srv, const struct schedout_run *run, struct rt_err *e);

/* The offset of t's last timeline entry: when its schedule ends. */
uint64_t schedout_span_us(const struct topology *t);

/* True when the locale's character set is UTF-8 (LC_ALL, LC_CTYPE, LANG). */
bool cli_utf8(void);

#endif

/* server.h — the control API, served by the aspen that holds a topology.
 *
 * HTTP/1.1 with JSON bodies on /run/aspen/NAME/api.sock (0600), through
 * libmicrohttpd with no thread of its own: its epoll descriptor joins the
 * schedule's poll loop (struct sched_io, runtime/schedule.h), so requests
 * run between schedule entries, one at a time, on the thread that owns the
 * journal. A fault posted here is checked by the validator against the
 * recorded topology file (runtime/adhoc.h), journaled before it is applied
 * and applied by the schedule's own path (sched_apply_rec), so `aspen heal`
 * and `aspen destroy` finish what a killed holder left. docs/api.md has
 * the endpoints and why it is built this way. */
#ifndef ASPEN_API_SERVER_H
#define ASPEN_API_SERVER_H

#include "compiler/topology.h"
#include "runtime/err.h"
#include "runtime/runtime.h"
#include "runtime/schedule.h"

struct api_server;

struct api_server_opts {
	struct rt_ctx *c;               /* open and locked by the caller */
	const struct topology *t;       /* the running topology */
	sched_event_fn next;            /* every event also goes here (the holder's output) */
	void *next_ud;
};

/* Bind the socket (a stale one from a killed holder is replaced: the caller
 * holds the lock, so no one else serves it) and start the daemon. */
int api_server_start(struct api_server **out, const struct api_server_opts *o, struct rt_err *e);

/* What sched_opts takes: io (the daemon in the poll loop), and
 * api_server_event as on_event with the server as ud, so the schedule's
 * events reach GET /v1/events and then o->next. */
const struct sched_io *api_server_io(struct api_server *s);
void api_server_event(const struct sched_event *ev, void *ud);

/* The socket's path. */
const char *api_server_path(const struct api_server *s);

/* Wait for requests (and timed reverts) until *stop, serving them: for a
 * holder with no schedule to run (`aspen run --no-schedule`). */
void api_server_serve_until(struct api_server *s, volatile sig_atomic_t *stop);

/* Stop serving: faults posted with `for` that are still active are
 * reverted (their time was promised), event streams end, late requests get
 * 503, the socket is removed. NULL is fine. */
void api_server_stop(struct api_server *s);

#endif

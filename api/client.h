/* client.h — talking to the aspen that holds a topology (api/server.h).
 *
 * `aspen fault`, `aspen heal` and `aspen status` first ask whether another
 * aspen holds the topology's lock. Nobody: they work on the topology
 * themselves, as they always did. A holder that serves the control API:
 * they send it the request instead (plain HTTP/1.1 on the unix socket), so their
 * change is serialised with its schedule. A holder that does not serve
 * (an apply still converging, a destroy): the lock, as before. */
#ifndef ASPEN_API_CLIENT_H
#define ASPEN_API_CLIENT_H

#include <cJSON.h>
#include <signal.h>
#include <stddef.h>

#include "runtime/err.h"
#include "runtime/schedule.h"

/* 1: another aspen holds name and serves it at sock (it accepts a
 * connection: only a live holder listens, and it stops before it releases
 * the lock). 0: nobody holds the lock, or its holder does not serve (an
 * apply still converging, a destroy), or the socket is one a killed holder
 * left: the caller goes on as it always did, and meets the lock (or waits,
 * with --lock-timeout). */
int api_client_find(const char *name, char *sock, size_t len, struct rt_err *e);

/* One request; body may be NULL. *status gets the HTTP status, *out the
 * answer's JSON (NULL when it is not JSON). 0, or -1 when the request
 * could not be made (e names the socket). */
int api_client_call(const char *sock, const char *method, const char *path, const char *body,
		    long *status, cJSON **out, struct rt_err *e);

/* GET path and hand each line of the answer to fn until fn returns
 * nonzero, the stream ends, or *stop (may be NULL) becomes nonzero. 0, or
 * -1 with e. */
int api_client_follow(const char *sock, const char *path, int (*fn)(const char *line, void *ud),
		      void *ud, volatile sig_atomic_t *stop, struct rt_err *e);

/* The "error" of an error answer, or a fallback naming the status. */
const char *api_client_error(const cJSON *o, long status, char *buf, size_t len);

/* An event of the API (sched_event_json's form) back into ev; its strings
 * point into o. 0, or -1 when o is not an event. */
int api_event_from_json(const cJSON *o, struct sched_event *ev);

#endif

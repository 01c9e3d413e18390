/* health.h — when a node counts as up.
 *
 * Three probes, each run from inside the node's network namespace:
 *   tcp   a TCP connect to ip:port succeeds
 *   ping  an ICMP echo to ip is answered (raw socket as root, else an
 *         unprivileged ICMP datagram socket when ping_group_range allows)
 *   exec  a command exits 0 (killed with its process group on timeout)
 *
 * The namespace is entered by a worker thread (setns affects only the
 * calling thread), never by the caller's thread. health_wait() runs one such
 * thread per check, so N nodes are waited for in parallel and the whole
 * wait takes about max(time to healthy), not the sum. Progress is reported
 * on the caller's thread. Exec probes fork from a worker thread and reap
 * their own child; a caller that reaps with waitpid(-1) in a SIGCHLD
 * handler would steal that status. */
#ifndef ASPEN_HEALTH_H
#define ASPEN_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/err.h"

enum health_kind { HEALTH_TCP, HEALTH_PING, HEALTH_EXEC };

struct health_check {
	const char *node;               /* for messages ("node2") */
	const char *netns_path;         /* probe from inside it; NULL = caller's namespace */
	enum health_kind kind;
	uint32_t ip;                    /* tcp, ping: IPv4, host byte order */
	uint16_t port;                  /* tcp */
	const char *const *argv;        /* exec: NULL-terminated, searched in PATH */
	int attempt_timeout_ms;         /* one attempt; 0 = 1 s (tcp, ping), 10 s (exec) */
	bool v6;                        /* tcp, ping: ip6 instead of ip */
	uint8_t ip6[16];                /* network byte order */
	const char *const *envp;        /* exec: the node's environment (nodeenv.h); NULL = inherit */
};

/* One attempt of c, bounded by its attempt timeout. 0 when it passes;
 * -1 with e.g. "health tcp 10.0.0.3:7000: Connection refused" (errnum
 * ECONNREFUSED), "health ping 10.0.0.9: no reply within 1s" (ETIMEDOUT),
 * "health exec false: exited with status 1". */
int health_check_once(const struct health_check *c, struct rt_err *e);

/* One attempt of each of c[0..n), all at once (one thread each). res[i]
 * gets errnum 0 when c[i] passed, else its error (errnum never 0 then).
 * -1 only when out of memory. */
int health_check_each(const struct health_check *c, size_t n, struct rt_err *res);

/* "health tcp 10.0.0.3:7000", "health exec test -e /x": what c checks. */
void health_describe(const struct health_check *c, char *buf, size_t size);

/* Called on the caller's thread after each attempt that failed and once
 * when a check passes. last is the attempt's error (NULL when passed). */
typedef void (*health_progress_fn)(const struct health_check *c, size_t index, bool passed,
				   const struct rt_err *last, long long elapsed_ms, void *arg);

/* Retry every check every interval_ms until all passed (0) or timeout_ms
 * passed (-1). A check that passed is not retried. On failure e names each
 * failing check with the result of its last attempt that finished (an
 * attempt the deadline cut short explains nothing, unless it was the only
 * one), how many finished, and the time waited:
 *   node2: health tcp 10.0.0.3:7000: Connection refused (29 attempts in 30s)
 *   node3: health exec sleep 9: still running after 5s, killed (no attempt finished within 5s)
 * (several are joined with "; "); errnum is the first failing check's. */
int health_wait(const struct health_check *checks, size_t n, int timeout_ms, int interval_ms,
		health_progress_fn cb, void *arg, struct rt_err *e);

/* Asked on the caller's thread every 25 ms during health_wait_stop; true
 * calls the wait off (a node the checks are waiting for has died). */
typedef bool (*health_stop_fn)(void *arg);

/* health_wait, called off as soon as stop(stop_arg) returns true: probes
 * in flight end at once (an exec probe's process group is killed), and the
 * result is -1 with errnum ECANCELED. stop may be NULL. */
int health_wait_stop(const struct health_check *checks, size_t n, int timeout_ms, int interval_ms,
		     health_progress_fn cb, void *arg, health_stop_fn stop, void *stop_arg,
		     struct rt_err *e);

/* The internet checksum (RFC 1071) of len bytes, as stored in a header. */
uint16_t health_inet_checksum(const void *data, size_t len);

/* "30s", "1.5s", "200ms" */
void health_fmt_ms(long long ms, char *buf, size_t size);

#endif

/* lock.h — one aspen at a time per topology.
 *
 * An exclusive flock(2) on <state dir>/lock. The holder writes
 * "pid <pid> cmd <argv...> since <ISO time>" into the file so a second
 * aspen can say who is in the way:
 *   topology "cluster3" is locked by pid 1234 (aspen apply c3.yaml since 2025-...)
 * The kernel drops the lock when the holder dies, so a crashed aspen never
 * leaves a stale lock; the text it leaves behind is ignored.
 *
 * lock_release() unlinks the file (and the state dir when it is then
 * empty). That is safe because lock_acquire() checks, after flock succeeds,
 * that the file it locked is still the one at the path, and starts over if
 * not. */
#ifndef ASPEN_LOCK_H
#define ASPEN_LOCK_H

#include "runtime/err.h"

#define LOCK_FILE "lock"

struct lock {
	int fd;                 /* -1 when not held */
	char path[4200];
	char dir[4096];
};

/* Take the lock of topology name. argv (NULL-terminated, may be NULL) is
 * recorded as the holder's command. timeout_ms 0: fail at once when someone
 * holds it (errnum EWOULDBLOCK); > 0: retry with short sleeps until then
 * (errnum ETIMEDOUT, "is still locked by ... after 5s"); < 0: wait forever.
 * Creates the state dir (0700) and the lock file (0600) when missing. */
int lock_acquire(struct lock *l, const char *name, const char *const *argv, int timeout_ms,
		 struct rt_err *e);

/* Release and remove the lock file; no-op on a lock not held. */
void lock_release(struct lock *l);

/* Describe the current holder of name's lock into buf ("pid 1234 (aspen
 * apply ... since ...)"). Returns 1 when held, 0 when free, -1 on error.
 * Does not take the lock. */
int lock_holder(const char *name, char *buf, size_t size, struct rt_err *e);

#endif

/* err.h — the runtime's one error type.
 *
 * Every runtime call returns 0 or -1 and, on -1, leaves a human message in
 * the caller's struct rt_err: "add veth as-1a2b-node1-0: File exists
 * (kernel: ...)". errnum keeps the errno when the failure came from the kernel
 * so callers can branch on EEXIST/ENOENT without parsing text. Messages are
 * built innermost first; rt_err_prefix() adds context on the way out. */
#ifndef ASPEN_RT_ERR_H
#define ASPEN_RT_ERR_H

#include <stddef.h>

struct rt_err {
	int errnum;             /* errno of the root cause, or 0 */
	char msg[1024];
};

/* Set e (if non-NULL) and return -1. */
int rt_errf(struct rt_err *e, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prepend "context: " to the message; returns -1. */
int rt_err_prefix(struct rt_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif

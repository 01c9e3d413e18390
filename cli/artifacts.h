/* artifacts.h — keeping a run's files after destroy (--artifacts DIR).
 *
 * What a failed test needs to be debugged lives in the topology's runtime
 * dir (node logs, VMM logs, cluster.json, the events file) and its state
 * journal; destroy removes both. These functions copy them out first, and
 * keep a short summary.txt of what each stage did. */
#ifndef ASPEN_ARTIFACTS_H
#define ASPEN_ARTIFACTS_H

#include "runtime/runtime.h"

/* Create dir (and its parents, mode 0755) unless it exists, and check it
 * is a writable directory. 0, or -1 with e. */
int artifacts_prepare(const char *dir, struct rt_err *e);

/* Copy every regular file of c's runtime dir into dir (sockets and the
 * like are skipped), and the journal as it is now as journal.json. 0, or
 * -1 with e naming the file that could not be copied. */
int artifacts_save(struct rt_ctx *c, const char *dir, struct rt_err *e);

/* Append one line to dir/summary.txt (errors go to stderr: the summary
 * is a courtesy, never a reason to fail). */
void artifacts_note(const char *dir, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A fresh directory for a failed run's files: $TMPDIR (or /tmp)
 * /aspen-NAME-YYYYmmddTHHMMSSZ-XXXXXX, mode 0700. NULL with e. */
char *artifacts_mkdtemp(const char *name, struct rt_err *e);

#endif

/* progress.h — rendering runtime events for a person or a program. */
#ifndef ASPEN_PROGRESS_H
#define ASPEN_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/cli.h"
#include "runtime/runtime.h"

struct progress {
	FILE *out;
	bool json, tty, color, quiet;
};

void progress_init(struct progress *p, FILE *out, bool json, bool quiet);
/* An rt_event_fn: pass the struct progress as ud. */
void progress_event(const struct rt_event *ev, void *ud);
/* One JSON event line: {"event":EVENT,<fmt_kv_json>} */
/* "unix_us":N,"time":"2026-12-04T18:40:05.000142Z" (now): the wall clock
 * every JSON event line ends with. */
void progress_clock_kv(char *buf, size_t len);
void progress_json(FILE *out, const char *event, const char *fmt_kv_json);

#endif

/* sbuf.h — text built into a caller's fixed buffer that remembers an
 * overflow instead of truncating silently: the YAML of an ad hoc fault
 * (adhoc.c) and the control API's JSON <-> YAML flow (api/route.c). */
#ifndef ASPEN_SBUF_H
#define ASPEN_SBUF_H

#include <stdbool.h>
#include <stddef.h>

struct sbuf {
	char *s;
	size_t n, cap;          /* used, size of s */
	bool overflow;          /* something did not fit: s holds a prefix */
};

/* Append printf-style; after an overflow, nothing more is written. */
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

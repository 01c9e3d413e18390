/* sbuf.c — the bounded text buffer of sbuf.h. */
#include "runtime/sbuf.h"

#include <stdarg.h>
#include <stdio.h>

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	if (b->overflow)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->n)
		b->overflow = true;
	else
		b->n += (size_t)n;
}

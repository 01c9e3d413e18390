/* arena.c — bump allocator (see arena.h). Chunks grow geometrically; a
 * request larger than a chunk gets a chunk of its own. Out of memory is
 * fatal: a compiler that cannot allocate a few megabytes has nothing useful
 * left to say.
 *
 * Memory is zeroed once, by calloc, per chunk, and never per allocation:
 * a bump allocator never hands out the same bytes twice, so a chunk that
 * starts zeroed stays zeroed where it is not yet handed out. calloc costs
 * nothing for the chunks that matter: glibc serves big ones with fresh
 * mmap pages, which the kernel zeroes on first touch anyway, and skips its
 * memset for them. Zeroing each allocation instead (the old code) touched
 * every page twice and was a third of a 1000-node plan's time. */
#include "compiler/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
};

#define ARENA_MIN_CHUNK (64u * 1024u)

void arena_init(struct arena *a) { a->head = NULL; a->total = 0; }

void arena_free(struct arena *a)
{
	struct arena_chunk *c = a->head;
	while (c) {
		struct arena_chunk *n = c->next;
		free(c);
		c = n;
	}
	a->head = NULL;
	a->total = 0;
}

static void oom(void)
{
	fputs("aspen: out of memory\n", stderr);
	abort();
}

void *arena_alloc(struct arena *a, size_t n)
{
	n = (n + 15u) & ~(size_t)15u;
	if (n == 0)
		n = 16;
	struct arena_chunk *c = a->head;
	if (!c || c->cap - c->used < n) {
		size_t cap = c ? c->cap * 2 : ARENA_MIN_CHUNK;
		if (cap > 8u * 1024u * 1024u)
			cap = 8u * 1024u * 1024u;
		if (cap < n)
			cap = n;
		struct arena_chunk *nc = calloc(1, sizeof(*nc) + cap);
		if (!nc)
			oom();
		nc->used = 0;
		nc->cap = cap;
		/* Keep a partly used chunk at the head when the new one is a
		 * one-off for a big request, so small allocations keep filling it. */
		if (c && n > c->cap) {
			nc->next = c->next;
			c->next = nc;
		} else {
			nc->next = c;
			a->head = nc;
		}
		c = nc;
	}
	void *p = c->data + c->used;
	c->used += n;
	a->total += n;
	return p;       /* zero: calloc'd, and never handed out before */
}

void *arena_array(struct arena *a, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		oom();
	return arena_alloc(a, n * size);
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *d = arena_alloc(a, n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	char *d = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(d, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return d;
}

/* arena.h — a bump allocator that owns everything one compile produces.
 *
 * A topology, its resources and its plan are built once and freed at once, so
 * the compiler allocates from an arena: no per-object free, no leaks on error
 * paths, and a 1000-node compile costs a handful of mallocs. */
#ifndef ASPEN_ARENA_H
#define ASPEN_ARENA_H

#include <stddef.h>

struct arena_chunk;
struct arena {
	struct arena_chunk *head;
	size_t total;           /* bytes handed out, for stats */
};

void  arena_init(struct arena *a);
void  arena_free(struct arena *a);             /* frees every chunk; a may be reused after arena_init */
void *arena_alloc(struct arena *a, size_t n);  /* zeroed, 16-byte aligned; aborts on OOM */
void *arena_array(struct arena *a, size_t n, size_t size); /* overflow-checked */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

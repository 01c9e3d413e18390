/* diag.h — diagnostics: every error aspen reports about a topology file.
 *
 * The compiler never stops at the first problem: each stage appends to a
 * diag_list and carries on, so the user fixes a file in one round trip.
 * A diagnostic carries the file position of the offending key or value, the
 * dotted path of the field (nodes.node1.interfaces[0].ip), the message, and
 * an optional hint ("did you mean `memory`?"). Rendering is separate from
 * collection so the same list prints as text, as GitHub annotations or JSON. */
#ifndef ASPEN_DIAG_H
#define ASPEN_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct pos {
	unsigned line, col;     /* 1-based; 0 means "no position" */
};

enum diag_severity { DIAG_ERROR, DIAG_WARNING };

struct diag {
	enum diag_severity sev;
	struct pos pos;
	char *path;             /* dotted field path, or NULL */
	char *msg;
	char *hint;             /* or NULL */
};

struct diag_list {
	const char *file;       /* as the user named it; not owned */
	struct diag *v;
	size_t n, cap;
	size_t n_errors;
	size_t max;             /* stop recording after this many (0 = 1000) */
	size_t dropped;
};

enum diag_format { DIAG_TEXT, DIAG_GITHUB, DIAG_JSON };

void diag_init(struct diag_list *d, const char *file);
void diag_clear(struct diag_list *d);

/* Append an error/warning. path may be NULL. Formats are printf-style. */
void diag_error(struct diag_list *d, struct pos p, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void diag_warn(struct diag_list *d, struct pos p, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Attach a hint to the last diagnostic appended. */
void diag_hint(struct diag_list *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline bool diag_failed(const struct diag_list *d) { return d->n_errors > 0; }

/* Sort by position (stable) so output reads top to bottom of the file. */
void diag_sort(struct diag_list *d);

/* Text:   FILE:LINE:COL: error: MESSAGE (path)\n    hint: ...
 * GitHub: ::error file=FILE,line=L,col=C,title=aspen::MESSAGE (path)
 * JSON:   one object per line is not used; diag_to_json builds an array. */
void diag_print(const struct diag_list *d, FILE *out, enum diag_format fmt, bool color);

/* Closest candidate to `word` by edit distance, or NULL if none is close. */
const char *diag_suggest(const char *word, const char *const *cands, size_t n);

#endif

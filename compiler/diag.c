/* diag.c — collecting and rendering diagnostics (see diag.h). */
#include "compiler/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void diag_init(struct diag_list *d, const char *file)
{
	memset(d, 0, sizeof(*d));
	d->file = file;
}

void diag_clear(struct diag_list *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].path);
		free(d->v[i].msg);
		free(d->v[i].hint);
	}
	free(d->v);
	const char *file = d->file;
	size_t max = d->max;
	diag_init(d, file);
	d->max = max;
}

static char *vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0) {
		fputs("aspen: out of memory\n", stderr);
		abort();
	}
	return s;
}

static void vadd(struct diag_list *d, enum diag_severity sev, struct pos p,
		 const char *path, const char *fmt, va_list ap)
{
	size_t max = d->max ? d->max : 1000;
	if (sev == DIAG_ERROR)
		d->n_errors++;
	if (d->n >= max) {
		d->dropped++;
		return;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct diag *v = realloc(d->v, cap * sizeof(*v));
		if (!v) {
			fputs("aspen: out of memory\n", stderr);
			abort();
		}
		d->v = v;
		d->cap = cap;
	}
	struct diag *g = &d->v[d->n++];
	g->sev = sev;
	g->pos = p;
	g->path = path ? strdup(path) : NULL;
	g->msg = vfmt(fmt, ap);
	g->hint = NULL;
}

void diag_error(struct diag_list *d, struct pos p, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vadd(d, DIAG_ERROR, p, path, fmt, ap);
	va_end(ap);
}

void diag_warn(struct diag_list *d, struct pos p, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vadd(d, DIAG_WARNING, p, path, fmt, ap);
	va_end(ap);
}

void diag_hint(struct diag_list *d, const char *fmt, ...)
{
	if (d->n == 0 || d->dropped)
		return;
	struct diag *g = &d->v[d->n - 1];
	va_list ap;
	va_start(ap, fmt);
	free(g->hint);
	g->hint = vfmt(fmt, ap);
	va_end(ap);
}

static int pos_cmp(const void *a, const void *b)
{
	const struct diag *x = a, *y = b;
	if (x->pos.line != y->pos.line)
		return x->pos.line < y->pos.line ? -1 : 1;
	if (x->pos.col != y->pos.col)
		return x->pos.col < y->pos.col ? -1 : 1;
	return 0;
}

void diag_sort(struct diag_list *d)
{
	/* Insertion sort: stable, and lists are short. */
	for (size_t i = 1; i < d->n; i++) {
		struct diag t = d->v[i];
		size_t j = i;
		while (j > 0 && pos_cmp(&d->v[j - 1], &t) > 0) {
			d->v[j] = d->v[j - 1];
			j--;
		}
		d->v[j] = t;
	}
}

/* GitHub workflow commands need %, \r, \n escaped in the message and
 * additionally : and , in properties. */
static void gh_escape(FILE *out, const char *s, bool prop)
{
	for (; *s; s++) {
		if (*s == '%')
			fputs("%25", out);
		else if (*s == '\r')
			fputs("%0D", out);
		else if (*s == '\n')
			fputs("%0A", out);
		else if (prop && *s == ':')
			fputs("%3A", out);
		else if (prop && *s == ',')
			fputs("%2C", out);
		else
			fputc(*s, out);
	}
}

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

void diag_print(const struct diag_list *d, FILE *out, enum diag_format fmt, bool color)
{
	const char *file = d->file ? d->file : "<input>";
	if (fmt == DIAG_JSON) {
		fputc('[', out);
		for (size_t i = 0; i < d->n; i++) {
			const struct diag *g = &d->v[i];
			fprintf(out, "%s{\"file\":", i ? "," : "");
			json_str(out, file);
			fprintf(out, ",\"line\":%u,\"column\":%u,\"severity\":\"%s\",\"message\":",
				g->pos.line, g->pos.col, g->sev == DIAG_ERROR ? "error" : "warning");
			json_str(out, g->msg);
			fputs(",\"path\":", out);
			if (g->path) json_str(out, g->path); else fputs("null", out);
			fputs(",\"hint\":", out);
			if (g->hint) json_str(out, g->hint); else fputs("null", out);
			fputc('}', out);
		}
		fputs("]\n", out);
		return;
	}
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];
		const char *sev = g->sev == DIAG_ERROR ? "error" : "warning";
		if (fmt == DIAG_GITHUB) {
			fprintf(out, "::%s file=", sev);
			gh_escape(out, file, true);
			if (g->pos.line)
				fprintf(out, ",line=%u,col=%u", g->pos.line, g->pos.col);
			fputs(",title=aspen::", out);
			gh_escape(out, g->msg, false);
			if (g->path) {
				fputs(" (", out);
				gh_escape(out, g->path, false);
				fputc(')', out);
			}
			if (g->hint) {
				fputs("%0Ahint: ", out);
				gh_escape(out, g->hint, false);
			}
			fputc('\n', out);
			continue;
		}
		const char *on = "", *off = "", *bold = "";
		if (color) {
			on = g->sev == DIAG_ERROR ? "\033[1;31m" : "\033[1;35m";
			off = "\033[0m";
			bold = "\033[1m";
		}
		if (g->pos.line)
			fprintf(out, "%s%s:%u:%u:%s ", bold, file, g->pos.line, g->pos.col, off);
		else
			fprintf(out, "%s%s:%s ", bold, file, off);
		fprintf(out, "%s%s:%s %s", on, sev, off, g->msg);
		if (g->path)
			fprintf(out, " (%s)", g->path);
		fputc('\n', out);
		if (g->hint)
			fprintf(out, "    hint: %s\n", g->hint);
	}
	if (d->dropped && fmt == DIAG_TEXT)
		fprintf(out, "%s: note: %zu more diagnostics not shown\n", file, d->dropped);
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return 99;
	size_t prev[65], cur[65];
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			size_t m = sub < del ? sub : del;
			cur[j] = m < ins ? m : ins;
		}
		memcpy(prev, cur, (lb + 1) * sizeof(size_t));
	}
	return prev[lb];
}

const char *diag_suggest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	size_t len = strlen(word);
	for (size_t i = 0; i < n; i++) {
		size_t dd = edit_distance(word, cands[i]);
		if (dd < best_d) {
			best_d = dd;
			best = cands[i];
		}
	}
	/* Close enough: at most a third of the word, and at least one edit allowed. */
	size_t limit = len / 3 > 1 ? len / 3 : 1;
	if (len >= 4 && limit < 2)
		limit = 2;
	return best && best_d <= limit ? best : NULL;
}

/* plan_print.c — a plan for people (text) and for programs (JSON).
 *
 * Text mirrors Terraform: one line per resource change in execution order
 * (`-` deletes first, then `+` creates, `~` updates and `-/+` replaces),
 * a summary line, then the fault schedule. Values are abbreviated in text
 * (a change shows the part that differs; `-v` shows them whole), never in
 * JSON; argv reads as a shell command line. Both outputs depend only on the plan, so they are golden-
 * testable; colour is added only when asked. The JSON layout is the stable
 * interface described in docs/plan-json.md: change it only with its
 * format_version. */
#include "compiler/plan.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_VALUE_MAX 40       /* longer values are cut to this many bytes with "..." */
#define ID_COLUMN 24            /* ids are padded to at least this width */

/* ---------------- shared ---------------- */

static const char *const op_names[] = {
	[ACT_CREATE] = "create", [ACT_UPDATE] = "update",
	[ACT_REPLACE] = "replace", [ACT_DELETE] = "delete",
};

/* The resource an action describes: the desired one unless it is a delete. */
static const struct resource *action_res(const struct action *a)
{
	return a->desired ? a->desired : a->observed;
}

/* A JSON string. Runs of bytes that need no escape go out in one fwrite:
 * a 1000-node plan is ~1 MB of JSON, and a call per byte (with its stream
 * lock) was most of `plan --json`. The callers hold the stream's lock
 * (plan_print_json), hence the _unlocked calls. */
static void json_escape(FILE *out, const char *s)
{
	putc_unlocked('"', out);
	const char *run = s;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		fwrite_unlocked(run, 1, (size_t)(s - run), out);
		run = s + 1;
		switch (c) {
		case '"': fputs_unlocked("\\\"", out); break;
		case '\\': fputs_unlocked("\\\\", out); break;
		case '\b': fputs_unlocked("\\b", out); break;
		case '\f': fputs_unlocked("\\f", out); break;
		case '\n': fputs_unlocked("\\n", out); break;
		case '\r': fputs_unlocked("\\r", out); break;
		case '\t': fputs_unlocked("\\t", out); break;
		default: fprintf(out, "\\u%04x", c);
		}
	}
	fwrite_unlocked(run, 1, (size_t)(s - run), out);
	putc_unlocked('"', out);
}

/* ---------------- text ---------------- */

struct style {
	const char *green, *yellow, *red, *off;
};

/* Shell quoting of one word: as is when it holds only characters no shell
 * treats specially, '...' otherwise, $'...' when it holds control bytes. */
static void shell_word(FILE *out, const char *w, size_t n)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789_@%+=:,./-";
	bool plain = n > 0, ctl = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)w[i];
		plain = plain && (c >= 0x80 || (c && strchr(safe, c)));
		ctl = ctl || c < ' ' || c == 0x7f;
	}
	if (plain) {
		fwrite(w, 1, n, out);
		return;
	}
	fputs(ctl ? "$'" : "'", out);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)w[i];
		if (!ctl && c == '\'')
			fputs("'\\''", out);
		else if (ctl && (c == '\'' || c == '\\'))
			fprintf(out, "\\%c", c);
		else if (ctl && (c < ' ' || c == 0x7f))
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	fputc('\'', out);
}

/* The byte a JSON escape at *p (just past the backslash) stands for, *p
 * left on its last character; 0 for one this reader does not take (\u
 * beyond ASCII: the raw value is shown instead). */
static char json_unescape(const char **p)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *c = ++*p;
	const char *k = *c ? strchr(from, *c) : NULL;
	if (k)
		return to[k - from];
	unsigned u = 0;
	if (*c != 'u')
		return 0;
	for (int i = 1; i <= 4; i++) {
		char h = c[i];
		int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
			: h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
		if (d < 0)
			return 0;
		u = u * 16 + (unsigned)d;
	}
	if (u == 0 || u >= 0x80)
		return 0;
	*p += 4;
	return (char)u;
}

/* A JSON array of strings (argv as lowering writes it) as a shell command
 * line, in a malloc'd string; NULL when v is not such an array (then the
 * raw value is shown). Only the escapes a JSON writer emits are read. */
static char *argv_shell(const char *v)
{
	char *buf = NULL, *word = malloc(strlen(v) + 1);
	size_t blen = 0;
	FILE *out = word ? open_memstream(&buf, &blen) : NULL;
	const char *p = v;
	bool ok = out && *p++ == '[';
	for (size_t n = 0; ok && *p != ']'; n++) {
		if (n && *p++ != ',')
			ok = false;
		if (!ok || *p++ != '"') {
			ok = false;
			break;
		}
		size_t wl = 0;
		for (; ok && *p != '"'; p++) {
			if (!*p) {
				ok = false;
			} else if (*p != '\\') {
				word[wl++] = *p;
			} else {
				char c = json_unescape(&p);
				if (c)
					word[wl++] = c;
				else
					ok = false;
			}
		}
		if (!ok)
			break;
		p++;
		if (n)
			fputc(' ', out);
		shell_word(out, word, wl);
	}
	ok = ok && p[0] == ']' && p[1] == '\0';
	if (out)
		fclose(out);
	free(word);
	if (!ok) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* How a property's value reads in text: argv as a command line (raw: its
 * quoting is the shell's), everything else as stored. */
struct tval {
	const char *s;          /* NULL: (none) */
	char *own;              /* malloc'd rendering, or NULL */
	bool raw;               /* never wrapped in "..." */
};

static struct tval tval_of(const char *key, const char *v)
{
	struct tval t = {v, NULL, false};
	if (v && strcmp(key, "argv") == 0 && (t.own = argv_shell(v)) != NULL) {
		t.s = t.own;
		t.raw = true;
	}
	return t;
}

/* v[from, to) of a text line: quoted when the value is empty or holds
 * blanks or control bytes (unless raw), "…" where a common part was left
 * out (lead, trail), and cut at TEXT_VALUE_MAX bytes (on a UTF-8 boundary)
 * with "..." unless whole. */
static void text_part(FILE *out, const struct tval *t, size_t from, size_t to, bool lead,
		      bool trail, bool whole)
{
	const char *v = t->s;
	if (!v) {
		fputs("(none)", out);
		return;
	}
	size_t len = strlen(v), cut = to;
	if (!whole && to - from > TEXT_VALUE_MAX) {
		cut = from + TEXT_VALUE_MAX - 3;
		while (cut > from && ((unsigned char)v[cut] & 0xc0) == 0x80)
			cut--;
	}
	bool quote = len == 0 && !t->raw;
	for (size_t i = 0; i < len && !t->raw; i++)
		if ((unsigned char)v[i] <= ' ')
			quote = true;
	if (quote)
		fputc('"', out);
	if (lead)
		fputs("…", out);
	for (size_t i = from; i < cut; i++) {
		unsigned char c = (unsigned char)v[i];
		if (quote && (c == '"' || c == '\\'))
			fprintf(out, "\\%c", c);
		else if (quote && c < ' ')
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	if (cut < to) {
		fputs("...", out);
		return;
	}
	if (trail)
		fputs("…", out);
	if (quote)
		fputc('"', out);
}

static void text_value(FILE *out, const char *key, const char *v, bool whole)
{
	struct tval t = tval_of(key, v);
	text_part(out, &t, 0, t.s ? strlen(t.s) : 0, false, false, whole);
	free(t.own);
}

static bool word_edge(const char *s, size_t i)
{
	return s[i] == ' ' || s[i] == ',' || s[i] == '"' || s[i] == '[';
}

/* "old -> new". When either side is too long for a line, the part both
 * share at the start and at the end is left out ("…"), so what changed is
 * what shows: a cluster string that gained a node reads
 * `…node3=10.100.0.4 -> …node3=10.100.0.4 node4=10.100.0.5`. The kept part
 * starts and ends on a word edge (a blank or a comma), never inside a
 * UTF-8 sequence. */
static void text_pair(FILE *out, const char *key, const char *o, const char *n, bool whole)
{
	struct tval a = tval_of(key, o), b = tval_of(key, n);
	size_t la = a.s ? strlen(a.s) : 0, lb = b.s ? strlen(b.s) : 0;
	size_t pre = 0, suf = 0;
	if (!whole && a.s && b.s && (la > TEXT_VALUE_MAX || lb > TEXT_VALUE_MAX)) {
		while (pre < la && pre < lb && a.s[pre] == b.s[pre])
			pre++;
		while (suf < la - pre && suf < lb - pre && a.s[la - 1 - suf] == b.s[lb - 1 - suf])
			suf++;
		/* Back to the start of the word the difference is in, and one
		 * word further when that shows little of it ("root=/dev/vda ro"
		 * rather than "ro"). */
		size_t first = pre;
		for (int words = 0; pre > 0 && words < 2; words++) {
			while (pre > 0 && !word_edge(a.s, pre - 1))
				pre--;
			if (first - pre >= 8 || pre == 0)
				break;
			pre--;
		}
		while (pre > 0 && ((unsigned char)a.s[pre] & 0xc0) == 0x80)
			pre--;
		while (suf > 0 && !word_edge(a.s, la - suf))
			suf--;
		if (pre < 8)
			pre = 0;        /* nothing worth leaving out */
		if (suf < 8)
			suf = 0;
	}
	text_part(out, &a, pre, la - suf, pre > 0, suf > 0, whole);
	fputs(" -> ", out);
	text_part(out, &b, pre, lb - suf, pre > 0, suf > 0, whole);
	free(a.own);
	free(b.own);
}

static void text_symbol(FILE *out, enum action_op op, const struct style *st)
{
	switch (op) {
	case ACT_CREATE: fprintf(out, "  %s+%s", st->green, st->off); break;
	case ACT_UPDATE: fprintf(out, "  %s~%s", st->yellow, st->off); break;
	case ACT_DELETE: fprintf(out, "  %s-%s", st->red, st->off); break;
	case ACT_REPLACE:
		fprintf(out, "%s-%s/%s+%s", st->red, st->off, st->green, st->off);
		break;
	}
}

static void text_create(FILE *out, const struct resource *r, bool whole)
{
	const char *const *keys = res_kinds[r->kind].summary;
	bool first = true;
	for (; keys && *keys; keys++) {
		const char *v = res_get(r, *keys);
		if (!v)
			continue;
		fprintf(out, "%s%s=", first ? "" : " ", *keys);
		text_value(out, *keys, v, whole);
		first = false;
	}
}

static void text_changes(FILE *out, const struct action *a, bool whole)
{
	bool forced = false;
	bool kind_changed = a->observed && a->desired && a->observed->kind != a->desired->kind;
	for (size_t i = 0; i < a->n_changes; i++) {
		const struct prop_change *c = &a->changes[i];
		fprintf(out, "%s%s: ", i ? ", " : "", c->key);
		text_pair(out, c->key, c->old_value, c->new_value, whole);
		if (a->op == ACT_REPLACE && !kind_changed && !res_prop_updatable_in(a->desired, c->key)) {
			fputs(" (forces replacement)", out);
			forced = true;
		}
	}
	if (a->op == ACT_REPLACE && !forced && a->reason)
		fprintf(out, "%s(%s)", a->n_changes ? " " : "", a->reason);
}

/* True when the line has something after the id. */
static bool text_has_detail(const struct action *a)
{
	if (a->op == ACT_DELETE)
		return false;
	if (a->op != ACT_CREATE)
		return true;
	for (const char *const *k = res_kinds[a->desired->kind].summary; k && *k; k++)
		if (res_get(a->desired, *k))
			return true;
	return false;
}

/* "faults[2]", or "faults[2]#3" for the third repetition of a generator. */
static int text_fault_ref(char *buf, size_t n, const struct topo_fault *f)
{
	if (f->instance)
		return snprintf(buf, n, "faults[%zu]#%zu", f->index, f->instance);
	return snprintf(buf, n, "faults[%zu]", f->index);
}

static void text_schedule(const struct plan *p, FILE *out)
{
	int fw = 0;
	for (size_t i = 0; i < p->n_timeline; i++) {
		char f[48];
		int l = text_fault_ref(f, sizeof(f), p->timeline[i].fault);
		fw = l > fw ? l : fw;
	}
	if (p->uses_random && p->seed_source == SEED_RANDOM)
		fprintf(out, "\nFault schedule (offsets from convergence; seed %" PRIu64 " drawn at "
			"random: --seed %" PRIu64 " repeats it):\n", p->seed, p->seed);
	else if (p->uses_random)
		fprintf(out, "\nFault schedule (offsets from convergence; seed %" PRIu64 " from %s):\n",
			p->seed, plan_seed_source(p->seed_source));
	else
		fputs("\nFault schedule (offsets from convergence):\n", out);
	for (size_t i = 0; i < p->n_timeline; i++) {
		const struct timeline_entry *e = &p->timeline[i];
		char at[48], f[48];
		snprintf(at, sizeof(at), "+%" PRIu64 ".%03" PRIu64 "s", e->at_us / 1000000u,
			 e->at_us % 1000000u / 1000u);
		text_fault_ref(f, sizeof(f), e->fault);
		fprintf(out, "%10s  %-6s  %-*s  %s", at, e->ev == TL_APPLY ? "apply" : "revert",
			fw, f, e->desc);
		if (e->fault->label)
			fprintf(out, "  (%s)", e->fault->label);
		fputc('\n', out);
	}
}

void plan_print_schedule(const struct plan *p, FILE *out)
{
	if (p->n_timeline)
		text_schedule(p, out);
}

/* Why a node's process restarts, in the user's words. */
static const char *restart_why(const struct action *a, char *buf, size_t n)
{
	static const struct { const char *key, *why; } words[] = {
		{"cluster", "its peers changed"}, {"argv", "its command changed"},
		{"env", "its environment changed"}, {"workdir", "its workdir changed"},
		{"netns", "its namespace changed"},
	};
	for (size_t i = 0; i < a->n_changes; i++) {
		const char *k = a->changes[i].key;
		if (res_prop_updatable_in(a->desired, k))
			continue;
		for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
			if (strcmp(k, words[w].key) == 0)
				return words[w].why;
		snprintf(buf, n, "%s changed", k);
		return buf;
	}
	snprintf(buf, n, "%s", a->reason ? a->reason : "replaced");
	return buf;
}

/* "Restarts: node1 (its peers changed), ..." and the nodes a change of
 * peers reaches that keep running (restart_on: [own]): what a reviewer of
 * a plan most needs to know about a live cluster. */
static void text_restarts(const struct plan *p, FILE *out)
{
	bool any = false;
	for (int pass = 0; pass < 2; pass++) {
		any = false;
		for (size_t i = 0; i < p->n_actions; i++) {
			const struct action *a = &p->actions[i];
			if (!action_shown(a) || !a->desired || a->desired->kind != RES_PROCESS ||
			    a->op != (pass == 0 ? ACT_REPLACE : ACT_UPDATE) ||
			    (pass == 1 && !res_get(a->observed, "cluster")))
				continue;
			bool peers = false;
			for (size_t k = 0; k < a->n_changes; k++)
				peers |= strcmp(a->changes[k].key, "cluster") == 0;
			if (pass == 1 && !peers)
				continue;
			char buf[160];
			fprintf(out, "%s%s", any ? ", " : pass == 0 ? "Restarts: " :
				"Keeps running though its peers changed (restart_on: [own]): ",
				strchr(a->desired->id, '/') ? strchr(a->desired->id, '/') + 1 : a->desired->id);
			if (pass == 0)
				fprintf(out, " (%s)", restart_why(a, buf, sizeof(buf)));
			any = true;
		}
		if (any)
			fputc('\n', out);
	}
}

void plan_print_text(const struct plan *p, FILE *out, bool color, bool whole)
{
	struct style st = {"", "", "", ""};
	if (color)
		st = (struct style){"\033[32m", "\033[33m", "\033[31m", "\033[0m"};
	int w = ID_COLUMN;
	size_t shown = 0;
	for (size_t i = 0; i < p->n_actions; i++) {
		if (!action_shown(&p->actions[i]))
			continue;
		int l = (int)strlen(action_res(&p->actions[i])->id);
		w = l > w ? l : w;
		shown++;
	}
	if (shown == 0) {
		fputs("No changes. The live system matches the topology.\n", out);
	} else {
		for (size_t i = 0; i < p->n_actions; i++) {
			const struct action *a = &p->actions[i];
			if (!action_shown(a))
				continue;
			text_symbol(out, a->op, &st);
			if (!text_has_detail(a)) {
				fprintf(out, " %s\n", action_res(a)->id);
				continue;
			}
			fprintf(out, " %-*s ", w, action_res(a)->id);
			if (a->op == ACT_CREATE)
				text_create(out, a->desired, whole);
			else
				text_changes(out, a, whole);
			fputc('\n', out);
		}
		fprintf(out, "\nPlan: %zu to create, %zu to update, %zu to replace, %zu to delete.\n",
			p->n_create, p->n_update, p->n_replace, p->n_delete);
		text_restarts(p, out);
	}
	if (p->n_timeline)
		text_schedule(p, out);
}

/* ---------------- JSON ---------------- */

/* A small pretty-printing writer: two-space indent, one member per line,
 * empty containers as {} and []. */
struct jw {
	FILE *out;
	int depth;
	bool empty[16];         /* per open container: nothing written yet */
	bool after_key;
};

static void jw_indent(struct jw *w)
{
	static const char nl_spaces[] = "\n                                ";
	fwrite_unlocked(nl_spaces, 1, 1 + 2 * (size_t)w->depth, w->out);
}

static void jw_value_start(struct jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth == 0)
		return;
	if (!w->empty[w->depth - 1])
		putc_unlocked(',', w->out);
	w->empty[w->depth - 1] = false;
	jw_indent(w);
}

static void jw_open(struct jw *w, char c)
{
	jw_value_start(w);
	putc_unlocked(c, w->out);
	w->empty[w->depth++] = true;
}

static void jw_close(struct jw *w, char c)
{
	bool was_empty = w->empty[--w->depth];
	if (!was_empty)
		jw_indent(w);
	putc_unlocked(c, w->out);
}

static void jw_key(struct jw *w, const char *k)
{
	jw_value_start(w);
	json_escape(w->out, k);
	fputs_unlocked(": ", w->out);
	w->after_key = true;
}

static void jw_str(struct jw *w, const char *s)
{
	jw_value_start(w);
	if (s)
		json_escape(w->out, s);
	else
		fputs_unlocked("null", w->out);
}

static void jw_uint(struct jw *w, uint64_t v)
{
	jw_value_start(w);
	fprintf(w->out, "%" PRIu64, v);
}

static void jw_kstr(struct jw *w, const char *k, const char *v) { jw_key(w, k); jw_str(w, v); }
static void jw_kuint(struct jw *w, const char *k, uint64_t v) { jw_key(w, k); jw_uint(w, v); }

static void json_action(struct jw *w, const struct action *a)
{
	const struct resource *r = action_res(a);
	jw_open(w, '{');
	jw_kstr(w, "op", op_names[a->op]);
	jw_kstr(w, "id", r->id);
	jw_kstr(w, "kind", res_kinds[r->kind].name);
	jw_key(w, "props");
	jw_open(w, '{');
	for (size_t i = 0; i < r->n_props; i++)
		jw_kstr(w, r->props[i].key, r->props[i].value);
	jw_close(w, '}');
	jw_key(w, "changes");
	jw_open(w, '[');
	for (size_t i = 0; i < a->n_changes; i++) {
		jw_open(w, '{');
		jw_kstr(w, "key", a->changes[i].key);
		jw_kstr(w, "old", a->changes[i].old_value);
		jw_kstr(w, "new", a->changes[i].new_value);
		jw_close(w, '}');
	}
	jw_close(w, ']');
	jw_kstr(w, "reason", a->reason);
	jw_key(w, "depends_on");
	jw_open(w, '[');
	for (size_t i = 0; i < r->n_deps; i++)
		jw_str(w, r->deps[i]);
	jw_close(w, ']');
	jw_close(w, '}');
}

static void json_schedule(struct jw *w, const struct plan *p)
{
	jw_key(w, "schedule");
	jw_open(w, '[');
	for (size_t i = 0; i < p->n_timeline; i++) {
		const struct timeline_entry *e = &p->timeline[i];
		char at[32];
		plan_fmt_duration(at, sizeof(at), e->at_us);
		jw_open(w, '{');
		jw_kuint(w, "at_us", e->at_us);
		jw_kstr(w, "at", at);
		jw_kstr(w, "event", e->ev == TL_APPLY ? "apply" : "revert");
		jw_kuint(w, "fault", e->fault->index);
		jw_kuint(w, "instance", e->fault->instance);
		jw_kstr(w, "label", e->fault->label);
		jw_kstr(w, "kind", fault_kind_names[e->fault->kind]);
		jw_kstr(w, "description", e->desc);
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

/* The plan object at depth (the value of a key already written when
 * depth > 0), without a final newline. */
static void json_plan(const struct plan *p, FILE *out, int depth)
{
	struct jw w = {.out = out, .depth = depth, .after_key = depth > 0};
	jw_open(&w, '{');
	jw_kuint(&w, "format_version", 1);
	jw_kstr(&w, "topology", p->topology);
	jw_key(&w, "actions");
	jw_open(&w, '[');
	for (size_t i = 0; i < p->n_actions; i++)
		if (action_shown(&p->actions[i]))
			json_action(&w, &p->actions[i]);
	jw_close(&w, ']');
	jw_key(&w, "summary");
	jw_open(&w, '{');
	jw_kuint(&w, "create", p->n_create);
	jw_kuint(&w, "update", p->n_update);
	jw_kuint(&w, "replace", p->n_replace);
	jw_kuint(&w, "delete", p->n_delete);
	jw_close(&w, '}');
	jw_key(&w, "seed");
	if (p->uses_random)
		jw_uint(&w, p->seed);
	else
		jw_str(&w, NULL);
	json_schedule(&w, p);
	jw_close(&w, '}');
}

void plan_print_json(const struct plan *p, FILE *out)
{
	flockfile(out);         /* once, for the _unlocked calls below */
	json_plan(p, out, 0);
	putc_unlocked('\n', out);
	funlockfile(out);
}

void plan_print_json_in(const struct plan *p, FILE *out, int depth)
{
	flockfile(out);
	json_plan(p, out, depth);
	funlockfile(out);
}

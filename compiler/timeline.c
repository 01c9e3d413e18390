/* timeline.c — the fault schedule as the plan shows it.
 *
 * Each fault becomes an APPLY event at its offset and, when it has `for`, a
 * REVERT event at offset + for. The events are sorted into one timeline so
 * the user reads the schedule in the order it will happen. fault_describe()
 * renders a fault the way a person would say it ("latency node2 100ms
 * ±10ms"); the same text appears in plan output and in runtime events. */
#include "compiler/plan.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---------------- value formatting ---------------- */

/* "<int>.<frac>" with the fraction's trailing zeros trimmed ("1.5", "2"). */
static void fmt_frac(char *buf, size_t n, uint64_t whole, uint64_t frac, int digits,
		     const char *unit)
{
	char f[32] = "";
	if (frac) {
		snprintf(f, sizeof(f), ".%0*" PRIu64, digits, frac);
		size_t l = strlen(f);
		while (f[l - 1] == '0')
			f[--l] = '\0';
	}
	snprintf(buf, n, "%" PRIu64 "%s%s", whole, f, unit);
}

void plan_fmt_duration(char *buf, size_t n, uint64_t us)
{
	const uint64_t S = 1000000, M = 60 * S, H = 60 * M;
	if (us == 0) {
		snprintf(buf, n, "0");
		return;
	}
	if (us < 1000) {
		snprintf(buf, n, "%" PRIu64 "us", us);
		return;
	}
	if (us < S) {
		fmt_frac(buf, n, us / 1000, us % 1000, 3, "ms");
		return;
	}
	char hm[48] = "", sec[32] = "";
	size_t l = 0;
	if (us >= H)
		l += (size_t)snprintf(hm + l, sizeof(hm) - l, "%" PRIu64 "h", us / H);
	if (us % H >= M)
		snprintf(hm + l, sizeof(hm) - l, "%" PRIu64 "m", us % H / M);
	uint64_t rest = us % M;
	if (rest)
		fmt_frac(sec, sizeof(sec), rest / S, rest % S, 6, "s");
	snprintf(buf, n, "%s%s", hm, sec);
}

static void fmt_rate(char *buf, size_t n, uint64_t bps)
{
	if (bps && bps % 1000000000u == 0)
		snprintf(buf, n, "%" PRIu64 "gbit", bps / 1000000000u);
	else if (bps && bps % 1000000u == 0)
		snprintf(buf, n, "%" PRIu64 "mbit", bps / 1000000u);
	else if (bps && bps % 1000u == 0)
		snprintf(buf, n, "%" PRIu64 "kbit", bps / 1000u);
	else
		snprintf(buf, n, "%" PRIu64 "bit", bps);
}

static void fmt_size(char *buf, size_t n, uint64_t b)
{
	static const char units[] = "KMGT";
	int u = -1;
	while (b && b % 1024u == 0 && u < 3) {
		b /= 1024u;
		u++;
	}
	if (u < 0)
		snprintf(buf, n, "%" PRIu64 "B", b);
	else
		snprintf(buf, n, "%" PRIu64 "%c", b, units[u]);
}

/* ---------------- descriptions ---------------- */

struct desc {
	char *s;
	size_t n, cap;
};

static void d_puts(struct desc *d, const char *s)
{
	size_t l = strlen(s);
	if (d->n + l + 1 > d->cap) {
		size_t cap = d->cap ? d->cap : 128;
		while (cap < d->n + l + 1)
			cap *= 2;
		char *ns = realloc(d->s, cap);
		if (!ns) {
			fputs("aspen: out of memory\n", stderr);
			abort();
		}
		d->s = ns;
		d->cap = cap;
	}
	memcpy(d->s + d->n, s, l + 1);
	d->n += l;
}

static void d_printf(struct desc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void d_printf(struct desc *d, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	d_puts(d, tmp);
}

/* "node1 node2.eth0" */
static void d_targets(struct desc *d, const struct target_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			d_puts(d, " ");
		if (l->v[i].role) {
			d_puts(d, "@");
			d_puts(d, l->v[i].role);
			continue;
		}
		d_puts(d, l->v[i].node ? l->v[i].node : l->v[i].random ? "random" : "?");
		if (l->v[i].iface) {
			d_puts(d, ".");
			d_puts(d, l->v[i].iface);
		}
	}
}

static void d_percent(struct desc *d, double pct)
{
	d_printf(d, " %g%%", pct);
}

static void d_partition(struct desc *d, const struct topo_fault *f)
{
	const struct target_list *g = f->u.partition.groups;
	size_t ng = f->u.partition.n_groups;
	switch (f->u.partition.mode) {
	case PART_GROUPS:
		for (size_t i = 0; i < ng; i++) {
			d_puts(d, i ? " | [" : " [");
			d_targets(d, &g[i]);
			d_puts(d, "]");
		}
		break;
	case PART_ONEWAY:
		d_puts(d, " ");
		if (ng > 0)
			d_targets(d, &g[0]);
		d_puts(d, " -> ");
		if (ng > 1)
			d_targets(d, &g[1]);
		d_puts(d, " (one-way)");
		break;
	case PART_ISOLATE:
		d_puts(d, " isolate ");
		if (ng > 0)
			d_targets(d, &g[0]);
		break;
	case PART_GRUDGE:       /* node <- what it drops */
		d_puts(d, " ring");
		for (size_t i = 0; i + 1 < ng; i += 2) {
			d_puts(d, i ? ", " : " ");
			d_targets(d, &g[i + 1]);
			d_puts(d, " drops [");
			d_targets(d, &g[i]);
			d_puts(d, "]");
		}
		break;
	}
}

static void d_impair(struct desc *d, const struct topo_fault *f)
{
	char v[32];
	d_puts(d, " ");
	d_targets(d, &f->u.impair.targets);
	switch (f->kind) {
	case FAULT_LATENCY:
		plan_fmt_duration(v, sizeof(v), f->u.impair.delay_us);
		d_printf(d, " %s", v);
		if (f->u.impair.jitter_us) {
			plan_fmt_duration(v, sizeof(v), f->u.impair.jitter_us);
			d_printf(d, " \u00b1%s", v);
		}
		break;
	case FAULT_LOSS:
		d_percent(d, f->u.impair.percent);
		if (f->u.impair.direction == DIR_EGRESS)
			d_puts(d, " egress");
		else if (f->u.impair.direction == DIR_INGRESS)
			d_puts(d, " ingress");
		break;
	case FAULT_REORDER:
		d_percent(d, f->u.impair.percent);
		plan_fmt_duration(v, sizeof(v), f->u.impair.delay_us);
		d_printf(d, " delay %s", v);
		break;
	case FAULT_RATE:
		fmt_rate(v, sizeof(v), f->u.impair.rate_bps);
		d_printf(d, " %s", v);
		if (f->u.impair.burst_bytes) {
			fmt_size(v, sizeof(v), f->u.impair.burst_bytes);
			d_printf(d, " burst %s", v);
		}
		return;         /* no correlation */
	default:                /* duplicate, corrupt */
		d_percent(d, f->u.impair.percent);
		break;
	}
	if (f->u.impair.correlation > 0)
		d_printf(d, " correlation %g%%", f->u.impair.correlation);
}

static void d_fault(struct desc *d, const struct topo_fault *f, bool as_revert)
{
	if (as_revert && f->kind == FAULT_PAUSE)
		d_puts(d, "resume");
	else
		d_puts(d, (unsigned)f->kind < FAULT__COUNT ? fault_kind_names[f->kind] : "?");
	switch (f->kind) {
	case FAULT_PARTITION:
		if (f->pick != PICK_NONE) {
			static const char *const picks[] = {"", "random-halves", "random-majority-ring",
							    "random-node"};
			d_printf(d, " %s", picks[f->pick]);
			break;
		}
		d_partition(d, f);
		break;
	case FAULT_LATENCY: case FAULT_LOSS: case FAULT_DUPLICATE:
	case FAULT_CORRUPT: case FAULT_REORDER: case FAULT_RATE:
		d_impair(d, f);
		break;
	case FAULT_LINK_DOWN:
		d_puts(d, " ");
		d_targets(d, &f->u.link.targets);
		break;
	default:                /* kill, pause, resume, start, restart, reboot */
		d_puts(d, " ");
		d_targets(d, &f->u.node.targets);
		break;
	}
}

static const char *describe(struct arena *a, const struct topo_fault *f, bool as_revert)
{
	struct desc d = {0};
	d_fault(&d, f, as_revert);
	char *s = arena_strdup(a, d.s);
	free(d.s);
	return s;
}

const char *fault_describe(struct arena *a, const struct topology *t, const struct topo_fault *f)
{
	(void)t;
	return describe(a, f, false);
}

/* ---------------- the timeline ---------------- */

static int tl_cmp(const void *x, const void *y)
{
	const struct timeline_entry *a = x, *b = y;
	if (a->at_us != b->at_us)
		return a->at_us < b->at_us ? -1 : 1;
	if (a->fault == b->fault)               /* a zero-length fault: apply first */
		return a->ev == TL_APPLY ? -1 : b->ev == TL_APPLY;
	if (a->ev != b->ev)
		return a->ev == TL_REVERT ? -1 : 1;
	return a->fault->index < b->fault->index ? -1 : a->fault->index > b->fault->index;
}

const char *plan_seed_source(enum seed_source s)
{
	switch (s) {
	case SEED_FILE: return "the file";
	case SEED_OPTION: return "--seed";
	case SEED_RANDOM: return "random";
	case SEED_DEFAULT: break;
	}
	return "default";
}

void plan_timeline(struct plan *p, const struct topology *t)
{
	p->uses_random = t->uses_random;
	p->seed = t->seed;
	p->seed_source = t->seed_source;
	p->timeline = arena_array(&p->arena, t->n_faults * 2 + 1, sizeof(*p->timeline));
	size_t n = 0;
	for (size_t i = 0; i < t->n_faults; i++) {
		const struct topo_fault *f = &t->faults[i];
		p->timeline[n++] = (struct timeline_entry){f->at_us, TL_APPLY, f,
							   describe(&p->arena, f, false)};
		if (f->has_for)
			p->timeline[n++] = (struct timeline_entry){f->at_us + f->for_us, TL_REVERT, f,
								   describe(&p->arena, f, true)};
	}
	/* The key (time, event, fault index) is total, so qsort is deterministic. */
	qsort(p->timeline, n, sizeof(*p->timeline), tl_cmp);
	p->n_timeline = n;
}

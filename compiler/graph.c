/* graph.c — rendering a topology as Graphviz DOT or Mermaid (graph.h).
 *
 * The idea: build the labels once, in notation-neutral form (a label is a
 * list of lines), then let each notation do only its syntax — quoting,
 * line breaks and ids. That keeps the two drawings identical in content,
 * so a golden test of one largely vouches for the other.
 *
 * Ids are positional (n0, w0, f0 in Mermaid; "node:NAME" quoted in DOT), so
 * no name, however odd, can break the syntax; every label is escaped. */
#include "compiler/graph.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/plan.h"

/* ---------------- labels, notation-neutral ---------------- */

#define GRAPH_MAX_LINES 8

struct label {
	char *line[GRAPH_MAX_LINES];
	size_t n;
};

static void label_add(struct arena *a, struct label *l, const char *s)
{
	if (l->n < GRAPH_MAX_LINES)
		l->line[l->n++] = arena_strdup(a, s);
}

static void fmt_ip(char *buf, size_t n, uint32_t ip)
{
	snprintf(buf, n, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255u, (ip >> 8) & 255u, ip & 255u);
}

/* Bytes the way the language writes sizes: 512M, 2G, 1536K. */
static void fmt_size(char *buf, size_t n, uint64_t b)
{
	static const char *const units[] = {"", "K", "M", "G", "T"};
	size_t i = 0;
	while (b && b % 1024 == 0 && i < 4) {
		b /= 1024;
		i++;
	}
	snprintf(buf, n, "%" PRIu64 "%s", b, units[i]);
}

static struct label node_label(struct arena *a, const struct topo_node *nd)
{
	struct label l = {0};
	char buf[128];
	label_add(a, &l, nd->name);
	if (nd->kind == NODE_VM) {
		char mem[32];
		fmt_size(mem, sizeof(mem), nd->memory);
		snprintf(buf, sizeof(buf), "vm, %u vCPU%s, %s", nd->cpus, nd->cpus == 1 ? "" : "s", mem);
		label_add(a, &l, buf);
	} else {
		label_add(a, &l, "netns");
	}
	return l;
}

static struct label net_label(struct arena *a, const struct topo_network *w)
{
	struct label l = {0};
	char buf[64], ip[16];
	label_add(a, &l, w->name);
	snprintf(buf, sizeof(buf), "bridge %s", w->bridge_name);
	label_add(a, &l, buf);
	fmt_ip(ip, sizeof(ip), w->subnet.addr);
	snprintf(buf, sizeof(buf), "%s/%u", ip, w->subnet.len);
	label_add(a, &l, buf);
	if (w->has_gateway) {
		fmt_ip(ip, sizeof(ip), w->gateway);
		snprintf(buf, sizeof(buf), "gateway %s", ip);
		label_add(a, &l, buf);
	}
	if (w->mtu) {
		snprintf(buf, sizeof(buf), "mtu %u", w->mtu);
		label_add(a, &l, buf);
	}
	return l;
}

static const char *edge_label(struct arena *a, const struct topo_iface *f)
{
	char ip[16];
	if (!f->has_ip)
		return arena_strdup(a, f->name);
	fmt_ip(ip, sizeof(ip), f->ip);
	return arena_printf(a, "%s %s", f->name, ip);
}

/* "2s → 6s" for a fault with `for`, "at 30s" for one without. */
static struct label fault_label(struct arena *a, const struct topology *t, const struct topo_fault *f)
{
	struct label l = {0};
	char at[32], until[32];
	plan_fmt_duration(at, sizeof(at), f->at_us);
	if (f->has_for) {
		plan_fmt_duration(until, sizeof(until), f->at_us + f->for_us);
		label_add(a, &l, arena_printf(a, "%s \u2192 %s", at, until));
	} else {
		label_add(a, &l, arena_printf(a, "at %s", at));
	}
	if (f->label)
		label_add(a, &l, f->label);
	label_add(a, &l, fault_describe(a, t, f));
	return l;
}

/* Faults in the order they start (then file order): the strip's order. */
static int fault_cmp(const void *x, const void *y)
{
	const struct topo_fault *a = *(const struct topo_fault *const *)x;
	const struct topo_fault *b = *(const struct topo_fault *const *)y;
	if (a->at_us != b->at_us)
		return a->at_us < b->at_us ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

static const struct topo_fault **faults_by_time(struct arena *a, const struct topology *t)
{
	const struct topo_fault **v = arena_array(a, t->n_faults + 1, sizeof(*v));
	for (size_t i = 0; i < t->n_faults; i++)
		v[i] = &t->faults[i];
	qsort(v, t->n_faults, sizeof(*v), fault_cmp);
	return v;
}

/* ---------------- DOT ---------------- */

static void dot_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

static void dot_label(FILE *out, const struct label *l)
{
	fputs("label=\"", out);
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			fputs("\\n", out);
		for (const char *s = l->line[i]; *s; s++) {
			if (*s == '"' || *s == '\\')
				fputc('\\', out);
			fputc(*s, out);
		}
	}
	fputc('"', out);
}

/* The DOT drawing places everything itself and asks Graphviz only to draw
 * (layout=neato, every position pinned with "!"). Dot's layered layout
 * cannot show what matters here: the topology's own shape (a ring of links
 * came out as a ladder) and time (a strip of arrows made concurrent faults
 * look sequential). So:
 *
 *   - Nodes sit on a circle in the order of a walk through the node-network
 *     graph, so nodes that share a network are neighbours: a ring of
 *     point-to-point links is drawn as a ring, one LAN as a star with its
 *     bridge in the middle. A network sits at the centre of its members.
 *   - Below, a time axis with a scale (ticks at 1, 2 or 5 x 10^k), and one
 *     bar per fault from `at` to `at + for` (a marker for an instant
 *     fault), in the first lane where it fits: faults that overlap in time
 *     stand side by side in parallel lanes.
 *   - Each fault has a colour; dashed edges of that colour tie its bar to
 *     every node it hits.
 *
 * Positions are in inches. */

struct xy {
	double x, y;
};

#define GRAPH_PITCH 2.1         /* inches of circle per box on it */
#define GRAPH_LANE 0.62         /* inches between fault lanes */
#define GRAPH_CHAR_W 0.068      /* a 9 pt Helvetica character, roughly */

static const char *const fault_colours[] = {
	"#c0392b", "#2471a3", "#239b56", "#b9770e", "#7d3c98", "#117a65", "#a04000", "#2e4053",
};

/* Who is on which network: members of network w are mem[w][0..n_mem[w]),
 * in file order. */
struct members {
	size_t *n_mem;
	size_t **mem;
};

static struct members members_of(struct arena *a, const struct topology *t)
{
	struct members m = {arena_array(a, t->n_networks + 1, sizeof(*m.n_mem)),
			    arena_array(a, t->n_networks + 1, sizeof(*m.mem))};
	for (size_t i = 0; i < t->n_nodes; i++)
		for (size_t k = 0; k < t->nodes[i].n_ifaces; k++)
			m.n_mem[t->nodes[i].ifaces[k].network_idx]++;
	for (size_t w = 0; w < t->n_networks; w++) {
		m.mem[w] = arena_array(a, m.n_mem[w] + 1, sizeof(**m.mem));
		m.n_mem[w] = 0;
	}
	for (size_t i = 0; i < t->n_nodes; i++)
		for (size_t k = 0; k < t->nodes[i].n_ifaces; k++) {
			size_t w = t->nodes[i].ifaces[k].network_idx;
			m.mem[w][m.n_mem[w]++] = i;
		}
	return m;
}

/* Node order around the circle: a walk through the node-network graph from
 * the first node (then from each node not yet reached, in file order). Each
 * network's members are queued once, so a LAN of N nodes costs O(N). */
static size_t *circle_order(struct arena *a, const struct topology *t, const struct members *m)
{
	size_t *order = arena_array(a, t->n_nodes + 1, sizeof(*order));
	size_t *stack = arena_array(a, t->n_nodes + 1, sizeof(*stack));
	bool *queued = arena_array(a, t->n_nodes + 1, sizeof(*queued));
	bool *spent = arena_array(a, t->n_networks + 1, sizeof(*spent));
	size_t n = 0;
	for (size_t root = 0; root < t->n_nodes; root++) {
		if (queued[root])
			continue;
		size_t sp = 0;
		stack[sp++] = root;
		queued[root] = true;
		while (sp) {
			size_t i = stack[--sp];
			order[n++] = i;
			/* Push in reverse, so the first interface's network is walked first. */
			for (size_t k = t->nodes[i].n_ifaces; k-- > 0;) {
				size_t w = t->nodes[i].ifaces[k].network_idx;
				if (spent[w])
					continue;
				spent[w] = true;
				for (size_t j = m->n_mem[w]; j-- > 0;)
					if (!queued[m->mem[w][j]]) {
						queued[m->mem[w][j]] = true;
						stack[sp++] = m->mem[w][j];
					}
			}
		}
	}
	return order;
}

/* Where everything of the topology sits. The circle has a slot for every
 * node and, between two nodes next to each other in the walk, one for the
 * two-node network (a link) that joins them; every other network sits at
 * the centre of its members (one LAN: the middle of a star). */
struct layout {
	struct xy *node, *net;
	double r;
};

static struct layout layout_topology(struct arena *a, const struct topology *t)
{
	struct layout L = {arena_array(a, t->n_nodes + 1, sizeof(*L.node)),
			   arena_array(a, t->n_networks + 1, sizeof(*L.net)), 0};
	struct members m = members_of(a, t);
	size_t *order = circle_order(a, t, &m);
	size_t *rank = arena_array(a, t->n_nodes + 1, sizeof(*rank));
	for (size_t j = 0; j < t->n_nodes; j++)
		rank[order[j]] = j;
	/* gap[j]: the link network between order[j] and order[j+1], or SIZE_MAX. */
	size_t *gap = arena_array(a, t->n_nodes + 1, sizeof(*gap));
	for (size_t j = 0; j < t->n_nodes; j++)
		gap[j] = SIZE_MAX;
	size_t slots = t->n_nodes;
	for (size_t w = 0; w < t->n_networks; w++) {
		if (m.n_mem[w] != 2 || t->n_nodes < 2)
			continue;
		size_t p = rank[m.mem[w][0]], q = rank[m.mem[w][1]];
		size_t lo = p < q ? p : q, hi = p < q ? q : p;
		size_t j = hi == lo + 1 ? lo : (lo == 0 && hi == t->n_nodes - 1 ? hi : SIZE_MAX);
		if (j != SIZE_MAX && gap[j] == SIZE_MAX) {
			gap[j] = w;
			slots++;
		}
	}
	L.r = fmax(2.4, (double)slots * GRAPH_PITCH / (2 * M_PI));
	bool *placed = arena_array(a, t->n_networks + 1, sizeof(*placed));
	size_t s = 0;
	for (size_t j = 0; j < t->n_nodes; j++) {
		double ang = M_PI / 2 - 2 * M_PI * (double)s++ / (double)slots;
		L.node[order[j]] = t->n_nodes == 1 ? (struct xy){0, 0} : (struct xy){L.r * cos(ang), L.r * sin(ang)};
		if (gap[j] != SIZE_MAX) {
			ang = M_PI / 2 - 2 * M_PI * (double)s++ / (double)slots;
			L.net[gap[j]] = (struct xy){L.r * cos(ang), L.r * sin(ang)};
			placed[gap[j]] = true;
		}
	}
	for (size_t w = 0; w < t->n_networks; w++) {
		if (placed[w])
			continue;
		struct xy c = {0, 0};
		for (size_t j = 0; j < m.n_mem[w]; j++) {
			c.x += L.node[m.mem[w][j]].x;
			c.y += L.node[m.mem[w][j]].y;
		}
		if (m.n_mem[w])
			c = (struct xy){c.x / (double)m.n_mem[w], c.y / (double)m.n_mem[w]};
		if (m.n_mem[w] == 1)   /* a network of one node hangs outside it */
			c = t->n_nodes == 1 ? (struct xy){0, 1.4} : (struct xy){c.x * 1.4, c.y * 1.4};
		/* Two networks with the same members would cover each other. */
		for (size_t v = 0; v < w; v++)
			if (fabs(L.net[v].x - c.x) < 0.5 && fabs(L.net[v].y - c.y) < 0.5) {
				c.y -= 1.0;
				v = (size_t)-1;   /* check the new spot against all again */
			}
		L.net[w] = c;
	}
	return L;
}

/* The first tick step of 1, 2 or 5 x 10^k microseconds that cuts `end`
 * into at most six intervals. */
static uint64_t tick_step(uint64_t end)
{
	uint64_t p = 1000;   /* 1 ms */
	for (;;) {
		static const uint64_t m[] = {1, 2, 5};
		for (size_t i = 0; i < 3; i++)
			if (end <= 6 * m[i] * p)
				return m[i] * p;
		p *= 10;
	}
}

static void dot_pos(FILE *out, struct xy p)
{
	fprintf(out, "pos=\"%.3f,%.3f!\"", p.x, p.y);
}

/* Every node a fault hits, once each. */
static size_t fault_nodes(const struct topology *t, const struct topo_fault *f, bool *hit)
{
	const struct target_list *lists = NULL;
	size_t n_lists = 1;
	switch (f->kind) {
	case FAULT_PARTITION:
		lists = f->u.partition.groups;
		n_lists = f->u.partition.mode == PART_ISOLATE ? 1 : f->u.partition.n_groups;
		break;
	case FAULT_LINK_DOWN: lists = &f->u.link.targets; break;
	case FAULT_KILL: case FAULT_PAUSE: case FAULT_RESUME:
	case FAULT_START: case FAULT_RESTART: case FAULT_REBOOT:
		lists = &f->u.node.targets; break;
	default: lists = &f->u.impair.targets; break;
	}
	memset(hit, 0, t->n_nodes * sizeof(*hit));
	size_t n = 0;
	for (size_t g = 0; g < n_lists; g++)
		for (size_t i = 0; i < lists[g].n; i++) {
			size_t k = lists[g].v[i].node_idx;
			if (k < t->n_nodes && !hit[k]) {
				hit[k] = true;
				n++;
			}
		}
	return n;
}

static void dot_topology(struct arena *a, const struct topology *t, FILE *out, const struct layout *L)
{
	for (size_t w = 0; w < t->n_networks; w++) {
		const struct topo_network *nw = &t->networks[w];
		struct label l = net_label(a, nw);
		fputc('\t', out);
		dot_str(out, arena_printf(a, "net:%s", nw->name));
		fputs(" [shape=box, style=\"rounded,filled\", fillcolor=\"#dde8f5\", ", out);
		dot_label(out, &l);
		fputs(", ", out);
		dot_pos(out, L->net[w]);
		fputs("];\n", out);
	}
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct topo_node *nd = &t->nodes[i];
		struct label l = node_label(a, nd);
		fputc('\t', out);
		dot_str(out, arena_printf(a, "node:%s", nd->name));
		fputs(nd->kind == NODE_VM ? " [shape=box3d, style=filled, fillcolor=\"#fdf1d6\", "
					  : " [shape=box, style=filled, fillcolor=\"#e6f4e1\", ", out);
		dot_label(out, &l);
		fputs(", ", out);
		dot_pos(out, L->node[i]);
		fputs("];\n", out);
	}
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct topo_node *nd = &t->nodes[i];
		for (size_t k = 0; k < nd->n_ifaces; k++) {
			const struct topo_iface *f = &nd->ifaces[k];
			fputc('\t', out);
			dot_str(out, arena_printf(a, "node:%s", nd->name));
			fputs(" -- ", out);
			dot_str(out, arena_printf(a, "net:%s", f->network));
			fputs(" [label=", out);
			dot_str(out, edge_label(a, f));
			fputs("];\n", out);
		}
	}
}

/* The time axis at height y from x0, `width` inches long, and one bar per
 * fault in lanes below it. */
static void dot_timeline(struct arena *a, const struct topology *t, FILE *out, double x0, double y,
			 double width)
{
	const struct topo_fault **v = faults_by_time(a, t);
	uint64_t end = 0;
	for (size_t i = 0; i < t->n_faults; i++) {
		uint64_t e = v[i]->at_us + (v[i]->has_for ? v[i]->for_us : 0);
		if (e > end)
			end = e;
	}
	uint64_t step = tick_step(end ? end : 1000000);
	size_t ticks = (size_t)((end + step - 1) / step);
	if (ticks == 0)
		ticks = 1;
	double scale = width / ((double)ticks * (double)step);   /* inches per microsecond */
	char buf[32];

	fputs("\n\t// the fault schedule: a time axis, one bar per fault, lanes for overlaps\n", out);
	fputs("\t\"axis:title\" [shape=plaintext, fontsize=10, fontcolor=\"#b03a2e\", "
	      "label=\"fault schedule (time since the cluster is up)\", ", out);
	dot_pos(out, (struct xy){x0 + width / 2, y + 0.35});
	fputs("];\n", out);
	for (size_t k = 0; k <= ticks; k++) {
		struct xy p = {x0 + (double)k * (double)step * scale, y};
		fprintf(out, "\t\"tick:%zu\" [shape=point, width=0.05, ", k);
		dot_pos(out, p);
		fputs("];\n", out);
		plan_fmt_duration(buf, sizeof(buf), (uint64_t)k * step);
		fprintf(out, "\t\"ticklabel:%zu\" [shape=plaintext, fontsize=9, label=", k);
		dot_str(out, buf);
		fputs(", ", out);
		dot_pos(out, (struct xy){p.x, p.y - 0.2});
		fputs("];\n", out);
		if (k)
			fprintf(out, "\t\"tick:%zu\" -- \"tick:%zu\" [color=\"#888888\"];\n", k - 1, k);
	}

	double *lane_end = arena_array(a, t->n_faults + 1, sizeof(*lane_end));
	size_t lanes = 0;
	bool *hit = arena_array(a, t->n_nodes + 1, sizeof(*hit));
	for (size_t i = 0; i < t->n_faults; i++) {
		const struct topo_fault *f = v[i];
		const char *colour = fault_colours[f->index % (sizeof(fault_colours) / sizeof(*fault_colours))];
		double xs = x0 + (double)f->at_us * scale;
		double xe = f->has_for ? x0 + (double)(f->at_us + f->for_us) * scale : xs;
		const char *text = fault_describe(a, t, f);
		if (f->label)
			text = arena_printf(a, "%s: %s", f->label, text);
		double tw = GRAPH_CHAR_W * (double)strlen(text);
		/* The first lane free at xs, counting the text's width too. */
		size_t ln = 0;
		while (ln < lanes && lane_end[ln] > xs)
			ln++;
		if (ln == lanes)
			lanes++;
		lane_end[ln] = fmax(xe, xs + tw) + 0.15;
		double yl = y - 0.6 - GRAPH_LANE * (double)ln;

		fprintf(out, "\t\"fault:%zu\" [label=\"\", style=filled, color=\"%s\", fillcolor=\"%s\", "
			"fixedsize=true, ", f->index, colour, colour);
		if (f->has_for)
			fprintf(out, "shape=box, width=%.3f, height=0.16, ", fmax(xe - xs, 0.06));
		else
			fputs("shape=triangle, width=0.18, height=0.18, ", out);
		dot_pos(out, (struct xy){(xs + xe) / 2, yl});
		fputs(", tooltip=", out);
		struct label l = fault_label(a, t, f);
		dot_str(out, arena_printf(a, "%s", l.line[0]));
		fputs("];\n", out);
		fprintf(out, "\t\"faultlabel:%zu\" [shape=plaintext, fontsize=9, fontcolor=\"%s\", label=", f->index,
			colour);
		dot_str(out, text);
		fputs(", ", out);
		dot_pos(out, (struct xy){xs + tw / 2, yl - 0.2});
		fputs("];\n", out);
		if (fault_nodes(t, f, hit))
			for (size_t k = 0; k < t->n_nodes; k++)
				if (hit[k]) {
					fprintf(out, "\t\"fault:%zu\" -- ", f->index);
					dot_str(out, arena_printf(a, "node:%s", t->nodes[k].name));
					fprintf(out, " [style=dashed, color=\"%s70\", penwidth=1.2];\n", colour);
				}
	}
}

static void dot_write(struct arena *a, const struct topology *t, FILE *out)
{
	struct layout L = layout_topology(a, t);
	fputs("// aspen graph: render with `dot -Tsvg` (positions are fixed: layout=neato)\n", out);
	fputs("graph ", out);
	dot_str(out, t->name);
	fputs(" {\n", out);
	fputs("\tgraph [label=", out);
	dot_str(out, arena_printf(a, "topology %s", t->name));
	fputs(", labelloc=t, fontname=\"Helvetica\", layout=neato, overlap=true, splines=line, "
	      "outputorder=edgesfirst];\n", out);
	fputs("\tnode [fontname=\"Helvetica\", fontsize=11];\n", out);
	fputs("\tedge [fontname=\"Helvetica\", fontsize=9];\n\n", out);
	dot_topology(a, t, out, &L);
	if (t->n_faults) {
		double width = fmax(7.0, 2 * L.r + 2.5);
		dot_timeline(a, t, out, -width / 2, -(t->n_nodes > 1 ? L.r : 0) - 1.9, width);
	}
	fputs("}\n", out);
}

/* ---------------- Mermaid ---------------- */

/* A quoted Mermaid label: lines joined with <br/>; characters that Mermaid
 * would read as markup written as entity codes. */
static void mmd_label(FILE *out, const struct label *l)
{
	fputc('"', out);
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			fputs("<br/>", out);
		for (const char *s = l->line[i]; *s; s++) {
			switch (*s) {
			case '"': fputs("#quot;", out); break;
			case '<': fputs("#lt;", out); break;
			case '>': fputs("#gt;", out); break;
			case '#': fputs("#35;", out); break;
			default: fputc(*s, out);
			}
		}
	}
	fputc('"', out);
}

static void mmd_write(struct arena *a, const struct topology *t, FILE *out)
{
	fputs("%% aspen graph: paste into a ```mermaid block, or render with mmdc\n", out);
	fputs("flowchart TB\n", out);
	struct label title = {0};
	label_add(a, &title, arena_printf(a, "topology %s", t->name));
	fputs("  subgraph topology[", out);
	mmd_label(out, &title);
	fputs("]\n", out);
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct label l = node_label(a, &t->nodes[i]);
		fprintf(out, "    n%zu%s", i, t->nodes[i].kind == NODE_VM ? "[[" : "[");
		mmd_label(out, &l);
		fputs(t->nodes[i].kind == NODE_VM ? "]]\n" : "]\n", out);
	}
	for (size_t i = 0; i < t->n_networks; i++) {
		struct label l = net_label(a, &t->networks[i]);
		fprintf(out, "    w%zu([", i);
		mmd_label(out, &l);
		fputs("])\n", out);
	}
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct topo_node *nd = &t->nodes[i];
		for (size_t k = 0; k < nd->n_ifaces; k++) {
			struct label l = {0};
			label_add(a, &l, edge_label(a, &nd->ifaces[k]));
			fprintf(out, "    n%zu ---|", i);
			mmd_label(out, &l);
			fprintf(out, "| w%zu\n", nd->ifaces[k].network_idx);
		}
	}
	fputs("  end\n", out);
	if (t->n_faults) {
		const struct topo_fault **v = faults_by_time(a, t);
		struct label st = {0};
		label_add(a, &st, "fault schedule");
		fputs("  subgraph faults[", out);
		mmd_label(out, &st);
		fputs("]\n    direction LR\n", out);
		for (size_t i = 0; i < t->n_faults; i++) {
			struct label l = fault_label(a, t, v[i]);
			fprintf(out, "    f%zu[", v[i]->index);
			mmd_label(out, &l);
			fputs("]\n", out);
		}
		for (size_t i = 1; i < t->n_faults; i++)
			fprintf(out, "    f%zu --> f%zu\n", v[i - 1]->index, v[i]->index);
		fputs("  end\n", out);
		fputs("  topology ~~~ faults\n", out);
		fputs("  style faults fill:#fbe3e0,stroke:#b03a2e,stroke-dasharray: 5 5\n", out);
	}
}

/* ---------------- entry points ---------------- */

int graph_format_parse(const char *name, enum graph_format *out)
{
	if (!strcmp(name, "dot") || !strcmp(name, "gv"))
		*out = GRAPH_DOT;
	else if (!strcmp(name, "mermaid") || !strcmp(name, "mmd"))
		*out = GRAPH_MERMAID;
	else
		return -1;
	return 0;
}

int graph_write(const struct topology *t, enum graph_format fmt, FILE *out)
{
	struct arena a;
	arena_init(&a);
	if (fmt == GRAPH_DOT)
		dot_write(&a, t, out);
	else
		mmd_write(&a, t, out);
	arena_free(&a);
	return ferror(out) ? -1 : 0;
}

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
#include <stdlib.h>
#include <string.h>

#include "compiler/plan.h"

/* ---------------- labels, notation-neutral ---------------- */

#define GRAPH_MAX_LINES 8
#define GRAPH_STRIP_ROW 5       /* faults per row of the DOT strip */

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
	/* Every address, comma-separated, a few per line. */
	buf[0] = '\0';
	size_t on_line = 0;
	for (size_t i = 0; i < nd->n_ifaces; i++) {
		if (!nd->ifaces[i].has_ip)
			continue;
		char ip[16];
		fmt_ip(ip, sizeof(ip), nd->ifaces[i].ip);
		if (on_line == 2) {
			label_add(a, &l, buf);
			buf[0] = '\0';
			on_line = 0;
		}
		size_t len = strlen(buf);
		snprintf(buf + len, sizeof(buf) - len, "%s%s", on_line ? ", " : "", ip);
		on_line++;
	}
	if (on_line)
		label_add(a, &l, buf);
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

static void dot_write(struct arena *a, const struct topology *t, FILE *out)
{
	fputs("// aspen graph: render with `dot -Tsvg`\n", out);
	fputs("graph ", out);
	dot_str(out, t->name);
	fputs(" {\n", out);
	fputs("\tgraph [label=", out);
	dot_str(out, arena_printf(a, "topology %s", t->name));
	fputs(", labelloc=t, fontname=\"Helvetica\", rankdir=TB, nodesep=0.4, ranksep=0.8];\n", out);
	fputs("\tnode [fontname=\"Helvetica\", fontsize=11];\n", out);
	fputs("\tedge [fontname=\"Helvetica\", fontsize=9];\n\n", out);

	for (size_t i = 0; i < t->n_networks; i++) {
		const struct topo_network *w = &t->networks[i];
		struct label l = net_label(a, w);
		fputc('\t', out);
		dot_str(out, arena_printf(a, "net:%s", w->name));
		fputs(" [shape=box, style=\"rounded,filled\", fillcolor=\"#dde8f5\", ", out);
		dot_label(out, &l);
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
	if (t->n_faults) {
		const struct topo_fault **v = faults_by_time(a, t);
		fputs("\n\tsubgraph cluster_faults {\n", out);
		fputs("\t\tlabel=\"fault schedule\"; style=dashed; color=\"#b03a2e\"; fontcolor=\"#b03a2e\";\n", out);
		fputs("\t\tnode [shape=note, style=filled, fillcolor=\"#fbe3e0\", fontsize=10];\n", out);
		/* Rows of GRAPH_STRIP_ROW, read like text: left to right, then down. */
		for (size_t i = 0; i < t->n_faults; i++) {
			if (i % GRAPH_STRIP_ROW == 0)
				fputs("\t\t{ rank=same;", out);
			fprintf(out, " \"fault:%zu\";", v[i]->index);
			if (i % GRAPH_STRIP_ROW == GRAPH_STRIP_ROW - 1 || i + 1 == t->n_faults)
				fputs(" }\n", out);
		}
		for (size_t i = 0; i < t->n_faults; i++) {
			struct label l = fault_label(a, t, v[i]);
			fprintf(out, "\t\t\"fault:%zu\" [", v[i]->index);
			dot_label(out, &l);
			fputs("];\n", out);
		}
		for (size_t i = 1; i < t->n_faults; i++)
			fprintf(out, "\t\t\"fault:%zu\" -- \"fault:%zu\" [dir=forward, color=\"#b03a2e\"];\n",
				v[i - 1]->index, v[i]->index);
		fputs("\t}\n", out);
		/* Keep the strip below the cluster: an invisible edge from a network. */
		if (t->n_networks || t->n_nodes) {
			fputc('\t', out);
			if (t->n_networks)
				dot_str(out, arena_printf(a, "net:%s", t->networks[0].name));
			else
				dot_str(out, arena_printf(a, "node:%s", t->nodes[0].name));
			fprintf(out, " -- \"fault:%zu\" [style=invis];\n", v[0]->index);
		}
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

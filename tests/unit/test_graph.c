/* test_graph.c — compiler/graph.c: what each notation draws (nodes with
 * kind, networks, addresses once on their edges, the time axis and where
 * each fault stands on it), its escaping, determinism, the format names, and a failed write.
 * The whole-file goldens are tests/cli/graph.sh; these pin the rules. */
#include "tests/testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compile.h"
#include "compiler/graph.h"

static const char SRC[] =
	"apiVersion: aspen/v1\n"
	"name: g\n"
	"networks:\n"
	"  lan: {subnet: 10.9.0.0/24, gateway: 10.9.0.1}\n"
	"nodes:\n"
	"  a: {kind: netns, interfaces: [{network: lan, ip: 10.9.0.2}]}\n"
	"  b-2: {kind: vm, kernel: /k, cpus: 1, memory: 1536M,\n"
	"        interfaces: [{network: lan, ip: 10.9.0.3}]}\n"
	"faults:\n"
	"  - {name: late, at: 3s, for: 1s, partition: {from: [a], to: [b-2]}}\n"
	"  - {at: 1s, kill: a}\n"
	"  - {at: 2s, start: a}\n";

static struct topology *load(void)
{
	struct diag_list d;
	diag_init(&d, "g.yaml");
	struct topology *t = topo_load_buffer("g.yaml", SRC, sizeof(SRC) - 1, &d);
	assert_non_null(t);
	assert_false(diag_failed(&d));
	diag_clear(&d);
	return t;
}

/* graph_write into a string (caller frees). */
static char *render(const struct topology *t, enum graph_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(graph_write(t, fmt, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void has(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("output lacks [%s] in:\n%s", want, text);
}

/* The pinned position of DOT object `id`: pos="x,y!". */
static void pos_of(const char *s, const char *id, double *x, double *y)
{
	char key[96];
	snprintf(key, sizeof(key), "\"%s\" [", id);
	const char *p = strstr(s, key);
	if (!p)
		fail_msg("no object %s in:\n%s", id, s);
	const char *eol = strchr(p, '\n');
	p = strstr(p, "pos=\"");
	if (!p || (eol && p > eol))
		fail_msg("object %s has no pos", id);
	assert_int_equal(sscanf(p, "pos=\"%lf,%lf!\"", x, y), 2);
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;
	for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

static void test_dot(void **state)
{
	(void)state;
	struct topology *t = load();
	char *s = render(t, GRAPH_DOT);
	has(s, "graph \"g\" {");
	has(s, "layout=neato");   /* aspen places everything; Graphviz draws */
	has(s, "\"node:a\" [shape=box, style=filled, fillcolor=\"#e6f4e1\", label=\"a\\nnetns\", pos=\"");
	has(s, "\"node:b-2\" [shape=box3d");
	has(s, "label=\"b-2\\nvm, 1 vCPU, 1536M\", pos=");
	has(s, "label=\"lan\\nbridge ");
	has(s, "\\n10.9.0.0/24\\ngateway 10.9.0.1\"");
	has(s, "\"node:b-2\" -- \"net:lan\" [label=\"eth0 10.9.0.3\"]");
	/* One label per address: on its interface's edge only. */
	assert_int_equal(count(s, "10.9.0.2"), 1);
	assert_int_equal(count(s, "10.9.0.3"), 1);

	/* A time axis with a scale: faults end at 4s, so ticks 0 1s 2s 3s 4s. */
	has(s, "\"ticklabel:0\" [shape=plaintext, fontsize=9, label=\"0\"");
	has(s, "\"ticklabel:4\" [shape=plaintext, fontsize=9, label=\"4s\"");
	assert_null(strstr(s, "\"tick:5\""));
	double x0, x4, y0, y, x;
	pos_of(s, "tick:0", &x0, &y0);
	pos_of(s, "tick:4", &x4, &y);
	assert_true(x4 > x0 && y == y0);
	double per_s = (x4 - x0) / 4;
	/* Bars stand where their time is: the partition spans 3s..4s, the kill
	 * (1s) and the start (2s) are markers at their instants. */
	pos_of(s, "fault:0", &x, &y);
	assert_true(fabs(x - (x0 + 3.5 * per_s)) < 0.002);
	has(s, "\"fault:0\" [label=\"\", style=filled");
	has(s, arena_printf(&t->arena, "shape=box, width=%.3f, height=0.16", per_s));
	pos_of(s, "fault:1", &x, &y);
	assert_true(fabs(x - (x0 + 1 * per_s)) < 0.002);
	pos_of(s, "fault:2", &x, &y);
	assert_true(fabs(x - (x0 + 2 * per_s)) < 0.002);
	assert_true(y < y0);   /* below the axis */
	has(s, "label=\"late: partition a -> b-2 (one-way)\"");
	has(s, "label=\"kill a\"");
	/* Each fault tied to the nodes it hits, in its colour. */
	has(s, "\"fault:0\" -- \"node:a\" [style=dashed");
	has(s, "\"fault:0\" -- \"node:b-2\" [style=dashed");
	has(s, "\"fault:1\" -- \"node:a\" [style=dashed");
	assert_null(strstr(s, "\"fault:1\" -- \"node:b-2\""));
	assert_int_equal(s[strlen(s) - 2], '}');
	free(s);
	topo_free(t);
}

static void test_mermaid(void **state)
{
	(void)state;
	struct topology *t = load();
	char *s = render(t, GRAPH_MERMAID);
	has(s, "flowchart TB\n");
	has(s, "    n0[\"a<br/>netns\"]\n");
	has(s, "    n1[[\"b-2<br/>vm, 1 vCPU, 1536M\"]]\n");   /* a VM: subroutine box */
	assert_int_equal(count(s, "10.9.0.3"), 1);   /* on the edge only */
	has(s, "    w0([\"lan<br/>bridge ");
	has(s, "    n1 ---|\"eth0 10.9.0.3\"| w0\n");
	/* '>' would be markup: written as an entity. */
	has(s, "partition a -#gt; b-2 (one-way)");
	assert_null(strstr(s, "a -> b-2"));
	has(s, "    f1 --> f2\n    f2 --> f0\n");
	free(s);
	topo_free(t);
}

static void test_deterministic(void **state)
{
	(void)state;
	struct topology *t = load();
	for (int fmt = GRAPH_DOT; fmt <= GRAPH_MERMAID; fmt++) {
		char *a = render(t, (enum graph_format)fmt), *b = render(t, (enum graph_format)fmt);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	topo_free(t);
}

static void test_format_names(void **state)
{
	(void)state;
	enum graph_format f;
	assert_int_equal(graph_format_parse("dot", &f), 0);
	assert_int_equal(f, GRAPH_DOT);
	assert_int_equal(graph_format_parse("gv", &f), 0);
	assert_int_equal(f, GRAPH_DOT);
	assert_int_equal(graph_format_parse("mermaid", &f), 0);
	assert_int_equal(f, GRAPH_MERMAID);
	assert_int_equal(graph_format_parse("mmd", &f), 0);
	assert_int_equal(f, GRAPH_MERMAID);
	assert_int_equal(graph_format_parse("svg", &f), -1);   /* the CLI's job: dot -Tsvg */
	assert_int_equal(graph_format_parse("", &f), -1);
}

/* A stream that cannot be written: graph_write says so. */
static void test_write_error(void **state)
{
	(void)state;
	struct topology *t = load();
	FILE *f = fopen("/dev/null", "r");
	assert_non_null(f);
	assert_int_equal(graph_write(t, GRAPH_DOT, f), -1);
	clearerr(f);
	assert_int_equal(graph_write(t, GRAPH_MERMAID, f), -1);
	fclose(f);
	topo_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dot),
		cmocka_unit_test(test_mermaid),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_format_names),
		cmocka_unit_test(test_write_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

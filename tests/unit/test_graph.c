/* test_graph.c — compiler/graph.c: what each notation draws (nodes with
 * kind and addresses, networks, labelled edges, the fault strip in time
 * order), its escaping, determinism, the format names, and a failed write.
 * The whole-file goldens are tests/cli/graph.sh; these pin the rules. */
#include "tests/testutil.h"

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

static void test_dot(void **state)
{
	(void)state;
	struct topology *t = load();
	char *s = render(t, GRAPH_DOT);
	has(s, "graph \"g\" {");
	has(s, "\"node:a\" [shape=box, style=filled, fillcolor=\"#e6f4e1\", label=\"a\\nnetns\\n10.9.0.2\"]");
	has(s, "\"node:b-2\" [shape=box3d");
	has(s, "label=\"b-2\\nvm, 1 vCPU, 1536M\\n10.9.0.3\"");
	has(s, "label=\"lan\\nbridge ");
	has(s, "\\n10.9.0.0/24\\ngateway 10.9.0.1\"");
	has(s, "\"node:b-2\" -- \"net:lan\" [label=\"eth0 10.9.0.3\"]");
	/* The strip: time order (kill 1s, start 2s, partition 3s), one row. */
	has(s, "{ rank=same; \"fault:1\"; \"fault:2\"; \"fault:0\"; }");
	has(s, "\"fault:1\" -- \"fault:2\" [dir=forward");
	has(s, "\"fault:2\" -- \"fault:0\" [dir=forward");
	has(s, "label=\"3s \u2192 4s\\nlate\\npartition a -> b-2 (one-way)\"");
	has(s, "label=\"at 1s\\nkill a\"");
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
	has(s, "    n0[\"a<br/>netns<br/>10.9.0.2\"]\n");
	has(s, "    n1[[\"b-2<br/>vm, 1 vCPU, 1536M<br/>10.9.0.3\"]]\n");   /* a VM: subroutine box */
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

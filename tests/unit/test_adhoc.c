/* test_adhoc.c — ad hoc faults: command-line words -> YAML -> the real
 * decoder and validator with the topology file (runtime/adhoc.h). */
#include "tests/testutil.h"

#include <stdio.h>
#include <string.h>

#include "compiler/compile.h"
#include "compiler/plan.h"
#include "runtime/adhoc.h"

static void build_ok(const char *kind, const char *const *w, size_t n, const char *dir,
		     const char *want_body, const char *want_prefix)
{
	struct adhoc a;
	struct rt_err e = {0};
	if (adhoc_build(&a, kind, w, n, dir, &e) < 0)
		fail_msg("%s: %s", kind, e.msg);
	assert_string_equal(a.body, want_body);
	assert_string_equal(a.prefix, want_prefix);
}

static void build_fails(const char *kind, const char *const *w, size_t n, const char *dir,
			const char *want_msg)
{
	struct adhoc a;
	struct rt_err e = {0};
	assert_int_equal(adhoc_build(&a, kind, w, n, dir, &e), -1);
	if (!strstr(e.msg, want_msg))
		fail_msg("'%s' lacks '%s'", e.msg, want_msg);
}

#define W(...) ((const char *const[]){__VA_ARGS__}), (sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *))

static void test_build(void **state)
{
	(void)state;
	build_ok("partition", W("node1", "/", "node2,node3"), NULL,
		 "partition: [[node1], [node2, node3]]", "");
	build_ok("partition", W("a", "b", "/", "c", "/", "d"), NULL, "partition: [[a, b], [c], [d]]", "");
	build_ok("partition", W("a/b,c"), NULL, "partition: [[a], [b, c]]", "");
	build_ok("partition", W("node1", "->", "node2"), NULL,
		 "partition: {from: [node1], to: [node2]}", "");
	build_ok("partition", W("n1,n2->n3"), NULL, "partition: {from: [n1, n2], to: [n3]}", "");
	build_ok("isolate", W("node1"), NULL, "partition: {isolate: [node1]}", "");
	build_ok("loss", W("node2", "20%"), NULL, "loss: {nodes: [node2], percent: 20%}", "");
	build_ok("loss", W("node2.eth0", "20%"), "egress",
		 "loss: {nodes: [node2.eth0], percent: 20%, direction: egress}", "");
	build_ok("latency", W("node2", "100ms", "10ms"), NULL,
		 "latency: {nodes: [node2], delay: 100ms, jitter: 10ms}", "");
	build_ok("rate", W("node1", "10mbit"), NULL, "rate: {nodes: [node1], rate: 10mbit}", "");
	build_ok("reorder", W("a", "25%", "20ms"), NULL, "reorder: {nodes: [a], percent: 25%, delay: 20ms}", "");
	build_ok("link-down", W("node1.eth0"), NULL, "link-down: [node1.eth0]", "");
	build_ok("kill", W("a,b", "c"), NULL, "kill: [a, b, c]", "");
	build_ok("start", W("a"), NULL, "start: [a]", "  - {at: 0s, kill: [a]}\n");
	build_ok("resume", W("a"), NULL, "resume: [a]", "  - {at: 0s, pause: [a]}\n");
}

static void test_build_refuses(void **state)
{
	(void)state;
	build_fails("partition", W("a]", "/", "b"), NULL, "'a]' is not a node");
	build_fails("partition", W("a", "/", "b: {x"), NULL, "is not a node");
	build_fails("loss", W("a", "20%", "x", "y"), NULL, "loss takes TARGETS percent");
	build_fails("loss", W("a", "/", "b"), NULL, "'/' and '->' are for partitions");
	build_fails("latency", W("a", "1ms"), "egress", "--direction is for loss only");
	build_fails("loss", W("a", "1%"), "sideways", "both, egress or ingress");
	build_fails("partition", W("a", "->", "b", "->", "c"), NULL, "FROM -> TO");
	/* no '/': the hint is the command line, not YAML */
	build_fails("partition", W("node1", "node2,node3"), NULL,
		    "sides separated by '/': 'partition node1 / node2,node3'");
	build_fails("partition", W("node1", "node2", "node3"), NULL,
		    "'partition node1 / node2,node3' (or '->' for a one-way cut), or 'isolate node1'");
	build_fails("partition", W("node1"), NULL, "'partition NODE / NODE,NODE'");
	build_fails("partition", W("a", "/"), NULL, "each side of '/' needs a node");
	build_fails("partition", W("/", "a"), NULL, "each side of '/' needs a node");
	build_fails("partition", W("a", "/", "/", "b"), NULL, "each side of '/' needs a node");
	build_fails("partition", W("a->"), NULL, "'partition node1 -> node2,node3'");
	build_fails("explode", W("a"), NULL, "unknown fault 'explode'");
	build_fails("kill", NULL, 0, NULL, "kill needs targets");
}

static const char FILE_TEXT[] =
	"apiVersion: aspen/v1\n"                        /* 1 */
	"name: adhoc\n"                                 /* 2 */
	"faults:\n"                                     /* 3 */
	"  - {at: 1s, for: 1s, partition: [[a], [b]]}\n" /* 4 */
	"  - {at: 2s, kill: zz}   # invalid: the file's schedule must not count\n"
	"defaults: {kind: netns, command: [sleep, infinity]}\n"
	"networks:\n"
	"  lan: {subnet: 10.9.0.0/24}\n"
	"nodes:\n"
	"  a: {interfaces: [{network: lan, ip: 10.9.0.2}]}\n"
	"  b: {interfaces: [{network: lan, ip: 10.9.0.3}]}\n"
	"  c: {interfaces: [{network: lan, ip: 10.9.0.4}]}";   /* no final newline */

static struct topology *load(const char *kind, const char *const *w, size_t n, const char *for_s,
			     struct diag_list *d, unsigned *lines)
{
	struct adhoc a;
	struct rt_err e = {0};
	assert_int_equal(adhoc_build(&a, kind, w, n, NULL, &e), 0);
	diag_init(d, "adhoc.yaml");
	return adhoc_load("adhoc.yaml", FILE_TEXT, strlen(FILE_TEXT), &a, "adhoc-7", for_s, d, lines, &e);
}

static void test_load_valid(void **state)
{
	(void)state;
	struct diag_list d;
	unsigned lines = 0;
	struct topology *t = load("partition", W("a", "/", "b,c"), "10s", &d, &lines);
	if (!t)
		diag_print(&d, stderr, DIAG_TEXT, false);
	assert_non_null(t);
	assert_int_equal(lines, 12);
	assert_int_equal(t->n_faults, 1);
	const struct topo_fault *f = &t->faults[0];
	assert_int_equal(f->kind, FAULT_PARTITION);
	assert_string_equal(f->label, "adhoc-7");
	assert_true(f->has_for);
	assert_int_equal(f->for_us, 10000000);
	assert_int_equal(f->at_us, 0);
	struct arena ar;
	arena_init(&ar);
	assert_string_equal(fault_describe(&ar, t, f), "partition [a] | [b c]");
	arena_free(&ar);
	assert_int_equal(t->n_nodes, 3);
	topo_free(t);
	diag_clear(&d);
}

static void test_load_start_has_prefix(void **state)
{
	(void)state;
	struct diag_list d;
	struct topology *t = load("start", W("c"), NULL, &d, NULL);
	if (!t)
		diag_print(&d, stderr, DIAG_TEXT, false);
	assert_non_null(t);
	assert_int_equal(t->n_faults, 2);
	assert_int_equal(t->faults[1].kind, FAULT_START);
	assert_string_equal(t->faults[1].label, "adhoc-7");
	topo_free(t);
	diag_clear(&d);
}

/* The validator's own messages, below the file's last line. */
static void test_load_invalid_fault(void **state)
{
	(void)state;
	struct diag_list d;
	unsigned lines = 0;
	assert_null(load("kill", W("nobody"), NULL, &d, &lines));
	assert_true(diag_failed(&d));
	bool found = false;
	for (size_t i = 0; i < d.n; i++) {
		found |= strstr(d.v[i].msg, "nobody") != NULL;
		assert_true(d.v[i].pos.line > lines);   /* only the ad hoc fault is wrong */
	}
	assert_true(found);
	diag_clear(&d);
	/* `for` on a kill: the same rule as in files. */
	assert_null(load("kill", W("a"), "5s", &d, &lines));
	assert_true(diag_failed(&d));
	diag_clear(&d);
	/* Bad values too. */
	assert_null(load("loss", W("a", "120%"), NULL, &d, &lines));
	assert_true(diag_failed(&d));
	diag_clear(&d);
	assert_null(load("link-down", W("a.eth3"), NULL, &d, &lines));
	assert_true(diag_failed(&d));
	diag_clear(&d);
}

/* An error elsewhere in the file keeps its own line. */
static void test_file_positions_kept(void **state)
{
	(void)state;
	static const char text[] =
		"apiVersion: aspen/v1\n"
		"name: adhoc\n"
		"faults:\n"
		"  - {at: 1s, kill: a}\n"
		"nodes:\n"
		"  a: {kind: netns, interfaces: [{network: nope, ip: 10.9.0.2}]}\n";
	struct adhoc a;
	struct rt_err e = {0};
	assert_int_equal(adhoc_build(&a, "kill", W("a"), NULL, &e), 0);
	struct diag_list d;
	diag_init(&d, "x.yaml");
	assert_null(adhoc_load("x.yaml", text, strlen(text), &a, "adhoc-1", NULL, &d, NULL, &e));
	bool at6 = false;
	for (size_t i = 0; i < d.n; i++)
		at6 |= d.v[i].pos.line == 6 && strstr(d.v[i].msg, "nope");
	assert_true(at6);
	diag_clear(&d);
}

static void test_no_faults_key_and_for_word(void **state)
{
	(void)state;
	static const char text[] =
		"apiVersion: aspen/v1\nname: adhoc\n"
		"nodes:\n  a: {kind: netns}\n  b: {kind: netns}\n";
	struct adhoc a;
	struct rt_err e = {0};
	assert_int_equal(adhoc_build(&a, "pause", W("a"), NULL, &e), 0);
	struct diag_list d;
	diag_init(&d, "x.yaml");
	struct topology *t = adhoc_load("x.yaml", text, strlen(text), &a, "adhoc-1", "2s", &d, NULL, &e);
	if (!t)
		diag_print(&d, stderr, DIAG_TEXT, false);
	assert_non_null(t);
	assert_int_equal(t->faults[0].kind, FAULT_PAUSE);
	topo_free(t);
	diag_clear(&d);
	/* A --for that is not a plain word never reaches the YAML. */
	diag_init(&d, "x.yaml");
	assert_null(adhoc_load("x.yaml", text, strlen(text), &a, "adhoc-1", "1s}, kill: [b", &d, NULL, &e));
	assert_non_null(strstr(e.msg, "--for"));
	diag_clear(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_build_refuses),
		cmocka_unit_test(test_load_valid),
		cmocka_unit_test(test_load_start_has_prefix),
		cmocka_unit_test(test_load_invalid_fault),
		cmocka_unit_test(test_file_positions_kept),
		cmocka_unit_test(test_no_faults_key_and_for_word),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

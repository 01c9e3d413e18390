/* test_hostile.c — input built to hurt: every case must end in an error
 * diagnostic (never a crash, never a hang; run-tests.sh's timeout catches a
 * hang, times are printed, not asserted). Run under
 * `make test SAN=1` this is also the memory-safety check of the front end. */
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compiler/compile.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Load buf; require failure with a diagnostic containing `want` (when not
 * NULL). The time taken is printed, never asserted: speed belongs to
 * `make bench`, and a hang is caught by run-tests.sh's timeout. Returns
 * nothing; frees everything. */
static void expect_fail(const char *what, const char *buf, size_t len, const char *want)
{
	struct diag_list d;
	diag_init(&d, what);
	double t0 = now();
	struct topology *t = topo_load_buffer(what, buf, len, &d);
	double dt = now() - t0;
	if (!diag_failed(&d))
		fail_msg("%s: accepted", what);
	bool found = want == NULL;
	for (size_t i = 0; i < d.n && !found; i++)
		found = strstr(d.v[i].msg, want) != NULL;
	if (!found) {
		diag_print(&d, stderr, DIAG_TEXT, false);
		fail_msg("%s: no diagnostic mentions \"%s\"", what, want);
	}
	fprintf(stderr, "%-28s %8.2f ms  %s\n", what, dt * 1e3, d.n ? d.v[0].msg : "");
	topo_free(t);
	diag_clear(&d);
}

static void expect_fail_str(const char *what, const char *s, const char *want)
{
	expect_fail(what, s, strlen(s), want);
}

static void test_empty_and_comments(void **state)
{
	(void)state;
	expect_fail("empty", "", 0, "no YAML document");
	expect_fail_str("only-comments", "# a comment\n   # another\n\n", "no YAML document");
	expect_fail_str("only-whitespace", "   \n\n\t\n", NULL);
	expect_fail_str("explicit-empty-doc", "---\n...\n", "expected a mapping");
	expect_fail_str("scalar-root", "hello\n", "expected a mapping");
	expect_fail_str("null-root", "~\n", "expected a mapping");
	expect_fail_str("list-root", "- a\n- b\n", "expected a mapping");
}

static void test_binary(void **state)
{
	(void)state;
	char nul[] = "apiVersion: aspen/v1\nname: x\0y\nnodes: {a: {}}\n";
	expect_fail("nul-byte", nul, sizeof(nul) - 1, "NUL byte");
	expect_fail_str("escaped-nul", "apiVersion: \"aspen\\0v1\"\nname: x\nnodes: {a: {}}\n",
			"NUL character");
	expect_fail_str("bad-utf8", "apiVersion: aspen/v1\nname: \xc3\x28\n", "UTF-8");
	expect_fail_str("overlong-utf8", "name: \xc0\xaf\n", "UTF-8");
	expect_fail_str("control-char", "name: a\x01b\n", "control characters");
	expect_fail_str("escape-seq-key", "\"\\e[31mred\": 1\n", "unknown key \"\\x1b[31mred\"");
	expect_fail_str("utf16-bom", "\xff\xfe" "a\0:\0", NULL);

	/* Random bytes: many seeds, all refused, none crash. */
	unsigned seed = 12345;
	char buf[4096];
	for (int r = 0; r < 200; r++) {
		size_t len = (size_t)(rand_r(&seed) % (int)sizeof(buf));
		for (size_t i = 0; i < len; i++)
			buf[i] = (char)(rand_r(&seed) & 0xff);
		struct diag_list d;
		diag_init(&d, "random");
		struct topology *t = topo_load_buffer("random", buf, len, &d);
		assert_true(diag_failed(&d));
		topo_free(t);
		diag_clear(&d);
	}
}

static void test_deep_nesting(void **state)
{
	(void)state;
	size_t depth = 10000;
	char *b = malloc(depth * 2 + 16);
	size_t o = 0;
	for (size_t i = 0; i < depth; i++)
		b[o++] = '[';
	for (size_t i = 0; i < depth; i++)
		b[o++] = ']';
	expect_fail("flow-nesting-10000", b, o, "nesting deeper than 64");

	/* Block mappings, each level indented one more space. */
	free(b);
	depth = 2000;
	b = malloc(depth * depth / 2 + depth * 8 + 64);
	o = 0;
	for (size_t i = 0; i < depth; i++) {
		memset(b + o, ' ', i);
		o += i;
		memcpy(b + o, "k:\n", 3);
		o += 3;
	}
	memset(b + o, ' ', depth);
	o += depth;
	memcpy(b + o, "v\n", 2);
	o += 2;
	expect_fail("block-nesting-2000", b, o, "nesting deeper than 64");
	free(b);

	/* Nesting at the limit is fine for the tree (the decoder then
	 * complains about the shape, not the depth). */
	char ok[256];
	o = 0;
	o += (size_t)snprintf(ok, sizeof(ok), "apiVersion: aspen/v1\nname: x\nnodes: {a: {}}\nfaults: ");
	for (int i = 0; i < 63; i++)
		ok[o++] = '[';
	for (int i = 0; i < 63; i++)
		ok[o++] = ']';
	ok[o] = '\0';
	expect_fail_str("nesting-63", ok, "expected a fault");
}

static void test_big_scalar(void **state)
{
	(void)state;
	size_t n = 1u << 20;
	char *b = malloc(n + 64);
	size_t o = (size_t)snprintf(b, 64, "name: ");
	memset(b + o, 'x', n);
	o += n;
	b[o++] = '\n';
	expect_fail("scalar-1MiB", b, o, "at most 65536");
	/* The same as a key. */
	memset(b, 'k', n);
	memcpy(b + n, ": v\n", 4);
	expect_fail("key-1MiB", b, n + 4, "at most 65536");
	free(b);
}

static void test_alias_bomb(void **state)
{
	(void)state;
	const char *lol =
		"apiVersion: aspen/v1\nname: lol\nnodes: {a: {}}\n"
		"x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
		"x1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]\n"
		"x2: &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]\n"
		"x3: &a3 [*a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2]\n"
		"x4: &a4 [*a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3]\n"
		"x5: &a5 [*a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4]\n"
		"x6: &a6 [*a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5]\n"
		"x7: &a7 [*a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6]\n"
		"x8: &a8 [*a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7]\n"
		"x9: &a9 [*a8, *a8, *a8, *a8, *a8, *a8, *a8, *a8, *a8]\n";
	expect_fail_str("billion-laughs", lol, "expands to more than");

	/* A bomb aimed at the decoder: every alias use is a bad node, so
	 * decoding would do work per expanded node if it were let through. */
	const char *nodes =
		"apiVersion: aspen/v1\nname: n\n"
		"defaults: &d {cpus: x}\n"
		"x1: &n1 [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		"x2: &n2 [*n1, *n1, *n1, *n1, *n1, *n1, *n1, *n1, *n1, *n1]\n"
		"x3: &n3 [*n2, *n2, *n2, *n2, *n2, *n2, *n2, *n2, *n2, *n2]\n"
		"x4: &n4 [*n3, *n3, *n3, *n3, *n3, *n3, *n3, *n3, *n3, *n3]\n"
		"x5: &n5 [*n4, *n4, *n4, *n4, *n4, *n4, *n4, *n4, *n4, *n4]\n"
		"x6: &n6 [*n5, *n5, *n5, *n5, *n5, *n5, *n5, *n5, *n5, *n5]\n"
		"x7: &n7 [*n6, *n6, *n6, *n6, *n6, *n6, *n6, *n6, *n6, *n6]\n"
		"nodes: {a: {}}\n";
	expect_fail_str("alias-bomb-10^7", nodes, "expands to more than");

	/* Under the limit, shared subtrees decode in bounded time and every
	 * error is counted (recording stops at the diagnostics cap). */
	const char *wide =
		"apiVersion: aspen/v1\nname: w\n"
		"x: &f {at: never, kill: a}\n"
		"y: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
		"z: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
		"nodes: {a: {}}\n"
		"faults: [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
	expect_fail_str("aliases-under-limit", wide, "expected a fault");

	expect_fail_str("unknown-anchor", "a: *nope\n", "unknown anchor");
	expect_fail_str("self-alias", "a: &x [1, *x]\n", "unknown anchor");
	expect_fail_str("self-alias-map", "a: &x {b: *x}\n", "unknown anchor");
}

static void test_many_keys(void **state)
{
	(void)state;
	/* 200k duplicate keys: one error each (recording capped), n log n. */
	size_t n = 200000;
	char *b = malloc(n * 8 + 64);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		memcpy(b + o, "dup: 1\n", 7);
		o += 7;
	}
	expect_fail("dup-keys-200k", b, o, "duplicate key \"dup\"");

	free(b);

	/* 100k distinct anchors and an alias to each: hashed, not scanned. */
	b = malloc(4u << 20);
	o = 0;
	o += (size_t)sprintf(b + o, "x: [");
	for (size_t i = 0; i < 100000; i++)
		o += (size_t)sprintf(b + o, "&a%zu 1,", i);
	o += (size_t)sprintf(b + o, "]\ny: [");
	for (size_t i = 0; i < 100000; i++)
		o += (size_t)sprintf(b + o, "*a%zu,", i);
	b[o++] = ']';
	b[o++] = '\n';
	expect_fail("anchors-100k", b, o, "missing required key");
	free(b);
}

static void test_documents_and_merge(void **state)
{
	(void)state;
	expect_fail_str("two-documents",
			"apiVersion: aspen/v1\nname: x\nnodes: {a: {}}\n---\nname: y\n",
			"second YAML document");
	expect_fail_str("many-documents", "---\n---\n---\n---\n", "second YAML document");
	expect_fail_str("merge-key",
			"apiVersion: aspen/v1\nname: x\nb: &b {cpus: 2}\nnodes: {a: {<<: *b}}\n",
			"merge keys");
	expect_fail_str("tab-indent", "apiVersion: aspen/v1\nname: x\nnodes:\n\ta: {}\n",
			"invalid YAML");
	expect_fail_str("unclosed-flow", "nodes: {a: [1, 2\n", "invalid YAML");
	expect_fail_str("unclosed-quote", "name: \"abc\n", "invalid YAML");
	expect_fail_str("directive-garbage", "%YAML 9.9\n---\na: 1\n", NULL);
	expect_fail_str("tag-garbage", "a: !<tag:x> [1]\nnodes: !!map {a: !!str {}}\n", NULL);
}

static void test_huge_file(void **state)
{
	(void)state;
	/* 50 MB: refused before parsing, from a buffer and from a file. */
	size_t n = 50u << 20;
	char *b = malloc(n);
	for (size_t i = 0; i < n; i += 8)
		memcpy(b + i, "a: bbb\n#", 8);
	expect_fail("50MB-buffer", b, n, "at most 16 MiB");

	char path[] = "/tmp/aspen-hostile-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b, n), (ssize_t)n);
	close(fd);
	free(b);
	struct diag_list d;
	diag_init(&d, NULL);
	double t0 = now();
	struct topology *t = topo_load(path, &d);
	double dt = now() - t0;
	assert_null(t);
	assert_int_equal(d.n_errors, 1);
	assert_non_null(strstr(d.v[0].msg, "52428800 bytes"));
	fprintf(stderr, "%-28s %8.2f ms  %s\n", "50MB-file", dt * 1e3, d.v[0].msg);
	diag_clear(&d);
	unlink(path);

	/* A pipe-like file without a size: /dev/zero is refused at the limit,
	 * not read forever. */
	diag_init(&d, NULL);
	t0 = now();
	t = topo_load("/dev/zero", &d);
	dt = now() - t0;
	assert_null(t);
	assert_true(diag_failed(&d));
	fprintf(stderr, "%-28s %8.2f ms  %s\n", "/dev/zero", dt * 1e3, d.v[0].msg);
	diag_clear(&d);
}

/* Byte-level mutations of a good file: anything may come out, but never a
 * crash or a leak (ASan/valgrind watch). */
static void test_mutations(void **state)
{
	(void)state;
	static const char good[] =
		"apiVersion: aspen/v1\nname: m\n"
		"defaults: {kind: vm, cpus: 2, kernel: ./k}\n"
		"networks:\n  lan: {subnet: 10.0.0.0/24, gateway: 10.0.0.1}\n"
		"nodes:\n"
		"  a: {interfaces: [{network: lan, ip: 10.0.0.2}], health: {tcp: 10.0.0.2:80}}\n"
		"  b: {kind: netns, command: \"sh -c 'x'\", env: {A: b}}\n"
		"faults:\n"
		"  - {at: 1s, for: 2s, partition: [[a], [b]]}\n"
		"  - {at: 3s, latency: {nodes: a.eth0, delay: 10ms}}\n"
		"  - {at: 4s, kill: [a, b]}\n";
	const char junk[] = "{}[],:&*!|>'\"%@`#-?\t\n \\";
	size_t len = sizeof(good) - 1;
	char buf[sizeof(good) + 8];
	unsigned seed = 7;
	for (int r = 0; r < 3000; r++) {
		memcpy(buf, good, len);
		int edits = 1 + rand_r(&seed) % 4;
		for (int e = 0; e < edits; e++) {
			size_t at = (size_t)rand_r(&seed) % len;
			int how = rand_r(&seed) % 3;
			if (how == 0)
				buf[at] = junk[rand_r(&seed) % (int)(sizeof(junk) - 1)];
			else if (how == 1)
				buf[at] = (char)(rand_r(&seed) & 0xff);
			else
				buf[at] = good[(size_t)rand_r(&seed) % len];
		}
		struct diag_list d;
		diag_init(&d, "mut");
		struct topology *t = topo_load_buffer("mut", buf, len, &d);
		FILE *null = fopen("/dev/null", "w");
		diag_sort(&d);
		diag_print(&d, null, DIAG_TEXT, true);
		diag_print(&d, null, DIAG_JSON, false);
		fclose(null);
		topo_free(t);
		diag_clear(&d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_and_comments),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_big_scalar),
		cmocka_unit_test(test_alias_bomb),
		cmocka_unit_test(test_many_keys),
		cmocka_unit_test(test_documents_and_merge),
		cmocka_unit_test(test_huge_file),
		cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

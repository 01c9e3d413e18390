/* test_generate.c — nemesis generators and roles in the compiler.
 *
 * The generators' output is pinned for one seed (any change to the PRNG,
 * the shuffles or the expansion order shows up here, because a seed in a
 * user's file must keep meaning the same schedule); another seed changes
 * it; the same seed reproduces it; majority rings have the property that
 * names them; each entry draws from its own stream. Then the checks: role
 * names, @others, every/from/until, repetitions that would overlap,
 * generated faults that clash on one interface (both entries named). */
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compile.h"
#include "compiler/plan.h"

#define HEAD \
	"apiVersion: aspen/v1\n" \
	"name: gen\n" \
	"defaults: {kind: netns, command: [sleep, infinity]}\n" \
	"networks:\n" \
	"  lan: {subnet: 10.9.0.0/24}\n" \
	"roles:\n" \
	"  leader: {command: [\"true\"]}\n" \
	"nodes:\n" \
	"  n1: {interfaces: [{network: lan, ip: 10.9.0.1}]}\n" \
	"  n2: {interfaces: [{network: lan, ip: 10.9.0.2}]}\n" \
	"  n3: {interfaces: [{network: lan, ip: 10.9.0.3}]}\n" \
	"  n4: {interfaces: [{network: lan, ip: 10.9.0.4}]}\n" \
	"  n5: {interfaces: [{network: lan, ip: 10.9.0.5}]}\n" \
	"faults:\n"

static struct topology *load(const char *faults, const struct topo_load_opts *o,
			     struct diag_list *d)
{
	char buf[8192];
	snprintf(buf, sizeof(buf), HEAD "%s", faults);
	diag_init(d, "gen.yaml");
	return topo_load_buffer_with("gen.yaml", buf, strlen(buf), o, d);
}

/* The expanded schedule as "at kind-ref desc" lines. */
static char *expand(const char *faults, uint64_t seed)
{
	struct topo_load_opts o = {.has_seed = true, .seed = seed};
	struct diag_list d;
	struct topology *t = load(faults, &o, &d);
	assert_non_null(t);
	if (diag_failed(&d))
		diag_print(&d, stderr, DIAG_TEXT, false);
	assert_false(diag_failed(&d));
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	struct arena a;
	arena_init(&a);
	for (size_t i = 0; i < t->n_faults; i++) {
		const struct topo_fault *f = &t->faults[i];
		char at[32];
		plan_fmt_duration(at, sizeof(at), f->at_us);
		fprintf(m, "%s f%zu#%zu %s\n", at, f->index, f->instance, fault_describe(&a, t, f));
	}
	fclose(m);
	arena_free(&a);
	topo_free(t);
	diag_clear(&d);
	return out;
}

static const char NEMESIS[] =
	"  - {every: 10s, from: 5s, until: 30s, for: 4s, partition: random-halves}\n"
	"  - {every: 20s, until: 40s, for: 3s, partition: random-majority-ring}\n"
	"  - {every: 7s, until: 21s, for: 2s, loss: {nodes: random-node, percent: 20%}}\n"
	"  - {every: 15s, until: 50s, kill: random}\n"
	"  - {at: 1s, for: 1s, isolate: random-node}\n"
	"  - {every: 10s, from: 2s, until: 40s, for: 1s, partition: [[random], [n1]]}\n";

static void test_pinned(void **state)
{
	(void)state;
	char *got = expand(NEMESIS, 42);
	assert_string_equal(got,
		"5s f0#1 partition [n2 n3 n5] | [n1 n4]\n"
		"15s f0#2 partition [n2 n3 n4] | [n1 n5]\n"
		"25s f0#3 partition [n1 n2 n5] | [n3 n4]\n"
		"0 f1#1 partition ring n1 drops [n2 n5], n2 drops [n1 n3], n3 drops [n2 n4], "
		"n4 drops [n3 n5], n5 drops [n1 n4]\n"
		"20s f1#2 partition ring n1 drops [n4 n5], n2 drops [n3 n4], n3 drops [n2 n5], "
		"n4 drops [n1 n2], n5 drops [n1 n3]\n"
		"0 f2#1 loss n1 20%\n"
		"7s f2#2 loss n4 20%\n"
		"14s f2#3 loss n4 20%\n"
		"0 f3#1 kill n5\n"
		"15s f3#2 kill n1\n"
		"30s f3#3 kill n4\n"
		"45s f3#4 kill n3\n"
		"1s f4#0 partition isolate n3\n"
		/* each repetition draws its own node, never the one named beside it */
		"2s f5#1 partition [n2] | [n1]\n"
		"12s f5#2 partition [n4] | [n1]\n"
		"22s f5#3 partition [n3] | [n1]\n"
		"32s f5#4 partition [n2] | [n1]\n");
	char *again = expand(NEMESIS, 42);
	assert_string_equal(got, again);        /* the same seed, byte for byte */
	char *other = expand(NEMESIS, 43);
	assert_string_not_equal(got, other);    /* another seed, another schedule */
	free(got);
	free(again);
	free(other);
}

/* Adding an entry in front does not change what the others drew. */
static void test_streams_per_entry(void **state)
{
	(void)state;
	char *a = expand("  - {every: 10s, until: 30s, for: 1s, isolate: random}\n", 5);
	char *b = expand("  - {at: 0, for: 1s, partition: [[n1], [n2]]}\n"
			 "  - {every: 10s, until: 30s, for: 1s, isolate: random}\n", 5);
	/* b's second entry has index 1: its own stream, so compare shapes only */
	assert_non_null(strstr(b, "f1#1 partition isolate"));
	char *c = expand("  - {every: 10s, until: 30s, for: 1s, isolate: random}\n"
			 "  - {at: 0, for: 1s, partition: [[n1], [n2]]}\n", 5);
	/* the generator keeps index 0: identical picks with an entry after it */
	assert_non_null(strstr(c, a));
	free(a);
	free(b);
	free(c);
}

/* Jepsen's majorities ring: every node sees a majority (itself included),
 * no two nodes see the same set. */
static void test_majority_ring(void **state)
{
	(void)state;
	for (uint64_t seed = 0; seed < 20; seed++) {
		struct topo_load_opts o = {.has_seed = true, .seed = seed};
		struct diag_list d;
		struct topology *t = load("  - {at: 1s, for: 1s, partition: random-majority-ring}\n",
					  &o, &d);
		assert_false(diag_failed(&d));
		assert_int_equal(t->n_faults, 1);
		const struct topo_fault *f = &t->faults[0];
		assert_int_equal(f->u.partition.mode, PART_GRUDGE);
		assert_int_equal(f->u.partition.n_groups, 2 * 5);
		unsigned views[5];
		for (size_t b = 0; b < 5; b++) {
			const struct target_list *from = &f->u.partition.groups[2 * b];
			const struct target_list *to = &f->u.partition.groups[2 * b + 1];
			assert_int_equal(to->n, 1);
			assert_int_equal(to->v[0].node_idx, b);
			unsigned seen = 0x1f;
			for (size_t k = 0; k < from->n; k++) {
				assert_true(from->v[k].node_idx != b);
				seen &= ~(1u << from->v[k].node_idx);
			}
			assert_int_equal(__builtin_popcount(seen), 3);     /* a majority of 5 */
			views[b] = seen;
			for (size_t x = 0; x < b; x++)
				assert_true(views[x] != seen);
		}
		topo_free(t);
		diag_clear(&d);
	}
}

static void test_seed_sources(void **state)
{
	(void)state;
	struct diag_list d;
	struct topology *t = load("  - {at: 1s, for: 1s, isolate: random}\n", NULL, &d);
	assert_int_equal(t->seed_source, SEED_DEFAULT);
	assert_true(t->uses_random);
	topo_free(t);
	diag_clear(&d);
	struct topo_load_opts o = {.fallback = 9, .fallback_random = true};
	t = load("  - {at: 1s, for: 1s, isolate: random}\n", &o, &d);
	assert_int_equal(t->seed_source, SEED_RANDOM);
	assert_int_equal(t->seed, 9);
	topo_free(t);
	diag_clear(&d);
	o.has_seed = true;
	o.seed = 3;
	t = load("  - {at: 1s, for: 1s, partition: [[\"@leader\"], [\"@others\"]]}\n", &o, &d);
	assert_false(diag_failed(&d));
	assert_false(t->uses_random);
	assert_true(t->faults[0].has_roles);
	topo_free(t);
	diag_clear(&d);
}

/* One error: its message (and hint) and position. */
static void expect_error(const char *faults, unsigned line, unsigned col, const char *msg,
			 const char *hint)
{
	struct topo_load_opts o = {.has_seed = true, .seed = 1};
	struct diag_list d;
	struct topology *t = load(faults, &o, &d);
	bool found = false;
	for (size_t i = 0; i < d.n; i++) {
		if (strcmp(d.v[i].msg, msg) != 0)
			continue;
		found = true;
		if (d.v[i].pos.line != line || d.v[i].pos.col != col)
			fprintf(stderr, "%s: at %u:%u\n", msg, d.v[i].pos.line, d.v[i].pos.col);
		assert_int_equal(d.v[i].pos.line, line);
		assert_int_equal(d.v[i].pos.col, col);
		if (hint)
			assert_string_equal(d.v[i].hint ? d.v[i].hint : "", hint);
	}
	if (!found)
		diag_print(&d, stderr, DIAG_TEXT, false);
	assert_true(found);
	topo_free(t);
	diag_clear(&d);
}

#define L 15    /* the first fault's line */

static void test_errors(void **state)
{
	(void)state;
	expect_error("  - {at: 1s, isolate: \"@leadr\"}\n", L, 23,
		     "role \"leadr\" is not defined", "did you mean `@leader`?");
	expect_error("  - {at: 1s, for: 1s, partition: [[\"@others\"], [n1, \"@others\"]]}\n", L, 53,
		     "@others is already used by this fault (at 15:36)", NULL);
	expect_error("  - {every: 5s, kill: random}\n", L, 13,
		     "a repeating fault needs `until` (when the repetitions stop)", "add `until: 60s`");
	expect_error("  - {at: 1s, every: 5s, until: 9s, kill: random}\n", L, 6,
		     "a repeating fault (`every`) starts at `from`, not `at`", NULL);
	expect_error("  - {at: 1s, until: 9s, kill: random}\n", L, 21,
		     "`from` and `until` bound a repeating fault, but this one has no `every`", NULL);
	expect_error("  - {every: 5s, until: 20s, for: 6s, isolate: random}\n", L, 34,
		     "`for: 6s` is longer than `every: 5s`: each repetition would overlap the next",
		     "make `for` at most `every`");
	expect_error("  - {every: 5s, from: 10s, until: 10s, isolate: random}\n", L, 35,
		     "`until: 10s` is not after `from: 10s`", NULL);
	expect_error("  - {every: 1s, until: 10s, kill: random}\n", L, 35,
		     "no node left to pick for \"random\": every node is killed by an earlier "
		     "repetition", NULL);
	expect_error("  - {at: 1s, partition: random-halfs}\n", L, 25,
		     "expected groups like [[a, b], [c]], {from: [a], to: [b]}, {isolate: a}, "
		     "random-halves, random-majority-ring or random-node, got \"random-halfs\"",
		     "did you mean \"random-halves\"?");
	/* Two generated losses on one interface: refused, both entries named. */
	expect_error("  - {every: 4s, until: 20s, for: 3s, loss: {nodes: random-node, percent: 5%}}\n"
		     "  - {every: 3s, until: 20s, for: 2s, loss: {nodes: [n1, n2, n3, n4, n5], "
		     "percent: 1%}}\n", L + 1, 38,
		     "faults[1] (loss at 16:38) overlaps faults[0] (loss at 15:38) on n2.eth0 from 0s "
		     "to 2s (targets drawn with seed 1)", NULL);
}

static void test_reserved_role(void **state)
{
	(void)state;
	const char *src = "apiVersion: aspen/v1\nname: r\n"
			  "defaults: {kind: netns}\n"
			  "roles:\n  others: {command: \"true\", timeout: 0}\n"
			  "nodes:\n  n1: {}\n";
	struct diag_list d;
	diag_init(&d, "r.yaml");
	struct topology *t = topo_load_buffer("r.yaml", src, strlen(src), &d);
	assert_int_equal(d.n_errors, 2);
	assert_string_equal(d.v[0].msg, "role name \"others\" is reserved");
	assert_int_equal(d.v[0].pos.line, 5);
	assert_string_equal(d.v[1].msg, "a role probe needs a timeout above 0");
	topo_free(t);
	diag_clear(&d);
}

static void test_prng(void **state)
{
	(void)state;
	/* splitmix64's published first outputs for state 0. */
	uint64_t s = 0;
	assert_true(gen_next(&s) == 0xe220a8397b1dcdafull);
	assert_true(gen_next(&s) == 0x6e789e6aa1b965f4ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prng),
		cmocka_unit_test(test_pinned),
		cmocka_unit_test(test_streams_per_entry),
		cmocka_unit_test(test_majority_ring),
		cmocka_unit_test(test_seed_sources),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_reserved_role),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

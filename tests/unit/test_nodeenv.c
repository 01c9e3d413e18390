/* test_nodeenv.c — a node command's environment: inherited variables, the
 * cluster-derived ASPEN_* variables, the node's own env, and who wins. */
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/nodeenv.h"

static const char *get(char **env, const char *key)
{
	size_t kl = strlen(key);
	for (size_t i = 0; env[i]; i++)
		if (strncmp(env[i], key, kl) == 0 && env[i][kl] == '=')
			return env[i] + kl + 1;
	return NULL;
}

static size_t count(char **env)
{
	size_t n = 0;
	while (env[n])
		n++;
	return n;
}

static void test_cluster_vars(void **state)
{
	(void)state;
	const char *inherit[] = {"PATH=/bin:/usr/bin", "LANG=C.UTF-8", NULL};
	struct rt_err e;
	char **env = nodeenv_build(inherit, "n1=10.100.0.2 n-2=10.200.0.3 n3 vm-4=10.100.0.5", "n1",
				   "{\"ASPEN_NODE\":\"n1\",\"ASPEN_NODE_IP\":\"10.100.0.2\","
				   "\"ASPEN_TOPOLOGY\":\"c3\",\"FOO\":\"a \\\"b\\\"\"}", &e);
	assert_non_null(env);
	assert_string_equal(get(env, "PATH"), "/bin:/usr/bin");
	assert_string_equal(get(env, "LANG"), "C.UTF-8");
	assert_string_equal(get(env, "ASPEN_NODES"), "n1 n-2 n3 vm-4");
	assert_string_equal(get(env, "ASPEN_PEERS"), "n1=10.100.0.2 n-2=10.200.0.3 vm-4=10.100.0.5");
	assert_string_equal(get(env, "ASPEN_OTHERS"), "n-2=10.200.0.3 vm-4=10.100.0.5");
	assert_string_equal(get(env, "ASPEN_IP_N1"), "10.100.0.2");
	assert_string_equal(get(env, "ASPEN_IP_N_2"), "10.200.0.3");
	assert_string_equal(get(env, "ASPEN_IP_VM_4"), "10.100.0.5");
	assert_null(get(env, "ASPEN_IP_N3"));           /* n3 has no address */
	assert_string_equal(get(env, "ASPEN_NODE"), "n1");
	assert_string_equal(get(env, "ASPEN_TOPOLOGY"), "c3");
	assert_string_equal(get(env, "FOO"), "a \"b\"");
	assert_int_equal(count(env), 2 + 3 + 3 + 4);
	nodeenv_free(env);
}

/* The last and first nodes: no stray separators around the gap; without a
 * node of its own (aspen run's command) the others are everyone. */
static void test_peers_edges(void **state)
{
	(void)state;
	struct rt_err e;
	char **env = nodeenv_build(NULL, "a=1.1.1.1 b=2.2.2.2 c=3.3.3.3", "c", "{}", &e);
	assert_string_equal(get(env, "ASPEN_PEERS"), "a=1.1.1.1 b=2.2.2.2 c=3.3.3.3");
	assert_string_equal(get(env, "ASPEN_OTHERS"), "a=1.1.1.1 b=2.2.2.2");
	nodeenv_free(env);
	env = nodeenv_build(NULL, "a=1.1.1.1 b=2.2.2.2 c=3.3.3.3", "a", "{}", &e);
	assert_string_equal(get(env, "ASPEN_OTHERS"), "b=2.2.2.2 c=3.3.3.3");
	nodeenv_free(env);
	env = nodeenv_build(NULL, "a=1.1.1.1 b=2.2.2.2 c=3.3.3.3", NULL, "{}", &e);
	assert_string_equal(get(env, "ASPEN_OTHERS"), "a=1.1.1.1 b=2.2.2.2 c=3.3.3.3");
	assert_string_equal(get(env, "ASPEN_PEERS"), "a=1.1.1.1 b=2.2.2.2 c=3.3.3.3");
	nodeenv_free(env);
	env = nodeenv_build(NULL, "solo", "solo", "{\"ASPEN_NODE\":\"solo\"}", &e);
	assert_string_equal(get(env, "ASPEN_NODES"), "solo");
	assert_string_equal(get(env, "ASPEN_PEERS"), "");
	assert_string_equal(get(env, "ASPEN_OTHERS"), "");
	nodeenv_free(env);
}

/* ${VAR} inside words, $VAR as a whole word (split at blanks), $$, and
 * the '$' a shell script uses left alone. */
static void test_argv_subst(void **state)
{
	(void)state;
	struct rt_err e;
	char **env = nodeenv_build(NULL, "a=1.1.1.1 b=2.2.2.2", "a",
				   "{\"ASPEN_NODE\":\"a\",\"X\":\"one two\"}", &e);
	const char *argv[] = {"srv", "--name=${ASPEN_NODE}", "--peer=${ASPEN_IP_B}:7000", "$ASPEN_NODES",
			      "${X}", "$X", "cost $$5", "sh: $1 $? $x", "$$ASPEN_NODE", "$"};
	char **out = nodeenv_argv(argv, 10, env, &e);
	assert_non_null(out);
	const char *want[] = {"srv", "--name=a", "--peer=2.2.2.2:7000", "a", "b", "one two", "one",
			      "two", "cost $5", "sh: $1 $? $x", "$ASPEN_NODE", "$", NULL};
	size_t i = 0;
	for (; want[i]; i++)
		assert_string_equal(out[i], want[i]);
	assert_null(out[i]);
	nodeenv_free(out);
	/* "${" with no "}" is refused, not passed on */
	const char *open_brace[] = {"sh: ${"};
	assert_null(nodeenv_argv(open_brace, 1, env, &e));
	assert_non_null(strstr(e.msg, "unterminated ${"));
	const char *rest[] = {"$ASPEN_NODE", "$$ASPEN_NODE", "$", "x$y"};
	out = nodeenv_argv(rest, 4, env, &e);
	assert_non_null(out);
	assert_string_equal(out[0], "a");
	assert_string_equal(out[1], "$ASPEN_NODE");
	assert_string_equal(out[2], "$");
	assert_string_equal(out[3], "x$y");
	assert_null(out[4]);
	nodeenv_free(out);
	const char *bad[] = {"ok", "--x=${NOPE}"};
	assert_null(nodeenv_argv(bad, 2, env, &e));
	assert_string_equal(e.msg, "argument 1: unknown variable ${NOPE}");
	const char *empty[] = {"$NOPE_EMPTY"};
	assert_null(nodeenv_argv(empty, 1, env, &e));
	assert_string_equal(e.msg, "argument 0: unknown variable $NOPE_EMPTY");
	nodeenv_free(env);
}

/* Names that collide after uppercasing keep the first node; the user's env
 * overrides generated and inherited keys. */
static void test_precedence(void **state)
{
	(void)state;
	const char *inherit[] = {"PATH=/bin", NULL};
	struct rt_err e;
	char **env = nodeenv_build(inherit, "a-b=10.9.0.2 a_b=10.9.0.3", "a-b",
				   "{\"PATH\":\"/opt/bin\",\"ASPEN_PEERS\":\"mine\"}", &e);
	assert_string_equal(get(env, "ASPEN_IP_A_B"), "10.9.0.2");
	assert_string_equal(get(env, "PATH"), "/opt/bin");
	assert_string_equal(get(env, "ASPEN_PEERS"), "mine");
	nodeenv_free(env);
}

static void test_bad_json(void **state)
{
	(void)state;
	struct rt_err e;
	assert_null(nodeenv_build(NULL, "a", "a", "[1]", &e));
	assert_non_null(strstr(e.msg, "not a JSON object"));
	assert_null(nodeenv_build(NULL, "a", "a", "{\"K\":1}", &e));
	assert_non_null(strstr(e.msg, "env K"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cluster_vars),
		cmocka_unit_test(test_peers_edges),
		cmocka_unit_test(test_argv_subst),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_bad_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

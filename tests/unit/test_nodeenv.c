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
	assert_string_equal(get(env, "ASPEN_PEERS"), "n-2=10.200.0.3 vm-4=10.100.0.5");
	assert_string_equal(get(env, "ASPEN_IP_N1"), "10.100.0.2");
	assert_string_equal(get(env, "ASPEN_IP_N_2"), "10.200.0.3");
	assert_string_equal(get(env, "ASPEN_IP_VM_4"), "10.100.0.5");
	assert_null(get(env, "ASPEN_IP_N3"));           /* n3 has no address */
	assert_string_equal(get(env, "ASPEN_NODE"), "n1");
	assert_string_equal(get(env, "ASPEN_TOPOLOGY"), "c3");
	assert_string_equal(get(env, "FOO"), "a \"b\"");
	assert_int_equal(count(env), 2 + 2 + 3 + 4);
	nodeenv_free(env);
}

/* The last and first nodes: no stray separators around the gap. */
static void test_peers_edges(void **state)
{
	(void)state;
	struct rt_err e;
	char **env = nodeenv_build(NULL, "a=1.1.1.1 b=2.2.2.2 c=3.3.3.3", "c", "{}", &e);
	assert_string_equal(get(env, "ASPEN_PEERS"), "a=1.1.1.1 b=2.2.2.2");
	nodeenv_free(env);
	env = nodeenv_build(NULL, "a=1.1.1.1 b=2.2.2.2 c=3.3.3.3", "a", "{}", &e);
	assert_string_equal(get(env, "ASPEN_PEERS"), "b=2.2.2.2 c=3.3.3.3");
	nodeenv_free(env);
	env = nodeenv_build(NULL, "solo", "solo", "{\"ASPEN_NODE\":\"solo\"}", &e);
	assert_string_equal(get(env, "ASPEN_NODES"), "solo");
	assert_string_equal(get(env, "ASPEN_PEERS"), "");
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
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_bad_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

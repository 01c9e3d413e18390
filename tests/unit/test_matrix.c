/* test_matrix.c — the reachability matrix's pure parts: which nodes and
 * addresses it takes from a journal, the table and the JSON. (The probes
 * themselves run in tests/e2e/adhoc.sh, inside namespaces.) */
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/journal.h"
#include "runtime/matrix.h"

static void add(struct journal *j, struct arena *a, struct res_list *l, enum res_kind k,
		const char *id, const char *const *kv)
{
	struct resource *r = res_list_add(l, a, k, id);
	for (; kv[0]; kv += 2)
		res_set(a, r, kv[0], kv[1]);
	struct rt_err e;
	assert_int_equal(journal_set_resource(j, r, &e), 0);
}

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_nodes_from_journal(void **state)
{
	(void)state;
	struct journal j;
	memset(&j, 0, sizeof(j));
	arena_init(&j.arena);
	struct arena a;
	arena_init(&a);
	struct res_list l = {0};
	add(&j, &a, &l, RES_NETNS, "netns/n1", KV("name", "aspen-t-n1"));
	add(&j, &a, &l, RES_NETNS, "netns/n2", KV("name", "aspen-t-n2"));
	add(&j, &a, &l, RES_NETNS, "netns/lonely", KV("name", "aspen-t-lonely"));
	add(&j, &a, &l, RES_ADDR, "addr/lan", KV("dev", "br0", "address", "10.0.0.1/24"));
	/* n1's eth1 is journaled before its eth0: the first address is eth0's. */
	add(&j, &a, &l, RES_ADDR, "addr/n1.eth1", KV("netns", "aspen-t-n1", "dev", "eth1", "address", "10.1.0.2/24"));
	add(&j, &a, &l, RES_ADDR, "addr/n1.eth0", KV("netns", "aspen-t-n1", "dev", "eth0", "address", "10.0.0.2/24"));
	add(&j, &a, &l, RES_ADDR, "addr/n2.eth0", KV("netns", "aspen-t-n2", "dev", "eth0", "address", "10.0.0.3/24"));
	struct matrix m;
	struct rt_err e;
	assert_int_equal(matrix_from_journal(&j, &m, &e), 0);
	assert_int_equal(m.n, 2);               /* lonely has no address */
	assert_string_equal(m.nodes[0].name, "n1");
	assert_string_equal(m.nodes[0].netns_path, "/run/netns/aspen-t-n1");
	assert_int_equal(m.nodes[0].ip, 0x0a000002);
	assert_string_equal(m.nodes[1].name, "n2");
	assert_int_equal(m.nodes[1].ip, 0x0a000003);

	/* n1 cannot reach n2; n2 reaches n1 (a one-way cut). */
	m.ok[0] = m.ok[3] = true;
	m.ok[1] = false;
	m.ok[2] = true;
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	matrix_print(&m, f, false, "> ");
	fclose(f);
	assert_string_equal(buf, ">       n1    n2  \n"
				 "> n1    .     --  \n"
				 "> n2    ok    .   \n");
	free(buf);
	f = open_memstream(&buf, &len);
	matrix_print(&m, f, true, "");
	fclose(f);
	assert_non_null(strstr(buf, "\u2717"));
	assert_non_null(strstr(buf, "\u2713"));
	free(buf);
	cJSON *o = matrix_json(&m);
	char *s = cJSON_PrintUnformatted(o);
	assert_string_equal(s, "{\"nodes\":[\"n1\",\"n2\"],\"reachable\":[[true,false],[true,true]]}");
	cJSON_free(s);
	cJSON_Delete(o);
	matrix_free(&m);
	arena_free(&a);
	journal_free(&j);
}

/* A dual-stack journal: both families per node, a v4-only node, a
 * v6-only one; two tables, blank where a node lacks the family; the JSON
 * has reachable6 and reads back. */
static void test_dual_stack(void **state)
{
	(void)state;
	struct journal j;
	memset(&j, 0, sizeof(j));
	arena_init(&j.arena);
	struct arena a;
	arena_init(&a);
	struct res_list l = {0};
	add(&j, &a, &l, RES_NETNS, "netns/n1", KV("name", "aspen-t-n1"));
	add(&j, &a, &l, RES_NETNS, "netns/n2", KV("name", "aspen-t-n2"));
	add(&j, &a, &l, RES_NETNS, "netns/n3", KV("name", "aspen-t-n3"));
	add(&j, &a, &l, RES_ADDR, "addr6/n1.eth0", KV("netns", "aspen-t-n1", "dev", "eth0", "address", "fd00::2/64"));
	add(&j, &a, &l, RES_ADDR, "addr/n1.eth0", KV("netns", "aspen-t-n1", "dev", "eth0", "address", "10.0.0.2/24"));
	add(&j, &a, &l, RES_ADDR, "addr/n2.eth0", KV("netns", "aspen-t-n2", "dev", "eth0", "address", "10.0.0.3/24"));
	add(&j, &a, &l, RES_ADDR, "addr6/n3.eth0", KV("netns", "aspen-t-n3", "dev", "eth0", "address", "fd00::4/64"));
	struct matrix m;
	struct rt_err e;
	assert_int_equal(matrix_from_journal(&j, &m, &e), 0);
	assert_int_equal(m.n, 3);
	assert_non_null(m.ok6);
	assert_true(m.nodes[0].has_ip4 && m.nodes[0].has_ip6);
	assert_int_equal(m.nodes[0].ip, 0x0a000002);
	assert_int_equal(m.nodes[0].ip6[0], 0xfd);
	assert_int_equal(m.nodes[0].ip6[15], 2);
	assert_true(m.nodes[1].has_ip4 && !m.nodes[1].has_ip6);
	assert_true(!m.nodes[2].has_ip4 && m.nodes[2].has_ip6);
	for (size_t i = 0; i < 9; i++)
		m.ok[i] = m.ok6[i] = i % 4 == 0;
	m.ok[1] = true;                 /* n1 -> n2 over IPv4 */
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	matrix_print(&m, f, false, "");
	fclose(f);
	assert_string_equal(buf, "IPv4:\n"
				 "      n1    n2    n3  \n"
				 "n1    .     ok        \n"
				 "n2    --    .         \n"
				 "n3                    \n"
				 "IPv6:\n"
				 "      n1    n2    n3  \n"
				 "n1    .           --  \n"
				 "n2                    \n"
				 "n3    --          .   \n");
	free(buf);
	cJSON *o = matrix_json(&m);
	char *s = cJSON_PrintUnformatted(o);
	assert_non_null(strstr(s, "\"reachable6\":[[true,false,false],"));
	struct matrix back;
	assert_int_equal(matrix_from_json(o, &back, &e), 0);
	assert_non_null(back.ok6);
	assert_memory_equal(back.ok6, m.ok6, 9 * sizeof(bool));
	assert_memory_equal(back.ok, m.ok, 9 * sizeof(bool));
	matrix_free(&back);
	cJSON_free(s);
	cJSON_Delete(o);
	matrix_free(&m);
	arena_free(&a);
	journal_free(&j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nodes_from_journal),
		cmocka_unit_test(test_dual_stack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

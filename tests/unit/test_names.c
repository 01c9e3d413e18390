/* test_names.c — generated names: the hash, each scheme, length limits,
 * hashing fallbacks, determinism and the collision check.
 *
 * Golden values were computed independently (a few lines of Python over the
 * FNV-1a definition): names must never change between releases, or a new
 * aspen would not find the objects an old one created. */
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/names.h"
#include "compiler/topology.h"

static void test_hash_vectors(void **state)
{
	(void)state;
	assert_true(names_hash_str("") == 0xcbf29ce484222325ULL);
	assert_true(names_hash_str("a") == 0xaf63dc4c8601ec8cULL);
	assert_true(names_hash_str("foobar") == 0x85944171f73967e8ULL);
	assert_true(names_hash("foobar", 6) == names_hash_str("foobar"));
	assert_true(names_hash_str("cluster3") == 0xcd3e49df6041661aULL);
}

/* The digest (FNV-1a + Murmur3 finalizer) spreads a change in the last
 * byte over the top digits, which plain FNV-1a does not. */
static void test_digest(void **state)
{
	(void)state;
	assert_true(names_digest("cluster3") == 0x112cca016ef691e6ULL);
	assert_true(names_digest("node1") == 0x59a32cdbd8ec99f9ULL);
	assert_true(names_hash_str("long-node-name-0") >> 44 == names_hash_str("long-node-name-2") >> 44);
	assert_true(names_digest("long-node-name-0") >> 44 != names_digest("long-node-name-2") >> 44);
}

static void test_hex(void **state)
{
	(void)state;
	char b[17];
	names_hex(b, 0x0123456789abcdefULL, 16);
	assert_string_equal(b, "0123456789abcdef");
	names_hex(b, 0x0123456789abcdefULL, 4);
	assert_string_equal(b, "0123");
	names_hex(b, 0xf000000000000000ULL, 1);
	assert_string_equal(b, "f");
}

static void test_netns(void **state)
{
	(void)state;
	char b[NAMES_NETNS_MAX];
	names_netns(b, "cluster3", "node1");
	assert_string_equal(b, "aspen-cluster3-node1");
	/* 32 + 32 bytes do not fit 63: the node part becomes its hash. */
	const char *t32 = "tttttttttttttttttttttttttttttttt", *n32 = "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn";
	assert_int_equal(strlen(t32), 32);
	names_netns(b, t32, n32);
	char want[NAMES_NETNS_MAX], h[17];
	names_hex(h, names_digest(n32), 16);
	snprintf(want, sizeof want, "aspen-%s-%s", t32, h);
	assert_string_equal(b, want);
	assert_true(strlen(b) <= NAMES_NETNS_MAX - 1);
	/* Longest that still fits in the readable form: 6 + 32 + 1 + 24 = 63. */
	names_netns(b, t32, "nnnnnnnnnnnnnnnnnnnnnnnn");
	assert_string_equal(b, "aspen-tttttttttttttttttttttttttttttttt-nnnnnnnnnnnnnnnnnnnnnnnn");
	/* Invalid (over-long) names never overflow. */
	char big[200];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	names_netns(b, big, big);
	assert_true(strlen(b) <= NAMES_NETNS_MAX - 1);
}

static void test_bridge(void **state)
{
	(void)state;
	char b[IFNAMSIZ_ASPEN];
	names_bridge(b, "cluster3", "lan", NULL);
	assert_string_equal(b, "as-112c-lan");
	names_bridge(b, "cluster3", "lan", "br-test");
	assert_string_equal(b, "br-test");
	/* 7 bytes of network name still fit: 8 + 7 = 15. */
	names_bridge(b, "cluster3", "backbon", NULL);
	assert_string_equal(b, "as-112c-backbon");
	/* 12 do not: 6 hex digits of digest("backbone-net") = d06c00... */
	names_bridge(b, "cluster3", "backbone-net", NULL);
	assert_string_equal(b, "as-112c-d06c00");
	names_bridge(b, "cluster3", "a-much-longer-network-name-32byt", NULL);
	assert_int_equal(strlen(b), 14);
	/* An over-long user name is cut, never overflowing (validation rejects it). */
	names_bridge(b, "cluster3", "lan", "this-is-far-too-long-for-a-link");
	assert_int_equal(strlen(b), 15);
}

static void test_ifb(void **state)
{
	(void)state;
	char b[IFNAMSIZ_ASPEN];
	names_ifb(b, "as-112c-node1-0");
	assert_string_equal(b, "ai-112c-node1-0");
	names_ifb(b, "as-112c-ri11h8g");
	assert_string_equal(b, "ai-112c-ri11h8g");
	/* Not a generated host end: a hash, still 15 bytes at most. */
	names_ifb(b, "tap-by-hand0");
	assert_int_equal(strlen(b), 15);
	assert_true(strncmp(b, "ai-", 3) == 0);
	char c[IFNAMSIZ_ASPEN];
	names_ifb(c, "tap-by-hand1");
	assert_string_not_equal(b, c);
}

static void test_host_iface(void **state)
{
	(void)state;
	char b[IFNAMSIZ_ASPEN];
	names_host_iface(b, "cluster3", "node1", 0);
	assert_string_equal(b, "as-112c-node1-0");      /* exactly 15: readable */
	/* One byte more: hashed, 7 base32 characters of digest("node1/10"). */
	names_host_iface(b, "cluster3", "node1", 10);
	assert_string_equal(b, "as-112c-d7loj52");
	names_host_iface(b, "cluster3", "node12", 0);
	assert_string_equal(b, "as-112c-ri11h8g");
	names_host_iface(b, "cluster3", "averyverylongnodename", 0);
	assert_string_equal(b, "as-112c-hmoblj2");
	names_host_iface(b, "cluster3", "averyverylongnodename", 12);
	assert_string_equal(b, "as-112c-j3a6gbf");
	/* A short node keeps its readable name. */
	names_host_iface(b, "cluster3", "n", 3);
	assert_string_equal(b, "as-112c-n-3");
	/* Absurd input never overflows. */
	names_host_iface(b, "cluster3", "averyverylongnodenameaveryverylongnodename", (size_t)-1);
	assert_int_equal(strlen(b), 15);
}

static void test_b32(void **state)
{
	(void)state;
	char b[13];
	names_b32(b, 0, 3);
	assert_string_equal(b, "000");
	names_b32(b, 0xffffffffffffffffULL, 12);
	assert_string_equal(b, "vvvvvvvvvvvv");
	names_b32(b, 1ULL << 59, 2);                    /* top 5 bits = 00001 */
	assert_string_equal(b, "10");
}

static void test_node_iface(void **state)
{
	(void)state;
	char b[IFNAMSIZ_ASPEN];
	names_node_iface(b, 0);
	assert_string_equal(b, "eth0");
	names_node_iface(b, 12);
	assert_string_equal(b, "eth12");
}

static void test_mac(void **state)
{
	(void)state;
	uint8_t m[6], m2[6];
	char s[18];
	names_mac(m, "cluster3", "node1", 0);
	names_fmt_mac(s, m);
	assert_string_equal(s, "02:b7:7f:a3:37:e9");   /* digest("cluster3/node1/0") */
	assert_int_equal(m[0] & 1, 0);                  /* unicast */
	assert_int_equal(m[0] & 2, 2);                  /* locally administered */
	names_mac(m2, "cluster3", "node1", 0);
	assert_memory_equal(m, m2, 6);                  /* deterministic */
	names_mac(m2, "cluster3", "node1", 1);
	assert_memory_not_equal(m, m2, 6);
	names_mac(m2, "cluster4", "node1", 0);
	assert_memory_not_equal(m, m2, 6);
	names_mac(m2, "cluster3", "node2", 0);
	assert_memory_not_equal(m, m2, 6);
}

static void test_fmt_ipv4(void **state)
{
	(void)state;
	char b[16];
	names_fmt_ipv4(b, 0x0a640002);
	assert_string_equal(b, "10.100.0.2");
	names_fmt_ipv4(b, 0xffffffff);
	assert_string_equal(b, "255.255.255.255");
}

/* ---- names_assign over a hand-built topology ---- */

static struct topology *new_topo(const char *name, size_t n_nets, size_t n_nodes)
{
	struct topology *t = calloc(1, sizeof *t);
	assert_non_null(t);
	arena_init(&t->arena);
	t->name = name;
	t->networks = arena_array(&t->arena, n_nets + 1, sizeof *t->networks);
	t->nodes = arena_array(&t->arena, n_nodes + 1, sizeof *t->nodes);
	return t;
}

static struct topo_network *add_net(struct topology *t, const char *name, const char *bridge,
				    unsigned line)
{
	struct topo_network *w = &t->networks[t->n_networks++];
	w->name = name;
	w->bridge = bridge;
	w->pos = (struct pos){ line, 3 };
	w->bridge_pos = (struct pos){ line, 40 };
	return w;
}

static struct topo_node *add_node(struct topology *t, const char *name, size_t n_ifaces,
				  unsigned line)
{
	struct topo_node *nd = &t->nodes[t->n_nodes++];
	nd->name = name;
	nd->pos = (struct pos){ line, 3 };
	nd->ifaces = arena_array(&t->arena, n_ifaces + 1, sizeof *nd->ifaces);
	nd->n_ifaces = n_ifaces;
	for (size_t j = 0; j < n_ifaces; j++)
		nd->ifaces[j].pos = (struct pos){ line + 1 + (unsigned)j, 7 };
	return nd;
}

static void test_assign_fills(void **state)
{
	(void)state;
	struct topology *t = new_topo("cluster3", 1, 2);
	add_net(t, "lan", NULL, 5);
	struct topo_node *a = add_node(t, "node1", 2, 10);
	struct topo_node *b = add_node(t, "node2", 1, 20);
	static const uint8_t given[6] = { 0x02, 0, 0, 0, 0, 0x42 };
	b->ifaces[0].has_mac = true;
	memcpy(b->ifaces[0].mac, given, 6);
	struct diag_list d;
	diag_init(&d, "t.yaml");
	names_assign(t, &d);
	assert_int_equal(d.n, 0);
	assert_string_equal(t->networks[0].bridge_name, "as-112c-lan");
	assert_string_equal(a->netns_name, "aspen-cluster3-node1");
	assert_string_equal(a->ifaces[0].name, "eth0");
	assert_string_equal(a->ifaces[1].name, "eth1");
	assert_string_equal(a->ifaces[1].host_name, "as-112c-node1-1");
	assert_string_equal(b->ifaces[0].host_name, "as-112c-node2-0");
	uint8_t m[6];
	names_mac(m, "cluster3", "node1", 1);
	assert_memory_equal(a->ifaces[1].eff_mac, m, 6);
	assert_memory_equal(b->ifaces[0].eff_mac, given, 6);
	diag_clear(&d);
	topo_free(t);
}

/* A network called "node1-0" gets the bridge as-<t>-node1-0, which is the
 * host end of node1's eth0: both owners are named. */
static void test_collision_generated(void **state)
{
	(void)state;
	struct topology *t = new_topo("cluster3", 1, 1);
	add_net(t, "node1-0", NULL, 5);
	add_node(t, "node1", 1, 10);
	struct diag_list d;
	diag_init(&d, "t.yaml");
	names_assign(t, &d);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].sev, DIAG_ERROR);
	assert_int_equal(d.v[0].pos.line, 11);
	assert_int_equal(d.v[0].pos.col, 7);
	assert_string_equal(d.v[0].path, "nodes.node1.interfaces[0]");
	assert_string_equal(d.v[0].msg, "link name \"as-112c-node1-0\" of node1.eth0 is also used "
			    "by the bridge of network node1-0 (at 5:3)");
	assert_string_equal(d.v[0].hint,
			    "rename one of them; docs/names.md describes the generated names");
	diag_clear(&d);
	topo_free(t);
}

static void test_collision_user_bridges(void **state)
{
	(void)state;
	struct topology *t = new_topo("cluster3", 3, 0);
	add_net(t, "a", "br0", 5);
	add_net(t, "b", "br0", 6);
	add_net(t, "c", "br0", 7);
	struct diag_list d;
	diag_init(&d, "t.yaml");
	names_assign(t, &d);
	/* Every later owner is reported, each against the first. */
	assert_int_equal(d.n, 2);
	assert_string_equal(d.v[0].msg, "link name \"br0\" of the bridge of network b is also used "
			    "by the bridge of network a (at 5:40)");
	assert_string_equal(d.v[0].path, "networks.b.bridge");
	assert_int_equal(d.v[0].pos.line, 6);
	assert_int_equal(d.v[0].pos.col, 40);
	assert_string_equal(d.v[0].hint, "choose another `bridge:` name");
	assert_string_equal(d.v[1].msg, "link name \"br0\" of the bridge of network c is also used "
			    "by the bridge of network a (at 5:40)");
	diag_clear(&d);
	topo_free(t);
}

/* A user bridge named like a generated host end. */
static void test_collision_user_vs_generated(void **state)
{
	(void)state;
	struct topology *t = new_topo("cluster3", 1, 1);
	add_node(t, "node1", 1, 3);
	add_net(t, "lan", "as-112c-node1-0", 8);
	struct diag_list d;
	diag_init(&d, "t.yaml");
	names_assign(t, &d);
	assert_int_equal(d.n, 1);
	/* Bridges are listed first, so the interface is the later owner. */
	assert_string_equal(d.v[0].msg, "link name \"as-112c-node1-0\" of node1.eth0 is also used "
			    "by the bridge of network lan (at 8:40)");
	assert_string_equal(d.v[0].hint, "choose another `bridge:` name");
	diag_clear(&d);
	topo_free(t);
}

/* A node named exactly like another node's hashed namespace suffix: the
 * two namespace names agree and both nodes are named. */
static void test_collision_netns(void **state)
{
	(void)state;
	const char *t32 = "tttttttttttttttttttttttttttttttt";
	const char *longn = "a-node-name-of-thirty-two-bytes1";
	char h[17];
	names_hex(h, names_digest(longn), 16);
	struct topology *t = new_topo(t32, 0, 2);
	add_node(t, longn, 0, 3);
	add_node(t, h, 0, 7);
	struct diag_list d;
	diag_init(&d, "t.yaml");
	names_assign(t, &d);
	assert_int_equal(d.n, 1);
	char want[200];
	snprintf(want, sizeof want, "namespace name \"aspen-%s-%s\" of node %s is also used by "
		 "node %s (at 3:3)", t32, h, h, longn);
	assert_string_equal(d.v[0].msg, want);
	assert_int_equal(d.v[0].pos.line, 7);
	snprintf(want, sizeof want, "nodes.%s", h);
	assert_string_equal(d.v[0].path, want);
	diag_clear(&d);
	topo_free(t);
}

/* 1000 nodes with 3 interfaces each, names long enough to need hashing
 * (node0..node999 is exactly the naming that collided with 20-bit hashes):
 * every link name fits 15 bytes and all are distinct, with no diagnostic. */
static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void test_unique_at_scale(void **state)
{
	(void)state;
	enum { N = 1000, K = 3 };
	struct topology *t = new_topo("scale-test", 20, N);
	for (int i = 0; i < 20; i++)
		add_net(t, arena_printf(&t->arena, "network-number-%d", i), NULL, 1);
	for (int i = 0; i < N; i++)
		add_node(t, arena_printf(&t->arena, i % 2 ? "node%d" : "long-node-name-%d", i), K, 100);
	struct diag_list d;
	diag_init(&d, "t.yaml");
	names_assign(t, &d);
	assert_int_equal(d.n, 0);
	const char **all = calloc(N * K + 20, sizeof *all);
	size_t n = 0;
	for (int i = 0; i < 20; i++)
		all[n++] = t->networks[i].bridge_name;
	for (int i = 0; i < N; i++)
		for (int j = 0; j < K; j++)
			all[n++] = t->nodes[i].ifaces[j].host_name;
	qsort(all, n, sizeof *all, str_cmp);
	for (size_t i = 0; i < n; i++) {
		assert_true(strlen(all[i]) <= 15);
		assert_true(strncmp(all[i], "as-", 3) == 0);
		if (i)
			assert_true(strcmp(all[i - 1], all[i]) != 0);
	}
	free(all);
	diag_clear(&d);
	topo_free(t);
}

/* Same input, same names: a second run over a fresh copy agrees. */
static void test_deterministic(void **state)
{
	(void)state;
	char first[4][IFNAMSIZ_ASPEN];
	for (int round = 0; round < 2; round++) {
		struct topology *t = new_topo("determinism", 1, 2);
		add_net(t, "a-long-network", NULL, 1);
		add_node(t, "short", 1, 2);
		add_node(t, "a-rather-long-node", 1, 4);
		struct diag_list d;
		diag_init(&d, NULL);
		names_assign(t, &d);
		const char *got[4] = { t->networks[0].bridge_name, t->nodes[0].ifaces[0].host_name,
				       t->nodes[1].ifaces[0].host_name, t->nodes[1].ifaces[0].name };
		for (int i = 0; i < 4; i++) {
			if (round == 0)
				snprintf(first[i], sizeof first[i], "%s", got[i]);
			else
				assert_string_equal(first[i], got[i]);
		}
		diag_clear(&d);
		topo_free(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_vectors),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_ifb),
		cmocka_unit_test(test_b32),
		cmocka_unit_test(test_netns),
		cmocka_unit_test(test_bridge),
		cmocka_unit_test(test_host_iface),
		cmocka_unit_test(test_node_iface),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_fmt_ipv4),
		cmocka_unit_test(test_assign_fills),
		cmocka_unit_test(test_collision_generated),
		cmocka_unit_test(test_collision_user_bridges),
		cmocka_unit_test(test_collision_user_vs_generated),
		cmocka_unit_test(test_collision_netns),
		cmocka_unit_test(test_unique_at_scale),
		cmocka_unit_test(test_deterministic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

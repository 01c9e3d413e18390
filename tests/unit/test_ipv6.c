/* test_ipv6.c — the IPv6 half of the language: parsing of addresses,
 * prefixes and [v6]:port endpoints (units.c), decoding of subnet6,
 * gateway6, ip6 and IPv6 health checks, every validation rule of
 * validate6.c at its FILE:LINE:COL with its message, and what a dual-stack
 * network lowers to (addr6/, route6/, ASPEN_NODE_IP6). */
#include "tests/testutil.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compile.h"
#include "compiler/units.h"

/* ---------------- units ---------------- */

static void test_units_ipv6(void **state)
{
	(void)state;
	uint8_t a[16], want[16];
	const char *why = NULL;
	assert_int_equal(unit_ipv6("fd00:110::2", a, &why), 0);
	inet_pton(AF_INET6, "fd00:110::2", want);
	assert_memory_equal(a, want, 16);
	assert_int_equal(unit_ipv6("::ffff:10.0.0.1", a, &why), 0);   /* embedded IPv4 */
	assert_int_equal(unit_ipv6("10.0.0.1", a, &why), -1);
	assert_string_equal(why, "expected an IPv6 address like fd00:100::2");
	assert_int_equal(unit_ipv6("fd00::1/64", a, &why), -1);
	assert_string_equal(why, "an address has no prefix length");
	assert_int_equal(unit_ipv6("fd00::g", a, &why), -1);
	assert_int_equal(unit_ipv6("fd00:1:2:3:4:5:6:7:8", a, &why), -1);
	assert_int_equal(unit_ipv6("fe80::1%eth0", a, &why), -1);      /* no zones */

	struct ipv6_prefix p;
	assert_int_equal(unit_prefix6("fd00:110::/64", &p, &why), 0);
	assert_int_equal(p.len, 64);
	inet_pton(AF_INET6, "fd00:110::", want);
	assert_memory_equal(p.addr, want, 16);
	assert_int_equal(unit_prefix6("fd00::/129", &p, &why), -1);
	assert_string_equal(why, "prefix length must be 0..128");
	assert_int_equal(unit_prefix6("fd00::", &p, &why), -1);
	assert_string_equal(why, "expected a prefix like fd00:100::/64");
	assert_int_equal(unit_prefix6("10.0.0.0/8", &p, &why), -1);

	uint16_t port;
	assert_int_equal(unit_endpoint6("[fd00::4]:7000", a, &port, &why), 0);
	assert_int_equal(port, 7000);
	inet_pton(AF_INET6, "fd00::4", want);
	assert_memory_equal(a, want, 16);
	assert_int_equal(unit_endpoint6("fd00::4:7000", a, &port, &why), -1);
	assert_string_equal(why, "expected [ipv6]:port like [fd00:100::2]:7000");
	assert_int_equal(unit_endpoint6("[fd00::4]:0", a, &port, &why), -1);
	assert_string_equal(why, "port must be 1..65535");
	assert_int_equal(unit_endpoint6("[fd00::4]", a, &port, &why), -1);
}

/* ---------------- decode and validate ---------------- */

#define HEAD \
	"apiVersion: aspen/v1\n" \
	"name: d6\n" \
	"defaults: {kind: netns}\n"

static struct diag_list g_d;
static struct topology *g_t;

static int teardown(void **state)
{
	(void)state;
	topo_free(g_t);
	g_t = NULL;
	diag_clear(&g_d);
	return 0;
}

static struct topology *load(const char *src)
{
	diag_init(&g_d, "d6.yaml");
	g_t = topo_load_buffer("d6.yaml", src, strlen(src), &g_d);
	return g_t;
}

/* Diagnostic i is sev at line:col with message msg. */
static void expect(size_t i, enum diag_severity sev, unsigned line, unsigned col, const char *msg)
{
	if (i >= g_d.n) {
		fprintf(stderr, "no diagnostic %zu (only %zu)\n", i, g_d.n);
		fail();
	}
	const struct diag *d = &g_d.v[i];
	if (d->sev != sev || d->pos.line != line || d->pos.col != col || strcmp(d->msg, msg) != 0) {
		fprintf(stderr, "diagnostic %zu: %s %u:%u %s\n   wanted: %s %u:%u %s\n", i,
			d->sev == DIAG_ERROR ? "error" : "warning", d->pos.line, d->pos.col, d->msg,
			sev == DIAG_ERROR ? "error" : "warning", line, col, msg);
		fail();
	}
}

static void dump_diags(void)
{
	for (size_t i = 0; i < g_d.n; i++)
		fprintf(stderr, "  %u:%u %s%s%s\n", g_d.v[i].pos.line, g_d.v[i].pos.col, g_d.v[i].msg,
			g_d.v[i].hint ? " -- " : "", g_d.v[i].hint ? g_d.v[i].hint : "");
}

static void expect_n(size_t n)
{
	if (g_d.n != n) {
		fprintf(stderr, "%zu diagnostics, wanted %zu:\n", g_d.n, n);
		dump_diags();
		fail();
	}
}

static const char dual[] = HEAD
	"networks:\n"
	"  lan: {subnet: 10.110.0.0/24, gateway: 10.110.0.1, subnet6: \"fd00:110::/64\", "
	"gateway6: \"fd00:110::1\"}\n"
	"nodes:\n"
	"  n1:\n"
	"    interfaces: [{network: lan, ip: 10.110.0.2, ip6: \"fd00:110::2\"}]\n"
	"    command: [sleep, infinity]\n"
	"    health: {ping: \"fd00:110::1\", tcp: \"[fd00:110::2]:7000\"}\n"
	"  n2:\n"
	"    interfaces: [{network: lan, ip6: \"fd00:110::3\"}]\n";

static void test_decode_dual_stack(void **state)
{
	(void)state;
	struct topology *t = load(dual);
	expect_n(0);
	uint8_t want[16];
	const struct topo_network *w = &t->networks[0];
	assert_true(w->has_subnet6 && w->has_gateway6);
	assert_int_equal(w->subnet6.len, 64);
	inet_pton(AF_INET6, "fd00:110::1", want);
	assert_memory_equal(w->gateway6, want, 16);
	const struct topo_node *n1 = &t->nodes[0];
	assert_true(n1->ifaces[0].has_ip && n1->ifaces[0].has_ip6);
	assert_true(n1->health.has_ping && n1->health.ping_v6);
	assert_memory_equal(n1->health.ping_ip6, want, 16);
	assert_true(n1->health.has_tcp && n1->health.tcp_v6);
	assert_int_equal(n1->health.tcp_port, 7000);
	assert_true(!t->nodes[1].ifaces[0].has_ip && t->nodes[1].ifaces[0].has_ip6);
}

static void test_decode_bad_values(void **state)
{
	(void)state;
	load(HEAD
	     "networks:\n"
	     "  lan: {subnet: 10.1.0.0/24, subnet6: \"fd00::/200\", gateway6: 10.1.0.1}\n"
	     "nodes:\n"
	     "  n1: {interfaces: [{network: lan, ip6: \"fd00::zz\"}], health: {tcp: \"fd00::2:80\"}}\n");
	assert_true(g_d.n_errors >= 4);
	expect(0, DIAG_ERROR, 5, 39, "expected an IPv6 subnet like fd00:100::/64, got \"fd00::/200\" "
	       "(prefix length must be 0..128)");
}

static void test_subnet6_rules(void **state)
{
	(void)state;
	load(HEAD
	     "networks:\n"
	     "  a: {subnet: 10.1.0.0/24, subnet6: \"fd00:1::1/64\"}\n"       /* host bits */
	     "  b: {subnet: 10.2.0.0/24, subnet6: \"fd00::/16\"}\n"          /* too short */
	     "  c: {subnet: 10.3.0.0/24, subnet6: \"fe80::/64\"}\n"          /* link-local */
	     "  d: {subnet: 10.4.0.0/24, subnet6: \"ff02::/64\"}\n"          /* multicast */
	     "  e: {subnet: 10.5.0.0/24, subnet6: \"::/96\"}\n"              /* ::/8 */
	     "  f: {subnet: 10.6.0.0/24, subnet6: \"fd00:6::/64\"}\n"
	     "  g: {subnet: 10.7.0.0/24, subnet6: \"fd00:6::/48\"}\n"        /* overlaps f */
	     "nodes:\n"
	     "  n1: {}\n");
	expect_n(6);
}

static void test_subnet6_messages(void **state)
{
	(void)state;
	load(HEAD
	     "networks:\n"
	     "  a: {subnet: 10.1.0.0/24, subnet6: \"fd00:1::1/64\"}\n"
	     "  b: {subnet: 10.2.0.0/24, subnet6: \"fd00::/16\"}\n"
	     "  c: {subnet: 10.3.0.0/24, subnet6: \"fe80::/64\"}\n"
	     "  f: {subnet: 10.6.0.0/24, subnet6: \"fd00:6::/64\"}\n"
	     "  g: {subnet: 10.7.0.0/24, subnet6: \"fd00:6::/48\"}\n"
	     "nodes:\n"
	     "  n1: {}\n");
	diag_sort(&g_d);
	expect_n(4);
	expect(0, DIAG_ERROR, 5, 37, "subnet6 fd00:1::1/64 has host bits set");
	assert_string_equal(g_d.v[0].hint, "did you mean fd00:1::/64?");
	expect(1, DIAG_ERROR, 6, 37, "subnet6 fd00::/16 of network b is shorter than /32: it would "
	       "take over large parts of the host's IPv6 routing");
	expect(2, DIAG_ERROR, 7, 37, "subnet6 fe80::/64 of network c is link-local (fe80::/10): "
	       "every interface already has its own link-local address there");
	expect(3, DIAG_ERROR, 9, 37, "subnet6 fd00:6::/48 of network g overlaps fd00:6::/64 of "
	       "network f (at 8:37)");
	assert_string_equal(g_d.v[3].path, "networks.g.subnet6");
}

static void test_gateway6_and_ip6_rules(void **state)
{
	(void)state;
	load(HEAD
	     "networks:\n"
	     "  lan: {subnet: 10.1.0.0/24, subnet6: \"fd00:1::/64\", gateway6: \"fd00:2::1\"}\n"
	     "  v4only: {subnet: 10.2.0.0/24, gateway6: \"fd00:3::1\"}\n"
	     "  any: {subnet: 10.3.0.0/24, subnet6: \"fd00:4::/64\", gateway6: \"fd00:4::\"}\n"
	     "nodes:\n"
	     "  n1: {interfaces: [{network: lan, ip6: \"fd00:9::2\"}, {network: v4only, ip6: \"fd00:3::2\"}]}\n"
	     "  n2: {interfaces: [{network: any, ip6: \"fd00:4::\"}]}\n"
	     "  n3: {interfaces: [{network: lan, ip6: \"fd00:1::7\"}]}\n"
	     "  n4: {interfaces: [{network: lan, ip6: \"fd00:1::7\"}]}\n");
	diag_sort(&g_d);
	for (size_t i = 0; i < g_d.n; i++)
		assert_int_equal(g_d.v[i].sev, DIAG_ERROR);
	expect_n(7);
	expect(0, DIAG_ERROR, 5, 64, "gateway6 fd00:2::1 is outside the subnet6 fd00:1::/64");
	expect(1, DIAG_ERROR, 6, 43, "gateway6 fd00:3::1 needs an IPv6 subnet: network v4only has "
	       "no subnet6");
	expect(2, DIAG_ERROR, 7, 64, "gateway6 fd00:4:: is the subnet-router anycast address of "
	       "fd00:4::/64");
	expect(3, DIAG_ERROR, 9, 41, "address fd00:9::2 is outside network lan (fd00:1::/64)");
	expect(4, DIAG_ERROR, 9, 78, "address fd00:3::2 needs an IPv6 subnet: network v4only has "
	       "no subnet6");
	expect(5, DIAG_ERROR, 10, 41, "address fd00:4:: is the subnet-router anycast address of "
	       "any (fd00:4::/64)");
	expect(6, DIAG_ERROR, 12, 41, "address fd00:1::7 is already used by n3.eth0 (at 11:41)");
	assert_string_equal(g_d.v[6].path, "nodes.n4.interfaces[0].ip6");
}

static void test_ip6_is_gateway_and_health_warning(void **state)
{
	(void)state;
	load(HEAD
	     "networks:\n"
	     "  lan: {subnet: 10.1.0.0/24, subnet6: \"fd00:1::/127\", gateway6: \"fd00:1::\"}\n"
	     "nodes:\n"
	     "  n1:\n"
	     "    interfaces: [{network: lan, ip6: \"fd00:1::\"}]\n"
	     "    health: {ping: \"fd00:99::1\"}\n"
	     "  n2:\n"
	     "    health: {ping: \"::1\", tcp: \"[fd00:1::]:80\"}\n");
	diag_sort(&g_d);
	expect_n(2);
	/* /127: no anycast address, so fd00:1:: may be the gateway */
	expect(0, DIAG_ERROR, 8, 38, "address fd00:1:: is the gateway6 of lan");
	assert_string_equal(g_d.v[0].hint, "use an address of fd00:1::/127 such as fd00:1::1");
	expect(1, DIAG_WARNING, 9, 20, "health check address fd00:99::1 is not an address of this "
	       "topology; netns node n1 may not reach it");
}

/* ---------------- lowering ---------------- */

static const char *prop(const struct res_list *l, const char *id, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].id, id) == 0)
			return res_get(&l->v[i], key);
	return NULL;
}

static bool has_dep(const struct res_list *l, const char *id, const char *dep)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].id, id) == 0)
			for (size_t k = 0; k < l->v[i].n_deps; k++)
				if (strcmp(l->v[i].deps[k], dep) == 0)
					return true;
	return false;
}

static void test_lower_dual_stack(void **state)
{
	(void)state;
	struct topology *t = load(dual);
	expect_n(0);
	struct res_list l = {0};
	topo_lower(t, &l);
	assert_string_equal(prop(&l, "addr6/lan", "address"), "fd00:110::1/64");
	assert_string_equal(prop(&l, "addr/lan", "address"), "10.110.0.1/24");
	assert_string_equal(prop(&l, "addr6/n1.eth0", "address"), "fd00:110::2/64");
	assert_string_equal(prop(&l, "addr6/n1.eth0", "dev"), "eth0");
	assert_string_equal(prop(&l, "addr6/n2.eth0", "address"), "fd00:110::3/64");
	assert_null(prop(&l, "addr/n2.eth0", "address"));
	assert_string_equal(prop(&l, "route6/n1", "gateway"), "fd00:110::1");
	assert_string_equal(prop(&l, "route/n1", "gateway"), "10.110.0.1");
	assert_string_equal(prop(&l, "route6/n2", "gateway"), "fd00:110::1");
	assert_null(prop(&l, "route/n2", "gateway"));
	assert_true(has_dep(&l, "route6/n1", "addr6/n1.eth0"));
	assert_true(has_dep(&l, "process/n1", "route6/n1"));
	assert_true(has_dep(&l, "process/n1", "addr6/n1.eth0"));
	for (size_t i = 0; i < l.n; i++)
		if (strncmp(l.v[i].id, "addr6/", 6) == 0)
			assert_int_equal(l.v[i].kind, RES_ADDR);
		else if (strncmp(l.v[i].id, "route6/", 7) == 0)
			assert_int_equal(l.v[i].kind, RES_ROUTE);
	const char *env = prop(&l, "process/n1", "env");
	assert_non_null(strstr(env, "\"ASPEN_NODE_IP6\":\"fd00:110::2\""));
	assert_non_null(strstr(env, "\"ASPEN_NODE_IP\":\"10.110.0.2\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units_ipv6),
		cmocka_unit_test_teardown(test_decode_dual_stack, teardown),
		cmocka_unit_test_teardown(test_decode_bad_values, teardown),
		cmocka_unit_test_teardown(test_subnet6_rules, teardown),
		cmocka_unit_test_teardown(test_subnet6_messages, teardown),
		cmocka_unit_test_teardown(test_gateway6_and_ip6_rules, teardown),
		cmocka_unit_test_teardown(test_ip6_is_gateway_and_health_warning, teardown),
		cmocka_unit_test_teardown(test_lower_dual_stack, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

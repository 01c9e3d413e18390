/* test_validate.c — every semantic check of topo_validate(), one test each.
 *
 * The decoder lives on another branch, so topologies are built by hand with
 * the small builder below. Each item gets its own line and each field a
 * fixed column (network subnet at col 12, interface ip at col 30, fault
 * action key at col 27, ...), so asserting the position also asserts that
 * the diagnostic points at the right key. Every test asserts the exact
 * message, path, position and hint. */
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compiler/compile.h"
#include "compiler/names.h"

#define S 1000000ull            /* one second in microseconds */
#define NO_FOR UINT64_MAX

/* ------------------------------------------------------------ builder */

static unsigned g_line;

enum { COL_NET_SUBNET = 12, COL_NET_GW = 30, COL_NET_BRIDGE = 50,
       COL_IF_NET = 17, COL_IF_IP = 30, COL_IF_MAC = 45,
       COL_F_AT = 9, COL_F_FOR = 18, COL_F_KIND = 27, COL_F_TGT = 40 };

static uint32_t ip(const char *s)
{
	unsigned a, b, c, d;
	assert_int_equal(sscanf(s, "%u.%u.%u.%u", &a, &b, &c, &d), 4);
	return a << 24 | b << 16 | c << 8 | d;
}

static struct topology *tb_topo(const char *name, size_t max_nodes)
{
	struct topology *t = calloc(1, sizeof *t);
	assert_non_null(t);
	arena_init(&t->arena);
	t->name = name;
	t->name_pos = (struct pos){ 2, 7 };
	t->networks = arena_array(&t->arena, 16, sizeof *t->networks);
	t->nodes = arena_array(&t->arena, max_nodes, sizeof *t->nodes);
	t->faults = arena_array(&t->arena, 64, sizeof *t->faults);
	g_line = 10;
	return t;
}

static struct topo_network *tb_net(struct topology *t, const char *name, const char *addr,
				   unsigned len, const char *gw)
{
	struct topo_network *w = &t->networks[t->n_networks++];
	unsigned l = g_line++;
	w->name = name;
	w->pos = (struct pos){ l, 3 };
	w->has_subnet = true;
	w->subnet = (struct ipv4_prefix){ ip(addr), (uint8_t)len };
	w->subnet_pos = (struct pos){ l, COL_NET_SUBNET };
	if (gw) {
		w->has_gateway = true;
		w->gateway = ip(gw);
		w->gateway_pos = (struct pos){ l, COL_NET_GW };
	}
	w->bridge_pos = (struct pos){ l, COL_NET_BRIDGE };
	return w;
}

static struct topo_node *tb_node(struct topology *t, const char *name, enum node_kind kind)
{
	struct topo_node *nd = &t->nodes[t->n_nodes++];
	nd->name = name;
	nd->pos = (struct pos){ g_line++, 3 };
	nd->kind = kind;
	nd->cpus = 1;
	nd->memory = 512ull << 20;
	if (kind == NODE_VM)
		nd->kernel = "/images/vmlinux";
	nd->ifaces = arena_array(&t->arena, 8, sizeof *nd->ifaces);
	return nd;
}

static struct topo_iface *tb_iface(struct topo_node *nd, const char *net, const char *addr)
{
	assert_true(nd->n_ifaces < 8);
	struct topo_iface *f = &nd->ifaces[nd->n_ifaces++];
	unsigned l = g_line++;
	f->pos = (struct pos){ l, 7 };
	f->network = net;
	f->network_pos = (struct pos){ l, COL_IF_NET };
	if (addr) {
		f->has_ip = true;
		f->ip = ip(addr);
		f->ip_pos = (struct pos){ l, COL_IF_IP };
	}
	f->mac_pos = (struct pos){ l, COL_IF_MAC };
	return f;
}

static void tb_mac(struct topo_iface *f, uint8_t last, uint8_t first)
{
	f->has_mac = true;
	memset(f->mac, 0, 6);
	f->mac[0] = first;
	f->mac[5] = last;
}

static struct topo_fault *tb_fault(struct topology *t, enum fault_kind kind, uint64_t at_s,
				   uint64_t for_s)
{
	struct topo_fault *f = &t->faults[t->n_faults];
	unsigned l = g_line++;
	f->index = t->n_faults++;
	f->pos = (struct pos){ l, 5 };
	f->at_us = at_s * S;
	f->at_pos = (struct pos){ l, COL_F_AT };
	if (for_s != NO_FOR) {
		f->has_for = true;
		f->for_us = for_s * S;
		f->for_pos = (struct pos){ l, COL_F_FOR };
	}
	f->kind = kind;
	f->kind_pos = (struct pos){ l, COL_F_KIND };
	if (kind == FAULT_PARTITION) {
		f->u.partition.groups = arena_array(&t->arena, 4, sizeof(struct target_list));
		for (int g = 0; g < 4; g++)
			f->u.partition.groups[g].v = arena_array(&t->arena, 16, sizeof(struct fault_target));
	} else {
		struct target_list *l2 = kind == FAULT_LINK_DOWN ? &f->u.link.targets
					 : kind >= FAULT_KILL ? &f->u.node.targets
					 : &f->u.impair.targets;
		l2->v = arena_array(&t->arena, 16, sizeof(struct fault_target));
	}
	return f;
}

static struct target_list *tb_list(struct topo_fault *f)
{
	switch (f->kind) {
	case FAULT_LINK_DOWN: return &f->u.link.targets;
	case FAULT_KILL: case FAULT_PAUSE: case FAULT_RESUME: case FAULT_START:
	case FAULT_RESTART: case FAULT_REBOOT: return &f->u.node.targets;
	default: return &f->u.impair.targets;
	}
}

/* Add target "node" or "node.iface" to list l of fault f. */
static struct fault_target *tb_target_in(struct topology *t, struct topo_fault *f,
					 struct target_list *l, const char *spec)
{
	struct fault_target *tg = &l->v[l->n];
	const char *dot = strchr(spec, '.');
	tg->node = dot ? arena_strndup(&t->arena, spec, (size_t)(dot - spec)) : spec;
	tg->iface = dot ? dot + 1 : NULL;
	tg->pos = (struct pos){ f->kind_pos.line, COL_F_TGT + 10 * (unsigned)l->n };
	l->n++;
	return tg;
}

static struct fault_target *tb_target(struct topology *t, struct topo_fault *f, const char *spec)
{
	return tb_target_in(t, f, tb_list(f), spec);
}

/* Partition group g (created on first use), targets appended. */
static struct fault_target *tb_side(struct topology *t, struct topo_fault *f, size_t g,
				    const char *spec)
{
	if (f->u.partition.n_groups <= g)
		f->u.partition.n_groups = g + 1;
	struct target_list *l = &f->u.partition.groups[g];
	struct fault_target *tg = tb_target_in(t, f, l, spec);
	/* Distinct columns across groups: 40, 50, ... then 100 + ... */
	tg->pos.col += 60 * (unsigned)g;
	return tg;
}

/* The reference topology: no diagnostics. */
static struct topology *base(void)
{
	struct topology *t = tb_topo("cluster3", 16);
	tb_net(t, "lan", "10.100.0.0", 24, "10.100.0.1");
	tb_iface(tb_node(t, "node1", NODE_VM), "lan", "10.100.0.2");
	tb_iface(tb_node(t, "node2", NODE_VM), "lan", "10.100.0.3");
	return t;
}

/* ------------------------------------------------------------ checking */

static struct diag_list g_d;

static struct diag_list *run(struct topology *t)
{
	diag_clear(&g_d);
	diag_init(&g_d, "t.yaml");
	topo_validate(t, &g_d);
	return &g_d;
}

static void expect_n(const struct diag_list *d, size_t n)
{
	if (d->n != n) {
		fprintf(stderr, "expected %zu diagnostics, got %zu:\n", n, d->n);
		diag_print(d, stderr, DIAG_TEXT, false);
	}
	assert_int_equal(d->n, n);
}

static void expect(const struct diag_list *d, size_t i, enum diag_severity sev, struct pos p,
		   const char *path, const char *msg, const char *hint)
{
	assert_true(i < d->n);
	const struct diag *g = &d->v[i];
	assert_string_equal(g->msg, msg);
	assert_int_equal(g->sev, sev);
	assert_int_equal(g->pos.line, p.line);
	assert_int_equal(g->pos.col, p.col);
	assert_non_null(g->path);
	assert_string_equal(g->path, path);
	if (hint) {
		assert_non_null(g->hint);
		assert_string_equal(g->hint, hint);
	} else {
		assert_null(g->hint);
	}
}

static int teardown(void **state)
{
	topo_free(*state);
	*state = NULL;
	diag_clear(&g_d);
	return 0;
}

#define E DIAG_ERROR
#define W DIAG_WARNING
#define AT(l, c) ((struct pos){ (l), (c) })

/* ------------------------------------------------- clean + derived fields */

static void test_clean_and_derived(void **state)
{
	struct topology *t = *state = base();
	tb_node(t, "web", NODE_NETNS);
	struct topo_fault *f = tb_fault(t, FAULT_LATENCY, 5, 5);
	f->u.impair.delay_us = 100000;
	tb_target(t, f, "node2.eth0");
	struct topo_fault *k = tb_fault(t, FAULT_KILL, 30, NO_FOR);
	tb_target(t, k, "node2");
	expect_n(run(t), 0);
	assert_string_equal(t->networks[0].bridge_name, "as-112c-lan");
	assert_string_equal(t->nodes[0].netns_name, "aspen-cluster3-node1");
	assert_int_equal(t->nodes[1].ifaces[0].network_idx, 0);
	assert_string_equal(t->nodes[1].ifaces[0].name, "eth0");
	assert_string_equal(t->nodes[1].ifaces[0].host_name, "as-112c-node2-0");
	uint8_t m[6];
	names_mac(m, "cluster3", "node2", 0);
	assert_memory_equal(t->nodes[1].ifaces[0].eff_mac, m, 6);
	assert_int_equal(f->u.impair.targets.v[0].node_idx, 1);
	assert_int_equal(f->u.impair.targets.v[0].iface_idx, 0);
	assert_int_equal(k->u.node.targets.v[0].node_idx, 1);
}

/* ------------------------------------------------------------------ names */

static void test_bad_names(void **state)
{
	struct topology *t = *state = base();
	t->name = "Cluster3";
	t->networks[0].name = "-lan";
	t->nodes[0].ifaces[0].network = "-lan";
	t->nodes[1].ifaces[0].network = "-lan";
	tb_node(t, "web_", NODE_NETNS);
	const char *hint = "use a-z, 0-9, `-` and `_`, starting and ending with a letter or "
			   "digit: names become part of kernel object names";
	struct diag_list *d = run(t);
	expect_n(d, 3);
	expect(d, 0, E, AT(2, 7), "name", "topology name \"Cluster3\" is not a valid name", hint);
	expect(d, 1, E, t->networks[0].pos, "networks.-lan", "network name \"-lan\" is not a valid name", hint);
	expect(d, 2, E, t->nodes[2].pos, "nodes.web_", "node name \"web_\" is not a valid name", hint);
}

static void test_name_too_long(void **state)
{
	struct topology *t = *state = base();
	const char *n33 = "abcdefghijabcdefghijabcdefghij-33";
	tb_node(t, n33, NODE_NETNS);
	struct diag_list *d = run(t);
	expect_n(d, 1);
	expect(d, 0, E, t->nodes[2].pos, "nodes.abcdefghijabcdefghijabcdefghij-33",
	       "node name \"abcdefghijabcdefghijabcdefghij-33\" is 33 bytes long; at most 32 are allowed",
	       NULL);
	/* 32 bytes are fine. */
	t->nodes[2].name = "abcdefghijabcdefghijabcdefghij32";
	expect_n(run(t), 0);
}

static void test_fault_labels(void **state)
{
	struct topology *t = *state = base();
	struct topo_fault *a = tb_fault(t, FAULT_KILL, 1, NO_FOR);
	tb_target(t, a, "node1");
	a->label = "split";
	struct topo_fault *b = tb_fault(t, FAULT_START, 2, NO_FOR);
	tb_target(t, b, "node1");
	b->label = "split";
	struct topo_fault *c = tb_fault(t, FAULT_KILL, 3, NO_FOR);
	tb_target(t, c, "node2");
	c->label = "Bad Label";
	struct diag_list *d = run(t);
	expect_n(d, 2);
	expect(d, 0, E, c->pos, "faults[2].name", "fault name \"Bad Label\" is not a valid name",
	       "use a-z, 0-9, `-` and `_`, starting and ending with a letter or "
	       "digit: names become part of kernel object names");
	char msg[120];
	snprintf(msg, sizeof msg, "fault name \"split\" is already used by faults[0] (at %u:5)",
		 a->pos.line);
	expect(d, 1, E, b->pos, "faults[1].name", msg, NULL);
}

/* ------------------------------------------------------- networks, addresses */

static void test_undefined_network(void **state)
{
	struct topology *t = *state = base();
	struct topo_iface *f = &t->nodes[1].ifaces[0];
	f->network = "lann";
	struct diag_list *d = run(t);
	expect_n(d, 1);
	expect(d, 0, E, f->network_pos, "nodes.node2.interfaces[0].network",
	       "network \"lann\" is not defined", "did you mean `lan`?");
	assert_true(f->network_idx == SIZE_MAX);
}

static void test_undefined_network_none_defined(void **state)
{
	struct topology *t = *state = tb_topo("c", 4);
	struct topo_iface *f = tb_iface(tb_node(t, "a", NODE_NETNS), "lan", NULL);
	struct diag_list *d = run(t);
	expect_n(d, 1);
	expect(d, 0, E, f->network_pos, "nodes.a.interfaces[0].network",
	       "network \"lan\" is not defined", "define it under `networks:`");
}

static void test_ip_outside_subnet(void **state)
{
	struct topology *t = *state = base();
	struct topo_iface *f = &t->nodes[1].ifaces[0];
	f->ip = ip("10.1.0.3");
	struct diag_list *d = run(t);
	expect_n(d, 1);
	expect(d, 0, E, f->ip_pos, "nodes.node2.interfaces[0].ip",
	       "address 10.1.0.3 is outside network lan (10.100.0.0/24)",
	       "use an address between 10.100.0.2 and 10.100.0.254");
}

static void test_ip_special(void **state)
{
	struct topology *t = *state = base();
	t->nodes[0].ifaces[0].ip = ip("10.100.0.0");
	t->nodes[1].ifaces[0].ip = ip("10.100.0.255");
	struct topo_iface *g = tb_iface(tb_node(t, "node3", NODE_NETNS), "lan", "10.100.0.1");
	const char *h = "use an address between 10.100.0.2 and 10.100.0.254";
	struct diag_list *d = run(t);
	expect_n(d, 3);
	expect(d, 0, E, t->nodes[0].ifaces[0].ip_pos, "nodes.node1.interfaces[0].ip",
	       "address 10.100.0.0 is the network address of lan (10.100.0.0/24)", h);
	expect(d, 1, E, t->nodes[1].ifaces[0].ip_pos, "nodes.node2.interfaces[0].ip",
	       "address 10.100.0.255 is the broadcast address of lan (10.100.0.0/24)", h);
	expect(d, 2, E, g->ip_pos, "nodes.node3.interfaces[0].ip",
	       "address 10.100.0.1 is the gateway of lan", h);
}

/* /31 (RFC 3021) and /32 have no network or broadcast address. */
static void test_ip_point_to_point(void **state)
{
	struct topology *t = *state = tb_topo("c", 4);
	tb_net(t, "p2p", "10.9.0.0", 31, NULL);
	tb_iface(tb_node(t, "a", NODE_NETNS), "p2p", "10.9.0.0");
	tb_iface(tb_node(t, "b", NODE_NETNS), "p2p", "10.9.0.1");
	expect_n(run(t), 0);
}

static void test_gateway_in_middle_hint(void **state)
{
	struct topology *t = *state = base();
	t->networks[0].gateway = ip("10.100.0.100");
	t->nodes[1].ifaces[0].ip = ip("10.100.0.100");
	struct diag_list *d = run(t);
	expect_n(d, 1);
	expect(d, 0, E, t->nodes[1].ifaces[0].ip_pos, "nodes.node2.interfaces[0].ip",
	       "address 10.100.0.100 is the gateway of lan",
	       "use an address between 10.100.0.1 and 10.100.0.254 other than the gateway 10.100.0.100");
}

static void test_gateway_checks(void **state)
{
	struct topology *t = *state = tb_topo("c", 4);
	struct topo_network *a = tb_net(t, "a", "10.1.0.0", 24, "10.2.0.1");
	struct topo_network *b = tb_net(t, "b", "10.3.0.0", 24, "10.3.0.0");
	struct topo_network *c = tb_net(t, "c", "10.4.0.0", 24, "10.4.0.255");
	struct diag_list *d = run(t);
	expect_n(d, 3);
	expect(d, 0, E, a->gateway_pos, "networks.a.gateway",
	       "gateway 10.2.0.1 is outside the subnet 10.1.0.0/24",
	       "use an address between 10.1.0.1 and 10.1.0.254");
	expect(d, 1, E, b->gateway_pos, "networks.b.gateway",
	       "gateway 10.3.0.0 is the network address of 10.3.0.0/24",
	       "use an address between 10.3.0.1 and 10.3.0.254");
	expect(d, 2, E, c->gateway_pos, "networks.c.gateway",
	       "gateway 10.4.0.255 is the broadcast address of 10.4.0.0/24",
	       "use an address between 10.4.0.1 and 10.4.0.254");
}

static void test_subnet_host_bits(void **state)
{
	struct topology *t = *state = base();
	t->networks[0].subnet.addr = ip("10.100.0.5");
	struct diag_list *d = run(t);
	expect_n(d, 1);
	expect(d, 0, E, t->networks[0].subnet_pos, "networks.lan.subnet",
	       "subnet 10.100.0.5/24 has host bits set", "did you mean 10.100.0.0/24?");
}

static void test_overlapping_subnets(void **state)
{
	struct topology *t = *state = base();
	struct topo_network *b = tb_net(t, "b", "10.100.0.128", 25, NULL);
	tb_net(t, "c", "10.101.0.0", 24, NULL);         /* disjoint: fine */
	struct diag_list *d = run(t);
	expect_n(d, 1);
	char m[160];
	snprintf(m, sizeof m, "subnet 10.100.0.128/25 of network b overlaps 10.100.0.0/24 of "
		 "network lan (at %u:12)", t->networks[0].subnet_pos.line);
	expect(d, 0, E, b->subnet_pos, "networks.b.subnet", m, NULL);

	/* A /8 declared last covers all three: each overlap is reported at it. */
	struct topo_network *e = tb_net(t, "e", "10.0.0.0", 8, NULL);
	d = run(t);
	expect_n(d, 3);
	snprintf(m, sizeof m, "subnet 10.0.0.0/8 of network e overlaps 10.100.0.0/24 of "
		 "network lan (at %u:12)", t->networks[0].subnet_pos.line);
	expect(d, 0, E, e->subnet_pos, "networks.e.subnet", m, NULL);
	snprintf(m, sizeof m, "subnet 10.0.0.0/8 of network e overlaps 10.100.0.128/25 of "
		 "network b (at %u:12)", b->subnet_pos.line);
	expect(d, 1, E, e->subnet_pos, "networks.e.subnet", m, NULL);
	snprintf(m, sizeof m, "subnet 10.0.0.0/8 of network e overlaps 10.101.0.0/24 of "
		 "network c (at %u:12)", t->networks[2].subnet_pos.line);
	expect(d, 2, E, e->subnet_pos, "networks.e.subnet", m, NULL);
}

/* Subnets that would take over the host's routing or that no link may
 * carry are refused, each with its reason; the blocks' neighbours are fine. */
static void test_dangerous_subnets(void **state)
{
	static const struct { const char *addr; unsigned len; const char *is; } refused[] = {
		{ "0.0.0.0", 0, "the default route" },
		{ "0.0.0.0", 1, "shorter than /8" },
		{ "128.0.0.0", 1, "shorter than /8" },
		{ "64.0.0.0", 7, "shorter than /8" },
		{ "0.0.0.0", 8, "\"this network\" (0.0.0.0/8)" },
		{ "0.0.0.0", 30, "\"this network\" (0.0.0.0/8)" },
		{ "127.0.0.0", 8, "loopback (127.0.0.0/8)" },
		{ "127.255.255.0", 24, "loopback (127.0.0.0/8)" },
		{ "169.254.0.0", 16, "link-local (169.254.0.0/16)" },
		{ "169.254.169.254", 32, "link-local (169.254.0.0/16)" },
		{ "224.0.0.0", 8, "multicast (224.0.0.0/4)" },
		{ "239.255.255.255", 32, "multicast (224.0.0.0/4)" },
		{ "240.0.0.0", 8, "reserved (240.0.0.0/4" },
		{ "255.255.255.255", 32, "reserved (240.0.0.0/4" },
	};
	static const struct { const char *addr; unsigned len; } fine[] = {
		{ "1.0.0.0", 8 }, { "10.0.0.0", 8 }, { "126.255.255.0", 24 }, { "128.0.0.0", 8 },
		{ "169.253.255.0", 24 }, { "169.255.0.0", 16 }, { "172.16.0.0", 12 },
		{ "192.168.0.0", 16 }, { "223.255.255.252", 30 }, { "10.1.2.3", 32 },
	};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		struct topology *t = tb_topo("t", 1);
		struct topo_network *w = tb_net(t, "lan", refused[i].addr, refused[i].len, NULL);
		struct diag_list *d = run(t);
		expect_n(d, 1);
		char want[64];
		snprintf(want, sizeof want, "subnet %s/%u of network lan is %s", refused[i].addr,
			 refused[i].len, refused[i].is);
		if (strncmp(d->v[0].msg, want, strlen(want)) != 0)
			fail_msg("%s/%u: got \"%s\", want \"%s...\"", refused[i].addr,
				 refused[i].len, d->v[0].msg, want);
		assert_int_equal(d->v[0].sev, E);
		assert_int_equal(d->v[0].pos.line, w->subnet_pos.line);
		assert_int_equal(d->v[0].pos.col, w->subnet_pos.col);
		assert_string_equal(d->v[0].path, "networks.lan.subnet");
		assert_non_null(d->v[0].hint);
		assert_non_null(strstr(d->v[0].hint, "10.100.0.0/24"));
		topo_free(t);
	}
	for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
		struct topology *t = tb_topo("t", 1);
		tb_net(t, "lan", fine[i].addr, fine[i].len, NULL);
		struct diag_list *d = run(t);
		if (d->n)
			fail_msg("%s/%u: refused: %s", fine[i].addr, fine[i].len, d->v[0].msg);
		topo_free(t);
	}

	/* The whole message and hint, once. */
	struct topology *t = *state = tb_topo("t", 1);
	struct topo_network *w = tb_net(t, "lan", "0.0.0.0", 0, "10.0.0.1");
	struct diag_list *d = run(t);
	expect_n(d, 1);
	expect(d, 0, E, w->subnet_pos, "networks.lan.subnet",
	       "subnet 0.0.0.0/0 of network lan is the default route: it covers every IPv4 "
	       "address and would take over the host's routing",
	       "use a private range (RFC 1918: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16) with "
	       "room for the nodes, such as 10.100.0.0/24");
}

/* A subnet the decoder could not read (already reported there) is left
 * alone: it is not a /0 that overlaps everything. */
static void test_unread_subnet_quiet(void **state)
{
	struct topology *t = *state = tb_topo("t", 1);
	tb_net(t, "lan", "10.100.0.0", 24, NULL);
	tb_net(t, "bad", "0.0.0.0", 0, NULL)->has_subnet = false;
	expect_n(run(t), 0);
}

static void test_bridge_name(void **state)
{
	struct topology *t = *state = base();
	t->networks[0].bridge = "br-far-too-long-1";
	struct topo_network *b = tb_net(t, "b", "10.5.0.0", 24, NULL);
	b->bridge = "br:0";
	struct diag_list *d = run(t);
	expect_n(d, 2);
	expect(d, 0, E, t->networks[0].bridge_pos, "networks.lan.bridge",
	       "bridge name \"br-far-too-long-1\" is 17 bytes long; the kernel allows at most 15", NULL);
	expect(d, 1, E, b->bridge_pos, "networks.b.bridge",
	       "bridge name \"br:0\" may not contain '/', ':' or white space", NULL);
}

static void test_duplicate_ip(void **state)
{
	struct topology *t = *state = base();
	struct topo_iface *f = tb_iface(tb_node(t, "node3", NODE_VM), "lan", "10.100.0.2");
	struct topo_iface *g = tb_iface(tb_node(t, "node4", NODE_VM), "lan", "10.100.0.2");
	struct diag_list *d = run(t);
	expect_n(d, 2);
	char msg[120];
	snprintf(msg, sizeof msg, "address 10.100.0.2 is already used by node1.eth0 (at %u:30)",
		 t->nodes[0].ifaces[0].ip_pos.line);
	expect(d, 0, E, f->ip_pos, "nodes.node3.interfaces[0].ip", msg, NULL);
	expect(d, 1, E, g->ip_pos, "nodes.node4.interfaces[0].ip", msg, NULL);
}

static void test_duplicate_mac(void **state)
{
	struct topology *t = *state = base();
	tb_mac(&t->nodes[0].ifaces[0], 1, 0x02);
	struct topo_iface *f = &t->nodes[1].ifaces[0];
	tb_mac(f, 1, 0x02);
	/* A given MAC equal to another interface's generated one collides too. */
	struct topo_iface *g = tb_iface(tb_node(t, "node3", NODE_VM), "lan", "10.100.0.4");
	g->has_mac = true;
	names_mac(g->mac, "cluster3", "node1", 5);
	struct topo_iface *h = tb_iface(&t->nodes[0], "lan2", NULL);   /* eth1: generated */
	tb_net(t, "lan2", "10.200.0.0", 24, NULL);
	(void)h;
	t->nodes[0].n_ifaces = 1;       /* keep node1 at one interface for now */
	struct diag_list *d = run(t);
	expect_n(d, 1);
	char msg[120];
	snprintf(msg, sizeof msg, "MAC 02:00:00:00:00:01 is already used by node1.eth0 (at %u:45)",
		 t->nodes[0].ifaces[0].mac_pos.line);
	expect(d, 0, E, f->mac_pos, "nodes.node2.interfaces[0].mac", msg, NULL);
}

static void test_multicast_mac(void **state)
{
	struct topology *t = *state = base();
	struct topo_iface *f = &t->nodes[1].ifaces[0];
	tb_mac(f, 1, 0x01);
	struct diag_list *d = run(t);
	expect_n(d, 1);
	expect(d, 0, E, f->mac_pos, "nodes.node2.interfaces[0].mac",
	       "MAC 01:00:00:00:00:01 is a multicast address",
	       "the first byte must be even; 02:xx:xx:xx:xx:xx is a locally administered "
	       "unicast address");
}

static void test_two_ifaces_same_network(void **state)
{
	struct topology *t = *state = base();
	struct topo_iface *f = tb_iface(&t->nodes[0], "lan", "10.100.0.10");
	struct diag_list *d = run(t);
	expect_n(d, 1);
	expect(d, 0, W, f->network_pos, "nodes.node1.interfaces[1].network",
	       "node node1 has two interfaces on network lan (eth0 and eth1)",
	       "both sit on one bridge in one subnet, so the node's routing picks one of them; "
	       "use two networks unless that is the point");
	assert_false(diag_failed(d));
}

/* ------------------------------------------------------------------- nodes */

static void test_vm_needs_boot(void **state)
{
	struct topology *t = *state = base();
	t->nodes[1].kernel = NULL;
	tb_node(t, "web", NODE_NETNS);          /* netns nodes need neither */
	struct topo_node *fw = tb_node(t, "fw", NODE_VM);
	fw->kernel = NULL;
	fw->firmware = "/images/hypervisor-fw";
	struct diag_list *d = run(t);
	expect_n(d, 1);
	expect(d, 0, E, t->nodes[1].pos, "nodes.node2",
	       "VM node node2 has neither a kernel nor a firmware",
	       "set `kernel:` (direct boot) or `firmware:`, on the node or under `defaults:`");
}

static void test_vm_sizes(void **state)
{
	struct topology *t = *state = base();
	t->nodes[0].cpus = 0;
	t->nodes[1].cpus = 256;
	t->nodes[1].memory = 32ull << 20;
	struct topo_node *ok = tb_node(t, "node3", NODE_VM);
	ok->cpus = 255;
	ok->memory = 64ull << 20;
	struct diag_list *d = run(t);
	expect_n(d, 3);
	expect(d, 0, E, t->nodes[0].pos, "nodes.node1.cpus", "cpus must be between 1 and 255, not 0", NULL);
	expect(d, 1, E, t->nodes[1].pos, "nodes.node2.cpus", "cpus must be between 1 and 255, not 256", NULL);
	expect(d, 2, E, t->nodes[1].pos, "nodes.node2.memory", "memory 32M is below the minimum of 64M", NULL);
}

static void test_health_reach(void **state)
{
	struct topology *t = *state = base();
	struct topo_node *web = tb_node(t, "web", NODE_NETNS);
	tb_iface(web, "lan", "10.100.0.9");
	web->health.set = web->health.has_tcp = web->health.has_ping = true;
	web->health.tcp_ip = ip("192.168.1.5");
	web->health.tcp_port = 80;
	web->health.tcp_pos = AT(g_line, 20);
	web->health.ping_ip = ip("10.100.0.1");      /* the gateway: fine */
	web->health.ping_pos = AT(g_line, 40);
	struct topo_node *lo = tb_node(t, "lo", NODE_NETNS);
	lo->health.has_tcp = true;
	lo->health.tcp_ip = ip("127.0.0.1");
	lo->health.has_ping = true;
	lo->health.ping_ip = ip("10.100.0.3");      /* node2's address: fine */
	/* VM nodes are probed from the host: not checked. */
	t->nodes[0].health.has_tcp = true;
	t->nodes[0].health.tcp_ip = ip("192.168.1.5");
	struct diag_list *d = run(t);
	expect_n(d, 1);
	expect(d, 0, W, web->health.tcp_pos, "nodes.web.health.tcp",
	       "health check address 192.168.1.5 is not an address of this topology; "
	       "netns node web may not reach it",
	       "use 127.0.0.1, an address of a node, or a network's gateway");
}

/* ------------------------------------------------------------ fault targets */

static void test_undefined_node(void **state)
{
	struct topology *t = *state = base();
	struct topo_fault *f = tb_fault(t, FAULT_KILL, 30, NO_FOR);
	struct fault_target *tg = tb_target(t, f, "node4");
	struct fault_target *tg2 = tb_target(t, f, "zebra");
	struct diag_list *d = run(t);
	expect_n(d, 2);
	expect(d, 0, E, tg->pos, "faults[0].kill", "node \"node4\" is not defined", "did you mean `node1`?");
	expect(d, 1, E, tg2->pos, "faults[0].kill", "node \"zebra\" is not defined", NULL);
	assert_true(tg->node_idx == SIZE_MAX);
}

static void test_undefined_iface(void **state)
{
	struct topology *t = *state = base();
	tb_iface(&t->nodes[0], "lan2", NULL);
	tb_net(t, "lan2", "10.200.0.0", 24, NULL);
	struct topo_fault *f = tb_fault(t, FAULT_LINK_DOWN, 5, 5);
	struct fault_target *a = tb_target(t, f, "node1.eth3");
	struct fault_target *b = tb_target(t, f, "node2.eth1");
	struct fault_target *c = tb_target(t, f, "node1.wlan0");
	struct fault_target *ok = tb_target(t, f, "node1.eth1");
	struct diag_list *d = run(t);
	expect_n(d, 3);
	expect(d, 0, E, a->pos, "faults[0].link-down", "node node1 has no interface eth3", "node1 has eth0 to eth1");
	expect(d, 1, E, b->pos, "faults[0].link-down", "node node2 has no interface eth1", "node2 has only eth0");
	expect(d, 2, E, c->pos, "faults[0].link-down", "node node1 has no interface wlan0", "node1 has eth0 to eth1");
	assert_int_equal(ok->node_idx, 0);
	assert_int_equal(ok->iface_idx, 1);
}

static void test_node_action_on_iface(void **state)
{
	struct topology *t = *state = base();
	struct topo_fault *f = tb_fault(t, FAULT_PAUSE, 5, 1);
	struct fault_target *tg = tb_target(t, f, "node1.eth0");
	struct diag_list *d = run(t);
	expect_n(d, 1);
	expect(d, 0, E, tg->pos, "faults[0].pause", "pause acts on whole nodes; node1.eth0 is an interface",
	       "write `node1`");
}

static void test_reboot_netns(void **state)
{
	struct topology *t = *state = base();
	tb_node(t, "web", NODE_NETNS);
	struct topo_fault *f = tb_fault(t, FAULT_REBOOT, 5, NO_FOR);
	struct fault_target *tg = tb_target(t, f, "web");
	tb_target(t, f, "node1");
	struct diag_list *d = run(t);
	expect_n(d, 1);
	expect(d, 0, E, tg->pos, "faults[0].reboot", "reboot needs a VM node; web is a netns node",
	       "use `restart` for netns nodes");
}

/* ------------------------------------------------------------ for / percent */

static void test_for_not_revertible(void **state)
{
	struct topology *t = *state = base();
	static const enum fault_kind kinds[] = { FAULT_KILL, FAULT_START, FAULT_RESUME,
						 FAULT_RESTART, FAULT_REBOOT };
	/* Valid states in order: kill, start, (pause), resume, restart, reboot. */
	struct topo_fault *f[5];
	for (int i = 0; i < 5; i++) {
		if (kinds[i] == FAULT_RESUME)
			tb_target(t, tb_fault(t, FAULT_PAUSE, 25, NO_FOR), "node1");
		f[i] = tb_fault(t, kinds[i], 10 + 10 * (uint64_t)i, 1);
		tb_target(t, f[i], "node1");
	}
	struct diag_list *d = run(t);
	expect_n(d, 5);
	expect(d, 0, E, f[0]->for_pos, "faults[0].for", "kill cannot be reverted, so it takes no `for`",
	       "remove `for` and schedule a `start` of the node later");
	expect(d, 1, E, f[1]->for_pos, "faults[1].for", "start cannot be reverted, so it takes no `for`",
	       "remove `for`");
	expect(d, 2, E, f[2]->for_pos, "faults[3].for", "resume cannot be reverted, so it takes no `for`",
	       "remove `for`");
	expect(d, 3, E, f[3]->for_pos, "faults[4].for", "restart cannot be reverted, so it takes no `for`",
	       "remove `for`");
	expect(d, 4, E, f[4]->for_pos, "faults[5].for", "reboot cannot be reverted, so it takes no `for`",
	       "remove `for`");
}

static void test_for_zero(void **state)
{
	struct topology *t = *state = base();
	struct topo_fault *f = tb_fault(t, FAULT_LATENCY, 5, 0);
	f->u.impair.delay_us = 1000;
	tb_target(t, f, "node1");
	struct diag_list *d = run(t);
	expect_n(d, 1);
	expect(d, 0, E, f->for_pos, "faults[0].for", "`for: 0` reverts the fault the moment it is applied",
	       "remove `for` to keep the fault until the end, or give a positive duration");
}

static void test_percent_range(void **state)
{
	struct topology *t = *state = base();
	struct topo_fault *f = tb_fault(t, FAULT_LOSS, 5, 5);
	tb_target(t, f, "node1");
	f->u.impair.percent = 150;
	f->u.impair.correlation = -1;
	struct diag_list *d = run(t);
	expect_n(d, 2);
	expect(d, 0, E, f->kind_pos, "faults[0].loss.percent", "percent 150 is outside 0..100", NULL);
	expect(d, 1, E, f->kind_pos, "faults[0].loss.correlation", "correlation -1 is outside 0..100", NULL);
}

static void test_jitter_over_delay(void **state)
{
	struct topology *t = *state = base();
	struct topo_fault *f = tb_fault(t, FAULT_LATENCY, 5, 5);
	tb_target(t, f, "node1");
	f->u.impair.delay_us = 10000;
	f->u.impair.jitter_us = 20000;
	struct diag_list *d = run(t);
	expect_n(d, 1);
	expect(d, 0, W, f->kind_pos, "faults[0].latency.jitter", "jitter 20ms is larger than delay 10ms",
	       "netem clamps negative delays to zero, which skews the distribution; use a jitter "
	       "of at most 10ms");
}

/* -------------------------------------------------------------- partitions */

static void test_partition_groups(void **state)
{
	struct topology *t = *state = base();
	struct topo_fault *one = tb_fault(t, FAULT_PARTITION, 5, 5);
	tb_side(t, one, 0, "node1");
	one->u.partition.n_groups = 3;          /* [[node1], [], []] */
	struct diag_list *d = run(t);
	expect_n(d, 1);
	expect(d, 0, E, one->kind_pos, "faults[0].partition",
	       "a partition needs at least 2 non-empty groups, this one has 1",
	       "list the sides as `[[a, b], [c]]`, or use `{isolate: a}`");
}

static void test_partition_node_in_two_groups(void **state)
{
	struct topology *t = *state = base();
	tb_iface(tb_node(t, "node3", NODE_VM), "lan", "10.100.0.4");
	struct topo_fault *f = tb_fault(t, FAULT_PARTITION, 5, 5);
	struct fault_target *a = tb_side(t, f, 0, "node1");
	tb_side(t, f, 0, "node2");
	tb_side(t, f, 1, "node3");
	struct fault_target *b = tb_side(t, f, 1, "node1");
	struct fault_target *c = tb_side(t, f, 2, "node2.eth0");
	struct diag_list *d = run(t);
	expect_n(d, 2);
	char m1[120], m2[120];
	snprintf(m1, sizeof m1, "node1 in group 1 overlaps node1 in group 0 (at %u:%u)", a->pos.line, a->pos.col);
	snprintf(m2, sizeof m2, "node2.eth0 in group 2 overlaps node2 in group 0 (at %u:%u)",
		 f->u.partition.groups[0].v[1].pos.line, f->u.partition.groups[0].v[1].pos.col);
	const char *h = "a node or interface can be on one side of a partition only";
	expect(d, 0, E, b->pos, "faults[0].partition", m1, h);
	expect(d, 1, E, c->pos, "faults[0].partition", m2, h);
}

/* partition: [node1, node2] with node3 left out is an error with the fix;
 * the same flat list naming every node, and nested lists, are fine. */
static void test_partition_flat(void **state)
{
	struct topology *t = *state = base();
	tb_iface(tb_node(t, "node3", NODE_VM), "lan", "10.100.0.4");
	struct topo_fault *f = tb_fault(t, FAULT_PARTITION, 5, 5);
	tb_side(t, f, 0, "node1");
	tb_side(t, f, 1, "node2");
	f->u.partition.flat = true;
	struct topo_fault *all = tb_fault(t, FAULT_PARTITION, 20, 5);
	tb_side(t, all, 0, "node1");
	tb_side(t, all, 1, "node2");
	tb_side(t, all, 2, "node3.eth0");
	all->u.partition.flat = true;
	struct topo_fault *nested = tb_fault(t, FAULT_PARTITION, 40, 5);
	tb_side(t, nested, 0, "node1");
	tb_side(t, nested, 1, "node2");      /* [[node1], [node2]]: said on purpose */
	struct diag_list *d = run(t);
	expect_n(d, 1);
	expect(d, 0, E, f->kind_pos, "faults[0].partition",
	       "a flat list makes each node a group of its own ([node1], [node2]) and leaves node3 "
	       "out of the partition",
	       "write the groups as lists: `[[node1], [node2, node3]]` to cut node1 from the "
	       "others, `[[node1], [node2]]` if node3 should stay untouched, or `{isolate: node1}`");
}

static void test_partition_interfaces_split(void **state)
{
	/* Two interfaces of one node on different sides are fine. */
	struct topology *t = *state = base();
	tb_net(t, "lan2", "10.200.0.0", 24, NULL);
	tb_iface(&t->nodes[0], "lan2", NULL);
	struct topo_fault *f = tb_fault(t, FAULT_PARTITION, 5, 5);
	tb_side(t, f, 0, "node1.eth0");
	tb_side(t, f, 1, "node1.eth1");
	expect_n(run(t), 0);
}

static void test_oneway(void **state)
{
	struct topology *t = *state = base();
	struct topo_fault *f = tb_fault(t, FAULT_PARTITION, 5, 5);
	f->u.partition.mode = PART_ONEWAY;
	struct fault_target *a = tb_side(t, f, 0, "node1");
	tb_side(t, f, 1, "node2");
	struct fault_target *b = tb_side(t, f, 1, "node1.eth0");
	struct topo_fault *g = tb_fault(t, FAULT_PARTITION, 20, 5);
	g->u.partition.mode = PART_ONEWAY;
	tb_side(t, g, 0, "node1");
	g->u.partition.n_groups = 2;             /* `to` empty */
	struct topo_fault *h = tb_fault(t, FAULT_PARTITION, 30, 5);
	h->u.partition.mode = PART_ISOLATE;
	h->u.partition.n_groups = 1;             /* isolate nothing */
	struct diag_list *d = run(t);
	expect_n(d, 3);
	char m[120];
	snprintf(m, sizeof m, "node1.eth0 in `to` overlaps node1 in `from` (at %u:%u)", a->pos.line, a->pos.col);
	expect(d, 0, E, b->pos, "faults[0].partition", m,
	       "a node or interface can be on one side of a partition only");
	expect(d, 1, E, g->kind_pos, "faults[1].partition",
	       "a one-way partition needs non-empty `from` and `to`", NULL);
	expect(d, 2, E, h->kind_pos, "faults[2].partition", "`isolate` needs at least one node", NULL);
}

static void test_partition_undefined_target(void **state)
{
	struct topology *t = *state = base();
	struct topo_fault *f = tb_fault(t, FAULT_PARTITION, 5, 5);
	tb_side(t, f, 0, "node1");
	struct fault_target *b = tb_side(t, f, 1, "node3");
	struct diag_list *d = run(t);
	expect_n(d, 1);
	expect(d, 0, E, b->pos, "faults[0].partition", "node \"node3\" is not defined", "did you mean `node1`?");
}

/* ----------------------------------------------------------- node states */

static void test_state_start_running(void **state)
{
	struct topology *t = *state = base();
	struct topo_fault *f = tb_fault(t, FAULT_START, 35, NO_FOR);
	tb_target(t, f, "node2");
	struct diag_list *d = run(t);
	expect_n(d, 1);
	expect(d, 0, E, f->kind_pos, "faults[0].start", "cannot start node2 at 35s: it is running",
	       "it needs a killed node; node2 is running from the start of the schedule");
}

static void test_state_kill_twice(void **state)
{
	struct topology *t = *state = base();
	/* Listed out of time order: the simulation sorts by time. */
	struct topo_fault *late = tb_fault(t, FAULT_KILL, 40, NO_FOR);
	tb_target(t, late, "node2");
	struct topo_fault *early = tb_fault(t, FAULT_KILL, 30, NO_FOR);
	tb_target(t, early, "node2");
	struct diag_list *d = run(t);
	expect_n(d, 1);
	char h[160];
	snprintf(h, sizeof h, "it needs a running or paused node; node2 is killed since faults[1] "
		 "(kill at %u:27) at 30s", early->kind_pos.line);
	expect(d, 0, E, late->kind_pos, "faults[0].kill", "cannot kill node2 at 40s: it is killed", h);
}

static void test_state_valid_cycle(void **state)
{
	struct topology *t = *state = base();
	static const enum fault_kind seq[] = { FAULT_PAUSE, FAULT_RESUME, FAULT_RESTART, FAULT_PAUSE,
					       FAULT_KILL, FAULT_START, FAULT_REBOOT };
	for (size_t i = 0; i < sizeof seq / sizeof *seq; i++)
		tb_target(t, tb_fault(t, seq[i], 10 * (uint64_t)i, NO_FOR), "node1");
	/* A timed pause resumes by itself; a kill right at its end sees it running. */
	tb_target(t, tb_fault(t, FAULT_PAUSE, 100, 10), "node2");
	tb_target(t, tb_fault(t, FAULT_KILL, 110, NO_FOR), "node2");
	expect_n(run(t), 0);
}

static void test_state_resume_pause_errors(void **state)
{
	struct topology *t = *state = base();
	struct topo_fault *r = tb_fault(t, FAULT_RESUME, 5, NO_FOR);
	tb_target(t, r, "node1");
	struct topo_fault *k = tb_fault(t, FAULT_KILL, 10, NO_FOR);
	tb_target(t, k, "node2");
	struct topo_fault *p = tb_fault(t, FAULT_PAUSE, 20, NO_FOR);
	tb_target(t, p, "node2");
	struct topo_fault *rs = tb_fault(t, FAULT_RESTART, 30, NO_FOR);
	tb_target(t, rs, "node2");
	struct diag_list *d = run(t);
	expect_n(d, 3);
	expect(d, 0, E, r->kind_pos, "faults[0].resume", "cannot resume node1 at 5s: it is running",
	       "it needs a paused node; node1 is running from the start of the schedule");
	char h[160];
	snprintf(h, sizeof h, "it needs a running node; node2 is killed since faults[1] (kill at %u:27) at 10s",
		 k->kind_pos.line);
	expect(d, 1, E, p->kind_pos, "faults[2].pause", "cannot pause node2 at 20s: it is killed", h);
	expect(d, 2, E, rs->kind_pos, "faults[3].restart", "cannot restart node2 at 30s: it is killed", h);
}

/* Killing a node during a timed pause: the pause's end cannot resume it. */
static void test_state_timed_pause_end(void **state)
{
	struct topology *t = *state = base();
	struct topo_fault *p = tb_fault(t, FAULT_PAUSE, 5, 10);
	tb_target(t, p, "node1");
	struct topo_fault *k = tb_fault(t, FAULT_KILL, 7, NO_FOR);
	tb_target(t, k, "node1");
	struct diag_list *d = run(t);
	expect_n(d, 1);
	char h[160];
	snprintf(h, sizeof h, "it needs a paused node; node1 is killed since faults[1] (kill at %u:27) at 7s",
		 k->kind_pos.line);
	expect(d, 0, E, p->for_pos, "faults[0].for",
	       "cannot resume node1 at 15s when this pause ends: it is killed", h);
}

/* A pause that fails is not reported a second time when it would end. */
static void test_state_failed_pause_no_double(void **state)
{
	struct topology *t = *state = base();
	tb_target(t, tb_fault(t, FAULT_KILL, 1, NO_FOR), "node1");
	struct topo_fault *p = tb_fault(t, FAULT_PAUSE, 5, 10);
	tb_target(t, p, "node1");
	struct diag_list *d = run(t);
	expect_n(d, 1);
	assert_string_equal(d->v[0].msg, "cannot pause node1 at 5s: it is killed");
}

/* ---------------------------------------------------- overlapping mechanisms */

static void test_netem_overlap(void **state)
{
	struct topology *t = *state = base();
	struct topo_fault *a = tb_fault(t, FAULT_LATENCY, 20, 5);
	a->u.impair.delay_us = 100000;
	tb_target(t, a, "node2");                       /* node level: all its interfaces */
	struct topo_fault *b = tb_fault(t, FAULT_REORDER, 22, 10);
	b->u.impair.delay_us = 10000;
	tb_target(t, b, "node2.eth0");
	/* Back to back is fine: [20s, 25s) then [25s, ...). */
	struct topo_fault *c = tb_fault(t, FAULT_DUPLICATE, 40, NO_FOR);
	tb_target(t, c, "node1");
	struct topo_fault *e = tb_fault(t, FAULT_CORRUPT, 35, 5);
	tb_target(t, e, "node1");
	struct diag_list *d = run(t);
	expect_n(d, 1);
	char m[200];
	snprintf(m, sizeof m, "faults[1] (reorder at %u:27) overlaps faults[0] (latency at %u:27) on "
		 "node2.eth0 from 22s to 25s", b->kind_pos.line, a->kind_pos.line);
	expect(d, 0, E, b->kind_pos, "faults[1].reorder", m,
	       "latency, duplicate, corrupt and reorder share one netem qdisc per interface: "
	       "merge them into one fault or move one in time");
}

static void test_other_mechanism_overlaps(void **state)
{
	struct topology *t = *state = base();
	tb_net(t, "lan2", "10.200.0.0", 24, NULL);
	tb_iface(&t->nodes[0], "lan2", NULL);
	/* Different mechanisms on one interface compose. */
	tb_target(t, tb_fault(t, FAULT_LATENCY, 0, NO_FOR), "node1");
	tb_target(t, tb_fault(t, FAULT_RATE, 0, NO_FOR), "node1");
	/* Loss egress and ingress are separate rules... */
	struct topo_fault *le = tb_fault(t, FAULT_LOSS, 0, NO_FOR);
	le->u.impair.direction = DIR_EGRESS;
	tb_target(t, le, "node1.eth0");
	struct topo_fault *li = tb_fault(t, FAULT_LOSS, 0, NO_FOR);
	li->u.impair.direction = DIR_INGRESS;
	tb_target(t, li, "node1.eth0");
	/* ...but `both` clashes with each (one report per pair of faults). */
	struct topo_fault *lb = tb_fault(t, FAULT_LOSS, 60, 1);
	lb->u.impair.direction = DIR_BOTH;
	tb_target(t, lb, "node1");
	struct topo_fault *r2 = tb_fault(t, FAULT_RATE, 70, 1);
	tb_target(t, r2, "node1.eth1");
	struct topo_fault *l1 = tb_fault(t, FAULT_LINK_DOWN, 5, 10);
	tb_target(t, l1, "node2");
	struct topo_fault *l2 = tb_fault(t, FAULT_LINK_DOWN, 14, 10);
	tb_target(t, l2, "node2.eth0");
	/* Partitions compose. */
	struct topo_fault *p1 = tb_fault(t, FAULT_PARTITION, 5, 10);
	tb_side(t, p1, 0, "node1");
	tb_side(t, p1, 1, "node2");
	struct topo_fault *p2 = tb_fault(t, FAULT_PARTITION, 6, 10);
	tb_side(t, p2, 0, "node1");
	tb_side(t, p2, 1, "node2");
	struct diag_list *d = run(t);
	expect_n(d, 4);
	char m[200];
	const char *loss_h = "an interface has one loss rule per direction at a time: merge them or "
			     "move one in time";
	snprintf(m, sizeof m, "faults[4] (loss at %u:27) overlaps faults[2] (loss at %u:27) on "
		 "node1.eth0 from 1m to 1m1s", lb->kind_pos.line, le->kind_pos.line);
	expect(d, 0, E, lb->kind_pos, "faults[4].loss", m, loss_h);
	snprintf(m, sizeof m, "faults[4] (loss at %u:27) overlaps faults[3] (loss at %u:27) on "
		 "node1.eth0 from 1m to 1m1s", lb->kind_pos.line, li->kind_pos.line);
	expect(d, 1, E, lb->kind_pos, "faults[4].loss", m, loss_h);
	snprintf(m, sizeof m, "faults[5] (rate at %u:27) overlaps faults[1] (rate at %u:27) on "
		 "node1.eth1 from 1m10s to 1m11s", r2->kind_pos.line, t->faults[1].kind_pos.line);
	expect(d, 2, E, r2->kind_pos, "faults[5].rate", m,
	       "an interface has one rate limit at a time: move one in time");
	snprintf(m, sizeof m, "faults[7] (link-down at %u:27) overlaps faults[6] (link-down at %u:27) "
		 "on node2.eth0 from 14s to 15s", l2->kind_pos.line, l1->kind_pos.line);
	expect(d, 3, E, l2->kind_pos, "faults[7].link-down", m,
	       "the link is already down then: move one in time");
}

static void test_overlap_open_ended(void **state)
{
	struct topology *t = *state = base();
	struct topo_fault *a = tb_fault(t, FAULT_LATENCY, 10, NO_FOR);
	tb_target(t, a, "node1");
	struct topo_fault *b = tb_fault(t, FAULT_LATENCY, 1000, 1);
	tb_target(t, b, "node1.eth0");
	struct topo_fault *c = tb_fault(t, FAULT_LATENCY, 5, NO_FOR);
	tb_target(t, c, "node1");
	struct diag_list *d = run(t);
	/* c starts first and never ends: a and b both overlap it. */
	expect_n(d, 2);
	char m[200];
	snprintf(m, sizeof m, "faults[0] (latency at %u:27) overlaps faults[2] (latency at %u:27) on "
		 "node1.eth0 from 10s to the end", a->kind_pos.line, c->kind_pos.line);
	expect(d, 0, E, a->kind_pos, "faults[0].latency", m,
	       "latency, duplicate, corrupt and reorder share one netem qdisc per interface: "
	       "merge them into one fault or move one in time");
	snprintf(m, sizeof m, "faults[1] (latency at %u:27) overlaps faults[2] (latency at %u:27) on "
		 "node1.eth0 from 16m40s to 16m41s", b->kind_pos.line, c->kind_pos.line);
	assert_string_equal(d->v[1].msg, m);
}

/* ------------------------------------------------------- all at once, scale */

static void test_reports_everything(void **state)
{
	struct topology *t = *state = base();
	t->name = "Bad";
	t->nodes[0].ifaces[0].ip = ip("10.1.1.1");
	t->nodes[1].cpus = 0;
	tb_target(t, tb_fault(t, FAULT_KILL, 1, 1), "ghost");
	tb_target(t, tb_fault(t, FAULT_START, 2, NO_FOR), "node2");
	struct diag_list *d = run(t);
	expect_n(d, 6);
	assert_int_equal(d->n_errors, 6);
	assert_string_equal(d->v[0].msg, "topology name \"Bad\" is not a valid name");
	assert_string_equal(d->v[1].msg, "address 10.1.1.1 is outside network lan (10.100.0.0/24)");
	assert_string_equal(d->v[2].msg, "cpus must be between 1 and 255, not 0");
	assert_string_equal(d->v[3].msg, "kill cannot be reverted, so it takes no `for`");
	assert_string_equal(d->v[4].msg, "node \"ghost\" is not defined");
	assert_string_equal(d->v[5].msg, "cannot start node2 at 2s: it is running");
}

/* A partial decode leaves NULL names: skipped, never dereferenced. */
static void test_partial_topology(void **state)
{
	struct topology *t = *state = base();
	t->name = NULL;
	t->networks[0].name = NULL;
	tb_node(t, NULL, NODE_NETNS);
	t->nodes[0].ifaces[0].network = NULL;
	struct diag_list *d = run(t);
	expect_n(d, 1);   /* node2's network is now undefined */
	assert_string_equal(d->v[0].msg, "network \"lan\" is not defined");
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void test_scale_1000_nodes(void **state)
{
	enum { N = 1000 };
	struct topology *t = *state = tb_topo("scale", N + 1);
	t->faults = arena_array(&t->arena, 400, sizeof *t->faults);
	tb_net(t, "lan", "10.100.0.0", 16, "10.100.0.1");
	tb_net(t, "back", "10.200.0.0", 16, NULL);
	for (int i = 0; i < N; i++) {
		struct topo_node *nd = tb_node(t, arena_printf(&t->arena, "node%d", i),
					       i % 2 ? NODE_VM : NODE_NETNS);
		char a[32];
		snprintf(a, sizeof a, "10.100.%d.%d", (i + 2) / 250, (i + 2) % 250 + 2);
		tb_iface(nd, "lan", arena_strdup(&t->arena, a));
		snprintf(a, sizeof a, "10.200.%d.%d", (i + 2) / 250, (i + 2) % 250 + 2);
		tb_iface(nd, "back", arena_strdup(&t->arena, a));
	}
	for (int i = 0; i < 100; i++) {
		struct topo_fault *f = tb_fault(t, FAULT_LATENCY, (uint64_t)i, 1);
		f->u.impair.delay_us = 1000;
		tb_target(t, f, arena_printf(&t->arena, "node%d", i * 7 % N));
		struct topo_fault *p = tb_fault(t, FAULT_PARTITION, (uint64_t)i, 1);
		for (int k = 0; k < 10; k++)
			tb_side(t, p, (size_t)k % 2, arena_printf(&t->arena, "node%d", (i * 10 + k) % N));
		tb_target(t, tb_fault(t, FAULT_KILL, 200 + (uint64_t)i, NO_FOR),
			  arena_printf(&t->arena, "node%d", i));
	}
	double best = 1e9;
	for (int r = 0; r < 5; r++) {
		double t0 = now_ms();
		struct diag_list *d = run(t);
		double dt = now_ms() - t0;
		expect_n(d, 0);
		best = dt < best ? dt : best;
	}
	/* Printed, not asserted: speed belongs to `make bench`. */
	fprintf(stderr, "validate: 1000 nodes, 2000 interfaces, 300 faults: %.3f ms\n", best);
}

int main(void)
{
#define T(f) cmocka_unit_test_teardown(f, teardown)
	const struct CMUnitTest tests[] = {
		T(test_clean_and_derived),
		T(test_bad_names),
		T(test_name_too_long),
		T(test_fault_labels),
		T(test_undefined_network),
		T(test_undefined_network_none_defined),
		T(test_ip_outside_subnet),
		T(test_ip_special),
		T(test_ip_point_to_point),
		T(test_gateway_in_middle_hint),
		T(test_gateway_checks),
		T(test_subnet_host_bits),
		T(test_overlapping_subnets),
		T(test_dangerous_subnets),
		T(test_unread_subnet_quiet),
		T(test_bridge_name),
		T(test_duplicate_ip),
		T(test_duplicate_mac),
		T(test_multicast_mac),
		T(test_two_ifaces_same_network),
		T(test_vm_needs_boot),
		T(test_vm_sizes),
		T(test_health_reach),
		T(test_undefined_node),
		T(test_undefined_iface),
		T(test_node_action_on_iface),
		T(test_reboot_netns),
		T(test_for_not_revertible),
		T(test_for_zero),
		T(test_percent_range),
		T(test_jitter_over_delay),
		T(test_partition_groups),
		T(test_partition_node_in_two_groups),
		T(test_partition_interfaces_split),
		T(test_partition_flat),
		T(test_oneway),
		T(test_partition_undefined_target),
		T(test_state_start_running),
		T(test_state_kill_twice),
		T(test_state_valid_cycle),
		T(test_state_resume_pause_errors),
		T(test_state_timed_pause_end),
		T(test_state_failed_pause_no_double),
		T(test_netem_overlap),
		T(test_other_mechanism_overlaps),
		T(test_overlap_open_ended),
		T(test_reports_everything),
		T(test_partial_topology),
		T(test_scale_1000_nodes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_hosts.c — multi-host placement (docs/multihost.md): decoding hosts:
 * and host:, round-robin, the placement checks with their positions, the
 * derived fields (home host, spans, VNI, MTU, VXLAN port name), a host's
 * part (topo_load_opts.host), and lowering one host's share: which
 * resources, the vxlan/<net> properties, the gateway on the home host only,
 * the MTU. Topologies are loaded from YAML text, as a user writes them. */
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compile.h"
#include "compiler/names.h"

static struct diag_list g_d;

static struct topology *load_for(const char *yaml, const char *host)
{
	diag_clear(&g_d);
	diag_init(&g_d, "t.yaml");
	struct topo_load_opts o = {.host = host};
	struct topology *t = topo_load_buffer_with("t.yaml", yaml, strlen(yaml), &o, &g_d);
	assert_non_null(t);
	diag_sort(&g_d);
	return t;
}

static struct topology *load(const char *yaml)
{
	return load_for(yaml, NULL);
}

static void expect_clean(void)
{
	if (g_d.n) {
		diag_print(&g_d, stderr, DIAG_TEXT, false);
		fail();
	}
}

/* Diagnostic i is an error at line:col whose message contains msg (and
 * whose hint contains hint, when given). */
static void expect_err(size_t i, unsigned line, unsigned col, const char *msg, const char *hint)
{
	if (i >= g_d.n || g_d.v[i].pos.line != line || g_d.v[i].pos.col != col ||
	    !strstr(g_d.v[i].msg, msg) || (hint && (!g_d.v[i].hint || !strstr(g_d.v[i].hint, hint)))) {
		fprintf(stderr, "diagnostic %zu: want %u:%u \"%s\" (hint \"%s\"); got:\n", i, line, col,
			msg, hint ? hint : "");
		diag_print(&g_d, stderr, DIAG_TEXT, false);
		fail();
	}
	assert_int_equal(g_d.v[i].sev, DIAG_ERROR);
}

static void expect_n(size_t n)
{
	if (g_d.n != n) {
		fprintf(stderr, "want %zu diagnostics, got %zu:\n", n, g_d.n);
		diag_print(&g_d, stderr, DIAG_TEXT, false);
	}
	assert_int_equal(g_d.n, n);
}

static int teardown(void **state)
{
	(void)state;
	diag_clear(&g_d);
	return 0;
}

#define HEAD "apiVersion: aspen/v1\nname: multi3\n"

/* Three hosts, two networks: lan on every host (gateway; h1 is its home),
 * store on h2 alone; n1..n3 placed round-robin, db on h2 by name. */
static const char three[] =
	HEAD
	"hosts:\n"                                                      /* 3 */
	"  h1: {local: true, address: 10.0.0.1}\n"                     /* 4 */
	"  h2: {ssh: root@10.0.0.2}\n"                                 /* 5 */
	"  h3: {ssh: 'ops@rack3-b:2222', address: 10.0.0.3}\n"         /* 6 */
	"defaults: {kind: netns, host: round-robin, command: [sleep, infinity]}\n"
	"networks:\n"
	"  lan: {subnet: 10.110.0.0/24, gateway: 10.110.0.1}\n"
	"  store: {subnet: 10.111.0.0/24}\n"
	"nodes:\n"
	"  n1: {interfaces: [{network: lan, ip: 10.110.0.2}]}\n"
	"  db: {host: h2, interfaces: [{network: store, ip: 10.111.0.10}]}\n"
	"  n2: {interfaces: [{network: lan, ip: 10.110.0.3}, {network: store, ip: 10.111.0.3}]}\n"
	"  n3: {interfaces: [{network: lan, ip: 10.110.0.4, mac: '02:00:00:00:00:33'}]}\n";

/* ---------------------------------------------------------- decoding */

static void test_decode_and_round_robin(void **state)
{
	(void)state;
	struct topology *t = load(three);
	expect_clean();
	assert_int_equal(t->n_hosts, 3);
	assert_string_equal(t->hosts[0].name, "h1");
	assert_true(t->hosts[0].local);
	assert_null(t->hosts[0].ssh);
	assert_true(t->hosts[0].has_address);
	assert_int_equal(t->hosts[0].address, 0x0a000001);
	assert_int_equal(t->hosts[0].pos.line, 4);
	assert_int_equal(t->hosts[0].pos.col, 3);
	/* an IPv4 ssh host is the underlay address, at the ssh value */
	assert_string_equal(t->hosts[1].ssh, "root@10.0.0.2");
	assert_int_equal(t->hosts[1].ssh_port, 0);
	assert_true(t->hosts[1].has_address);
	assert_int_equal(t->hosts[1].address, 0x0a000002);
	assert_int_equal(t->hosts[1].address_pos.line, 5);
	assert_int_equal(t->hosts[1].address_pos.col, 13);
	/* the port is split off */
	assert_string_equal(t->hosts[2].ssh, "ops@rack3-b");
	assert_int_equal(t->hosts[2].ssh_port, 2222);
	assert_int_equal(t->hosts[2].address, 0x0a000003);
	/* round-robin counts the nodes without their own host, in file
	 * order: n1 -> h1, (db -> h2 by name), n2 -> h2, n3 -> h3 */
	assert_string_equal(t->nodes[1].name, "db");
	assert_int_equal(t->nodes[0].host_idx, 0);
	assert_int_equal(t->nodes[1].host_idx, 1);
	assert_int_equal(t->nodes[2].host_idx, 1);
	assert_int_equal(t->nodes[3].host_idx, 2);
	assert_string_equal(t->nodes[1].host, "h2");
	assert_int_equal(t->nodes[1].host_pos.line, 13);
	assert_false(t->has_here);
	topo_free(t);
}

static void test_host_local_shorthand_and_defaults_name(void **state)
{
	(void)state;
	struct topology *t = load(HEAD
				  "hosts: {a: local, b: {ssh: box-b}}\n"
				  "defaults: {kind: netns, host: b}\n"
				  "networks: {lan: {subnet: 10.1.0.0/24}}\n"
				  "nodes:\n"
				  "  x: {interfaces: [{network: lan}]}\n"
				  "  y: {host: a}\n");
	expect_clean();
	assert_true(t->hosts[0].local);
	assert_false(t->hosts[0].has_address);
	assert_false(t->hosts[1].has_address);      /* a host name is no address */
	assert_int_equal(t->nodes[0].host_idx, 1);
	assert_int_equal(t->nodes[1].host_idx, 0);
	/* lan has nodes on b only: no VXLAN, so no address needed */
	assert_false(t->networks[0].spans);
	assert_int_equal(t->networks[0].home_host, 1);
	topo_free(t);
}

/* ---------------------------------------------------------- errors */

static void test_host_errors(void **state)
{
	(void)state;
	struct topology *t = load(HEAD
		"hosts:\n"                                              /* 3 */
		"  h1: local\n"                                         /* 4 */
		"  h2: {local: true}\n"                                 /* 5 */
		"  H3: {ssh: 'root@[fd00::1]'}\n"                       /* 6 */
		"  h4: {ssh: 'root@10.0.0.4:70000'}\n"                  /* 7 */
		"  h5: {ssh: '-oProxyCommand=x'}\n"                     /* 8 */
		"  h6: {ssh: ops@10.0.0.7}\n"                           /* 9 */
		"  h7: {address: 10.0.0.9}\n"                           /* 10 */
		"  h8: {ssh: 10.0.0.7}\n"                               /* 11 */
		"  h9: nope\n"                                          /* 12 */
		"  h10: {ssh: 'a@b@c'}\n"                               /* 13 */
		"  h11: {ssh: 'fd00::2'}\n"                             /* 14 */
		"  h12: {ssh: box, address: 127.0.0.1}\n"               /* 15 */
		"defaults: {kind: netns}\n"
		"nodes:\n"
		"  a: {host: h1}\n");
	expect_n(11);
	expect_err(0, 5, 3, "host h2 is local, and so is h1 (at 4:3)", "ssh: user@host");
	expect_err(1, 6, 3, "host name \"H3\" is not a valid name", NULL);
	expect_err(2, 6, 13, "is an IPv6 address; hosts are reached and joined over IPv4 only", NULL);
	expect_err(3, 7, 13, "ssh port \"70000\" is not a port from 1 to 65535", NULL);
	expect_err(4, 8, 13, "ssh host in \"-oProxyCommand=x\" is not a host name", "not starting with `-`");
	expect_err(5, 10, 3, "says neither how to reach it (ssh:) nor that it is this machine", NULL);
	expect_err(6, 11, 13, "host h8 has the underlay address 10.0.0.7 of host h6 (at 9:13)", NULL);
	expect_err(7, 12, 7, "expected `local` or a mapping with ssh, address and local, got \"nope\"",
		   "h9: local");
	expect_err(8, 13, 14, "ssh host in \"a@b@c\" is not a host name", NULL);
	expect_err(9, 14, 14, "ssh host \"fd00::2\" is an IPv6 address", NULL);
	expect_err(10, 15, 28, "127.0.0.1 cannot be a host's underlay address", NULL);
	topo_free(t);
}

static void test_node_placement_errors(void **state)
{
	(void)state;
	struct topology *t = load(HEAD
		"hosts: {h1: local, h2: {ssh: box2}}\n"                /* 3 */
		"defaults: {kind: netns}\n"                             /* 4 */
		"nodes:\n"                                              /* 5 */
		"  a: {host: h1}\n"                                     /* 6 */
		"  b: {host: h22}\n"                                    /* 7 */
		"  c: {}\n"                                             /* 8 */
		"  d: {host: round-robin}\n");                          /* 9 */
	expect_n(3);
	expect_err(0, 7, 13, "host \"h22\" is not defined", "did you mean `h2`?");
	expect_err(1, 8, 3, "node c has no host", "add host: h1, or defaults: host: round-robin");
	expect_err(2, 9, 13, "round-robin is a placement rule for `defaults: host:`", NULL);
	topo_free(t);

	/* host: without hosts:, given once in defaults: one error, there */
	t = load(HEAD
		 "defaults: {kind: netns, host: h1}\n"                  /* 3 */
		 "nodes:\n"
		 "  a: {}\n"
		 "  b: {}\n"
		 "  c: {host: h2}\n");                                  /* 7 */
	expect_n(2);
	expect_err(0, 3, 31, "host: h1 places a node, but the file has no hosts:", "list the machines");
	expect_err(1, 7, 13, "host: h2 places a node, but the file has no hosts:", NULL);
	topo_free(t);
}

static void test_spanning_needs_underlay(void **state)
{
	(void)state;
	struct topology *t = load(HEAD
		"hosts: {h1: local, h2: {ssh: box2}, h3: {ssh: box3}}\n"       /* 3 */
		"defaults: {kind: netns, host: round-robin}\n"
		"networks: {lan: {subnet: 10.1.0.0/24}, solo: {subnet: 10.2.0.0/24}}\n"
		"nodes:\n"
		"  a: {interfaces: [{network: lan}]}\n"
		"  b: {interfaces: [{network: lan}]}\n"
		"  c: {interfaces: [{network: solo}]}\n");
	/* h3 holds only a non-spanning network: no address needed there */
	expect_n(2);
	expect_err(0, 3, 9, "host h1 has no underlay address, but network lan spans it",
		   "{local: true, address:");
	expect_err(1, 3, 20, "host h2 has no underlay address, but network lan spans it",
		   "add address:");
	topo_free(t);
}

static void test_roles_refused(void **state)
{
	(void)state;
	struct topology *t = load(HEAD
		"hosts: {h1: {local: true, address: 10.0.0.1}, h2: {ssh: 10.0.0.2}}\n"
		"roles: {leader: {command: [true]}}\n"
		"defaults: {kind: netns, host: round-robin}\n"
		"nodes: {a: {}, b: {}}\n"
		"faults:\n"
		"  - {at: 1s, kill: '@leader'}\n"                       /* 8 */
		"  - {at: 2s, for: 1s, partition: [['@leader'], [b]]}\n");   /* 9 */
	expect_n(2);
	expect_err(0, 8, 20, "@leader: roles are not available across hosts yet", NULL);
	expect_err(1, 9, 36, "@leader: roles are not available across hosts yet", NULL);
	topo_free(t);
}

static void test_part_host(void **state)
{
	(void)state;
	struct topology *t = load_for(three, "h3");
	expect_clean();
	assert_true(t->has_here);
	assert_int_equal(t->here, 2);
	assert_false(topo_node_here(t, &t->nodes[0]));
	assert_true(topo_node_here(t, &t->nodes[3]));
	topo_free(t);

	t = load_for(three, "h9");
	expect_n(1);
	assert_true(strstr(g_d.v[0].msg, "part for host h9, which the file does not define "
				     "(hosts: h1, h2, h3)") != NULL);
	assert_false(t->has_here);
	topo_free(t);

	t = load_for(HEAD "nodes: {a: {kind: netns}}\n", "h1");
	expect_n(1);
	assert_true(strstr(g_d.v[0].msg, "but the file has no hosts:") != NULL);
	topo_free(t);
}

/* ---------------------------------------------------------- derived */

/* The VNI, computed here independently from its definition. */
static uint32_t ref_vni(const char *topo, const char *net)
{
	uint8_t buf[128];
	size_t lt = strlen(topo), ln = strlen(net);
	memcpy(buf, topo, lt);
	buf[lt] = 0;
	memcpy(buf + lt + 1, net, ln);
	uint32_t h = 0x811c9dc5u;
	for (size_t i = 0; i < lt + 1 + ln; i++)
		h = (h ^ buf[i]) * 0x01000193u;
	h = (h >> 24) ^ (h & 0xffffff);
	return h ? h : 1;
}

static void test_vni(void **state)
{
	(void)state;
	/* Pinned: every host of every release must derive the same VNI. */
	assert_int_equal(topo_vni("multi3", "lan"), 7840610);
	assert_int_equal(topo_vni("multi3", "lan"), ref_vni("multi3", "lan"));
	assert_int_equal(topo_vni("a", "b"), ref_vni("a", "b"));
	/* the separator keeps "ab"+"c" apart from "a"+"bc" */
	assert_int_not_equal(topo_vni("ab", "c"), topo_vni("a", "bc"));
	assert_int_not_equal(topo_vni("multi3", "lan"), topo_vni("multi4", "lan"));
	for (int i = 0; i < 200; i++) {
		char n[16];
		snprintf(n, sizeof n, "net%d", i);
		uint32_t v = topo_vni("t", n);
		assert_true(v >= 1 && v < (1u << 24));
	}

	struct topology *t = load(three);
	expect_clean();
	const struct topo_network *lan = &t->networks[0], *store = &t->networks[1];
	assert_true(lan->spans);
	assert_int_equal(lan->home_host, 0);
	assert_int_equal(lan->vni, 7840610);
	assert_int_equal(lan->eff_mtu, 1450);
	char want[16];
	names_vxlan(want, "multi3", "lan");
	assert_string_equal(lan->vxlan_name, want);
	assert_string_equal(lan->vxlan_name, "vx-f126-lan");
	/* past 15 bytes the network part is hashed, as for a bridge */
	char br[16];
	names_vxlan(want, "multi3", "backbone-network");
	names_bridge(br, "multi3", "backbone-network", NULL);
	assert_true(strlen(want) <= 15);
	assert_true(strncmp(want, "vx-f126-", 8) == 0 && strlen(want) == 14);
	assert_string_equal(want + 3, br + 3);
	assert_false(store->spans);
	assert_int_equal(store->eff_mtu, 0);        /* its own mtu: none */
	assert_int_equal(store->home_host, 1);      /* db, the first node on it, is on h2 */
	assert_int_equal(store->vni, 0);
	assert_string_equal(store->vxlan_name, "");
	topo_free(t);

	/* A given mtu wins over the VXLAN default. */
	t = load(HEAD "hosts: {a: {local: true, address: 10.0.0.1}, b: {ssh: 10.0.0.2}}\n"
		 "defaults: {kind: netns, host: round-robin}\n"
		 "networks: {lan: {subnet: 10.1.0.0/24, mtu: 9000}}\n"
		 "nodes: {x: {interfaces: [{network: lan}]}, y: {interfaces: [{network: lan}]}}\n");
	expect_clean();
	assert_int_equal(t->networks[0].eff_mtu, 9000);
	topo_free(t);
}

static void test_vxlan_name_collides(void **state)
{
	(void)state;
	char vx[16];
	names_vxlan(vx, "multi3", "lan");
	char yaml[1024];
	snprintf(yaml, sizeof yaml, HEAD
		 "hosts: {a: {local: true, address: 10.0.0.1}, b: {ssh: 10.0.0.2}}\n"
		 "defaults: {kind: netns, host: round-robin}\n"
		 "networks:\n"
		 "  lan: {subnet: 10.1.0.0/24}\n"                       /* 6 */
		 "  other: {subnet: 10.2.0.0/24, bridge: %s}\n"         /* 7 */
		 "nodes: {x: {interfaces: [{network: lan}, {network: other}]}, "
		 "y: {interfaces: [{network: lan}]}}\n", vx);
	struct topology *t = load(yaml);
	expect_n(1);
	expect_err(0, 7, 40, "link name \"vx-f126-lan\" of the bridge of network other is also used "
		   "by the VXLAN port of network lan (at 6:3)", "choose another `bridge:` name");
	topo_free(t);
}

static void test_no_hosts_unchanged(void **state)
{
	(void)state;
	struct topology *t = load(HEAD
		"defaults: {kind: netns}\n"
		"networks: {lan: {subnet: 10.1.0.0/24, gateway: 10.1.0.1}}\n"
		"nodes: {x: {interfaces: [{network: lan, ip: 10.1.0.2}]}}\n");
	expect_clean();
	assert_int_equal(t->n_hosts, 0);
	assert_false(t->networks[0].spans);
	assert_int_equal(t->networks[0].eff_mtu, 0);
	assert_int_equal(t->networks[0].vni, 0);
	struct res_list l = {0};
	topo_lower(t, &l);
	for (size_t i = 0; i < l.n; i++) {
		assert_int_not_equal(l.v[i].kind, RES_VXLAN);
		assert_null(res_get(&l.v[i], "mtu"));
	}
	topo_free(t);
}

/* ---------------------------------------------------------- lowering */

static const struct resource *find(const struct res_list *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].id, id) == 0)
			return &l->v[i];
	return NULL;
}

/* Space-separated ids of l, in order. */
static char *ids(const struct res_list *l)
{
	size_t n = 1;
	for (size_t i = 0; i < l->n; i++)
		n += strlen(l->v[i].id) + 1;
	char *s = calloc(1, n);
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, l->v[i].id);
	}
	return s;
}

static void expect_ids(const struct res_list *l, const char *want)
{
	char *got = ids(l);
	if (strcmp(got, want)) {
		fprintf(stderr, "ids:\n  got  %s\n  want %s\n", got, want);
		free(got);
		fail();
	}
	free(got);
}

static void expect_prop(const struct res_list *l, const char *id, const char *key, const char *v)
{
	const struct resource *r = find(l, id);
	assert_non_null(r);
	const char *got = res_get(r, key);
	if (!v) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, v);
}

static void test_lower_per_host(void **state)
{
	(void)state;
	struct topology *t = load(three);
	expect_clean();
	char mac1[18], mac2[18];
	names_fmt_mac(mac1, t->nodes[0].ifaces[0].eff_mac);    /* n1.eth0, on h1 */
	names_fmt_mac(mac2, t->nodes[2].ifaces[0].eff_mac);    /* n2.eth0, on h2 */

	/* h1: the gateway of lan (its home), no store bridge, its node only */
	struct res_list h1 = {0};
	topo_lower_host(t, 0, &h1);
	assert_false(t->has_here);                  /* restored */
	expect_ids(&h1, "bridge/lan vxlan/lan addr/lan netns/n1 veth/n1.eth0 addr/n1.eth0 "
			"route/n1 process/n1");
	expect_prop(&h1, "bridge/lan", "mtu", "1450");
	expect_prop(&h1, "veth/n1.eth0", "mtu", "1450");
	expect_prop(&h1, "vxlan/lan", "name", "vx-f126-lan");
	expect_prop(&h1, "vxlan/lan", "bridge", t->networks[0].bridge_name);
	expect_prop(&h1, "vxlan/lan", "vni", "7840610");
	expect_prop(&h1, "vxlan/lan", "local", "10.0.0.1");
	expect_prop(&h1, "vxlan/lan", "port", "4789");
	expect_prop(&h1, "vxlan/lan", "mtu", "1450");
	expect_prop(&h1, "vxlan/lan", "remotes", "10.0.0.2 10.0.0.3");
	char fdb[128];
	/* sorted: 02:00:00:00:00:33 (n3, given) sorts before any generated one
	 * here only if it is smaller; build the expectation by sorting too */
	const char *a = mac2, *b = "02:00:00:00:00:33";
	const char *ia = "10.0.0.2", *ib = "10.0.0.3";
	if (strcmp(a, b) > 0) {
		const char *x = a; a = b; b = x;
		x = ia; ia = ib; ib = x;
	}
	snprintf(fdb, sizeof fdb, "%s@%s %s@%s", a, ia, b, ib);
	expect_prop(&h1, "vxlan/lan", "fdb", fdb);
	const struct resource *vx = find(&h1, "vxlan/lan");
	assert_int_equal(vx->n_deps, 1);
	assert_string_equal(vx->deps[0], "bridge/lan");
	assert_int_equal(vx->kind, RES_VXLAN);

	/* h2: lan without its gateway, store (not spanning: no vxlan, no mtu) */
	struct res_list h2 = {0};
	topo_lower_host(t, 1, &h2);
	expect_ids(&h2, "bridge/lan vxlan/lan bridge/store netns/db veth/db.eth0 addr/db.eth0 "
			"process/db netns/n2 veth/n2.eth0 addr/n2.eth0 veth/n2.eth1 addr/n2.eth1 "
			"route/n2 process/n2");
	expect_prop(&h2, "vxlan/lan", "local", "10.0.0.2");
	expect_prop(&h2, "vxlan/lan", "remotes", "10.0.0.1 10.0.0.3");
	expect_prop(&h2, "bridge/store", "mtu", NULL);
	expect_prop(&h2, "veth/n2.eth1", "mtu", NULL);
	expect_prop(&h2, "veth/n2.eth0", "mtu", "1450");
	/* the route still goes through lan's gateway, across the VXLAN */
	expect_prop(&h2, "route/n2", "gateway", "10.110.0.1");
	assert_null(find(&h2, "addr/lan"));

	/* h3 */
	struct res_list h3 = {0};
	topo_lower_host(t, 2, &h3);
	expect_ids(&h3, "bridge/lan vxlan/lan netns/n3 veth/n3.eth0 addr/n3.eth0 route/n3 "
			"process/n3");
	char fdb3[128];
	const char *c = mac1, *d = mac2, *ic = "10.0.0.1", *id = "10.0.0.2";
	if (strcmp(c, d) > 0) {
		const char *x = c; c = d; d = x;
		x = ic; ic = id; id = x;
	}
	snprintf(fdb3, sizeof fdb3, "%s@%s %s@%s", c, ic, d, id);
	expect_prop(&h3, "vxlan/lan", "fdb", fdb3);

	/* The same resources whether lowered with topo_lower_host or from
	 * a part compiled for the host (topo_load_opts.host). */
	struct topology *p3 = load_for(three, "h3");
	struct res_list l3 = {0};
	topo_lower(p3, &l3);
	char *x = ids(&l3), *y = ids(&h3);
	assert_string_equal(x, y);
	free(x);
	free(y);
	for (size_t i = 0; i < l3.n; i++) {
		assert_int_equal(l3.v[i].n_props, h3.v[i].n_props);
		for (size_t k = 0; k < l3.v[i].n_props; k++)
			assert_string_equal(l3.v[i].props[k].value, h3.v[i].props[k].value);
	}
	topo_free(p3);
	topo_free(t);
}

/* Lowering is deterministic: two loads, byte-identical resources. */
static void test_lower_deterministic(void **state)
{
	(void)state;
	struct topology *t1 = load(three), *t2 = load(three);
	for (size_t h = 0; h < 3; h++) {
		struct res_list a = {0}, b = {0};
		topo_lower_host(t1, h, &a);
		topo_lower_host(t2, h, &b);
		assert_int_equal(a.n, b.n);
		for (size_t i = 0; i < a.n; i++) {
			assert_string_equal(a.v[i].id, b.v[i].id);
			for (size_t k = 0; k < a.v[i].n_props; k++)
				assert_string_equal(a.v[i].props[k].value, b.v[i].props[k].value);
		}
	}
	topo_free(t1);
	topo_free(t2);
}

int main(void)
{
#define T(f) cmocka_unit_test_teardown(f, teardown)
	const struct CMUnitTest tests[] = {
		T(test_decode_and_round_robin),
		T(test_host_local_shorthand_and_defaults_name),
		T(test_host_errors),
		T(test_node_placement_errors),
		T(test_spanning_needs_underlay),
		T(test_roles_refused),
		T(test_part_host),
		T(test_vni),
		T(test_vxlan_name_collides),
		T(test_no_hosts_unchanged),
		T(test_lower_per_host),
		T(test_lower_deterministic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

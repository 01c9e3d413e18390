/* test_hostlimits.c — what a topology asks of the host, on its numbers.
 *
 * The neighbour estimate and the bridge-port refusal are arithmetic on the
 * file, so they are pinned here exactly; no test fills the host's (global)
 * neighbour table to check them. The warnings `plan` prints read a fake
 * /proc/sys ($ASPEN_TEST_PROCSYS). */
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler/compile.h"
#include "compiler/hostlimits.h"
#include "runtime/hostinfo.h"

/* A topology of n netns nodes on network lan (10.0.0.0/16, gateway .0.1
 * unless gw is false), plus `extra` appended verbatim after the nodes. */
static char *gen(size_t n, bool gw, const char *extra_nets, const char *extra_nodes)
{
	size_t cap = 256 + n * 80 + strlen(extra_nets) + strlen(extra_nodes);
	char *s = malloc(cap);
	assert_non_null(s);
	size_t k = (size_t)snprintf(s, cap, "apiVersion: aspen/v1\nname: hl\ndefaults:\n  kind: netns\n"
				    "networks:\n  lan: {subnet: 10.0.0.0/16%s}\n%snodes:\n",
				    gw ? ", gateway: 10.0.0.1" : "", extra_nets);
	for (size_t i = 1; i <= n; i++)
		k += (size_t)snprintf(s + k, cap - k, "  n%zu: {interfaces: [{network: lan, ip: 10.0.%zu.%zu}]}\n",
				      i, (i + 1) / 256, (i + 1) % 256);
	snprintf(s + k, cap - k, "%s", extra_nodes);
	return s;
}

static struct topology *load(const char *yaml, struct diag_list *d)
{
	diag_init(d, "hl.yaml");
	struct topology *t = topo_load_buffer("hl.yaml", yaml, strlen(yaml), d);
	assert_non_null(t);
	return t;
}

static void test_neigh_network(void **state)
{
	(void)state;
	assert_int_equal(hostlim_neigh_network(0, 0, true), 0);
	assert_int_equal(hostlim_neigh_network(1, 0, false), 0);
	assert_int_equal(hostlim_neigh_network(2, 0, false), 2);
	/* 3 namespaces: 2 peers + gateway each; the host learns all 3. */
	assert_int_equal(hostlim_neigh_network(3, 0, true), 12);
	assert_int_equal(hostlim_neigh_network(1000, 0, true), 1000ull * 999 + 2000);
	/* VMs learn in their guests: 3 netns see 4 others + gw; host sees 5. */
	assert_int_equal(hostlim_neigh_network(3, 2, true), 20);
	assert_int_equal(hostlim_neigh_network(0, 3, true), 3);
	assert_int_equal(hostlim_neigh_network(0, 3, false), 0);
}

static void test_neigh_fit(void **state)
{
	(void)state;
	unsigned long long t2, t3;
	hostlim_neigh_fit(0, &t2, &t3);
	assert_int_equal(t2, 1024);
	assert_int_equal(t3, 2048);
	hostlim_neigh_fit(1000, &t2, &t3);     /* 1250 -> 2048 */
	assert_int_equal(t2, 2048);
	assert_int_equal(t3, 4096);
	hostlim_neigh_fit(10100, &t2, &t3);    /* 12625 -> 13312 */
	assert_int_equal(t2, 13312);
	assert_int_equal(t3, 26624);
}

static void test_need_counts(void **state)
{
	(void)state;
	/* lan: 4 netns (one of them also on lan2) with a gateway; lan2: that
	 * node and a VM, no gateway. */
	char *y = gen(4, true, "  lan2: {subnet: 10.1.0.0/24}\n",
		      "  v1: {kind: vm, kernel: /vmlinux, memory: 256M,"
		      " interfaces: [{network: lan2, ip: 10.1.0.3}]}\n"
		      "  w: {command: [sleep, '1'], interfaces: [{network: lan, ip: 10.0.1.1},"
		      " {network: lan2, ip: 10.1.0.2}]}\n"
		      "faults:\n  - {at: 1s, for: 1s, partition: {isolate: n1}}\n"
		      "  - {at: 3s, for: 1s, latency: {nodes: [n2], delay: 10ms}}\n");
	struct diag_list d;
	struct topology *t = load(y, &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%u:%u %s\n", d.v[i].pos.line, d.v[i].pos.col, d.v[i].msg);
	assert_false(diag_failed(&d));
	struct hostlim_need n;
	hostlim_need(t, &n);
	assert_int_equal(n.netns_nodes, 5);
	assert_int_equal(n.vm_nodes, 1);
	assert_int_equal(n.processes, 2);              /* w's command + one VMM */
	assert_int_equal(n.max_ports, 5);
	assert_string_equal(t->networks[n.max_ports_net].name, "lan");
	/* lan: 5 netns + gw = 5*4 + 5 + 5; lan2: 1 netns + 1 VM, no gw = 1. */
	assert_int_equal(n.neigh, 30 + 1);
	assert_int_equal(n.vm_memory, 256ull << 20);
	assert_int_equal(n.fds, HOSTLIM_FDS_BASE + 2 * 5 + 1);
	assert_true(n.nft);
	assert_true(n.netem);
	assert_false(n.tbf);
	topo_free(t);
	diag_clear(&d);
	free(y);
}

static void test_ports_at_limit(void **state)
{
	(void)state;
	char *y = gen(HOSTLIM_BRIDGE_PORTS, true, "", "");
	struct diag_list d;
	struct topology *t = load(y, &d);
	assert_false(diag_failed(&d));
	topo_free(t);
	diag_clear(&d);
	free(y);
}

static void test_ports_over_limit(void **state)
{
	(void)state;
	char *y = gen(HOSTLIM_BRIDGE_PORTS + 1, true, "  small: {subnet: 10.9.0.0/24}\n", "");
	struct diag_list d;
	struct topology *t = load(y, &d);
	assert_int_equal(d.n_errors, 1);
	const struct diag *g = &d.v[0];
	assert_int_equal(g->sev, DIAG_ERROR);
	assert_int_equal(g->pos.line, 6);       /* the key naming the network */
	assert_int_equal(g->pos.col, 3);
	assert_string_equal(g->path, "networks.lan");
	assert_string_equal(g->msg, "network lan has 1024 interfaces, but a Linux bridge holds at "
			    "most 1023 ports (BR_MAX_PORTS)");
	assert_string_equal(g->hint, "split it into 2 or more networks of at most 1023 interfaces "
			    "each, each with a subnet of its own");
	topo_free(t);
	diag_clear(&d);
	free(y);
}

/* A fake /proc/sys with the two neighbour bounds. */
static char *fake_procsys(unsigned t2, unsigned t3)
{
	char *dir = strdup("/tmp/aspen-hl.XXXXXX");
	assert_non_null(mkdtemp(dir));
	char p[256];
	const char *parts[] = {"net", "net/ipv4", "net/ipv4/neigh", "net/ipv4/neigh/default"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, parts[i]);
		assert_int_equal(mkdir(p, 0700), 0);
	}
	unsigned v[2] = {t2, t3};
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/net/ipv4/neigh/default/gc_thresh%d", dir, i + 2);
		FILE *f = fopen(p, "w");
		assert_non_null(f);
		fprintf(f, "%u\n", v[i]);
		fclose(f);
	}
	setenv("ASPEN_TEST_PROCSYS", dir, 1);
	return dir;
}

static void rm_fake(char *dir)
{
	char p[256];
	for (int i = 2; i <= 3; i++) {
		snprintf(p, sizeof(p), "%s/net/ipv4/neigh/default/gc_thresh%d", dir, i);
		unlink(p);
	}
	const char *parts[] = {"net/ipv4/neigh/default", "net/ipv4/neigh", "net/ipv4", "net", ""};
	for (size_t i = 0; i < 5; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, parts[i]);
		rmdir(p);
	}
	unsetenv("ASPEN_TEST_PROCSYS");
	free(dir);
}

static char *warn_text(unsigned long long need, int *lines)
{
	static char buf[2048];
	FILE *f = tmpfile();
	assert_non_null(f);
	*lines = hostinfo_neigh_warn(f, "aspen plan", need);
	rewind(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_neigh_warn(void **state)
{
	(void)state;
	char *dir = fake_procsys(512, 1024);
	unsigned long long v;
	assert_int_equal(hostinfo_sysctl("net/ipv4/neigh/default/gc_thresh3", &v), 0);
	assert_int_equal(v, 1024);
	assert_int_equal(hostinfo_sysctl("net/ipv4/neigh/default/nope", &v), -1);
	int lines;
	char *s = warn_text(512, &lines);
	assert_int_equal(lines, 0);
	assert_string_equal(s, "");
	s = warn_text(600, &lines);
	assert_int_equal(lines, 1);
	assert_non_null(strstr(s, "aspen plan: warning: the nodes may need 600 neighbour (ARP) "
			       "entries, more than net.ipv4.neigh.default.gc_thresh2 = 512"));
	assert_non_null(strstr(s, "net.ipv4.neigh.default.gc_thresh2=1024 (and gc_thresh3=2048)"));
	s = warn_text(10100, &lines);
	assert_int_equal(lines, 1);
	assert_non_null(strstr(s, "more than net.ipv4.neigh.default.gc_thresh3 = 1024"));
	assert_non_null(strstr(s, "neighbour table overflow"));
	assert_non_null(strstr(s, "set net.ipv4.neigh.default.gc_thresh3=26624 and "
			       "gc_thresh2=13312"));
	rm_fake(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_neigh_network),
		cmocka_unit_test(test_neigh_fit),
		cmocka_unit_test(test_need_counts),
		cmocka_unit_test(test_ports_at_limit),
		cmocka_unit_test(test_ports_over_limit),
		cmocka_unit_test(test_neigh_warn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

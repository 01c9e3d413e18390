/* bench_nl.c — how fast the netlink primitives build and tear down nodes.
 *
 * For each N (default 3, 10, 100) it builds what `aspen apply` builds for N
 * netns nodes on one network, through the runtime API only: one bridge with
 * an address, then per node a named namespace, a handle in it, a veth whose
 * peer is born inside as eth0 (MAC, MTU, up), an address and a default route
 * inside; then tears it all down (veth first, then namespace) and prints the
 * time of each phase in milliseconds. It asserts nothing.
 *
 * It creates kernel objects, so it runs only inside tests/sandbox.sh, which
 * exports ASPEN_SANDBOX=1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/mark.h"
#include "runtime/netns.h"
#include "runtime/nl.h"

#define BENCH_MAX 1000
#define BRIDGE "bnbr0"

struct node {
	char ns[32], veth[IFNAMSIZ], ns_mark[64], veth_mark[64];
	int fd;
	struct nl *nl;
};

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int die(const char *what, const struct rt_err *e)
{
	fprintf(stderr, "bench_nl: %s: %s\n", what, e->msg);
	return -1;
}

/* Everything of node i but its namespace, which exists already. */
static int bench_node_up(struct nl *host, int br, struct node *n, int i, double *t)
{
	struct rt_err e = { 0 };
	double t1 = now_ms();
	if (netns_open(n->ns, &n->fd, &e) < 0)
		return die("netns", &e);
	if (nl_open(&n->nl, n->fd, &e) < 0)
		return die("nl_open", &e);
	double t2 = now_ms();
	unsigned char mac[6] = { 0x02, 0, 0, 0, (unsigned char)(i >> 8), (unsigned char)i };
	struct nl_veth_opts v = {
		.name = n->veth, .alias = n->veth_mark, .master = br, .mtu = 1500, .up = true,
		.peer_name = "eth0", .peer_netns_fd = n->fd, .peer_mac = mac, .peer_up = true,
		.peer_nl = n->nl,
	};
	if (nl_veth_add(host, &v, &e) < 0)
		return die("veth", &e);
	double t3 = now_ms();
	struct nl_link_info eth0;
	char cidr[32];
	snprintf(cidr, sizeof(cidr), "10.200.%d.%d/16", (i + 2) >> 8, (i + 2) & 0xff);
	if (nl_link_find(n->nl, "eth0", &eth0, &e) < 0 ||
	    nl_addr_add(n->nl, eth0.ifindex, cidr, &e) < 0 ||
	    nl_route_default_add(n->nl, "10.200.0.1", eth0.ifindex, &e) < 0)
		return die("address/route", &e);
	double t4 = now_ms();
	t[1] += t2 - t1, t[2] += t3 - t2, t[3] += t4 - t3;
	return 0;
}

static int bench_one(int count, unsigned threads)
{
	static struct node nodes[BENCH_MAX];
	struct rt_err e = { 0 };
	struct nl *host;
	if (nl_open(&host, -1, &e) < 0)
		return die("nl_open", &e);
	double t[4] = { 0 }, start = now_ms();
	struct nl_bridge_opts bo = { .name = BRIDGE, .alias = "aspen:bench:bridge/lan", .up = true };
	struct nl_link_info br;
	if (nl_bridge_add(host, &bo, &e) < 0 || nl_link_find(host, BRIDGE, &br, &e) < 0 ||
	    nl_addr_add(host, br.ifindex, "10.200.0.1/16", &e) < 0)
		return die("bridge", &e);
	double tb = now_ms() - start;
	static struct netns_req reqs[BENCH_MAX];
	for (int i = 0; i < count; i++) {
		struct node *n = &nodes[i];
		snprintf(n->ns, sizeof(n->ns), "bn-%d", i);
		snprintf(n->veth, sizeof(n->veth), "bv-%d", i);
		snprintf(n->ns_mark, sizeof(n->ns_mark), "aspen:bench:netns/%d", i);
		snprintf(n->veth_mark, sizeof(n->veth_mark), "aspen:bench:veth/%d.eth0", i);
		reqs[i] = (struct netns_req){ .name = n->ns, .mark = n->ns_mark };
	}
	double t0 = now_ms();
	int rc = netns_create_all(reqs, (size_t)count, threads, &e);
	if (rc < 0)
		die("netns", &e);
	t[0] = now_ms() - t0;
	for (int i = 0; i < count && rc == 0; i++)
		rc = bench_node_up(host, br.ifindex, &nodes[i], i, t);
	double up = now_ms() - start, t5 = now_ms();
	/* Namespaces first: the kernel then destroys every peer, and with it
	 * every host end, in one batch. */
	static const char *names[BENCH_MAX];
	for (int i = 0; i < count; i++) {
		struct node *n = &nodes[i];
		nl_free(n->nl);
		if (n->fd > 0)
			close(n->fd);
		if (netns_delete_owned(n->ns, n->ns_mark, &e) < 0)
			rc = die("teardown", &e);
		names[i] = n->veth;
	}
	if (nl_link_wait_gone(host, names, (size_t)count, 10000, &e) < 0)
		rc = die("teardown", &e);
	if (nl_link_del_owned(host, BRIDGE, bo.alias, &e) < 0)
		rc = die("teardown bridge", &e);
	memset(nodes, 0, sizeof(nodes));
	double down = now_ms() - t5;
	nl_free(host);
	if (rc == 0)
		printf("n=%-4d ns_threads=%-4s bridge=%7.2f netns=%7.2f nl_open=%7.2f veth=%7.2f addr_route=%7.2f "
		       "up_total=%8.2f teardown=%8.2f per_node_up=%6.3f (ms)\n", count, threads == 1 ? "1" : "cpus", tb, t[0], t[1],
		       t[2], t[3], up, down, up / count);
	return rc;
}

int main(int argc, char **argv)
{
	const char *sb = getenv("ASPEN_SANDBOX");
	if (!sb || strcmp(sb, "1") != 0) {
		fprintf(stderr, "bench_nl: creates namespaces and links; run it inside "
			"tests/sandbox.sh (ASPEN_SANDBOX=1 is not set)\n");
		return 2;
	}
	int def[] = { 3, 10, 100 };
	int nn = argc > 1 ? argc - 1 : 3;
	for (int k = 0; k < nn; k++) {
		int count = argc > 1 ? atoi(argv[k + 1]) : def[k];
		if (count < 1 || count > BENCH_MAX) {
			fprintf(stderr, "bench_nl: N must be 1..%d\n", BENCH_MAX);
			return 2;
		}
		/* Namespaces one at a time, then on all CPUs. */
		if (bench_one(count, 1) < 0 || bench_one(count, 0) < 0)
			return 1;
	}
	return 0;
}

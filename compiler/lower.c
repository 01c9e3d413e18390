/* lower.c — a valid topology becomes the desired resources.
 *
 * This is the contract between the compiler and the runtime drivers: every
 * id, property and dependency made here is documented in docs/resources.md,
 * and a driver reads nothing else. Lowering is a straight walk: networks in
 * file order (bridge, gateway address), then nodes in file order (netns:
 * namespace, veth + address per interface, default route, process; vm: tap
 * per interface, vmm, vm). The output depends only on the topology, so the
 * same file always lowers to byte-identical resources.
 *
 * Derived names (bridge_name, netns_name, iface name/host_name/eff_mac) are
 * read, never computed here: validation owns them.
 *
 * Multi-host (docs/multihost.md): compiled for one host's part
 * (t->has_here), the walk keeps what that host holds — its nodes, the
 * bridges they use, a network's gateway addresses on its home host only
 * (two bridges answering ARP for one address on one segment would be a
 * split brain), and a vxlan/<net> port per spanning network — and every
 * host derives its share from the same topology, so the shares fit
 * together without the hosts ever talking to each other.
 *
 * JSON-valued properties (argv, env, disks, net) are written compactly by
 * hand: a fixed escaping and sorted keys keep them deterministic. What every
 * node process shares (the cluster's names and addresses) is one string
 * referenced by every process resource, so lowering stays linear in the
 * number of nodes. */
#include "compiler/compile.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------- a growable string buffer (malloc'd, reused) ---------------- */

struct sbuf {
	char *s;
	size_t n, cap;
};

static void sb_reserve(struct sbuf *b, size_t more)
{
	if (b->n + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->n + more + 1)
		cap *= 2;
	char *s = realloc(b->s, cap);
	if (!s) {
		fputs("aspen: out of memory\n", stderr);
		abort();
	}
	b->s = s;
	b->cap = cap;
}

static void sb_putn(struct sbuf *b, const char *s, size_t n)
{
	sb_reserve(b, n);
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s) { sb_putn(b, s, strlen(s)); }

static void sb_reset(struct sbuf *b)
{
	b->n = 0;
	sb_reserve(b, 0);
	b->s[0] = '\0';
}

/* s as a JSON string literal: quotes, backslash and control bytes escaped;
 * other bytes (UTF-8 included) copied, a run of plain bytes at a time. */
static void sb_json_str(struct sbuf *b, const char *s)
{
	sb_putn(b, "\"", 1);
	for (;;) {
		size_t run = 0;
		while (s[run] && s[run] != '"' && s[run] != '\\' && (unsigned char)s[run] >= 0x20)
			run++;
		sb_putn(b, s, run);
		s += run;
		if (!*s)
			break;
		unsigned char c = (unsigned char)*s++;
		char esc[8];
		switch (c) {
		case '"': sb_putn(b, "\\\"", 2); break;
		case '\\': sb_putn(b, "\\\\", 2); break;
		case '\b': sb_putn(b, "\\b", 2); break;
		case '\f': sb_putn(b, "\\f", 2); break;
		case '\n': sb_putn(b, "\\n", 2); break;
		case '\r': sb_putn(b, "\\r", 2); break;
		case '\t': sb_putn(b, "\\t", 2); break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			sb_puts(b, esc);
		}
	}
	sb_putn(b, "\"", 1);
}

/* ---------------- formatting helpers ---------------- */

static void fmt_ip(char out[16], uint32_t ip)
{
	snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255u, (ip >> 8) & 255u, ip & 255u);
}

static void fmt_mac(char out[18], const uint8_t m[6])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void fmt_ip6(char out[INET6_ADDRSTRLEN], const uint8_t a[16])
{
	inet_ntop(AF_INET6, a, out, INET6_ADDRSTRLEN);
}

static uint32_t prefix_mask(uint8_t len)
{
	return len == 0 ? 0 : (uint32_t)(0xffffffffu << (32 - len));
}

/* ids are short: kind, a 32-byte name, a 15-byte interface name. */
#define ID_MAX 128

static const char *idf(char buf[ID_MAX], const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *idf(char buf[ID_MAX], const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, ID_MAX, fmt, ap);
	va_end(ap);
	return buf;
}

static const struct topo_network *iface_net(const struct topology *t, const struct topo_iface *f)
{
	return &t->networks[f->network_idx];
}

/* The node's address for the environment: its first interface with an ip. */
static const struct topo_iface *node_first_ip(const struct topo_node *n)
{
	for (size_t i = 0; i < n->n_ifaces; i++)
		if (n->ifaces[i].has_ip)
			return &n->ifaces[i];
	return NULL;
}

/* Its IPv6 address: the first interface with an ip6. */
static const struct topo_iface *node_first_ip6(const struct topo_node *n)
{
	for (size_t i = 0; i < n->n_ifaces; i++)
		if (n->ifaces[i].has_ip6)
			return &n->ifaces[i];
	return NULL;
}

/* The MTU of a network's bridge and ports: its own, or for a network that
 * spans hosts the one that leaves room for the VXLAN header. 0: the
 * kernel's default. */
static uint32_t net_mtu(const struct topo_network *net)
{
	return net->spans ? net->eff_mtu : net->mtu;
}

/* ---------------- networks ---------------- */

static int str_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* items[0..n) sorted and joined by spaces, in a. */
static const char *join_sorted(struct arena *a, const char **items, size_t n)
{
	qsort(items, n, sizeof *items, str_cmp);
	struct sbuf b = {0};
	sb_reset(&b);
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_putn(&b, " ", 1);
		sb_puts(&b, items[i]);
	}
	const char *s = arena_strndup(a, b.s, b.n);
	free(b.s);
	return s;
}

/* The VXLAN port joining this host's bridge of a spanning network to the
 * other hosts' (props: resource.h, docs/resources.md). */
static void lower_vxlan(struct topology *t, size_t w, struct res_list *out)
{
	struct arena *a = &t->arena;
	const struct topo_network *net = &t->networks[w];
	char id[ID_MAX], ip[16], mac[18];
	size_t n_if = 0;
	for (size_t i = 0; i < t->n_nodes; i++)
		n_if += t->nodes[i].n_ifaces;
	const char **remotes = calloc(t->n_hosts + 1, sizeof *remotes);
	const char **fdb = calloc(n_if + 1, sizeof *fdb);
	bool *on = calloc(t->n_hosts + 1, sizeof *on);
	if (!remotes || !fdb || !on) {
		fputs("aspen: out of memory\n", stderr);
		abort();
	}
	size_t n_remotes = 0, n_fdb = 0;
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct topo_node *n = &t->nodes[i];
		if (n->host_idx == t->here)
			continue;
		for (size_t j = 0; j < n->n_ifaces; j++) {
			if (n->ifaces[j].network_idx != w)
				continue;
			on[n->host_idx] = true;
			fmt_mac(mac, n->ifaces[j].eff_mac);
			fmt_ip(ip, t->hosts[n->host_idx].address);
			fdb[n_fdb++] = arena_printf(a, "%s@%s", mac, ip);
		}
	}
	for (size_t h = 0; h < t->n_hosts; h++)
		if (on[h]) {
			fmt_ip(ip, t->hosts[h].address);
			remotes[n_remotes++] = arena_strdup(a, ip);
		}
	struct resource *r = res_list_add(out, a, RES_VXLAN, idf(id, "vxlan/%s", net->name));
	res_set(a, r, "name", net->vxlan_name);
	res_set(a, r, "bridge", net->bridge_name);
	res_setf(a, r, "vni", "%u", net->vni);
	fmt_ip(ip, t->hosts[t->here].address);
	res_set(a, r, "local", ip);
	res_set(a, r, "port", "4789");
	res_setf(a, r, "mtu", "%u", net->eff_mtu);
	res_set_ref(r, a, "remotes", join_sorted(a, remotes, n_remotes));
	res_set_ref(r, a, "fdb", join_sorted(a, fdb, n_fdb));
	res_add_dep(a, r, idf(id, "bridge/%s", net->name));
	free(remotes);
	free(fdb);
	free(on);
}

static void lower_network(struct topology *t, const struct topo_network *net, struct res_list *out)
{
	struct arena *a = &t->arena;
	char id[ID_MAX], ip[16];
	struct resource *r = res_list_add(out, a, RES_BRIDGE, idf(id, "bridge/%s", net->name));
	res_set(a, r, "name", net->bridge_name);
	if (net_mtu(net))
		res_setf(a, r, "mtu", "%u", net_mtu(net));
	if (t->has_here && net->spans)
		lower_vxlan(t, (size_t)(net - t->networks), out);
	/* The gateway lives on one host only: two bridges answering ARP for
	 * one address on one segment would be a split brain. */
	if (t->has_here && net->home_host != t->here)
		return;
	if (net->has_gateway6) {
		char ip6[INET6_ADDRSTRLEN];
		r = res_list_add(out, a, RES_ADDR, idf(id, "addr6/%s", net->name));
		res_set(a, r, "dev", net->bridge_name);
		fmt_ip6(ip6, net->gateway6);
		res_setf(a, r, "address", "%s/%u", ip6, net->subnet6.len);
		res_add_dep(a, r, idf(id, "bridge/%s", net->name));
	}
	if (!net->has_gateway)
		return;
	r = res_list_add(out, a, RES_ADDR, idf(id, "addr/%s", net->name));
	res_set(a, r, "dev", net->bridge_name);
	fmt_ip(ip, net->gateway);
	res_setf(a, r, "address", "%s/%u", ip, net->subnet.len);
	res_add_dep(a, r, idf(id, "bridge/%s", net->name));
}

/* ---------------- the environment of a netns node's process ---------------- */

struct env_ent {
	const char *key, *value;
	size_t order;                   /* tie-break: user entries first, file order */
};

static int env_cmp(const void *x, const void *y)
{
	const struct env_ent *a = x, *b = y;
	int c = strcmp(a->key, b->key);
	if (c)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* The node's own environment as a JSON object with sorted keys: the user's
 * env, then ASPEN_TOPOLOGY, ASPEN_NODE and ASPEN_NODE_IP unless the user set
 * them. What every node shares (the cluster's names and addresses) is not
 * repeated here: it is the one `cluster` string (see cluster_string). */
static const char *env_build(const struct topology *t, const struct topo_node *nd, struct sbuf *b)
{
	struct env_ent *own = calloc(nd->n_env + 4, sizeof(*own));
	size_t no = 0;
	if (!own) {
		fputs("aspen: out of memory\n", stderr);
		abort();
	}
	char ip[16], ip6[INET6_ADDRSTRLEN];
	for (size_t k = 0; k < nd->n_env; k++)
		own[no++] = (struct env_ent){nd->env[k].key, nd->env[k].value, k};
	own[no++] = (struct env_ent){"ASPEN_TOPOLOGY", t->name, SIZE_MAX};
	own[no++] = (struct env_ent){"ASPEN_NODE", nd->name, SIZE_MAX};
	const struct topo_iface *f = node_first_ip(nd);
	if (f) {
		fmt_ip(ip, f->ip);
		own[no++] = (struct env_ent){"ASPEN_NODE_IP", ip, SIZE_MAX};
	}
	const struct topo_iface *f6 = node_first_ip6(nd);
	if (f6) {
		fmt_ip6(ip6, f6->ip6);
		own[no++] = (struct env_ent){"ASPEN_NODE_IP6", ip6, SIZE_MAX};
	}
	qsort(own, no, sizeof(*own), env_cmp);
	sb_reset(b);
	sb_putn(b, "{", 1);
	for (size_t k = 0; k < no; k++) {
		if (k && strcmp(own[k - 1].key, own[k].key) == 0)
			continue;       /* the user's entry already took this key */
		if (b->n > 1)
			sb_putn(b, ",", 1);
		sb_json_str(b, own[k].key);
		sb_putn(b, ":", 1);
		sb_json_str(b, own[k].value);
	}
	sb_putn(b, "}", 1);
	free(own);
	return b->s;
}

/* "node1=10.100.0.2 node2=10.100.0.3 node3": every node in file order, with
 * its first address when it has one. Built once and shared by reference by
 * every process resource, so lowering stays linear in the node count; the
 * process driver derives ASPEN_NODES, ASPEN_PEERS, ASPEN_OTHERS and ASPEN_IP_<NAME> from
 * it. Names hold no spaces or '=' (validation), so it needs no escaping. */
static const char *cluster_string_in(const struct topology *t, struct arena *a)
{
	struct sbuf b = {0};
	sb_reset(&b);
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct topo_node *nd = &t->nodes[i];
		const struct topo_iface *f = node_first_ip(nd);
		if (i)
			sb_putn(&b, " ", 1);
		sb_puts(&b, nd->name);
		if (f) {
			char ip[16];
			fmt_ip(ip, f->ip);
			sb_putn(&b, "=", 1);
			sb_puts(&b, ip);
		}
	}
	const char *s = arena_strndup(a, b.s, b.n);
	free(b.s);
	return s;
}

static const char *cluster_string(struct topology *t)
{
	return cluster_string_in(t, &t->arena);
}

void topo_node_env(const struct topology *t, size_t i, struct arena *a, const char **cluster,
		   const char **env)
{
	struct sbuf b = {0};
	*cluster = cluster_string_in(t, a);
	*env = arena_strdup(a, env_build(t, &t->nodes[i], &b));
	free(b.s);
}

/* ---------------- netns nodes ---------------- */

struct lower_ctx {
	struct topology *t;
	struct res_list *out;
	const char *cluster;            /* shared by every process resource */
	struct sbuf buf;
};

/* Interface f's address of one family, on its veth: "addr/<node>.<if>" or
 * "addr6/<node>.<if>". Nothing when f has none. */
static void lower_addr(struct lower_ctx *c, const struct topo_node *n, const struct topo_iface *f,
		       bool v6)
{
	struct arena *a = &c->t->arena;
	const struct topo_network *net = iface_net(c->t, f);
	if (v6 ? !f->has_ip6 : !f->has_ip)
		return;
	char id[ID_MAX], ip[INET6_ADDRSTRLEN];
	if (v6)
		fmt_ip6(ip, f->ip6);
	else
		fmt_ip(ip, f->ip);
	struct resource *r = res_list_add(c->out, a, RES_ADDR,
					  idf(id, "%s/%s.%s", v6 ? "addr6" : "addr", n->name, f->name));
	res_set(a, r, "netns", n->netns_name);
	res_set(a, r, "dev", f->name);
	res_setf(a, r, "address", "%s/%u", ip, v6 ? net->subnet6.len : net->subnet.len);
	res_add_dep(a, r, idf(id, "veth/%s.%s", n->name, f->name));
}

static void lower_veth(struct lower_ctx *c, const struct topo_node *n, const struct topo_iface *f)
{
	struct arena *a = &c->t->arena;
	const struct topo_network *net = iface_net(c->t, f);
	char id[ID_MAX], mac[18];
	struct resource *r = res_list_add(c->out, a, RES_VETH, idf(id, "veth/%s.%s", n->name, f->name));
	res_set(a, r, "name", f->host_name);
	res_set(a, r, "peer", f->name);
	res_set(a, r, "netns", n->netns_name);
	res_set(a, r, "bridge", net->bridge_name);
	fmt_mac(mac, f->eff_mac);
	res_set(a, r, "mac", mac);
	if (net_mtu(net))
		res_setf(a, r, "mtu", "%u", net_mtu(net));
	res_add_dep(a, r, idf(id, "netns/%s", n->name));
	res_add_dep(a, r, idf(id, "bridge/%s", net->name));
	lower_addr(c, n, f, true);
	lower_addr(c, n, f, false);
}

/* The default route of one family: through the gateway (gateway6) of the
 * first interface that has an address (ip6) on a network with one (without
 * an address on that subnet the kernel refuses the gateway). Returns the
 * interface or NULL. */
static const struct topo_iface *lower_route(struct lower_ctx *c, const struct topo_node *n, bool v6)
{
	struct arena *a = &c->t->arena;
	for (size_t i = 0; i < n->n_ifaces; i++) {
		const struct topo_iface *f = &n->ifaces[i];
		const struct topo_network *net = iface_net(c->t, f);
		if (v6 ? !net->has_gateway6 || !f->has_ip6 : !net->has_gateway || !f->has_ip)
			continue;
		char id[ID_MAX], gw[INET6_ADDRSTRLEN];
		struct resource *r = res_list_add(c->out, a, RES_ROUTE,
						  idf(id, "%s/%s", v6 ? "route6" : "route", n->name));
		res_set(a, r, "netns", n->netns_name);
		res_set(a, r, "dev", f->name);
		if (v6)
			fmt_ip6(gw, net->gateway6);
		else
			fmt_ip(gw, net->gateway);
		res_set(a, r, "gateway", gw);
		res_add_dep(a, r, idf(id, "%s/%s.%s", v6 ? "addr6" : "addr", n->name, f->name));
		return f;
	}
	return NULL;
}

static void json_strv(struct sbuf *b, const struct strv *v)
{
	sb_reset(b);
	sb_putn(b, "[", 1);
	for (size_t i = 0; i < v->n; i++) {
		if (i)
			sb_putn(b, ",", 1);
		sb_json_str(b, v->v[i]);
	}
	sb_putn(b, "]", 1);
}

static void lower_process(struct lower_ctx *c, size_t idx, bool has_route, bool has_route6)
{
	struct arena *a = &c->t->arena;
	const struct topo_node *n = &c->t->nodes[idx];
	char id[ID_MAX];
	struct resource *r = res_list_add(c->out, a, RES_PROCESS, idf(id, "process/%s", n->name));
	res_set(a, r, "netns", n->netns_name);
	json_strv(&c->buf, &n->command);
	res_set(a, r, "argv", c->buf.s);
	res_set(a, r, "env", env_build(c->t, n, &c->buf));
	res_set_ref(r, a, "cluster", c->cluster);
	res_set(a, r, "workdir", n->workdir ? n->workdir : "/");
	/* Set only when not the default, so journals written before the
	 * policy existed compare equal (docs/resources.md). */
	if (n->keep_on_peers)
		res_set(a, r, "restart_on", "own");
	res_add_dep(a, r, idf(id, "netns/%s", n->name));
	for (size_t i = 0; i < n->n_ifaces; i++) {
		const struct topo_iface *f = &n->ifaces[i];
		res_add_dep(a, r, idf(id, "veth/%s.%s", n->name, f->name));
		if (f->has_ip)
			res_add_dep(a, r, idf(id, "addr/%s.%s", n->name, f->name));
		if (f->has_ip6)
			res_add_dep(a, r, idf(id, "addr6/%s.%s", n->name, f->name));
	}
	if (has_route)
		res_add_dep(a, r, idf(id, "route/%s", n->name));
	if (has_route6)
		res_add_dep(a, r, idf(id, "route6/%s", n->name));
}

static void lower_netns_node(struct lower_ctx *c, size_t idx)
{
	struct arena *a = &c->t->arena;
	const struct topo_node *n = &c->t->nodes[idx];
	char id[ID_MAX];
	struct resource *r = res_list_add(c->out, a, RES_NETNS, idf(id, "netns/%s", n->name));
	res_set(a, r, "name", n->netns_name);
	res_set(a, r, "topology", c->t->name);
	for (size_t i = 0; i < n->n_ifaces; i++)
		lower_veth(c, n, &n->ifaces[i]);
	bool has_route = lower_route(c, n, false) != NULL;
	bool has_route6 = lower_route(c, n, true) != NULL;
	if (n->command.n > 0)
		lower_process(c, idx, has_route, has_route6);
}

/* ---------------- vm nodes ---------------- */

/* cmdline plus, with guest_ip and an address on the first interface,
 * ip=<client>::<gateway>:<netmask>:<hostname>:eth0:off (the kernel's
 * nfsroot "ip=" syntax; empty gateway when the network has none). */
static void vm_cmdline(struct lower_ctx *c, const struct topo_node *n, struct sbuf *b)
{
	sb_reset(b);
	if (n->cmdline)
		sb_puts(b, n->cmdline);
	if (!n->guest_ip || n->n_ifaces == 0 || !n->ifaces[0].has_ip)
		return;
	const struct topo_iface *f = &n->ifaces[0];
	const struct topo_network *net = iface_net(c->t, f);
	char ip[16], gw[16] = "", mask[16], tail[128];
	fmt_ip(ip, f->ip);
	if (net->has_gateway)
		fmt_ip(gw, net->gateway);
	fmt_ip(mask, prefix_mask(net->subnet.len));
	snprintf(tail, sizeof(tail), "ip=%s::%s:%s:%s:%s:off", ip, gw, mask, n->name, f->name);
	if (b->n)
		sb_putn(b, " ", 1);
	sb_puts(b, tail);
}

static void vm_disks(const struct topo_node *n, struct sbuf *b)
{
	sb_reset(b);
	sb_putn(b, "[", 1);
	for (size_t i = 0; i < n->n_disks; i++) {
		if (i)
			sb_putn(b, ",", 1);
		sb_puts(b, "{\"path\":");
		sb_json_str(b, n->disks[i].path);
		sb_puts(b, n->disks[i].readonly ? ",\"readonly\":true}" : ",\"readonly\":false}");
	}
	sb_putn(b, "]", 1);
}

static void vm_net(const struct topo_node *n, struct sbuf *b)
{
	sb_reset(b);
	sb_putn(b, "[", 1);
	for (size_t i = 0; i < n->n_ifaces; i++) {
		char mac[18];
		fmt_mac(mac, n->ifaces[i].eff_mac);
		if (i)
			sb_putn(b, ",", 1);
		sb_puts(b, "{\"tap\":");
		sb_json_str(b, n->ifaces[i].host_name);
		sb_puts(b, ",\"mac\":");
		sb_json_str(b, mac);
		sb_putn(b, "}", 1);
	}
	sb_putn(b, "]", 1);
}

static void set_opt(struct arena *a, struct resource *r, const char *key, const char *v)
{
	if (v)
		res_set(a, r, key, v);
}

static void lower_vm_node(struct lower_ctx *c, size_t idx)
{
	struct arena *a = &c->t->arena;
	const struct topo_node *n = &c->t->nodes[idx];
	char id[ID_MAX];
	for (size_t i = 0; i < n->n_ifaces; i++) {
		const struct topo_iface *f = &n->ifaces[i];
		const struct topo_network *net = iface_net(c->t, f);
		struct resource *r = res_list_add(c->out, a, RES_TAP, idf(id, "tap/%s.%s", n->name, f->name));
		res_set(a, r, "name", f->host_name);
		res_set(a, r, "bridge", net->bridge_name);
		if (net_mtu(net))
			res_setf(a, r, "mtu", "%u", net_mtu(net));
		res_add_dep(a, r, idf(id, "bridge/%s", net->name));
	}

	struct resource *r = res_list_add(c->out, a, RES_VMM, idf(id, "vmm/%s", n->name));
	res_set(a, r, "binary", n->binary ? n->binary : "");
	res_setf(a, r, "socket", "/run/aspen/%s/%s.sock", c->t->name, n->name);
	for (size_t i = 0; i < n->n_ifaces; i++)
		res_add_dep(a, r, idf(id, "tap/%s.%s", n->name, n->ifaces[i].name));

	r = res_list_add(c->out, a, RES_VM, idf(id, "vm/%s", n->name));
	res_setf(a, r, "cpus", "%u", n->cpus);
	res_setf(a, r, "memory", "%llu", (unsigned long long)n->memory);
	set_opt(a, r, "kernel", n->kernel);
	set_opt(a, r, "initramfs", n->initramfs);
	set_opt(a, r, "firmware", n->firmware);
	vm_cmdline(c, n, &c->buf);
	if (c->buf.n)
		res_set(a, r, "cmdline", c->buf.s);
	if (n->n_disks) {
		vm_disks(n, &c->buf);
		res_set(a, r, "disks", c->buf.s);
	}
	if (n->n_ifaces) {
		vm_net(n, &c->buf);
		res_set(a, r, "net", c->buf.s);
	}
	set_opt(a, r, "console", n->console);
	set_opt(a, r, "serial", n->serial);
	res_add_dep(a, r, idf(id, "vmm/%s", n->name));
}

/* ---------------- entry ---------------- */

/* Does a node placed here have an interface on network w? */
static bool net_used_here(const struct topology *t, size_t w)
{
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct topo_node *n = &t->nodes[i];
		if (!topo_node_here(t, n))
			continue;
		for (size_t j = 0; j < n->n_ifaces; j++)
			if (n->ifaces[j].network_idx == w)
				return true;
	}
	return false;
}

void topo_lower(struct topology *t, struct res_list *out)
{
	struct lower_ctx c = {.t = t, .out = out};
	c.cluster = cluster_string(t);
	for (size_t i = 0; i < t->n_networks; i++)
		if (!t->has_here || net_used_here(t, i))
			lower_network(t, &t->networks[i], out);
	for (size_t i = 0; i < t->n_nodes; i++) {
		if (!topo_node_here(t, &t->nodes[i]))
			continue;
		if (t->nodes[i].kind == NODE_NETNS)
			lower_netns_node(&c, i);
		else
			lower_vm_node(&c, i);
	}
	free(c.buf.s);
}

void topo_lower_host(struct topology *t, size_t host, struct res_list *out)
{
	bool had = t->has_here;
	size_t here = t->here;
	t->has_here = true;
	t->here = host;
	topo_lower(t, out);
	t->has_here = had;
	t->here = here;
}

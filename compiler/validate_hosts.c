/* validate_hosts.c — placement of a multi-host topology (docs/multihost.md).
 *
 * Owns the checks of `hosts:` and of the nodes' `host:` (names, ssh
 * targets, underlay addresses, at most one local host, a host for every
 * node), and the derived fields of placement: each node's host_idx
 * (round-robin included) and, per network, its home host, whether it spans
 * hosts, its VNI and effective MTU. The VXLAN port's name is names.c's, so
 * it joins the link-name collision checks there.
 *
 * A topology without `hosts:` goes through here untouched unless a node
 * names a host (an error): every derived field keeps its zero value, so
 * lowering and the goldens are exactly what they were before hosts existed.
 *
 * Every host computes the same placement from the same file (the part is
 * the source, not a list of resources), so all of this is a pure function
 * of the file: no counter, no clock, no lookup of the machine. */
#include "compiler/compile.h"
#include "compiler/names.h"
#include "compiler/units.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VXLAN_OVERHEAD 50u      /* outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14 */
#define DEFAULT_MTU 1500u

struct hctx {
	struct topology *t;
	struct diag_list *d;
	struct arena a;                 /* scratch */
	char path[256];
	const char **host_names;        /* non-NULL names, for hints */
	size_t n_host_names;
	struct pos *bad; size_t n_bad;  /* host: positions already reported */
};

static const char *hpath(struct hctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *hpath(struct hctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->path, sizeof c->path, fmt, ap);
	va_end(ap);
	return c->path;
}

/* A `host:` value shared by many nodes (defaults) is reported once. */
static bool first_report(struct hctx *c, struct pos p)
{
	for (size_t i = 0; i < c->n_bad; i++)
		if (c->bad[i].line == p.line && c->bad[i].col == p.col)
			return false;
	c->bad[c->n_bad++] = p;
	return true;
}

uint32_t topo_vni(const char *topology, const char *network)
{
	/* FNV-1a, 32 bits, over "<topology>\0<network>", xor-folded to the
	 * 24 bits of a VNI (the FNV authors' way to shorten a hash). */
	uint32_t h = 2166136261u;
	size_t lt = strlen(topology), ln = strlen(network);
	for (size_t i = 0; i < lt + 1 + ln; i++) {
		h ^= (unsigned char)(i < lt ? topology[i] : i == lt ? 0 : network[i - lt - 1]);
		h *= 16777619u;
	}
	uint32_t v = (h >> 24) ^ (h & 0xffffffu);
	return v ? v : 1;
}

/* ---------------------------------------------------------- hosts */

static bool target_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '-' || ch == '_';
}

/* s[0..n) is a user or host name ssh will not read as an option. */
static bool target_word(const char *s, size_t n)
{
	if (n == 0 || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!target_char(s[i]))
			return false;
	return true;
}

/* ssh: [user@]host[:port] -> h->ssh = "[user@]host", h->ssh_port; an
 * IPv4-literal host is the underlay address unless address: says
 * otherwise. */
static void check_ssh(struct hctx *c, struct topo_host *h)
{
	const char *s = h->ssh, *path = hpath(c, "hosts.%s.ssh", h->name);
	const char *at = strchr(s, '@');
	const char *host = at ? at + 1 : s;
	if (host[0] == '[' || (strchr(host, ':') && strchr(host, ':') != strrchr(host, ':'))) {
		diag_error(c->d, h->ssh_pos, path, "ssh host \"%s\" is an IPv6 address; hosts are "
			   "reached and joined over IPv4 only", host);
		diag_hint(c->d, "use the host's IPv4 address or a host name (with address: "
			  "<IPv4> for its underlay)");
		h->ssh = NULL;
		return;
	}
	if (at && !target_word(s, (size_t)(at - s))) {
		diag_error(c->d, h->ssh_pos, path, "ssh user in \"%s\" is not a user name", s);
		diag_hint(c->d, "write [user@]host[:port], e.g. root@10.0.0.2 or ops@rack3-b:2222; "
			  "a user is letters, digits, `.`, `-` and `_`, not starting with `-`");
		h->ssh = NULL;
		return;
	}
	const char *colon = strchr(host, ':');
	size_t hlen = colon ? (size_t)(colon - host) : strlen(host);
	if (!target_word(host, hlen)) {
		diag_error(c->d, h->ssh_pos, path, "ssh host in \"%s\" is not a host name or an "
			   "IPv4 address", s);
		diag_hint(c->d, "write [user@]host[:port], e.g. root@10.0.0.2 or ops@rack3-b:2222; "
			  "a host is letters, digits, `.`, `-` and `_`, not starting with `-`");
		h->ssh = NULL;
		return;
	}
	if (colon) {
		uint64_t port;
		const char *why = NULL;
		if (unit_uint(colon + 1, 1, 65535, &port, &why) < 0) {
			diag_error(c->d, h->ssh_pos, path, "ssh port \"%s\" is not a port from 1 to "
				   "65535", colon + 1);
			diag_hint(c->d, "write host:port, e.g. ops@rack3-b:2222, or leave the port "
				  "to your ssh configuration");
			h->ssh = NULL;
			return;
		}
		h->ssh_port = (uint16_t)port;
	}
	char *hostname = arena_strndup(&c->a, host, hlen);
	h->ssh = arena_strndup(&c->t->arena, s, (size_t)(host - s) + hlen);
	uint32_t ip;
	const char *why = NULL;
	if (!h->has_address && unit_ipv4(hostname, &ip, &why) == 0) {
		h->has_address = true;
		h->address = ip;
		h->address_pos = h->ssh_pos;
	}
}

/* An underlay address must be one a UDP packet can be sent to. */
static void check_address(struct hctx *c, const struct topo_host *h)
{
	uint32_t a = h->address;
	if (a == 0 || (a >> 24) == 127 || (a >> 28) == 0xe || a == 0xffffffffu) {
		char ip[16];
		names_fmt_ipv4(ip, a);
		diag_error(c->d, h->address_pos, hpath(c, "hosts.%s.address", h->name),
			   "%s cannot be a host's underlay address (unspecified, loopback, "
			   "multicast or broadcast)", ip);
		diag_hint(c->d, "give the address the other hosts reach this one at");
	}
}

static void check_hosts(struct hctx *c)
{
	struct topology *t = c->t;
	size_t local = SIZE_MAX;
	for (size_t i = 0; i < t->n_hosts; i++) {
		struct topo_host *h = &t->hosts[i];
		const char *path = hpath(c, "hosts.%s", h->name);
		if (!topo_name_ok(h->name))
			topo_report_name(c->d, "host", h->name, h->pos, path);
		else if (strcmp(h->name, TOPO_HOST_ROUND_ROBIN) == 0) {
			diag_error(c->d, h->pos, path, "host name \"round-robin\" is reserved");
			diag_hint(c->d, "`host: round-robin` in defaults is the placement rule; pick "
				  "another name");
		}
		c->host_names[c->n_host_names++] = h->name;
		if (h->local && h->ssh) {
			diag_error(c->d, h->ssh_pos, hpath(c, "hosts.%s.ssh", h->name),
				   "host %s is both local and reached by ssh", h->name);
			diag_hint(c->d, "a local host is the machine aspen runs on: drop ssh:, or "
				  "local: true");
			h->ssh = NULL;
		}
		if (h->local) {
			if (local != SIZE_MAX) {
				const struct topo_host *o = &t->hosts[local];
				diag_error(c->d, h->pos, path, "host %s is local, and so is %s (at %u:%u): "
					   "only one host is the machine aspen runs on", h->name,
					   o->name, o->pos.line, o->pos.col);
				diag_hint(c->d, "reach the other machine with ssh: user@host");
			} else {
				local = i;
			}
		}
		if (h->ssh)
			check_ssh(c, h);
		if (h->has_address)
			check_address(c, h);
	}
	for (size_t i = 0; i < t->n_hosts; i++) {
		const struct topo_host *h = &t->hosts[i];
		for (size_t j = 0; h->has_address && j < i; j++) {
			const struct topo_host *o = &t->hosts[j];
			if (!o->has_address || o->address != h->address)
				continue;
			char ip[16];
			names_fmt_ipv4(ip, h->address);
			diag_error(c->d, h->address_pos, hpath(c, "hosts.%s", h->name),
				   "host %s has the underlay address %s of host %s (at %u:%u)",
				   h->name, ip, o->name, o->address_pos.line, o->address_pos.col);
			diag_hint(c->d, "two hosts cannot share one VXLAN endpoint: give each its "
				  "own address:");
			break;
		}
	}
}

/* ---------------------------------------------------------- nodes */

static size_t find_host(const struct topology *t, const char *name)
{
	for (size_t i = 0; i < t->n_hosts; i++)
		if (t->hosts[i].name && strcmp(t->hosts[i].name, name) == 0)
			return i;
	return SIZE_MAX;
}

/* Sets host_idx of every node; returns whether every node has a host. */
static bool place_nodes(struct hctx *c)
{
	struct topology *t = c->t;
	size_t rr = 0;
	bool ok = true;
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct topo_node *n = &t->nodes[i];
		n->host_idx = 0;
		if (!n->name)
			continue;
		if (t->n_hosts == 0) {
			if (n->host && first_report(c, n->host_pos)) {
				diag_error(c->d, n->host_pos, hpath(c, "nodes.%s.host", n->name),
					   "host: %s places a node, but the file has no hosts:",
					   n->host);
				diag_hint(c->d, "list the machines under hosts: (e.g. `hosts: {h1: local, "
					  "h2: {ssh: root@10.0.0.2}}`), or drop host:");
			}
			continue;
		}
		if (!n->host) {
			diag_error(c->d, n->pos, hpath(c, "nodes.%s", n->name),
				   "node %s has no host: the file lists hosts:, so every node needs one",
				   n->name);
			diag_hint(c->d, "add host: %s, or defaults: host: round-robin",
				  t->hosts[0].name);
			ok = false;
			continue;
		}
		if (strcmp(n->host, TOPO_HOST_ROUND_ROBIN) == 0) {
			n->host_idx = rr++ % t->n_hosts;
			continue;
		}
		size_t h = find_host(t, n->host);
		if (h != SIZE_MAX) {
			n->host_idx = h;
			continue;
		}
		ok = false;
		if (!first_report(c, n->host_pos))
			continue;
		diag_error(c->d, n->host_pos, hpath(c, "nodes.%s.host", n->name),
			   "host \"%s\" is not defined", n->host);
		const char *s = diag_suggest(n->host, c->host_names, c->n_host_names);
		if (s)
			diag_hint(c->d, "did you mean `%s`?", s);
		else
			diag_hint(c->d, "define it under hosts:, or use round-robin in defaults");
	}
	return ok;
}

/* ---------------------------------------------------------- networks */

/* home_host, spans, vni, eff_mtu of every network; an underlay address
 * for every host a spanning network reaches. */
static void place_networks(struct hctx *c)
{
	struct topology *t = c->t;
	size_t nh = t->n_hosts, nw = t->n_networks;
	bool *on = arena_array(&c->a, nw * nh + 1, sizeof *on);    /* on[w * nh + h] */
	bool *seen = arena_array(&c->a, nw + 1, sizeof *seen);
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct topo_node *n = &t->nodes[i];
		for (size_t j = 0; j < n->n_ifaces; j++) {
			size_t w = n->ifaces[j].network_idx;
			if (w >= nw)
				continue;
			if (!seen[w]) {
				seen[w] = true;
				t->networks[w].home_host = n->host_idx;
			} else if (t->networks[w].home_host != n->host_idx) {
				t->networks[w].spans = true;
			}
			on[w * nh + n->host_idx] = true;
		}
	}
	const char *topo = t->name ? t->name : "";
	for (size_t w = 0; w < nw; w++) {
		struct topo_network *net = &t->networks[w];
		net->eff_mtu = net->mtu;
		if (!net->spans || !net->name)
			continue;
		net->vni = topo_vni(topo, net->name);
		if (!net->mtu)
			net->eff_mtu = DEFAULT_MTU - VXLAN_OVERHEAD;
		for (size_t o = 0; o < w; o++) {
			const struct topo_network *x = &t->networks[o];
			if (!x->spans || x->vni != net->vni)
				continue;
			diag_error(c->d, net->pos, hpath(c, "networks.%s", net->name),
				   "networks %s and %s derive the same VNI %u: their hosts would "
				   "join them into one segment", x->name, net->name, net->vni);
			diag_hint(c->d, "rename one of the two networks");
		}
	}
	/* Each host that holds a port of a spanning network is a VXLAN
	 * endpoint: the others must know where to send. */
	for (size_t h = 0; h < nh; h++) {
		const struct topo_host *host = &t->hosts[h];
		if (host->has_address)
			continue;
		for (size_t w = 0; w < nw; w++) {
			if (!t->networks[w].spans || !on[w * nh + h])
				continue;
			diag_error(c->d, host->pos, hpath(c, "hosts.%s", host->name),
				   "host %s has no underlay address, but network %s spans it",
				   host->name, t->networks[w].name);
			if (host->local)
				diag_hint(c->d, "write `%s: {local: true, address: <this machine's "
					  "IPv4 the other hosts reach>}`", host->name);
			else
				diag_hint(c->d, "add address: <IPv4 the other hosts reach it at>, or "
					  "use an IPv4 address as the ssh host");
			break;
		}
	}
}

/* ---------------------------------------------------------- roles */

static void refuse_roles_in(struct hctx *c, const struct target_list *l, size_t fi)
{
	char path[64];
	snprintf(path, sizeof path, "faults[%zu]", fi);
	for (size_t k = 0; k < l->n; k++) {
		if (!l->v[k].role)
			continue;
		diag_error(c->d, l->v[k].pos, path, "@%s: roles are not available across hosts yet",
			   l->v[k].role);
		diag_hint(c->d, "name the nodes the fault targets; a role probe runs on every "
			  "node, and one topology's nodes are on several hosts here");
	}
}

/* A role is resolved by probing every node when the fault fires, which a
 * controller cannot do yet for nodes on other hosts (docs/language.md). */
static void refuse_roles(struct hctx *c)
{
	const struct topology *t = c->t;
	for (size_t i = 0; i < t->n_faults; i++) {
		const struct topo_fault *f = &t->faults[i];
		switch (f->kind) {
		case FAULT_PARTITION:
			for (size_t g = 0; g < f->u.partition.n_groups; g++)
				refuse_roles_in(c, &f->u.partition.groups[g], f->index);
			break;
		case FAULT_LINK_DOWN:
			refuse_roles_in(c, &f->u.link.targets, f->index);
			break;
		case FAULT_KILL: case FAULT_PAUSE: case FAULT_RESUME: case FAULT_START:
		case FAULT_RESTART: case FAULT_REBOOT:
			refuse_roles_in(c, &f->u.node.targets, f->index);
			break;
		default:
			refuse_roles_in(c, &f->u.impair.targets, f->index);
			break;
		}
	}
}

/* ---------------------------------------------------------- entries */

void topo_validate_hosts(struct topology *t, struct diag_list *d)
{
	struct hctx c = {.t = t, .d = d};
	arena_init(&c.a);
	c.host_names = arena_array(&c.a, t->n_hosts + 1, sizeof *c.host_names);
	c.bad = arena_array(&c.a, t->n_nodes + 1, sizeof *c.bad);
	check_hosts(&c);
	bool placed = place_nodes(&c);
	if (t->n_hosts > 0) {
		if (placed)
			place_networks(&c);
		refuse_roles(&c);
	}
	arena_free(&c.a);
}

void topo_set_here(struct topology *t, const char *host, struct diag_list *d)
{
	t->has_here = false;
	if (!host)
		return;
	size_t h = find_host(t, host);
	if (h == SIZE_MAX) {
		char list[256] = "";
		size_t o = 0;
		for (size_t i = 0; i < t->n_hosts && o < sizeof list; i++)
			o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "",
					      t->hosts[i].name);
		if (t->n_hosts == 0)
			diag_error(d, (struct pos){0, 0}, NULL, "this is a part for host %s, but the "
				   "file has no hosts:", host);
		else
			diag_error(d, (struct pos){0, 0}, NULL, "this is a part for host %s, which "
				   "the file does not define (hosts: %s)", host, list);
		diag_hint(d, "the controller and this host must compile the same file");
		return;
	}
	t->has_here = true;
	t->here = h;
}

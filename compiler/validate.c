/* validate.c — semantic checks of a decoded topology, and its derived fields.
 *
 * Owns topo_validate(): everything the YAML decoder cannot see on its own —
 * names in the safe charset, references between sections (interfaces to
 * networks, fault targets to nodes and interfaces), address plans (subnets,
 * gateways, duplicates, overlaps), VM sizing, and the fault schedule (node
 * states simulated in time order, mechanisms that cannot be stacked on one
 * interface). The idea: never stop at the first problem; every check reports
 * at the position of the offending key with its dotted path, and a hint when
 * there is an obvious fix. Duplicate and overlap checks sort instead of
 * comparing all pairs, and paths and messages are formatted only when
 * something is wrong, so a 1000-node file validates in about 2 ms
 * (test_scale_1000_nodes). Generated names come from names.c. */
#include "compiler/compile.h"
#include "compiler/envsub.h"
#include "compiler/hostlimits.h"
#include "compiler/names.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_BYTES 32
#define MIN_MEMORY (64ull << 20)
#define MAX_CPUS 255u
#define FOREVER UINT64_MAX

struct claim {                          /* partition sides, see check_sides */
	uint32_t stamp, group;
	const struct fault_target *by;
};

struct vctx {
	struct topology *t;
	struct diag_list *d;
	struct arena a;                 /* scratch, freed at the end */
	char path[512];
	const char **node_by_pos, **net_by_pos;         /* names by index, NULL kept */
	const char **node_names; size_t n_node_names;   /* non-NULL names, for hints */
	const char **net_names; size_t n_net_names;
	size_t *node_sorted, n_node_sorted;             /* indices sorted by name */
	size_t *net_sorted, n_net_sorted;
	size_t *ifbase; size_t n_if;    /* interface k of node i is ifbase[i] + k */
	struct claim *node_claim, *iface_claim;
	uint32_t stamp;
	uint32_t *addrs; size_t n_addrs;                /* sorted, for health */
};

/* ------------------------------------------------------------ helpers */

static const char *vpath(struct vctx *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *vpath(struct vctx *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->path, sizeof v->path, fmt, ap);
	va_end(ap);
	return v->path;
}

static const char *ip_str(char buf[16], uint32_t ip)
{
	names_fmt_ipv4(buf, ip);
	return buf;
}

/* "1m30s", "250ms", "500us", "0s": the shortest exact spelling. */
static const char *dur_str(char buf[40], uint64_t us)
{
	if (us == FOREVER) {
		snprintf(buf, 40, "the end");
	} else if (us % 1000000 != 0) {
		if (us % 1000 == 0)
			snprintf(buf, 40, "%llums", (unsigned long long)(us / 1000));
		else
			snprintf(buf, 40, "%lluus", (unsigned long long)us);
	} else {
		unsigned long long s = us / 1000000, h = s / 3600, m = s / 60 % 60;
		int n = 0;
		buf[0] = '\0';
		if (h)
			n += snprintf(buf + n, (size_t)(40 - n), "%lluh", h);
		if (m)
			n += snprintf(buf + n, (size_t)(40 - n), "%llum", m);
		if (s % 60 || (!h && !m))
			snprintf(buf + n, (size_t)(40 - n), "%llus", s % 60);
	}
	return buf;
}

static const char *size_str(char buf[40], uint64_t b)
{
	if (b && b % (1ull << 20) == 0)
		snprintf(buf, 40, "%lluM", (unsigned long long)(b >> 20));
	else if (b && b % 1024 == 0)
		snprintf(buf, 40, "%lluK", (unsigned long long)(b >> 10));
	else
		snprintf(buf, 40, "%llu bytes", (unsigned long long)b);
	return buf;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > FOREVER - b ? FOREVER : a + b;
}

static uint32_t prefix_mask(uint8_t len)
{
	return len == 0 ? 0 : len >= 32 ? 0xffffffffu : 0xffffffffu << (32 - len);
}

static uint32_t net_base(const struct topo_network *w)
{
	return w->subnet.addr & prefix_mask(w->subnet.len);
}

static uint32_t net_last(const struct topo_network *w)
{
	return net_base(w) | ~prefix_mask(w->subnet.len);
}

static const struct topo_node *node_of(struct vctx *v, size_t i)
{
	return &v->t->nodes[i];
}

/* ------------------------------------------------------- name indexes */

static int idx_by_name(const void *a, const void *b, void *names)
{
	const char **n = names;
	return strcmp(n[*(const size_t *)a], n[*(const size_t *)b]);
}

/* Indices of the non-NULL names, sorted by name. */
static size_t *name_index(struct vctx *v, const char **names, size_t n, size_t *out_n)
{
	size_t *idx = arena_array(&v->a, n + 1, sizeof *idx), k = 0;
	for (size_t i = 0; i < n; i++)
		if (names[i])
			idx[k++] = i;
	qsort_r(idx, k, sizeof *idx, idx_by_name, names);
	*out_n = k;
	return idx;
}

static void build_indexes(struct vctx *v)
{
	struct topology *t = v->t;
	const char **nn = v->node_by_pos = arena_array(&v->a, t->n_nodes + 1, sizeof *nn);
	const char **wn = v->net_by_pos = arena_array(&v->a, t->n_networks + 1, sizeof *wn);
	v->node_names = arena_array(&v->a, t->n_nodes + 1, sizeof *nn);
	v->net_names = arena_array(&v->a, t->n_networks + 1, sizeof *wn);
	for (size_t i = 0; i < t->n_nodes; i++) {
		nn[i] = t->nodes[i].name;
		if (nn[i])
			v->node_names[v->n_node_names++] = nn[i];
	}
	for (size_t i = 0; i < t->n_networks; i++) {
		wn[i] = t->networks[i].name;
		if (wn[i])
			v->net_names[v->n_net_names++] = wn[i];
	}
	v->node_sorted = name_index(v, nn, t->n_nodes, &v->n_node_sorted);
	v->net_sorted = name_index(v, wn, t->n_networks, &v->n_net_sorted);
	v->ifbase = arena_array(&v->a, t->n_nodes + 1, sizeof *v->ifbase);
	for (size_t i = 0; i < t->n_nodes; i++) {
		v->ifbase[i] = v->n_if;
		v->n_if += t->nodes[i].n_ifaces;
	}
	v->ifbase[t->n_nodes] = v->n_if;
	v->node_claim = arena_array(&v->a, t->n_nodes + 1, sizeof *v->node_claim);
	v->iface_claim = arena_array(&v->a, v->n_if + 1, sizeof *v->iface_claim);
}

/* Binary search of name in names[] through the sorted index idx[0..n);
 * the position in names[], or SIZE_MAX when absent. */
static size_t find_sorted(const char *const *names, const size_t *idx, size_t n, const char *name)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(names[idx[mid]], name);
		if (c == 0)
			return idx[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

static size_t find_node(struct vctx *v, const char *name)
{
	return find_sorted(v->node_by_pos, v->node_sorted, v->n_node_sorted, name);
}

static size_t find_network(struct vctx *v, const char *name)
{
	return find_sorted(v->net_by_pos, v->net_sorted, v->n_net_sorted, name);
}

/* --------------------------------------------------------------- names */

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* [a-z0-9]([a-z0-9_-]*[a-z0-9])?, at most 32 bytes. Returns whether the
 * name is fine; callers build the path only when it is not. */
static bool name_ok(const char *name)
{
	size_t len = strlen(name);
	bool ok = len > 0 && len <= NAME_MAX_BYTES && name_char(name[0]) && name_char(name[len - 1]);
	for (size_t i = 0; ok && i < len; i++)
		ok = name_char(name[i]) || name[i] == '-' || name[i] == '_';
	return ok;
}

static void report_name(struct vctx *v, const char *what, const char *name, struct pos p,
			const char *path)
{
	size_t len = strlen(name);
	bool chars_ok = len > 0 && name_char(name[0]) && name_char(name[len - 1]);
	for (size_t i = 0; chars_ok && i < len; i++)
		chars_ok = name_char(name[i]) || name[i] == '-' || name[i] == '_';
	if (!chars_ok) {
		diag_error(v->d, p, path, "%s name \"%s\" is not a valid name", what, name);
		diag_hint(v->d, "use a-z, 0-9, `-` and `_`, starting and ending with a letter or "
			  "digit: names become part of kernel object names");
	} else {
		diag_error(v->d, p, path, "%s name \"%s\" is %zu bytes long; at most %d are allowed",
			   what, name, len, NAME_MAX_BYTES);
	}
}

bool topo_name_ok(const char *name)
{
	return name_ok(name);
}

void topo_report_name(struct diag_list *d, const char *what, const char *name, struct pos p,
		      const char *path)
{
	struct vctx v = {.d = d};
	report_name(&v, what, name, p, path);
}

struct label { const char *name; size_t fault; };

static int label_cmp(const void *a, const void *b)
{
	const struct label *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->fault > y->fault) - (x->fault < y->fault);
}

static void check_names(struct vctx *v)
{
	struct topology *t = v->t;
	if (t->name && !name_ok(t->name))
		report_name(v, "topology", t->name, t->name_pos, "name");
	for (size_t i = 0; i < t->n_networks; i++) {
		const struct topo_network *w = &t->networks[i];
		if (w->name && !name_ok(w->name))
			report_name(v, "network", w->name, w->pos, vpath(v, "networks.%s", w->name));
	}
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct topo_node *nd = &t->nodes[i];
		if (nd->name && !name_ok(nd->name))
			report_name(v, "node", nd->name, nd->pos, vpath(v, "nodes.%s", nd->name));
	}

	struct label *l = arena_array(&v->a, t->n_faults + 1, sizeof *l);
	size_t n = 0;
	for (size_t i = 0; i < t->n_faults; i++) {
		if (!t->faults[i].label)
			continue;
		if (!name_ok(t->faults[i].label))
			report_name(v, "fault", t->faults[i].label, t->faults[i].pos,
				    vpath(v, "faults[%zu].name", i));
		l[n++] = (struct label){ t->faults[i].label, i };
	}
	qsort(l, n, sizeof *l, label_cmp);
	for (size_t k = 1; k < n; k++) {
		size_t first = k - 1;
		while (first > 0 && strcmp(l[first - 1].name, l[k].name) == 0)
			first--;
		if (strcmp(l[first].name, l[k].name) != 0)
			continue;
		const struct topo_fault *f = &t->faults[l[k].fault], *g = &t->faults[l[first].fault];
		diag_error(v->d, f->pos, vpath(v, "faults[%zu].name", l[k].fault),
			   "fault name \"%s\" is already used by faults[%zu] (at %u:%u)",
			   l[k].name, l[first].fault, g->pos.line, g->pos.col);
	}
}

/* ------------------------------------------------------------ networks */

/* "use an address between A and B": the usable hosts, without the gateway
 * when it sits at either end. */
static void hint_range(struct vctx *v, const struct topo_network *w)
{
	char a[16], b[16], g[16];
	uint32_t lo = net_base(w), hi = net_last(w);
	if (w->subnet.len <= 30) {
		lo++;
		hi--;
	}
	if (w->has_gateway && w->gateway == lo && lo < hi)
		lo++;
	else if (w->has_gateway && w->gateway == hi && lo < hi)
		hi--;
	if (lo == hi)
		diag_hint(v->d, "use %s", ip_str(a, lo));
	else if (w->has_gateway && w->gateway > lo && w->gateway < hi)
		diag_hint(v->d, "use an address between %s and %s other than the gateway %s",
			  ip_str(a, lo), ip_str(b, hi), ip_str(g, w->gateway));
	else
		diag_hint(v->d, "use an address between %s and %s", ip_str(a, lo), ip_str(b, hi));
}

static void check_gateway(struct vctx *v, const struct topo_network *w)
{
	char ip[16], net[16];
	const char *path = vpath(v, "networks.%s.gateway", w->name);
	ip_str(net, net_base(w));
	ip_str(ip, w->gateway);
	if ((w->gateway & prefix_mask(w->subnet.len)) != net_base(w)) {
		diag_error(v->d, w->gateway_pos, path, "gateway %s is outside the subnet %s/%u",
			   ip, net, w->subnet.len);
		hint_range(v, w);
	} else if (w->subnet.len <= 30 && w->gateway == net_base(w)) {
		diag_error(v->d, w->gateway_pos, path,
			   "gateway %s is the network address of %s/%u", ip, net, w->subnet.len);
		hint_range(v, w);
	} else if (w->subnet.len <= 30 && w->gateway == net_last(w)) {
		diag_error(v->d, w->gateway_pos, path,
			   "gateway %s is the broadcast address of %s/%u", ip, net, w->subnet.len);
		hint_range(v, w);
	}
}

/* The kernel's dev_valid_name(): 1..15 bytes, not "." or "..", no '/',
 * ':' or white space. */
static void check_bridge(struct vctx *v, const struct topo_network *w)
{
	const char *b = w->bridge, *path = vpath(v, "networks.%s.bridge", w->name);
	size_t len = strlen(b);
	if (len == 0 || strcmp(b, ".") == 0 || strcmp(b, "..") == 0) {
		diag_error(v->d, w->bridge_pos, path, "bridge name \"%s\" is not a valid link name", b);
	} else if (len > IFNAMSIZ_ASPEN - 1) {
		diag_error(v->d, w->bridge_pos, path,
			   "bridge name \"%s\" is %zu bytes long; the kernel allows at most %d",
			   b, len, IFNAMSIZ_ASPEN - 1);
	} else if (strpbrk(b, "/: \t\n\r\v\f")) {
		diag_error(v->d, w->bridge_pos, path,
			   "bridge name \"%s\" may not contain '/', ':' or white space", b);
	}
}

static int net_by_base(const void *a, const void *b, void *arg)
{
	const struct topo_network *nets = arg;
	const struct topo_network *x = &nets[*(const size_t *)a], *y = &nets[*(const size_t *)b];
	uint32_t bx = net_base(x), by = net_base(y);
	if (bx != by)
		return bx < by ? -1 : 1;
	return (*(const size_t *)a > *(const size_t *)b) - (*(const size_t *)a < *(const size_t *)b);
}

/* Sort by first address; a network overlaps an earlier one iff it starts
 * at or before the furthest end seen so far. */
static void check_overlaps(struct vctx *v)
{
	struct topology *t = v->t;
	size_t *o = arena_array(&v->a, t->n_networks + 1, sizeof *o), n = 0;
	for (size_t i = 0; i < t->n_networks; i++)
		if (t->networks[i].name && t->networks[i].has_subnet)
			o[n++] = i;
	qsort_r(o, n, sizeof *o, net_by_base, t->networks);
	size_t far = SIZE_MAX;
	for (size_t k = 0; k < n; k++) {
		const struct topo_network *w = &t->networks[o[k]];
		if (far != SIZE_MAX && net_base(w) <= net_last(&t->networks[far])) {
			/* Report at the one later in the file, naming the other. */
			size_t i = o[k] > far ? o[k] : far, j = o[k] > far ? far : o[k];
			const struct topo_network *x = &t->networks[i], *y = &t->networks[j];
			char a[16], b[16];
			diag_error(v->d, x->subnet_pos, vpath(v, "networks.%s.subnet", x->name),
				   "subnet %s/%u of network %s overlaps %s/%u of network %s (at %u:%u)",
				   ip_str(a, net_base(x)), x->subnet.len, x->name,
				   ip_str(b, net_base(y)), y->subnet.len, y->name,
				   y->subnet_pos.line, y->subnet_pos.col);
		}
		if (far == SIZE_MAX || net_last(w) > net_last(&t->networks[far]))
			far = o[k];
	}
}

/* Address blocks no test network may touch (RFC 6890). Each would break
 * the host, or the nodes, in its own way; the reason is part of the error. */
static const struct {
	uint32_t base; uint8_t len;
	const char *what, *why;
} special_blocks[] = {
	{ 0x00000000u, 8, "\"this network\" (0.0.0.0/8)",
	  "the kernel treats these as unspecified source addresses" },
	{ 0x7f000000u, 8, "loopback (127.0.0.0/8)",
	  "the kernel delivers these to lo and never sends them on a link" },
	{ 0xa9fe0000u, 16, "link-local (169.254.0.0/16)",
	  "it is for automatic addressing, and cloud hosts reach their metadata service "
	  "at 169.254.169.254" },
	{ 0xe0000000u, 4, "multicast (224.0.0.0/4)", "multicast groups are not a subnet" },
	{ 0xf0000000u, 4, "reserved (240.0.0.0/4, with the broadcast address 255.255.255.255)",
	  "hosts do not route these" },
};

#define MIN_SUBNET_LEN 8
#define PRIVATE_HINT "use a private range (RFC 1918: 10.0.0.0/8, 172.16.0.0/12, " \
	"192.168.0.0/16) with room for the nodes, such as 10.100.0.0/24"

/* A subnet shorter than /8 (the default route at /0) or touching a special
 * block is refused: with a gateway it becomes a connected route on the
 * host that takes traffic from the host's own routes (issue 9). */
static void check_dangerous(struct vctx *v, const struct topo_network *w)
{
	char a[16];
	const char *path = vpath(v, "networks.%s.subnet", w->name);
	uint8_t len = w->subnet.len;
	ip_str(a, net_base(w));
	if (len == 0) {
		diag_error(v->d, w->subnet_pos, path, "subnet %s/0 of network %s is the default "
			   "route: it covers every IPv4 address and would take over the host's "
			   "routing", a, w->name);
		diag_hint(v->d, PRIVATE_HINT);
		return;
	}
	if (len < MIN_SUBNET_LEN) {
		diag_error(v->d, w->subnet_pos, path, "subnet %s/%u of network %s is shorter than "
			   "/%d: it covers %llu addresses and would take over large parts of the "
			   "host's routing", a, len, w->name, MIN_SUBNET_LEN, 1ull << (32 - len));
		diag_hint(v->d, PRIVATE_HINT);
		return;
	}
	for (size_t k = 0; k < sizeof special_blocks / sizeof special_blocks[0]; k++) {
		uint8_t l = special_blocks[k].len < len ? special_blocks[k].len : len;
		if ((net_base(w) & prefix_mask(l)) != (special_blocks[k].base & prefix_mask(l)))
			continue;
		diag_error(v->d, w->subnet_pos, path, "subnet %s/%u of network %s is %s: %s", a, len,
			   w->name, special_blocks[k].what, special_blocks[k].why);
		diag_hint(v->d, PRIVATE_HINT);
		return;
	}
}

static void check_networks(struct vctx *v)
{
	for (size_t i = 0; i < v->t->n_networks; i++) {
		const struct topo_network *w = &v->t->networks[i];
		if (!w->name)
			continue;
		if (w->subnet.addr != net_base(w)) {
			char a[16], b[16];
			diag_error(v->d, w->subnet_pos, vpath(v, "networks.%s.subnet", w->name),
				   "subnet %s/%u has host bits set", ip_str(a, w->subnet.addr),
				   w->subnet.len);
			diag_hint(v->d, "did you mean %s/%u?", ip_str(b, net_base(w)), w->subnet.len);
		}
		if (w->has_subnet)
			check_dangerous(v, w);
		if (w->has_gateway)
			check_gateway(v, w);
		if (w->bridge)
			check_bridge(v, w);
	}
	check_overlaps(v);
}

/* --------------------------------------------------------------- nodes */

static void check_vm(struct vctx *v, const struct topo_node *nd)
{
	char s[40];
	if (!nd->kernel && !nd->firmware) {
		diag_error(v->d, nd->pos, vpath(v, "nodes.%s", nd->name),
			   "VM node %s has neither a kernel nor a firmware", nd->name);
		diag_hint(v->d, "set `kernel:` (direct boot) or `firmware:`, on the node or under "
			  "`defaults:`");
	}
	if (nd->cpus == 0 || nd->cpus > MAX_CPUS)
		diag_error(v->d, nd->pos, vpath(v, "nodes.%s.cpus", nd->name),
			   "cpus must be between 1 and %u, not %u", MAX_CPUS, nd->cpus);
	if (nd->memory < MIN_MEMORY) {
		diag_error(v->d, nd->pos, vpath(v, "nodes.%s.memory", nd->name),
			   "memory %s is below the minimum of 64M", size_str(s, nd->memory));
	}
}

static void check_ip(struct vctx *v, const struct topo_node *nd, size_t j,
		     const struct topo_network *w)
{
	const struct topo_iface *f = &nd->ifaces[j];
	bool special = w->subnet.len <= 30;     /* /31 and /32 have no network/broadcast */
	const char *what;
	if ((f->ip & prefix_mask(w->subnet.len)) != net_base(w))
		what = "is outside network";
	else if (special && f->ip == net_base(w))
		what = "is the network address of";
	else if (special && f->ip == net_last(w))
		what = "is the broadcast address of";
	else if (w->has_gateway && f->ip == w->gateway)
		what = NULL;
	else
		return;
	char ip[16], net[16];
	const char *path = vpath(v, "nodes.%s.interfaces[%zu].ip", nd->name, j);
	ip_str(ip, f->ip);
	ip_str(net, net_base(w));
	if (what)
		diag_error(v->d, f->ip_pos, path, "address %s %s %s (%s/%u)", ip, what, w->name,
			   net, w->subnet.len);
	else
		diag_error(v->d, f->ip_pos, path, "address %s is the gateway of %s", ip, w->name);
	hint_range(v, w);
}

static void check_mac(struct vctx *v, const struct topo_node *nd, size_t j)
{
	const struct topo_iface *f = &nd->ifaces[j];
	static const uint8_t zero[6];
	char m[18];
	names_fmt_mac(m, f->mac);
	const char *path = vpath(v, "nodes.%s.interfaces[%zu].mac", nd->name, j);
	if (f->mac[0] & 1) {
		diag_error(v->d, f->mac_pos, path, "MAC %s is a multicast address", m);
		diag_hint(v->d, "the first byte must be even; 02:xx:xx:xx:xx:xx is a locally "
			  "administered unicast address");
	} else if (memcmp(f->mac, zero, 6) == 0) {
		diag_error(v->d, f->mac_pos, path, "MAC %s is not a valid interface address", m);
	}
}

/* Resolve and check one interface. seen[net] remembers, per network, the
 * last node (index + 1) that had an interface on it and which one. */
static void check_iface(struct vctx *v, size_t ni, size_t j, size_t *seen_node, size_t *seen_if)
{
	struct topo_node *nd = &v->t->nodes[ni];
	struct topo_iface *f = &nd->ifaces[j];
	f->network_idx = SIZE_MAX;
	if (!f->network)
		return;
	size_t w = find_network(v, f->network);
	if (w == SIZE_MAX) {
		diag_error(v->d, f->network_pos, vpath(v, "nodes.%s.interfaces[%zu].network",
						       nd->name, j),
			   "network \"%s\" is not defined", f->network);
		const char *s = diag_suggest(f->network, v->net_names, v->n_net_names);
		if (s)
			diag_hint(v->d, "did you mean `%s`?", s);
		else if (v->n_net_names == 0)
			diag_hint(v->d, "define it under `networks:`");
		return;
	}
	f->network_idx = w;
	if (seen_node[w] == ni + 1) {
		diag_warn(v->d, f->network_pos, vpath(v, "nodes.%s.interfaces[%zu].network",
						      nd->name, j),
			  "node %s has two interfaces on network %s (eth%zu and eth%zu)",
			  nd->name, f->network, seen_if[w], j);
		diag_hint(v->d, "both sit on one bridge in one subnet, so the node's routing "
			  "picks one of them; use two networks unless that is the point");
	}
	seen_node[w] = ni + 1;
	seen_if[w] = j;
	if (f->has_ip)
		check_ip(v, nd, j, &v->t->networks[w]);
	if (f->has_mac)
		check_mac(v, nd, j);
}

static void check_nodes(struct vctx *v)
{
	struct topology *t = v->t;
	size_t *seen_node = arena_array(&v->a, t->n_networks + 1, sizeof(size_t));
	size_t *seen_if = arena_array(&v->a, t->n_networks + 1, sizeof(size_t));
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct topo_node *nd = &t->nodes[i];
		if (!nd->name)
			continue;
		if (nd->kind == NODE_VM)
			check_vm(v, nd);
		for (size_t j = 0; j < nd->n_ifaces; j++)
			check_iface(v, i, j, seen_node, seen_if);
	}
}

/* ----------------------------------------------------------- duplicates */

struct addr_use {
	uint64_t key;           /* network << 32 | ip, or the MAC */
	size_t node, iface;     /* file order breaks ties */
};

static int addr_use_cmp(const void *a, const void *b)
{
	const struct addr_use *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	return (x->iface > y->iface) - (x->iface < y->iface);
}

static uint64_t mac_key(const uint8_t m[6])
{
	uint64_t k = 0;
	for (int i = 0; i < 6; i++)
		k = k << 8 | m[i];
	return k;
}

static void report_dup(struct vctx *v, const struct addr_use *u, const struct addr_use *first,
		       bool mac)
{
	const struct topo_node *nd = node_of(v, u->node), *fn = node_of(v, first->node);
	const struct topo_iface *f = &nd->ifaces[u->iface], *ff = &fn->ifaces[first->iface];
	if (mac) {
		char m[18];
		names_fmt_mac(m, f->eff_mac);
		struct pos p = f->has_mac ? f->mac_pos : f->pos;
		struct pos q = ff->has_mac ? ff->mac_pos : ff->pos;
		diag_error(v->d, p, vpath(v, f->has_mac ? "nodes.%s.interfaces[%zu].mac"
					  : "nodes.%s.interfaces[%zu]", nd->name, u->iface),
			   "MAC %s is already used by %s.eth%zu (at %u:%u)",
			   m, fn->name, first->iface, q.line, q.col);
		if (!f->has_mac)
			diag_hint(v->d, "the generated MACs collide: set `mac:` on one of them");
	} else {
		char ip[16];
		diag_error(v->d, f->ip_pos, vpath(v, "nodes.%s.interfaces[%zu].ip", nd->name, u->iface),
			   "address %s is already used by %s.eth%zu (at %u:%u)", ip_str(ip, f->ip),
			   fn->name, first->iface, ff->ip_pos.line, ff->ip_pos.col);
	}
}

static void check_dups(struct vctx *v, bool mac)
{
	struct addr_use *u = arena_array(&v->a, v->n_if + 1, sizeof *u);
	size_t n = 0;
	for (size_t i = 0; i < v->t->n_nodes; i++) {
		const struct topo_node *nd = node_of(v, i);
		for (size_t j = 0; nd->name && j < nd->n_ifaces; j++) {
			const struct topo_iface *f = &nd->ifaces[j];
			if (mac)
				u[n++] = (struct addr_use){ mac_key(f->eff_mac), i, j };
			else if (f->has_ip && f->network_idx != SIZE_MAX)
				u[n++] = (struct addr_use){ (uint64_t)f->network_idx << 32 | f->ip, i, j };
		}
	}
	qsort(u, n, sizeof *u, addr_use_cmp);
	size_t first = 0;
	for (size_t k = 1; k < n; k++) {
		if (u[k].key != u[first].key)
			first = k;
		else
			report_dup(v, &u[k], &u[first], mac);
	}
}

/* ---------------------------------------------------------------- health */

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static void collect_addrs(struct vctx *v)
{
	struct topology *t = v->t;
	v->addrs = arena_array(&v->a, v->n_if + t->n_networks + 1, sizeof *v->addrs);
	for (size_t i = 0; i < t->n_networks; i++)
		if (t->networks[i].has_gateway)
			v->addrs[v->n_addrs++] = t->networks[i].gateway;
	for (size_t i = 0; i < t->n_nodes; i++)
		for (size_t j = 0; j < t->nodes[i].n_ifaces; j++)
			if (t->nodes[i].ifaces[j].has_ip)
				v->addrs[v->n_addrs++] = t->nodes[i].ifaces[j].ip;
	qsort(v->addrs, v->n_addrs, sizeof *v->addrs, u32_cmp);
}

static void check_reach(struct vctx *v, const struct topo_node *nd, uint32_t ip, struct pos p,
			const char *key)
{
	char s[16];
	if (ip >> 24 == 127 || bsearch(&ip, v->addrs, v->n_addrs, sizeof ip, u32_cmp))
		return;
	diag_warn(v->d, p, vpath(v, "nodes.%s.health.%s", nd->name, key),
		  "health check address %s is not an address of this topology; "
		  "netns node %s may not reach it", ip_str(s, ip), nd->name);
	diag_hint(v->d, "use 127.0.0.1, an address of a node, or a network's gateway");
}

static void check_health(struct vctx *v)
{
	collect_addrs(v);
	for (size_t i = 0; i < v->t->n_nodes; i++) {
		const struct topo_node *nd = node_of(v, i);
		if (!nd->name || nd->kind != NODE_NETNS)
			continue;
		if (nd->health.has_tcp && !nd->health.tcp_v6)    /* IPv6: validate6.c */
			check_reach(v, nd, nd->health.tcp_ip, nd->health.tcp_pos, "tcp");
		if (nd->health.has_ping && !nd->health.ping_v6)
			check_reach(v, nd, nd->health.ping_ip, nd->health.ping_pos, "ping");
	}
}

/* ---------------------------------------------------------------- faults */

static bool kind_is_node_action(enum fault_kind k)
{
	return k >= FAULT_KILL && k <= FAULT_REBOOT;
}

static bool kind_revertible(enum fault_kind k)
{
	return !kind_is_node_action(k) || k == FAULT_PAUSE;
}

static struct target_list *fault_targets(struct topo_fault *f)
{
	switch (f->kind) {
	case FAULT_PARTITION: return NULL;
	case FAULT_LINK_DOWN: return &f->u.link.targets;
	default:
		return kind_is_node_action(f->kind) ? &f->u.node.targets : &f->u.impair.targets;
	}
}

static const char *kind_name(const struct topo_fault *f)
{
	return f->kind < FAULT__COUNT ? fault_kind_names[f->kind] : "?";
}

/* "eth<N>" with N a plain decimal (no sign, no leading zero). */
static size_t parse_eth(const char *s)
{
	if (strncmp(s, "eth", 3) != 0 || s[3] < '0' || s[3] > '9' || (s[3] == '0' && s[4]))
		return SIZE_MAX;
	size_t n = 0;
	for (s += 3; *s; s++) {
		if (*s < '0' || *s > '9' || n > 100000)
			return SIZE_MAX;
		n = n * 10 + (size_t)(*s - '0');
	}
	return n;
}

static void hint_ifaces(struct vctx *v, const struct topo_node *nd)
{
	if (nd->n_ifaces == 0)
		diag_hint(v->d, "%s has no interfaces", nd->name);
	else if (nd->n_ifaces == 1)
		diag_hint(v->d, "%s has only eth0", nd->name);
	else
		diag_hint(v->d, "%s has eth0 to eth%zu", nd->name, nd->n_ifaces - 1);
}

/* "faults[3].kill", "faults[0].partition": where a target's errors go. */
static const char *target_path(struct vctx *v, const struct topo_fault *f, size_t fi)
{
	return vpath(v, "faults[%zu].%s", fi, kind_name(f));
}

/* Resolve one target; report what is wrong with it. Returns true when
 * node_idx (and iface_idx for an interface target) are valid. */
static bool resolve_target(struct vctx *v, struct topo_fault *f, size_t fi,
			   struct fault_target *tg)
{
	tg->node_idx = tg->iface_idx = SIZE_MAX;
	if (tg->role) {
		f->has_roles = true;
		if (strcmp(tg->role, TOPO_ROLE_OTHERS) == 0 || topo_find_role(v->t, tg->role) != SIZE_MAX)
			return false;   /* resolved when the fault fires (runtime/roles.c) */
		diag_error(v->d, tg->pos, target_path(v, f, fi), "role \"%s\" is not defined", tg->role);
		const char **names = arena_array(&v->a, v->t->n_roles + 2, sizeof(*names));
		size_t n = 0;
		for (size_t i = 0; i < v->t->n_roles; i++)
			names[n++] = v->t->roles[i].name;
		names[n++] = TOPO_ROLE_OTHERS;
		const char *s = diag_suggest(tg->role, names, n);
		if (s)
			diag_hint(v->d, "did you mean `@%s`?", s);
		else if (v->t->n_roles == 0)
			diag_hint(v->d, "declare it under `roles:` (a probe command per node), or "
				  "use @others");
		return false;
	}
	if (!tg->node)
		return false;   /* random: picked when generators are expanded */
	size_t n = find_node(v, tg->node);
	if (n == SIZE_MAX) {
		diag_error(v->d, tg->pos, target_path(v, f, fi), "node \"%s\" is not defined", tg->node);
		const char *s = diag_suggest(tg->node, v->node_names, v->n_node_names);
		if (s)
			diag_hint(v->d, "did you mean `%s`?", s);
		return false;
	}
	const struct topo_node *nd = node_of(v, n);
	if (tg->iface) {
		if (kind_is_node_action(f->kind)) {
			diag_error(v->d, tg->pos, target_path(v, f, fi),
				   "%s acts on whole nodes; %s.%s is an interface",
				   kind_name(f), tg->node, tg->iface);
			diag_hint(v->d, "write `%s`", tg->node);
			return false;
		}
		size_t k = parse_eth(tg->iface);
		if (k == SIZE_MAX || k >= nd->n_ifaces) {
			diag_error(v->d, tg->pos, target_path(v, f, fi),
				   "node %s has no interface %s", tg->node, tg->iface);
			hint_ifaces(v, nd);
			return false;
		}
		tg->iface_idx = k;
	}
	if (f->kind == FAULT_REBOOT && nd->kind != NODE_VM) {
		diag_error(v->d, tg->pos, target_path(v, f, fi),
			   "reboot needs a VM node; %s is a netns node", tg->node);
		diag_hint(v->d, "use `restart` for netns nodes");
		/* The target exists: keep it for the state simulation. */
	}
	tg->node_idx = n;
	return true;
}

static void resolve_list(struct vctx *v, struct topo_fault *f, size_t fi, struct target_list *l)
{
	for (size_t k = 0; k < l->n; k++)
		resolve_target(v, f, fi, &l->v[k]);
}

/* "@others" names what the entry's other targets leave: once per entry. */
static void check_others(struct vctx *v, struct topo_fault *f, size_t fi,
			 struct target_list *l, size_t nl)
{
	const struct fault_target *first = NULL;
	for (size_t g = 0; g < nl; g++) {
		for (size_t k = 0; k < l[g].n; k++) {
			const struct fault_target *tg = &l[g].v[k];
			if (!tg->role || strcmp(tg->role, TOPO_ROLE_OTHERS) != 0)
				continue;
			if (!first) {
				first = tg;
				continue;
			}
			diag_error(v->d, tg->pos, target_path(v, f, fi),
				   "@others is already used by this fault (at %u:%u)", first->pos.line,
				   first->pos.col);
			diag_hint(v->d, "@others means every node the fault's other targets do not "
				  "name, so it can appear once");
		}
	}
}

static void check_for(struct vctx *v, const struct topo_fault *f, size_t i)
{
	if (!f->has_for)
		return;
	const char *path = vpath(v, "faults[%zu].for", i);
	if (!kind_revertible(f->kind)) {
		diag_error(v->d, f->for_pos, path, "%s cannot be reverted, so it takes no `for`",
			   kind_name(f));
		if (f->kind == FAULT_KILL)
			diag_hint(v->d, "remove `for` and schedule a `start` of the node later");
		else
			diag_hint(v->d, "remove `for`");
	} else if (f->for_us == 0) {
		diag_error(v->d, f->for_pos, path, "`for: 0` reverts the fault the moment it is applied");
		diag_hint(v->d, "remove `for` to keep the fault until the end, or give a positive "
			  "duration");
	}
}

static void check_percent(struct vctx *v, const struct topo_fault *f, size_t i,
			  const char *key, double x)
{
	if (x >= 0 && x <= 100)
		return;
	diag_error(v->d, f->kind_pos, vpath(v, "faults[%zu].%s.%s", i, kind_name(f), key),
		   "%s %g is outside 0..100", key, x);
}

static void check_impair(struct vctx *v, const struct topo_fault *f, size_t i)
{
	enum fault_kind k = f->kind;
	if (k == FAULT_LOSS || k == FAULT_DUPLICATE || k == FAULT_CORRUPT || k == FAULT_REORDER)
		check_percent(v, f, i, "percent", f->u.impair.percent);
	if (k != FAULT_RATE)
		check_percent(v, f, i, "correlation", f->u.impair.correlation);
	if (k == FAULT_LATENCY && f->u.impair.jitter_us > f->u.impair.delay_us) {
		char a[40], b[40];
		diag_warn(v->d, f->kind_pos, vpath(v, "faults[%zu].latency.jitter", i),
			  "jitter %s is larger than delay %s", dur_str(a, f->u.impair.jitter_us),
			  dur_str(b, f->u.impair.delay_us));
		diag_hint(v->d, "netem clamps negative delays to zero, which skews the "
			  "distribution; use a jitter of at most %s", b);
	}
}

/* --- partitions: which side each node and interface is on --- */

static const char *side_name(char buf[32], const struct topo_fault *f, uint32_t g)
{
	if (f->u.partition.mode == PART_ONEWAY)
		snprintf(buf, 32, g == 0 ? "`from`" : "`to`");
	else
		snprintf(buf, 32, "group %u", g);
	return buf;
}

/* Claim target tg for side g of the current partition; return a target of
 * another side that already covers one of the same interfaces, or NULL. */
static const struct fault_target *claim(struct vctx *v, const struct fault_target *tg, uint32_t g)
{
	const struct fault_target *clash = NULL;
	size_t n = tg->node_idx, base = v->ifbase[n];
	struct claim *nc = &v->node_claim[n];
	if (nc->stamp == v->stamp && nc->group != g)
		clash = nc->by;
	size_t lo = tg->iface ? tg->iface_idx : 0;
	size_t hi = tg->iface ? tg->iface_idx + 1 : node_of(v, n)->n_ifaces;
	for (size_t k = lo; k < hi; k++) {
		struct claim *c = &v->iface_claim[base + k];
		if (!clash && c->stamp == v->stamp && c->group != g)
			clash = c->by;
		if (c->stamp != v->stamp)
			*c = (struct claim){ v->stamp, g, tg };
	}
	if (!tg->iface && nc->stamp != v->stamp)
		*nc = (struct claim){ v->stamp, g, tg };
	return clash;
}

static const char *target_str(char buf[80], const struct fault_target *tg)
{
	if (tg->iface)
		snprintf(buf, 80, "%s.%s", tg->node, tg->iface);
	else
		snprintf(buf, 80, "%s", tg->node);
	return buf;
}

static uint32_t group_of(const struct topo_fault *f, const struct fault_target *tg)
{
	for (size_t g = 0; g < f->u.partition.n_groups; g++) {
		const struct target_list *l = &f->u.partition.groups[g];
		if (tg >= l->v && tg < l->v + l->n)
			return (uint32_t)g;
	}
	return 0;
}

static void check_sides(struct vctx *v, struct topo_fault *f, size_t i)
{
	v->stamp++;
	for (size_t g = 0; g < f->u.partition.n_groups; g++) {
		struct target_list *l = &f->u.partition.groups[g];
		for (size_t k = 0; k < l->n; k++) {
			const struct fault_target *tg = &l->v[k], *c;
			if (tg->node_idx == SIZE_MAX || !(c = claim(v, tg, (uint32_t)g)))
				continue;
			char a[80], b[80], sa[32], sb[32];
			diag_error(v->d, tg->pos, vpath(v, "faults[%zu].partition", i),
				   "%s in %s overlaps %s in %s (at %u:%u)", target_str(a, tg),
				   side_name(sa, f, (uint32_t)g), target_str(b, c),
				   side_name(sb, f, group_of(f, c)), c->pos.line, c->pos.col);
			diag_hint(v->d, "a node or interface can be on one side of a partition only");
		}
	}
}

/* Node names of a target list as "a, b, c" (at most 6, then "..."). */
static const char *names_str(struct vctx *v, const size_t *idx, size_t n)
{
	char *s = arena_strdup(&v->a, "");
	for (size_t k = 0; k < n && k < 6; k++)
		s = arena_printf(&v->a, "%s%s%s", s, k ? ", " : "", node_of(v, idx[k])->name);
	return n > 6 ? arena_printf(&v->a, "%s, ...", s) : s;
}

/* `partition: [a, b]` reads as one group per target, [a] | [b], which cuts
 * a from b and leaves every other node out: almost always meant as
 * [[a], [b, c]] or an isolation. A flat list is accepted only when it
 * names every node (a full split) or uses @others, whose meaning is "the
 * rest" anyway. */
static void check_flat(struct vctx *v, const struct topo_fault *f, size_t i)
{
	if (f->u.partition.mode != PART_GROUPS || !f->u.partition.flat || f->u.partition.n_groups < 2)
		return;
	size_t nn = v->t->n_nodes, named = 0;
	bool *in = arena_array(&v->a, nn ? nn : 1, sizeof(*in));
	size_t *picked = arena_array(&v->a, f->u.partition.n_groups, sizeof(*picked));
	for (size_t g = 0; g < f->u.partition.n_groups; g++) {
		const struct target_list *l = &f->u.partition.groups[g];
		for (size_t k = 0; k < l->n; k++) {
			const struct fault_target *tg = &l->v[k];
			if (tg->role && strcmp(tg->role, TOPO_ROLE_OTHERS) == 0)
				return;
			if (tg->node_idx == SIZE_MAX)
				return;         /* a role, a random pick or an error already reported */
			if (!in[tg->node_idx]) {
				in[tg->node_idx] = true;
				picked[named++] = tg->node_idx;
			}
		}
	}
	if (named == nn)
		return;
	size_t *left = arena_array(&v->a, nn, sizeof(*left)), nl = 0;
	for (size_t n = 0; n < nn; n++)
		if (!in[n] && node_of(v, n))
			left[nl++] = n;
	const char *groups = "", *first = node_of(v, picked[0])->name;
	for (size_t k = 0; k < named && k < 6; k++)
		groups = arena_printf(&v->a, "%s%s[%s]", groups, k ? ", " : "",
				      node_of(v, picked[k])->name);
	const char *lefts = names_str(v, left, nl);
	diag_error(v->d, f->kind_pos, vpath(v, "faults[%zu].partition", i),
		   "a flat list makes each node a group of its own (%s) and leaves %s out of the "
		   "partition", groups, lefts);
	const char *rest = names_str(v, picked + 1, named - 1);
	diag_hint(v->d, "write the groups as lists: `[[%s], [%s, %s]]` to cut %s from the others, "
		  "`[%s]` if %s should stay untouched, or `{isolate: %s}`", first, rest, lefts,
		  first, groups, lefts, first);
}

static void check_partition(struct vctx *v, struct topo_fault *f, size_t i)
{
	if (f->pick != PICK_NONE)
		return;         /* the groups come from the seed (generate.c) */
	size_t non_empty = 0, ng = f->u.partition.n_groups;
	for (size_t g = 0; g < ng; g++) {
		struct target_list *l = &f->u.partition.groups[g];
		resolve_list(v, f, i, l);
		non_empty += l->n > 0;
	}
	const char *path = vpath(v, "faults[%zu].partition", i);
	switch (f->u.partition.mode) {
	case PART_GROUPS:
		if (non_empty < 2) {
			diag_error(v->d, f->kind_pos, path,
				   "a partition needs at least 2 non-empty groups, this one has %zu",
				   non_empty);
			diag_hint(v->d, "list the sides as `[[a, b], [c]]`, or use `{isolate: a}`");
		}
		break;
	case PART_ONEWAY:
		if (ng < 2 || f->u.partition.groups[0].n == 0 || f->u.partition.groups[1].n == 0)
			diag_error(v->d, f->kind_pos, path,
				   "a one-way partition needs non-empty `from` and `to`");
		break;
	case PART_ISOLATE:
		if (ng < 1 || f->u.partition.groups[0].n == 0)
			diag_error(v->d, f->kind_pos, path, "`isolate` needs at least one node");
		break;
	case PART_GRUDGE:       /* only generate.c makes these */
		break;
	}
	if (f->u.partition.mode != PART_ISOLATE)
		check_sides(v, f, i);
	check_flat(v, f, i);
	check_others(v, f, i, f->u.partition.groups, ng);
}

static void check_fault(struct vctx *v, struct topo_fault *f, size_t i)
{
	check_for(v, f, i);
	if (f->kind >= FAULT__COUNT)
		return;
	if (f->kind == FAULT_PARTITION) {
		check_partition(v, f, i);
		return;
	}
	resolve_list(v, f, i, fault_targets(f));
	check_others(v, f, i, fault_targets(f), 1);
	if (f->kind != FAULT_LINK_DOWN && !kind_is_node_action(f->kind))
		check_impair(v, f, i);
}

/* --- node states along the schedule --- */

enum nstate { ST_RUNNING, ST_PAUSED, ST_KILLED };
static const char *const state_names[] = { "running", "paused", "killed" };

struct event {
	uint64_t time;
	bool revert;            /* the end of a timed pause */
	size_t fault, target, serial;
};

static int event_cmp(const void *a, const void *b)
{
	const struct event *x = a, *y = b;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	if (x->revert != y->revert)             /* reverts at T come before faults at T */
		return x->revert ? -1 : 1;
	if (x->fault != y->fault)
		return x->fault < y->fault ? -1 : 1;
	return (x->target > y->target) - (x->target < y->target);
}

struct nhist { enum nstate st; size_t by; uint64_t since; };  /* by: SIZE_MAX = start */

static void hint_history(struct vctx *v, const char *need, const struct topo_node *nd,
			 const struct nhist *h)
{
	if (h->by == SIZE_MAX) {
		diag_hint(v->d, "it needs a %s node; %s is %s from the start of the schedule",
			  need, nd->name, state_names[h->st]);
		return;
	}
	const struct topo_fault *g = &v->t->faults[h->by];
	char when[40];
	diag_hint(v->d, "it needs a %s node; %s is %s since faults[%zu] (%s at %u:%u) at %s",
		  need, nd->name, state_names[h->st], g->index, kind_name(g), g->kind_pos.line,
		  g->kind_pos.col, dur_str(when, h->since));
}

/* Apply one event; report when the node is not in a state the action
 * accepts. Returns false on error (the state is then left unchanged). */
static bool step(struct vctx *v, const struct event *e, struct nhist *h)
{
	const struct topo_fault *f = &v->t->faults[e->fault];
	const struct fault_target *tg = &f->u.node.targets.v[e->target];
	const struct topo_node *nd = node_of(v, tg->node_idx);
	enum fault_kind k = e->revert ? FAULT_RESUME : f->kind;
	static const struct { unsigned ok; enum nstate to; const char *need; } rule[] = {
		[FAULT_KILL - FAULT_KILL] = { 1u << ST_RUNNING | 1u << ST_PAUSED, ST_KILLED,
					      "running or paused" },
		[FAULT_PAUSE - FAULT_KILL] = { 1u << ST_RUNNING, ST_PAUSED, "running" },
		[FAULT_RESUME - FAULT_KILL] = { 1u << ST_PAUSED, ST_RUNNING, "paused" },
		[FAULT_START - FAULT_KILL] = { 1u << ST_KILLED, ST_RUNNING, "killed" },
		[FAULT_RESTART - FAULT_KILL] = { 1u << ST_RUNNING, ST_RUNNING, "running" },
		[FAULT_REBOOT - FAULT_KILL] = { 1u << ST_RUNNING, ST_RUNNING, "running" },
	};
	unsigned r = (unsigned)(k - FAULT_KILL);
	if (rule[r].ok & (1u << h->st)) {
		*h = (struct nhist){ rule[r].to, e->fault, e->time };
		return true;
	}
	char when[40];
	dur_str(when, e->time);
	if (e->revert) {
		diag_error(v->d, f->for_pos, vpath(v, "faults[%zu].for", f->index),
			   "cannot resume %s at %s when this pause ends: it is %s", nd->name, when,
			   state_names[h->st]);
		hint_history(v, "paused", nd, h);
	} else {
		diag_error(v->d, f->kind_pos, vpath(v, "faults[%zu].%s", f->index, kind_name(f)),
			   "cannot %s %s at %s: it is %s", kind_name(f), nd->name, when,
			   state_names[h->st]);
		hint_history(v, rule[r].need, nd, h);
	}
	return false;
}

static void simulate_states(struct vctx *v)
{
	struct topology *t = v->t;
	size_t n = 0;
	for (size_t i = 0; i < t->n_faults; i++)
		if (kind_is_node_action(t->faults[i].kind))
			n += t->faults[i].u.node.targets.n;
	struct event *ev = arena_array(&v->a, 2 * n + 1, sizeof *ev);
	bool *failed = arena_array(&v->a, n + 1, sizeof *failed);
	size_t ne = 0, serial = 0;
	for (size_t i = 0; i < t->n_faults; i++) {
		const struct topo_fault *f = &t->faults[i];
		if (!kind_is_node_action(f->kind))
			continue;
		for (size_t k = 0; k < f->u.node.targets.n; k++, serial++) {
			const struct fault_target *tg = &f->u.node.targets.v[k];
			if (tg->node_idx == SIZE_MAX)
				continue;
			ev[ne++] = (struct event){ f->at_us, false, i, k, serial };
			if (f->kind == FAULT_PAUSE && f->has_for && f->for_us > 0)
				ev[ne++] = (struct event){ sat_add(f->at_us, f->for_us), true, i, k, serial };
		}
	}
	qsort(ev, ne, sizeof *ev, event_cmp);
	struct nhist *h = arena_array(&v->a, t->n_nodes + 1, sizeof *h);
	for (size_t i = 0; i < t->n_nodes; i++)
		h[i] = (struct nhist){ ST_RUNNING, SIZE_MAX, 0 };
	for (size_t e = 0; e < ne; e++) {
		if (ev[e].revert && failed[ev[e].serial])
			continue;       /* the pause itself failed: already reported */
		const struct fault_target *tg = &t->faults[ev[e].fault].u.node.targets.v[ev[e].target];
		if (!step(v, &ev[e], &h[tg->node_idx]))
			failed[ev[e].serial] = true;
	}
}

/* --- one mechanism per interface at a time --- */

enum mech { M_NETEM, M_RATE, M_LOSS_EGRESS, M_LOSS_INGRESS, M_LINK };

struct use {
	enum mech mech;
	size_t iface;           /* global */
	uint64_t start, end;    /* [start, end) */
	size_t fault;
};

static int use_cmp(const void *a, const void *b)
{
	const struct use *x = a, *y = b;
	if (x->mech != y->mech)
		return x->mech < y->mech ? -1 : 1;
	if (x->iface != y->iface)
		return x->iface < y->iface ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->fault > y->fault) - (x->fault < y->fault);
}

/* lo, hi: the two entries (file indices, lo < hi). A pair of entries is
 * reported once, at its first clash: repetitions of generators would
 * otherwise repeat one mistake many times. */
struct clash { size_t later, earlier, iface; uint64_t from, to; size_t lo, hi; };

static int clash_cmp(const void *a, const void *b)
{
	const struct clash *x = a, *y = b;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return (x->iface > y->iface) - (x->iface < y->iface);
}

static bool clash_same_pair(const struct clash *x, const struct clash *y)
{
	return x->lo == y->lo && x->hi == y->hi;
}

static size_t fault_mechs(const struct topo_fault *f, enum mech out[2])
{
	switch (f->kind) {
	case FAULT_LATENCY: case FAULT_DUPLICATE: case FAULT_CORRUPT: case FAULT_REORDER:
		out[0] = M_NETEM;
		return 1;
	case FAULT_RATE:
		out[0] = M_RATE;
		return 1;
	case FAULT_LINK_DOWN:
		out[0] = M_LINK;
		return 1;
	case FAULT_LOSS:
		if (f->u.impair.direction == DIR_INGRESS) {
			out[0] = M_LOSS_INGRESS;
			return 1;
		}
		out[0] = M_LOSS_EGRESS;
		out[1] = M_LOSS_INGRESS;
		return f->u.impair.direction == DIR_BOTH ? 2 : 1;
	default:
		return 0;
	}
}

static size_t collect_uses(struct vctx *v, struct use *u)
{
	size_t n = 0;
	for (size_t i = 0; i < v->t->n_faults; i++) {
		struct topo_fault *f = &v->t->faults[i];
		enum mech m[2];
		size_t nm = fault_mechs(f, m);
		struct target_list *l = nm ? fault_targets(f) : NULL;
		uint64_t end = f->has_for ? sat_add(f->at_us, f->for_us) : FOREVER;
		for (size_t k = 0; l && k < l->n; k++) {
			const struct fault_target *tg = &l->v[k];
			if (tg->node_idx == SIZE_MAX)
				continue;
			size_t base = v->ifbase[tg->node_idx];
			size_t lo = tg->iface ? tg->iface_idx : 0;
			size_t hi = tg->iface ? tg->iface_idx + 1 : node_of(v, tg->node_idx)->n_ifaces;
			for (size_t j = lo; j < hi; j++)
				for (size_t q = 0; q < nm; q++)
					u[n++] = (struct use){ m[q], base + j, f->at_us, end, i };
		}
	}
	return n;
}

static const char *iface_str(struct vctx *v, char buf[80], size_t global)
{
	/* The last node whose first interface is at or before `global` (nodes
	 * without interfaces share their successor's base and lose the tie). */
	size_t lo = 0, hi = v->t->n_nodes;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->ifbase[mid] <= global)
			lo = mid;
		else
			hi = mid;
	}
	snprintf(buf, 80, "%s.eth%zu", node_of(v, lo)->name, global - v->ifbase[lo]);
	return buf;
}

static void report_clash(struct vctx *v, const struct clash *c)
{
	const struct topo_fault *f = &v->t->faults[c->later], *g = &v->t->faults[c->earlier];
	char ifs[80], a[40], b[40], seed[64] = "";
	if (v->t->uses_random)  /* another seed may draw targets that do not clash */
		snprintf(seed, sizeof seed, " (targets drawn with seed %llu)",
			 (unsigned long long)v->t->seed);
	diag_error(v->d, f->kind_pos, vpath(v, "faults[%zu].%s", f->index, kind_name(f)),
		   "faults[%zu] (%s at %u:%u) overlaps faults[%zu] (%s at %u:%u) on %s from %s to %s%s",
		   f->index, kind_name(f), f->kind_pos.line, f->kind_pos.col, g->index,
		   kind_name(g), g->kind_pos.line, g->kind_pos.col, iface_str(v, ifs, c->iface),
		   dur_str(a, c->from), dur_str(b, c->to), seed);
	enum mech m[2];
	fault_mechs(f, m);
	if (m[0] == M_NETEM)
		diag_hint(v->d, "latency, duplicate, corrupt and reorder share one netem qdisc per "
			  "interface: merge them into one fault or move one in time");
	else if (m[0] == M_RATE)
		diag_hint(v->d, "an interface has one rate limit at a time: move one in time");
	else if (m[0] == M_LINK)
		diag_hint(v->d, "the link is already down then: move one in time");
	else
		diag_hint(v->d, "an interface has one loss rule per direction at a time: merge "
			  "them or move one in time");
}

static void check_overlapping_faults(struct vctx *v)
{
	size_t n = 0;
	for (size_t i = 0; i < v->t->n_faults; i++) {
		struct target_list *l = v->t->faults[i].kind == FAULT_PARTITION ? NULL
					: fault_targets(&v->t->faults[i]);
		for (size_t k = 0; l && k < l->n; k++)
			if (l->v[k].node_idx != SIZE_MAX)
				n += 2 * (l->v[k].iface ? 1 : node_of(v, l->v[k].node_idx)->n_ifaces);
	}
	struct use *u = arena_array(&v->a, n + 1, sizeof *u);
	n = collect_uses(v, u);
	qsort(u, n, sizeof *u, use_cmp);
	struct clash *c = arena_array(&v->a, n + 1, sizeof *c);
	size_t nc = 0, far = 0;
	for (size_t k = 1; k < n; k++) {
		if (u[k].mech != u[far].mech || u[k].iface != u[far].iface) {
			far = k;
			continue;
		}
		if (u[k].start < u[far].end && u[k].fault != u[far].fault) {
			size_t a = v->t->faults[u[k].fault].index, b = v->t->faults[u[far].fault].index;
			c[nc++] = (struct clash){ u[k].fault, u[far].fault, u[k].iface, u[k].start,
						  u[k].end < u[far].end ? u[k].end : u[far].end,
						  a < b ? a : b, a < b ? b : a };
		}
		if (u[k].end > u[far].end)
			far = k;
	}
	qsort(c, nc, sizeof *c, clash_cmp);
	for (size_t k = 0; k < nc; k++)
		if (k == 0 || !clash_same_pair(&c[k], &c[k - 1]))
			report_clash(v, &c[k]);
}

static void check_roles(struct vctx *v)
{
	for (size_t i = 0; i < v->t->n_roles; i++) {
		const struct topo_role *r = &v->t->roles[i];
		const char *path = vpath(v, "roles.%s", r->name);
		if (!name_ok(r->name)) {
			report_name(v, "role", r->name, r->pos, path);
		} else if (strcmp(r->name, TOPO_ROLE_OTHERS) == 0) {
			diag_error(v->d, r->pos, path, "role name \"others\" is reserved");
			diag_hint(v->d, "@others names the nodes a fault's other targets leave; pick "
				  "another name");
		}
		if (r->timeout_us == 0)
			diag_error(v->d, r->pos, vpath(v, "roles.%s.timeout", r->name),
				   "a role probe needs a timeout above 0");
	}
}

/* Entries are checked as written, then expanded (generate.c); the
 * schedule-wide checks see every instance. */
static void check_faults(struct vctx *v)
{
	check_roles(v);
	for (size_t i = 0; i < v->t->n_faults; i++)
		check_fault(v, &v->t->faults[i], v->t->faults[i].index);
	topo_generate(v->t, v->d);
	simulate_states(v);
	check_overlapping_faults(v);
}

/* ------------------------------------------------------------ the entry */

void topo_validate(struct topology *t, struct diag_list *d)
{
	struct vctx v = { .t = t, .d = d };
	arena_init(&v.a);
	build_indexes(&v);
	check_names(&v);
	check_networks(&v);
	check_nodes(&v);
	topo_validate_hosts(t, d);
	hostlim_check_ports(t, d);
	names_assign(t, d);
	check_dups(&v, false);
	check_dups(&v, true);
	check_health(&v);
	topo_validate6(t, d);
	envsub_check(t, d);
	check_faults(&v);
	arena_free(&v.a);
}

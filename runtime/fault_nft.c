/* fault_nft.c — partitions and random loss through nf_tables.
 *
 * One table per topology, `bridge aspen-<topology>`, so it sees frames as
 * aspen's bridges switch them and matches the ports by name: iifname is the
 * host end (veth / TAP) a frame came in on, oifname the one it leaves by.
 * The table holds
 *
 *   chain owner      never jumped to; one rule whose comment is the
 *                    ownership mark "aspen:<topology>:nft" (libnftables
 *                    1.0.6 JSON neither sets nor shows table comments)
 *   chain forward    base chains, filter hooks forward / input / output,
 *   chain input      policy accept: first two rules that accept ARP and
 *   chain output     IPv6 neighbour discovery (ICMPv6 133-137), then only
 *                    "jump fault-<key>" rules
 *   chain fault-<key>  one per active fault: its drop rules, with counters
 *
 * Every rule of a fault chain reads "frames from these ports to those
 * ports", which means the same in every hook (in input the output port is
 * empty, in output the input port), so one chain serves all three hooks.
 * forward covers node-to-node traffic on one bridge; input covers traffic a
 * node sends to the host, including traffic the host routes on to a node of
 * another network (matched by that node's address); output covers what the
 * host sends to a node.
 *
 * Partition groups drop, for every group, "iifname <group> oifname <others>"
 * and "iifname <group> ip daddr <others' addresses>" (routed; with
 * "ip6 daddr" for their IPv6 addresses). Port rules match every protocol,
 * so bridged IPv4 and IPv6 are cut alike; loss and isolate are port rules
 * only. One-way
 * drops only from -> to; a grudge (random-majority-ring) is a set of one-way
 * cuts. Isolate drops everything in or out of the node's
 * ports, the host (gateway) included: an isolated node that still reached
 * the gateway would still reach every network the host routes to. Loss is
 * "numgen random mod 1000000 < percent * 10000" on the node's ports, iifname
 * for egress, oifname for ingress.
 *
 * Neighbour resolution always passes (docs/faults.md, "What a fault
 * drops"): a fault cuts the traffic it names, and a cut that also dropped
 * ARP would outlive itself — entries go INCOMPLETE during the fault and
 * the first packet after a heal waits for the kernel's next retransmission
 * (~1 s), and a one-way cut becomes two-way once the allowed side's entry
 * ages out. The accept rules sit in the base chains, ahead of every jump,
 * so no fault chain can override them and the fault chains stay plain.
 *
 * A topology compiled for one host of a multi-host file (t->has_here)
 * gets only this host's share (docs/faults.md, "Faults across hosts"): a
 * node on another host has no port here, so a cut to it matches "from our
 * ports, to its MACs / addresses", a cut from it "to our ports, from its
 * MACs / addresses", and an isolate of it every frame with its MACs or
 * addresses; a cut between two remote nodes makes no rule here.
 *
 * Each fault is added in one transaction (chain, rules and jumps; the table
 * and base chains too when they are missing) and removed in one (jumps by
 * handle, flush, delete chain — or the whole table when it was the last
 * fault), so no instant shows half a fault. libnftables takes JSON here
 * (NFT_CTX_OUTPUT_JSON must be set for it to parse JSON input). */
#include "runtime/fault_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/nftlib.h"   /* libnftables, loaded at first use */

#include "runtime/mark.h"

#define NFT_FAMILY "bridge"
#define NFT_CHAIN_PREFIX "fault-"
#define NFT_LOSS_MOD 1000000

static const char *const nft_hooks[] = {"forward", "input", "output"};

/* ---------------- running libnftables ---------------- */

/* The first line of libnftables' error text, without "Error: ". */
static void nft_first_error(const char *buf, char *out, size_t len)
{
	const char *s = buf ? buf : "";
	const char *p = strstr(s, "Error: ");
	s = p ? p + 7 : s;
	size_t n = strcspn(s, "\n");
	if (n >= len)
		n = len - 1;
	memcpy(out, s, n);
	out[n] = '\0';
	if (!*out)
		snprintf(out, len, "libnftables failed without a message");
}

/* Run cmd (JSON) as one transaction. With out, the output is parsed into
 * *out (NULL when there is none). */
static int nft_exec(const char *cmd, cJSON **out, struct rt_err *e)
{
	if (rtnft_load(e) < 0)
		return -1;
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return rt_errf(e, ENOMEM, "nf_tables: cannot create a libnftables context");
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	int rc = nft_run_cmd_from_buffer(ctx, cmd);
	if (rc != 0) {
		char msg[512];
		nft_first_error(nft_ctx_get_error_buffer(ctx), msg, sizeof(msg));
		nft_ctx_free(ctx);
		return rt_errf(e, strstr(msg, "No such file") ? ENOENT :
			       strstr(msg, "not permitted") ? EPERM : EIO, "nf_tables: %s", msg);
	}
	if (out) {
		const char *o = nft_ctx_get_output_buffer(ctx);
		*out = o && *o ? cJSON_Parse(o) : NULL;
	}
	nft_ctx_free(ctx);
	return 0;
}

static int nft_exec_json(cJSON *cmds, cJSON **out, struct rt_err *e)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddItemToObject(root, "nftables", cmds);
	char *s = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (!s)
		return rt_errf(e, ENOMEM, "out of memory");
	int rc = nft_exec(s, out, e);
	free(s);
	return rc;
}

/* ---------------- JSON pieces ---------------- */

static cJSON *nj_obj(const char *table, const char *chain_key, const char *chain)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "family", NFT_FAMILY);
	cJSON_AddStringToObject(o, "table", table);
	if (chain_key)
		cJSON_AddStringToObject(o, chain_key, chain);
	return o;
}

/* {"<verb>": {"<what>": body}} appended to cmds. */
static void nj_cmd(cJSON *cmds, const char *verb, const char *what, cJSON *body)
{
	cJSON *inner = cJSON_CreateObject();
	cJSON_AddItemToObject(inner, what, body);
	cJSON *c = cJSON_CreateObject();
	cJSON_AddItemToObject(c, verb, inner);
	cJSON_AddItemToArray(cmds, c);
}

static void nj_add_table(cJSON *cmds, const char *table)
{
	cJSON *t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "family", NFT_FAMILY);
	cJSON_AddStringToObject(t, "name", table);
	nj_cmd(cmds, "add", "table", t);
}

static void nj_chain(cJSON *cmds, const char *verb, const char *table, const char *name)
{
	nj_cmd(cmds, verb, "chain", nj_obj(table, "name", name));
}

static void nj_base_chain(cJSON *cmds, const char *table, const char *hook)
{
	cJSON *c = nj_obj(table, "name", hook);
	cJSON_AddStringToObject(c, "type", "filter");
	cJSON_AddStringToObject(c, "hook", hook);
	cJSON_AddNumberToObject(c, "prio", 0);
	cJSON_AddStringToObject(c, "policy", "accept");
	nj_cmd(cmds, "add", "chain", c);
}

/* Add a rule with expressions expr (taken) to chain. */
static void nj_rule(cJSON *cmds, const char *table, const char *chain, cJSON *expr,
		    const char *comment)
{
	cJSON *r = nj_obj(table, "chain", chain);
	if (comment)
		cJSON_AddStringToObject(r, "comment", comment);
	cJSON_AddItemToObject(r, "expr", expr);
	nj_cmd(cmds, "add", "rule", r);
}

static cJSON *nj_match(const char *op, cJSON *left, cJSON *right)
{
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "op", op);
	cJSON_AddItemToObject(m, "left", left);
	cJSON_AddItemToObject(m, "right", right);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "match", m);
	return o;
}

static cJSON *nj_meta(const char *key)
{
	cJSON *k = cJSON_CreateObject();
	cJSON_AddStringToObject(k, "key", key);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "meta", k);
	return o;
}

/* A value, or an anonymous set {"set": [...]} when there are several. */
static cJSON *nj_values(cJSON *arr)
{
	if (cJSON_GetArraySize(arr) == 1) {
		cJSON *one = cJSON_DetachItemFromArray(arr, 0);
		cJSON_Delete(arr);
		return one;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "set", arr);
	return o;
}

/* iifname/oifname in the host ends of ports. */
static cJSON *nj_ports(const char *key, const struct fault_port *p, size_t n)
{
	cJSON *names = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(names, cJSON_CreateString(p[i].iface->host_name));
	return nj_match("==", nj_meta(key), nj_values(names));
}

/* "ip <field>" (or, v6, "ip6 <field>") in the addresses of ports, field
 * "saddr" or "daddr"; NULL when none has one of that family. */
static cJSON *nj_addrs(const struct fault_port *p, size_t n, bool v6, const char *field)
{
	cJSON *ips = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		const struct topo_iface *f = p[i].iface;
		char buf[INET6_ADDRSTRLEN];
		struct in_addr a = {.s_addr = htonl(f->ip)};
		if (v6 ? !f->has_ip6 : !f->has_ip)
			continue;
		if (v6)
			inet_ntop(AF_INET6, f->ip6, buf, sizeof(buf));
		else
			inet_ntop(AF_INET, &a, buf, sizeof(buf));
		cJSON_AddItemToArray(ips, cJSON_CreateString(buf));
	}
	if (cJSON_GetArraySize(ips) == 0) {
		cJSON_Delete(ips);
		return NULL;
	}
	cJSON *pl = cJSON_CreateObject();
	cJSON_AddStringToObject(pl, "protocol", v6 ? "ip6" : "ip");
	cJSON_AddStringToObject(pl, "field", field);
	cJSON *left = cJSON_CreateObject();
	cJSON_AddItemToObject(left, "payload", pl);
	return nj_match("==", left, nj_values(ips));
}

/* "ether <field>" in the MACs of ports (the compiler derives them the
 * same on every host), field "saddr" or "daddr". */
static cJSON *nj_macs(const struct fault_port *p, size_t n, const char *field)
{
	cJSON *macs = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		const uint8_t *m = p[i].iface->eff_mac;
		char buf[18];
		snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
			 m[4], m[5]);
		cJSON_AddItemToArray(macs, cJSON_CreateString(buf));
	}
	cJSON *pl = cJSON_CreateObject();
	cJSON_AddStringToObject(pl, "protocol", "ether");
	cJSON_AddStringToObject(pl, "field", field);
	cJSON *left = cJSON_CreateObject();
	cJSON_AddItemToObject(left, "payload", pl);
	return nj_match("==", left, nj_values(macs));
}

static cJSON *nj_numgen_below(long long mod, long long thr)
{
	cJSON *ng = cJSON_CreateObject();
	cJSON_AddStringToObject(ng, "mode", "random");
	cJSON_AddNumberToObject(ng, "mod", (double)mod);
	cJSON *left = cJSON_CreateObject();
	cJSON_AddItemToObject(left, "numgen", ng);
	return nj_match("<", left, cJSON_CreateNumber((double)thr));
}

/* expr = [a, b?, counter, drop] */
static cJSON *nj_drop(cJSON *a, cJSON *b)
{
	cJSON *x = cJSON_CreateArray();
	cJSON_AddItemToArray(x, a);
	if (b)
		cJSON_AddItemToArray(x, b);
	cJSON_AddItemToArray(x, cJSON_CreateObject());
	cJSON_AddNullToObject(cJSON_GetArrayItem(x, cJSON_GetArraySize(x) - 1), "counter");
	cJSON *d = cJSON_CreateObject();
	cJSON_AddNullToObject(d, "drop");
	cJSON_AddItemToArray(x, d);
	return x;
}

/* The comment that marks the neighbour-protocol accept rules of a base
 * chain: nft_live_scan looks for it, so a table made by an older aspen
 * gets them too. */
#define NFT_NEIGH_COMMENT "aspen: neighbour resolution passes every fault"

/* "ether type arp accept" and "icmpv6 type { 133..137 } accept" at the
 * head of base chain hook. */
static void nj_neigh_accept(cJSON *cmds, const char *table, const char *hook)
{
	cJSON *pl = cJSON_CreateObject(), *left = cJSON_CreateObject();
	cJSON_AddStringToObject(pl, "protocol", "ether");
	cJSON_AddStringToObject(pl, "field", "type");
	cJSON_AddItemToObject(left, "payload", pl);
	cJSON *x = cJSON_CreateArray();
	cJSON_AddItemToArray(x, nj_match("==", left, cJSON_CreateString("arp")));
	cJSON_AddItemToArray(x, cJSON_CreateObject());
	cJSON_AddNullToObject(cJSON_GetArrayItem(x, 1), "accept");
	cJSON *r = nj_obj(table, "chain", hook);
	cJSON_AddStringToObject(r, "comment", NFT_NEIGH_COMMENT);
	cJSON_AddItemToObject(r, "expr", x);
	nj_cmd(cmds, "insert", "rule", r);

	/* router solicitation/advertisement, neighbour solicitation/
	 * advertisement, redirect: IPv6's ARP */
	pl = cJSON_CreateObject();
	left = cJSON_CreateObject();
	cJSON_AddStringToObject(pl, "protocol", "icmpv6");
	cJSON_AddStringToObject(pl, "field", "type");
	cJSON_AddItemToObject(left, "payload", pl);
	cJSON *types = cJSON_CreateArray();
	for (int t = 133; t <= 137; t++)
		cJSON_AddItemToArray(types, cJSON_CreateNumber(t));
	x = cJSON_CreateArray();
	cJSON_AddItemToArray(x, nj_match("==", left, nj_values(types)));
	cJSON_AddItemToArray(x, cJSON_CreateObject());
	cJSON_AddNullToObject(cJSON_GetArrayItem(x, 1), "accept");
	r = nj_obj(table, "chain", hook);
	cJSON_AddStringToObject(r, "comment", NFT_NEIGH_COMMENT);
	cJSON_AddItemToObject(r, "expr", x);
	nj_cmd(cmds, "insert", "rule", r);
}

/* ---------------- the rules of one fault ---------------- */

/* A side of a cut split by placement (docs/faults.md, "Faults across
 * hosts"): ports of nodes on this host are named by port; a node on
 * another host has no port here (its frames come and go through the
 * VXLAN port), so it is named by its MACs and addresses. A one-host
 * compile has every port here. */
struct nft_side {
	struct fault_port *here, *away;
	size_t n_here, n_away;
	const struct fault_port *all;
	size_t n_all;
};

static int nft_side_split(const struct topology *t, const struct fault_port *p, size_t n,
			  struct nft_side *s, struct rt_err *e)
{
	memset(s, 0, sizeof(*s));
	s->all = p;
	s->n_all = n;
	s->here = calloc(n ? n : 1, sizeof(*s->here));
	s->away = calloc(n ? n : 1, sizeof(*s->away));
	if (!s->here || !s->away) {
		free(s->here);
		free(s->away);
		return rt_errf(e, ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		if (topo_node_here(t, p[i].node))
			s->here[s->n_here++] = p[i];
		else
			s->away[s->n_away++] = p[i];
	}
	return 0;
}

static void nft_side_free(struct nft_side *s)
{
	free(s->here);
	free(s->away);
}

/* Drop what src sends to dst, this host's share of it:
 *   src here -> dst here:  by ports (bridged), by dst's addresses (routed)
 *   src here -> dst away:  from src's ports by dst's MACs and addresses
 *   src away -> dst here:  to dst's ports by src's MACs and addresses
 *                          (routed frames carry the gateway's MAC)
 *   src away -> dst away:  nothing (their hosts cut it)
 * One rule for "from src's ports to dst's addresses" serves dst here and
 * away alike. */
static int nft_rules_cut(cJSON *cmds, const char *table, const char *chain,
			 const struct topology *t, const struct fault_port *src, size_t ns,
			 const struct fault_port *dst, size_t nd, struct rt_err *e)
{
	struct nft_side s, d;
	if (!ns || !nd)
		return 0;
	if (nft_side_split(t, src, ns, &s, e) < 0)
		return -1;
	if (nft_side_split(t, dst, nd, &d, e) < 0) {
		nft_side_free(&s);
		return -1;
	}
	if (s.n_here && d.n_here)
		nj_rule(cmds, table, chain, nj_drop(nj_ports("iifname", s.here, s.n_here),
						    nj_ports("oifname", d.here, d.n_here)), NULL);
	if (s.n_here && d.n_away)
		nj_rule(cmds, table, chain, nj_drop(nj_ports("iifname", s.here, s.n_here),
						    nj_macs(d.away, d.n_away, "daddr")), NULL);
	for (int v6 = 0; s.n_here && v6 <= 1; v6++) {
		cJSON *daddr = nj_addrs(d.all, d.n_all, v6, "daddr");
		if (daddr)
			nj_rule(cmds, table, chain, nj_drop(nj_ports("iifname", s.here, s.n_here),
							    daddr), NULL);
	}
	if (s.n_away && d.n_here) {
		nj_rule(cmds, table, chain, nj_drop(nj_ports("oifname", d.here, d.n_here),
						    nj_macs(s.away, s.n_away, "saddr")), NULL);
		for (int v6 = 0; v6 <= 1; v6++) {
			cJSON *saddr = nj_addrs(s.away, s.n_away, v6, "saddr");
			if (saddr)
				nj_rule(cmds, table, chain,
					nj_drop(nj_ports("oifname", d.here, d.n_here), saddr), NULL);
		}
	}
	nft_side_free(&s);
	nft_side_free(&d);
	return 0;
}

/* Isolate: everything in or out of the isolated ports here; for an
 * isolated node on another host, every frame with its MACs or addresses
 * as source or destination (what this host's nodes and gateway exchange
 * with it over the VXLAN port, and what the host routes to it). */
static int nft_rules_isolate(cJSON *cmds, const char *table, const char *chain,
			     const struct topology *t, const struct fault_port *p, size_t n,
			     struct rt_err *e)
{
	struct nft_side s;
	if (nft_side_split(t, p, n, &s, e) < 0)
		return -1;
	if (s.n_here) {
		nj_rule(cmds, table, chain, nj_drop(nj_ports("iifname", s.here, s.n_here), NULL), NULL);
		nj_rule(cmds, table, chain, nj_drop(nj_ports("oifname", s.here, s.n_here), NULL), NULL);
	}
	if (s.n_away) {
		nj_rule(cmds, table, chain, nj_drop(nj_macs(s.away, s.n_away, "saddr"), NULL), NULL);
		nj_rule(cmds, table, chain, nj_drop(nj_macs(s.away, s.n_away, "daddr"), NULL), NULL);
		for (int v6 = 0; v6 <= 1; v6++)
			for (int dir = 0; dir <= 1; dir++) {
				cJSON *a = nj_addrs(s.away, s.n_away, v6, dir ? "daddr" : "saddr");
				if (a)
					nj_rule(cmds, table, chain, nj_drop(a, NULL), NULL);
			}
	}
	nft_side_free(&s);
	return 0;
}

static int nft_rules_partition(cJSON *cmds, const char *table, const char *chain,
			       const struct topology *t, const struct topo_fault *f,
			       struct rt_err *e)
{
	size_t ng = f->u.partition.n_groups;
	struct fault_port **g = calloc(ng ? ng : 1, sizeof(*g));
	size_t *n = calloc(ng ? ng : 1, sizeof(*n));
	struct fault_port *others = NULL;
	int rc = g && n ? 0 : rt_errf(e, ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < ng; i++)
		rc = fault_ports(t, &f->u.partition.groups[i], &g[i], &n[i], e);
	if (rc == 0 && f->u.partition.mode == PART_ISOLATE) {
		rc = nft_rules_isolate(cmds, table, chain, t, g[0], n[0], e);
	} else if (rc == 0 && f->u.partition.mode == PART_ONEWAY && ng >= 2) {
		rc = nft_rules_cut(cmds, table, chain, t, g[0], n[0], g[1], n[1], e);
	} else if (rc == 0 && f->u.partition.mode == PART_GRUDGE) {
		for (size_t i = 0; rc == 0 && i + 1 < ng; i += 2)   /* one-way cuts, pair by pair */
			rc = nft_rules_cut(cmds, table, chain, t, g[i], n[i], g[i + 1], n[i + 1], e);
	} else if (rc == 0) {
		size_t total = 0;
		for (size_t i = 0; i < ng; i++)
			total += n[i];
		others = calloc(total ? total : 1, sizeof(*others));
		if (!others)
			rc = rt_errf(e, ENOMEM, "out of memory");
		for (size_t i = 0; rc == 0 && i < ng; i++) {
			size_t no = 0;
			for (size_t j = 0; j < ng; j++)
				if (j != i && n[j]) {
					memcpy(others + no, g[j], n[j] * sizeof(*others));
					no += n[j];
				}
			rc = nft_rules_cut(cmds, table, chain, t, g[i], n[i], others, no, e);
		}
	}
	for (size_t i = 0; g && i < ng; i++)
		free(g[i]);
	free(g);
	free(n);
	free(others);
	return rc;
}

/* Loss draws on the ports placed here: a remote node's frames are drawn
 * on by its own host, once. */
static int nft_rules_loss(cJSON *cmds, const char *table, const char *chain,
			  const struct topology *t, const struct topo_fault *f, struct rt_err *e)
{
	struct fault_port *p;
	size_t n;
	if (fault_ports_here(t, &f->u.impair.targets, &p, &n, e) < 0)
		return -1;
	long long thr = (long long)(f->u.impair.percent * (NFT_LOSS_MOD / 100) + 0.5);
	enum direction d = f->u.impair.direction;
	/* 0%: no rule; 100%: no draw (numgen's values stop at mod - 1) */
	bool always = thr >= NFT_LOSS_MOD;
	if (n && thr > 0 && (d == DIR_EGRESS || d == DIR_BOTH))
		nj_rule(cmds, table, chain, nj_drop(nj_ports("iifname", p, n), always ? NULL :
						    nj_numgen_below(NFT_LOSS_MOD, thr)), NULL);
	if (n && thr > 0 && (d == DIR_INGRESS || d == DIR_BOTH))
		nj_rule(cmds, table, chain, nj_drop(nj_ports("oifname", p, n), always ? NULL :
						    nj_numgen_below(NFT_LOSS_MOD, thr)), NULL);
	free(p);
	return 0;
}

int fault_nft_rules(cJSON *cmds, const char *table, const char *chain,
		    const struct topology *t, const struct topo_fault *f, struct rt_err *e)
{
	int before = cJSON_GetArraySize(cmds);
	int rc = f->kind == FAULT_PARTITION ? nft_rules_partition(cmds, table, chain, t, f, e)
		 : f->kind == FAULT_LOSS ? nft_rules_loss(cmds, table, chain, t, f, e)
		 : rt_errf(e, EINVAL, "%s is not an nf_tables fault", fault_kind_names[f->kind]);
	return rc < 0 ? -1 : cJSON_GetArraySize(cmds) - before;
}

/* ---------------- the live table ---------------- */

struct nft_live {
	bool exists, owned, chain_exists;
	unsigned neigh_rules[3];        /* accept rules per base chain (nft_hooks order) */
	size_t other_faults;            /* fault chains besides ours */
	cJSON *jumps;                   /* [{"chain": base, "handle": n}] to our chain */
};

static bool nft_table_listed(const cJSON *out, const char *table)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(out, "nftables")) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "table");
		if (t && fault_rec_str(t, "name") && strcmp(fault_rec_str(t, "name"), table) == 0 &&
		    strcmp(fault_rec_str(t, "family") ? fault_rec_str(t, "family") : "", NFT_FAMILY) == 0)
			return true;
	}
	return false;
}

/* Is the jump target of rule r our chain? */
static bool nft_rule_jumps_to(const cJSON *r, const char *chain)
{
	const cJSON *x;
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(r, "expr")) {
		const cJSON *j = cJSON_GetObjectItemCaseSensitive(x, "jump");
		if (j && fault_rec_str(j, "target") && strcmp(fault_rec_str(j, "target"), chain) == 0)
			return true;
	}
	return false;
}

static void nft_live_scan(struct nft_live *lv, const cJSON *out, const char *chain,
			  const char *mark)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(out, "nftables")) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(it, "chain");
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(it, "rule");
		const char *name = c ? fault_rec_str(c, "name") : NULL;
		if (name && chain && strcmp(name, chain) == 0)
			lv->chain_exists = true;
		else if (name && strncmp(name, NFT_CHAIN_PREFIX, strlen(NFT_CHAIN_PREFIX)) == 0)
			lv->other_faults++;
		if (!r)
			continue;
		const char *rc = fault_rec_str(r, "chain"), *cm = fault_rec_str(r, "comment");
		if (rc && strcmp(rc, "owner") == 0 && cm && strcmp(cm, mark) == 0)
			lv->owned = true;
		for (size_t k = 0; rc && cm && k < 3; k++)
			if (strcmp(rc, nft_hooks[k]) == 0 && strcmp(cm, NFT_NEIGH_COMMENT) == 0)
				lv->neigh_rules[k]++;
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(r, "handle");
		if (chain && rc && cJSON_IsNumber(h) && nft_rule_jumps_to(r, chain)) {
			cJSON *j = cJSON_CreateObject();
			cJSON_AddStringToObject(j, "chain", rc);
			cJSON_AddNumberToObject(j, "handle", h->valuedouble);
			cJSON_AddItemToArray(lv->jumps, j);
		}
	}
}

/* What the table holds now, seen from fault chain `chain` (may be NULL). */
static int nft_live_get(const char *table, const char *chain, const char *mark,
			struct nft_live *lv, struct rt_err *e)
{
	char cmd[256];
	cJSON *out = NULL;
	memset(lv, 0, sizeof(*lv));
	lv->jumps = cJSON_CreateArray();
	snprintf(cmd, sizeof(cmd), "{\"nftables\":[{\"list\":{\"tables\":{\"family\":\"%s\"}}}]}",
		 NFT_FAMILY);
	if (nft_exec(cmd, &out, e) < 0)
		return -1;
	lv->exists = nft_table_listed(out, table);
	cJSON_Delete(out);
	if (!lv->exists)
		return 0;
	cJSON *c = cJSON_CreateArray(), *t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "family", NFT_FAMILY);
	cJSON_AddStringToObject(t, "name", table);
	nj_cmd(c, "list", "table", t);
	if (nft_exec_json(c, &out, e) < 0)
		return -1;
	nft_live_scan(lv, out, chain, mark);
	cJSON_Delete(out);
	return 0;
}

static int nft_names(const char *topology, char *table, size_t tlen, char *mark, size_t mlen,
		     struct rt_err *e)
{
	if ((size_t)snprintf(table, tlen, "aspen-%s", topology) >= tlen)
		return rt_errf(e, ENAMETOOLONG, "nft table name too long");
	return mark_build(mark, mlen, topology, "nft", e);
}

/* ---------------- the mechanism ---------------- */

static int nft_prepare(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
		       cJSON *rec, struct rt_err *e)
{
	char table[96], mark[ASPEN_MARK_MAX + 1], chain[96];
	(void)t;
	(void)f;
	if (nft_names(c->topology, table, sizeof(table), mark, sizeof(mark), e) < 0)
		return -1;
	snprintf(chain, sizeof(chain), NFT_CHAIN_PREFIX "%s", fault_rec_str(rec, "key"));
	cJSON *n = cJSON_AddObjectToObject(rec, "nft");
	cJSON_AddStringToObject(n, "family", NFT_FAMILY);
	cJSON_AddStringToObject(n, "table", table);
	cJSON_AddStringToObject(n, "chain", chain);
	return 0;
}

static int nft_apply(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
		     const cJSON *rec, struct rt_err *e)
{
	char table[96], mark[ASPEN_MARK_MAX + 1];
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(rec, "nft");
	const char *chain = fault_rec_str(n, "chain");
	struct nft_live lv;
	if (!chain || nft_names(c->topology, table, sizeof(table), mark, sizeof(mark), e) < 0)
		return chain ? -1 : rt_errf(e, EINVAL, "fault record without nft.chain");
	if (nft_live_get(table, chain, mark, &lv, e) < 0) {
		cJSON_Delete(lv.jumps);
		return -1;
	}
	cJSON_Delete(lv.jumps);
	if (lv.exists && !lv.owned)
		return rt_errf(e, EEXIST, "nf_tables table %s %s exists but is not aspen's (no "
			       "owner mark %s): rename or delete it", NFT_FAMILY, table, mark);
	cJSON *cmds = cJSON_CreateArray();
	if (!lv.exists) {
		nj_add_table(cmds, table);
		nj_chain(cmds, "add", table, "owner");
		cJSON *x = cJSON_CreateArray();
		cJSON_AddItemToArray(x, cJSON_CreateObject());
		cJSON_AddNullToObject(cJSON_GetArrayItem(x, 0), "counter");
		nj_rule(cmds, table, "owner", x, mark);
	}
	for (size_t h = 0; h < 3; h++) {
		nj_base_chain(cmds, table, nft_hooks[h]);
		if (lv.neigh_rules[h] < 2)     /* a new table, or one an older aspen made */
			nj_neigh_accept(cmds, table, nft_hooks[h]);
	}
	nj_chain(cmds, "add", table, chain);
	if (lv.chain_exists)            /* applied again: replace its rules, keep its jumps */
		nj_chain(cmds, "flush", table, chain);
	int rc = fault_nft_rules(cmds, table, chain, t, f, e) < 0 ? -1 : 0;
	for (size_t h = 0; rc == 0 && !lv.chain_exists && h < 3; h++) {
		cJSON *x = cJSON_CreateArray(), *j = cJSON_CreateObject();
		cJSON_AddStringToObject(cJSON_AddObjectToObject(j, "jump"), "target", chain);
		cJSON_AddItemToArray(x, j);
		nj_rule(cmds, table, nft_hooks[h], x, NULL);
	}
	if (rc < 0) {
		cJSON_Delete(cmds);
		return -1;
	}
	return nft_exec_json(cmds, NULL, e);
}

/* Remove chain from table in one transaction; the whole table when no
 * other fault is left in it. Absent table or chain: success. */
static int nft_remove(const char *topology, const char *chain, struct rt_err *e)
{
	char table[96], mark[ASPEN_MARK_MAX + 1];
	struct nft_live lv;
	if (nft_names(topology, table, sizeof(table), mark, sizeof(mark), e) < 0)
		return -1;
	int rc = nft_live_get(table, chain, mark, &lv, e);
	if (rc == 0 && lv.exists && !lv.owned)
		rc = rt_errf(e, EPERM, "nf_tables table %s %s is not aspen's (no owner mark %s): "
			     "left alone", NFT_FAMILY, table, mark);
	if (rc < 0 || !lv.exists || (!lv.chain_exists && cJSON_GetArraySize(lv.jumps) == 0 &&
				     lv.other_faults > 0)) {
		cJSON_Delete(lv.jumps);
		return rc;
	}
	cJSON *cmds = cJSON_CreateArray();
	if (lv.other_faults == 0) {
		cJSON *t = cJSON_CreateObject();
		cJSON_AddStringToObject(t, "family", NFT_FAMILY);
		cJSON_AddStringToObject(t, "name", table);
		nj_cmd(cmds, "delete", "table", t);
	} else {
		const cJSON *j;
		cJSON_ArrayForEach(j, lv.jumps) {
			cJSON *r = nj_obj(table, "chain", fault_rec_str(j, "chain"));
			cJSON_AddNumberToObject(r, "handle",
						cJSON_GetObjectItemCaseSensitive(j, "handle")->valuedouble);
			nj_cmd(cmds, "delete", "rule", r);
		}
		if (lv.chain_exists) {
			nj_chain(cmds, "flush", table, chain);
			nj_chain(cmds, "delete", table, chain);
		}
	}
	cJSON_Delete(lv.jumps);
	return nft_exec_json(cmds, NULL, e);
}

static int nft_revert(struct rt_ctx *c, const cJSON *rec, struct rt_err *e)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(rec, "nft");
	const char *chain = fault_rec_str(n, "chain");
	if (!chain || strncmp(chain, NFT_CHAIN_PREFIX, strlen(NFT_CHAIN_PREFIX)) != 0)
		return rt_errf(e, EINVAL, "fault record without a valid nft.chain");
	return nft_remove(c->topology, chain, e);
}

/* The whole table goes, whatever faults it holds; a table of that name
 * that is not ours stays (and is not an error: nothing of ours is there). */
static int nft_heal(struct rt_ctx *c, struct rt_err *e)
{
	char table[96], mark[ASPEN_MARK_MAX + 1];
	struct nft_live lv;
	if (nft_names(c->topology, table, sizeof(table), mark, sizeof(mark), e) < 0)
		return -1;
	int rc = nft_live_get(table, NULL, mark, &lv, e);
	cJSON_Delete(lv.jumps);
	if (rc < 0 || !lv.exists || !lv.owned)
		return rc;
	cJSON *cmds = cJSON_CreateArray(), *t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "family", NFT_FAMILY);
	cJSON_AddStringToObject(t, "name", table);
	nj_cmd(cmds, "delete", "table", t);
	return nft_exec_json(cmds, NULL, e);
}

/* In the throwaway namespace: a bridge table with a numgen drop rule on a
 * port name, in one transaction, then gone again. */
int fault_nft_probe(char *why, size_t len)
{
	static const char cmd[] =
		"{\"nftables\":["
		"{\"add\":{\"table\":{\"family\":\"bridge\",\"name\":\"aspen-probe\"}}},"
		"{\"add\":{\"chain\":{\"family\":\"bridge\",\"table\":\"aspen-probe\",\"name\":"
		"\"forward\",\"type\":\"filter\",\"hook\":\"forward\",\"prio\":0,\"policy\":"
		"\"accept\"}}},"
		"{\"add\":{\"rule\":{\"family\":\"bridge\",\"table\":\"aspen-probe\",\"chain\":"
		"\"forward\",\"expr\":[{\"match\":{\"op\":\"==\",\"left\":{\"meta\":{\"key\":"
		"\"iifname\"}},\"right\":\"aspen-probe0\"}},{\"match\":{\"op\":\"<\",\"left\":"
		"{\"numgen\":{\"mode\":\"random\",\"mod\":100}},\"right\":50}},{\"drop\":null}]}}},"
		"{\"delete\":{\"table\":{\"family\":\"bridge\",\"name\":\"aspen-probe\"}}}]}";
	struct rt_err e = {0};
	if (nft_exec(cmd, NULL, &e) == 0)
		return 0;
	snprintf(why, len, "%s", e.msg);
	return -1;
}

/* A partition has a share here when it makes a rule here (one of its
 * sides has a port here, or it isolates a node of another host); its
 * ports are those of its groups placed here. Loss acts on the ports
 * placed here. */
static int nft_share(const struct topology *t, const struct topo_fault *f, size_t *ports,
		     struct rt_err *e)
{
	*ports = 0;
	if (f->kind != FAULT_PARTITION)
		return fault_share_ports(t, &f->u.impair.targets, ports, e);
	for (size_t i = 0; i < f->u.partition.n_groups; i++) {
		size_t n;
		if (fault_share_ports(t, &f->u.partition.groups[i], &n, e) < 0)
			return -1;
		*ports += n;
	}
	cJSON *cmds = cJSON_CreateArray();
	int rules = fault_nft_rules(cmds, "share", "share", t, f, e);
	cJSON_Delete(cmds);
	return rules < 0 ? -1 : rules > 0;
}

const struct fault_mech fault_mech_nft = {nft_prepare, nft_apply, nft_revert, nft_heal,
					  nft_share};

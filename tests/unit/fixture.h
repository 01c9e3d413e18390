/* fixture.h — hand-built topologies for the pure compiler tests.
 *
 * Validation (names.c, validate.c) fills derived fields in real runs; these
 * helpers fill them by hand with simple, predictable values so lowering and
 * planning can be tested on their own:
 *   netns_name  aspen-<topology>-<node>
 *   bridge_name br-<network>
 *   iface name  eth<i>, host_name h-<node>-<i>, eff_mac 02:00:00:00:<node>:<i>
 * Everything lives in the topology's arena. */
#ifndef ASPEN_TEST_FIXTURE_H
#define ASPEN_TEST_FIXTURE_H

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compile.h"
#include "compiler/plan.h"

#define FX_UNUSED __attribute__((unused))

static FX_UNUSED uint32_t fx_ip(const char *s)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "fixture: bad ip %s\n", s);
		abort();
	}
	return ntohl(a.s_addr);
}

/* A topology with room for max_nodes nodes, 8 networks and 16 faults. */
static FX_UNUSED struct topology *fx_topology(const char *name, size_t max_nodes)
{
	struct topology *t = calloc(1, sizeof(*t));
	arena_init(&t->arena);
	t->name = arena_strdup(&t->arena, name);
	t->file = "test.yaml";
	t->api_version = TOPO_API_VERSION;
	t->networks = arena_array(&t->arena, 8, sizeof(*t->networks));
	t->nodes = arena_array(&t->arena, max_nodes, sizeof(*t->nodes));
	t->faults = arena_array(&t->arena, 16, sizeof(*t->faults));
	return t;
}

/* subnet "a.b.c.d/len"; gw NULL for none; mtu 0 for default. */
static FX_UNUSED struct topo_network *fx_network(struct topology *t, const char *name,
						 const char *subnet, const char *gw, uint32_t mtu)
{
	struct topo_network *n = &t->networks[t->n_networks++];
	char buf[32];
	snprintf(buf, sizeof(buf), "%s", subnet);
	char *slash = strchr(buf, '/');
	*slash = '\0';
	n->name = arena_strdup(&t->arena, name);
	n->subnet.addr = fx_ip(buf);
	n->subnet.len = (uint8_t)atoi(slash + 1);
	if (gw) {
		n->has_gateway = true;
		n->gateway = fx_ip(gw);
	}
	n->mtu = mtu;
	snprintf(n->bridge_name, sizeof(n->bridge_name), "br-%s", name);
	return n;
}

static FX_UNUSED struct topo_node *fx_node(struct topology *t, const char *name, enum node_kind kind)
{
	struct topo_node *n = &t->nodes[t->n_nodes++];
	n->name = arena_strdup(&t->arena, name);
	n->kind = kind;
	n->cpus = 1;
	n->memory = 512ull << 20;
	n->ifaces = arena_array(&t->arena, 4, sizeof(*n->ifaces));
	snprintf(n->netns_name, sizeof(n->netns_name), "aspen-%s-%s", t->name, name);
	return n;
}

/* Attach node n to network net; ip NULL for none. */
static FX_UNUSED struct topo_iface *fx_iface(struct topology *t, struct topo_node *n,
					     const char *net, const char *ip)
{
	size_t i = n->n_ifaces++;
	struct topo_iface *f = &n->ifaces[i];
	f->network = arena_strdup(&t->arena, net);
	f->network_idx = topo_find_network(t, net);
	if (ip) {
		f->has_ip = true;
		f->ip = fx_ip(ip);
	}
	snprintf(f->name, sizeof(f->name), "eth%zu", i);
	snprintf(f->host_name, sizeof(f->host_name), "h-%s-%zu", n->name, i);
	size_t node_idx = (size_t)(n - t->nodes);
	uint8_t mac[6] = {0x02, 0, 0, 0, (uint8_t)(node_idx + 1), (uint8_t)i};
	memcpy(f->eff_mac, mac, 6);
	return f;
}

/* argv from a NULL-terminated list. */
static FX_UNUSED void fx_command(struct topology *t, struct topo_node *n, const char *const *argv)
{
	size_t c = 0;
	while (argv[c])
		c++;
	n->command.v = arena_array(&t->arena, c, sizeof(char *));
	for (size_t i = 0; i < c; i++)
		n->command.v[i] = arena_strdup(&t->arena, argv[i]);
	n->command.n = c;
}

static FX_UNUSED void fx_env(struct topology *t, struct topo_node *n, const char *k, const char *v)
{
	struct kv *e = arena_array(&t->arena, n->n_env + 1, sizeof(*e));
	if (n->n_env)
		memcpy(e, n->env, n->n_env * sizeof(*e));
	e[n->n_env].key = arena_strdup(&t->arena, k);
	e[n->n_env].value = arena_strdup(&t->arena, v);
	n->env = e;
	n->n_env++;
}

static FX_UNUSED struct target_list fx_targets(struct topology *t, const char *const *names)
{
	struct target_list l = {0};
	while (names[l.n])
		l.n++;
	l.v = arena_array(&t->arena, l.n, sizeof(*l.v));
	for (size_t i = 0; i < l.n; i++) {
		const char *dot = strchr(names[i], '.');
		if (dot) {
			l.v[i].node = arena_strndup(&t->arena, names[i], (size_t)(dot - names[i]));
			l.v[i].iface = arena_strdup(&t->arena, dot + 1);
		} else {
			l.v[i].node = arena_strdup(&t->arena, names[i]);
		}
		l.v[i].node_idx = topo_find_node(t, l.v[i].node);
	}
	return l;
}

static FX_UNUSED struct topo_fault *fx_fault(struct topology *t, enum fault_kind kind,
					     uint64_t at_us, uint64_t for_us)
{
	struct topo_fault *f = &t->faults[t->n_faults];
	f->index = t->n_faults++;
	f->kind = kind;
	f->at_us = at_us;
	if (for_us) {
		f->has_for = true;
		f->for_us = for_us;
	}
	return f;
}

/* A deep copy of l into arena a: an "observed" list equal to the desired one. */
static FX_UNUSED void fx_clone(struct res_list *out, struct arena *a, const struct res_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct resource *s = &l->v[i];
		struct resource *r = res_list_add(out, a, s->kind, s->id);
		for (size_t k = 0; k < s->n_props; k++)
			res_set(a, r, s->props[k].key, s->props[k].value);
		for (size_t k = 0; k < s->n_deps; k++)
			res_add_dep(a, r, s->deps[k]);
	}
}

static FX_UNUSED struct resource *fx_find(const struct res_list *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].id, id) == 0)
			return &l->v[i];
	return NULL;
}

/* Capture a printer's output in a malloc'd string. */
#define FX_CAPTURE(var, stmt)                                         \
	do {                                                          \
		size_t fx_len_ = 0;                                   \
		FILE *out = open_memstream(&(var), &fx_len_);         \
		stmt;                                                 \
		fclose(out);                                          \
	} while (0)

/* n netns nodes node0..node<n-1> running `sleep infinity` on one /16
 * network "lan" with a gateway, node i at 10.0.x.y = 10.0.0.2 + i: the
 * large topology the scale tests share. */
static FX_UNUSED struct topology *fx_big_cluster(int n)
{
	struct topology *t = fx_topology("big", (size_t)n);
	fx_network(t, "lan", "10.0.0.0/16", "10.0.0.1", 0);
	for (int i = 0; i < n; i++) {
		char name[16], ip[20];
		snprintf(name, sizeof(name), "node%d", i);
		snprintf(ip, sizeof(ip), "10.0.%d.%d", (i + 2) / 256, (i + 2) % 256);
		struct topo_node *nd = fx_node(t, name, NODE_NETNS);
		fx_iface(t, nd, "lan", ip);
		fx_command(t, nd, (const char *const[]){"sleep", "infinity", NULL});
	}
	return t;
}

#endif

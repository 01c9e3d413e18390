/* fault.c — the fault engine's front door: capability checks, undo records,
 * dispatch to the mechanisms, and healing a whole topology.
 *
 * The idea: every fault kind maps to one mechanism (nf_tables, tc qdiscs,
 * link state, node processes), each in its own file behind struct
 * fault_mech. This file knows the kinds, not the kernel. A fault's undo
 * record is built here (key, kind, desc, deadline) and completed by its
 * mechanism with the exact objects it will touch, so revert needs nothing
 * but the record.
 *
 * Capabilities are probed, not read from the kernel config: once per
 * process a thread unshares a fresh network namespace, makes a veth pair
 * there and tries an nf_tables bridge table with numgen, a tbf and a netem
 * qdisc, and the ifb redirect of VM nodes. The namespace dies with the
 * thread, so the probe leaves nothing behind and never touches the host's
 * links. */
#include "runtime/fault.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/plan.h"
#include "runtime/fault_int.h"
#include "runtime/nl.h"

/* ---------------- dispatch ---------------- */

static const struct fault_mech *fault_mech_of(enum fault_kind k)
{
	static const struct fault_mech *const by_kind[FAULT__COUNT] = {
		[FAULT_PARTITION] = &fault_mech_nft,   [FAULT_LOSS] = &fault_mech_nft,
		[FAULT_LATENCY] = &fault_mech_tc,      [FAULT_DUPLICATE] = &fault_mech_tc,
		[FAULT_CORRUPT] = &fault_mech_tc,      [FAULT_REORDER] = &fault_mech_tc,
		[FAULT_RATE] = &fault_mech_tc,         [FAULT_LINK_DOWN] = &fault_mech_link,
		[FAULT_KILL] = &fault_mech_node,       [FAULT_PAUSE] = &fault_mech_node,
		[FAULT_RESUME] = &fault_mech_node,     [FAULT_START] = &fault_mech_node,
		[FAULT_RESTART] = &fault_mech_node,    [FAULT_REBOOT] = &fault_mech_node,
	};
	return (unsigned)k < FAULT__COUNT ? by_kind[k] : NULL;
}

static int fault_kind_from_name(const char *name)
{
	for (int k = 0; name && k < FAULT__COUNT; k++)
		if (strcmp(fault_kind_names[k], name) == 0)
			return k;
	return -1;
}

static bool fault_is_netem(enum fault_kind k)
{
	return k == FAULT_LATENCY || k == FAULT_DUPLICATE || k == FAULT_CORRUPT ||
	       k == FAULT_REORDER;
}

/* ---------------- targets and records ---------------- */

static bool fault_port_seen(const struct fault_port *v, size_t n, const struct topo_iface *i)
{
	for (size_t k = 0; k < n; k++)
		if (v[k].iface == i)
			return true;
	return false;
}

int fault_ports(const struct topology *t, const struct target_list *l, struct fault_port **out,
		size_t *n, struct rt_err *e)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	for (size_t k = 0; k < l->n; k++) {
		const struct fault_target *tg = &l->v[k];
		if (tg->node_idx >= t->n_nodes)
			return rt_errf(e, EINVAL, "fault target %s is not resolved", tg->node);
		cap += tg->iface ? 1 : t->nodes[tg->node_idx].n_ifaces;
	}
	if (!cap)
		return 0;
	struct fault_port *v = calloc(cap, sizeof(*v));
	if (!v)
		return rt_errf(e, ENOMEM, "out of memory");
	for (size_t k = 0; k < l->n; k++) {
		const struct fault_target *tg = &l->v[k];
		const struct topo_node *node = &t->nodes[tg->node_idx];
		size_t lo = tg->iface ? tg->iface_idx : 0;
		size_t hi = tg->iface ? tg->iface_idx + 1 : node->n_ifaces;
		for (size_t i = lo; i < hi && i < node->n_ifaces; i++)
			if (!fault_port_seen(v, *n, &node->ifaces[i]))
				v[(*n)++] = (struct fault_port){node, &node->ifaces[i]};
	}
	*out = v;
	return 0;
}

int fault_ports_here(const struct topology *t, const struct target_list *l,
		     struct fault_port **out, size_t *n, struct rt_err *e)
{
	if (fault_ports(t, l, out, n, e) < 0)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < *n; i++)
		if (topo_node_here(t, (*out)[i].node))
			(*out)[k++] = (*out)[i];
	*n = k;
	return 0;
}

int fault_share_ports(const struct topology *t, const struct target_list *l, size_t *ports,
		      struct rt_err *e)
{
	struct fault_port *p;
	if (fault_ports_here(t, l, &p, ports, e) < 0)
		return -1;
	free(p);
	return *ports > 0;
}

const char *fault_rec_str(const cJSON *rec, const char *name)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(rec, name);
	return cJSON_IsString(s) ? s->valuestring : NULL;
}

/* Keys name nft chains and files: [A-Za-z0-9_-], at most 48 bytes. */
static int fault_check_key(const char *key, struct rt_err *e)
{
	size_t n = key ? strlen(key) : 0;
	if (n == 0 || n > 48)
		return rt_errf(e, EINVAL, "fault key \"%s\": 1 to 48 bytes", key ? key : "");
	for (size_t i = 0; i < n; i++)
		if (!(key[i] >= 'a' && key[i] <= 'z') && !(key[i] >= 'A' && key[i] <= 'Z') &&
		    !(key[i] >= '0' && key[i] <= '9') && key[i] != '-' && key[i] != '_')
			return rt_errf(e, EINVAL, "fault key \"%s\": only letters, digits, '-' and "
				       "'_'", key);
	return 0;
}

/* "faults[1] (slow-node2)" or "faults[1]". */
static const char *fault_name(const struct topo_fault *f, char *buf, size_t len)
{
	if (f->label)
		snprintf(buf, len, "faults[%zu] (%s)", f->index, f->label);
	else
		snprintf(buf, len, "faults[%zu]", f->index);
	return buf;
}

/* ---------------- capability probe ---------------- */

static struct {
	pthread_once_t once;
	int res[FAULT_CAP__COUNT];
	char why[FAULT_CAP__COUNT][256];
	int err;                        /* errno when the probe could not run */
} fault_probe_cache = {.once = PTHREAD_ONCE_INIT};

static void fault_probe_all_fail(int err, const char *why)
{
	fault_probe_cache.err = err ? err : EIO;
	for (int k = 0; k < FAULT_CAP__COUNT; k++) {
		fault_probe_cache.res[k] = -1;
		snprintf(fault_probe_cache.why[k], sizeof(fault_probe_cache.why[k]),
			 "capability probe: %.200s", why);
	}
}

/* Runs on its own thread: unshare affects only the calling thread, and the
 * namespace (with its veth pair) is freed when the thread's last socket
 * closes and the thread exits. */
static void *fault_probe_thread(void *arg)
{
	struct rt_err err = {0};
	struct nl *nl = NULL;
	(void)arg;
	if (unshare(CLONE_NEWNET) < 0) {
		fault_probe_all_fail(errno, strerror(errno));
		return NULL;
	}
	struct nl_veth_opts o = {.name = "aspen-probe0", .up = true, .peer_name = "aspen-probe1",
				 .peer_netns_fd = -1};
	if (nl_open(&nl, -1, &err) < 0 || nl_veth_add(nl, &o, &err) < 0) {
		fault_probe_all_fail(err.errnum, err.msg);
		nl_free(nl);
		return NULL;
	}
	char *w = fault_probe_cache.why[FAULT_CAP_NFT];
	fault_probe_cache.res[FAULT_CAP_NFT] = fault_nft_probe(w, 256) == 0;
	w = fault_probe_cache.why[FAULT_CAP_TBF];
	fault_probe_cache.res[FAULT_CAP_TBF] = fault_tc_probe("tbf", o.name, w, 256) == 0;
	w = fault_probe_cache.why[FAULT_CAP_NETEM];
	fault_probe_cache.res[FAULT_CAP_NETEM] = fault_tc_probe("netem", o.name, w, 256) == 0;
	w = fault_probe_cache.why[FAULT_CAP_IFB];
	fault_probe_cache.res[FAULT_CAP_IFB] = fault_tc_probe("ifb", o.name, w, 256) == 0;
	w = fault_probe_cache.why[FAULT_CAP_FLOWER];
	fault_probe_cache.res[FAULT_CAP_FLOWER] = fault_tc_probe("flower", o.name, w, 256) == 0;
	nl_free(nl);
	return NULL;
}

static void fault_probe_once(void)
{
	pthread_t th;
	int rc = pthread_create(&th, NULL, fault_probe_thread, NULL);
	if (rc != 0) {
		fault_probe_all_fail(rc, strerror(rc));
		return;
	}
	pthread_join(th, NULL);
}

int fault_cap(enum fault_cap cap, char *why, size_t len)
{
	pthread_once(&fault_probe_cache.once, fault_probe_once);
	if (why && len)
		snprintf(why, len, "%s", fault_probe_cache.why[cap]);
	return fault_probe_cache.res[cap];
}

int fault_host_cap(const char *name, char *why, size_t len)
{
	static const char *const names[FAULT_CAP__COUNT] = {
		[FAULT_CAP_NFT] = "nftables", [FAULT_CAP_TBF] = "tbf", [FAULT_CAP_NETEM] = "netem",
		[FAULT_CAP_IFB] = "ifb", [FAULT_CAP_FLOWER] = "flower",
	};
	for (int k = 0; k < FAULT_CAP__COUNT; k++)
		if (strcmp(names[k], name) == 0)
			return fault_cap((enum fault_cap)k, why, len);
	snprintf(why, len, "unknown capability %s", name);
	return -1;
}

/* On VM nodes the qdisc shapes the TAP's ingress through an ifb
 * (fault_tc.c), which needs ifb, the ingress qdisc, u32 and mirred. */
static bool fault_on_vm(const struct topology *t, const struct topo_fault *f)
{
	const struct target_list *l = &f->u.impair.targets;
	for (size_t k = 0; k < l->n; k++) {
		size_t i = l->v[k].node_idx;
		if (i < t->n_nodes && t->nodes[i].kind == NODE_VM && topo_node_here(t, &t->nodes[i]))
			return true;
	}
	return false;
}

static int fault_need(enum fault_cap cap, const struct topo_fault *f, const char *name,
		      struct rt_err *e)
{
	char why[256];
	int rc = fault_cap(cap, why, sizeof(why));
	if (rc == 1)
		return 0;
	const char *kind = fault_kind_names[f->kind];
	if (rc < 0)
		return rt_errf(e, fault_probe_cache.err, "%s: cannot tell whether %s works here "
			       "(needs root): %s", name, kind, why);
	if (cap == FAULT_CAP_NETEM)
		return rt_errf(e, ENOTSUP, "%s: %s needs the sch_netem qdisc, which this kernel "
			       "lacks: load it (modprobe sch_netem) or use a kernel built with "
			       "CONFIG_NET_SCH_NETEM", name, kind);
	if (cap == FAULT_CAP_IFB)
		return rt_errf(e, ENOTSUP, "%s: %s on a VM node shapes its TAP's ingress through an "
			       "ifb device, which this kernel refuses (%s): load ifb, sch_ingress, "
			       "cls_u32 and act_mirred (CONFIG_IFB, CONFIG_NET_SCH_INGRESS, "
			       "CONFIG_NET_CLS_U32, CONFIG_NET_ACT_MIRRED)", name, kind, why);
	if (cap == FAULT_CAP_TBF)
		return rt_errf(e, ENOTSUP, "%s: %s needs the tbf qdisc, which this kernel lacks "
			       "(%s): load it (modprobe sch_tbf) or use a kernel built with "
			       "CONFIG_NET_SCH_TBF", name, kind, why);
	return rt_errf(e, ENOTSUP, "%s: %s needs nf_tables with the bridge family and numgen, "
		       "which this kernel refuses (%s): load nf_tables and nft_numgen, or use a "
		       "kernel with CONFIG_NF_TABLES_BRIDGE", name, kind, why);
}

int fault_check_supported(const struct topology *t, const struct topo_fault *f, struct rt_err *e)
{
	char name[96];
	size_t ports;
	fault_name(f, name, sizeof(name));
	if (t->has_here && fault_share(t, f, &ports, NULL) == 0)
		return 0;       /* nothing of it runs here: whatever it needs is not needed */
	if (f->kind == FAULT_PARTITION)
		return fault_need(FAULT_CAP_NFT, f, name, e);
	if (f->kind == FAULT_LOSS) {
		if (f->u.impair.correlation > 0)
			return rt_errf(e, ENOTSUP, "%s: loss correlation is not supported: aspen drops "
				       "with nf_tables numgen, which draws every packet independently; "
				       "remove `correlation`", name);
		return fault_need(FAULT_CAP_NFT, f, name, e);
	}
	if (f->kind == FAULT_RATE || fault_is_netem(f->kind)) {
		if (fault_on_vm(t, f) && fault_need(FAULT_CAP_IFB, f, name, e) < 0)
			return -1;
		return fault_need(f->kind == FAULT_RATE ? FAULT_CAP_TBF : FAULT_CAP_NETEM, f, name, e);
	}
	return 0;
}

/* ---------------- the contract ---------------- */

int fault_share(const struct topology *t, const struct topo_fault *f, size_t *ports,
		struct rt_err *e)
{
	const struct fault_mech *m = fault_mech_of(f->kind);
	*ports = 0;
	if (!m)
		return rt_errf(e, EINVAL, "fault kind %d unknown", (int)f->kind);
	return m->share(t, f, ports, e);
}

/* Has this record nothing to do on this host (fault_prepare said so)? */
static bool fault_rec_noop(const cJSON *rec)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "no_local_share"));
}

int fault_prepare(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
		  const char *key, cJSON **undo, struct rt_err *e)
{
	*undo = NULL;
	const struct fault_mech *m = fault_mech_of(f->kind);
	if (!m)
		return rt_errf(e, EINVAL, "fault kind %d unknown", (int)f->kind);
	if (fault_check_key(key, e) < 0)
		return -1;
	struct arena a;
	arena_init(&a);
	cJSON *rec = cJSON_CreateObject();
	cJSON_AddStringToObject(rec, "key", key);
	cJSON_AddStringToObject(rec, "kind", fault_kind_names[f->kind]);
	cJSON_AddStringToObject(rec, "desc", fault_describe(&a, t, f));
	cJSON_AddNumberToObject(rec, "deadline", 0);
	cJSON_AddStringToObject(rec, "topology", c->topology);
	arena_free(&a);
	if (t->has_here) {      /* a host's share of a multi-host fault */
		size_t ports;
		int s = m->share(t, f, &ports, e);
		if (s < 0) {
			cJSON_Delete(rec);
			return rt_err_prefix(e, "prepare %s", key);
		}
		if (t->here < t->n_hosts)
			cJSON_AddStringToObject(rec, "host", t->hosts[t->here].name);
		cJSON_AddNumberToObject(rec, "local_ports", (double)ports);
		if (s == 0) {   /* apply and revert do nothing, from the record alone */
			cJSON_AddTrueToObject(rec, "no_local_share");
			*undo = rec;
			return 0;
		}
	}
	if (m->prepare(c, t, f, rec, e) < 0) {
		cJSON_Delete(rec);
		return rt_err_prefix(e, "prepare %s", key);
	}
	*undo = rec;
	return 0;
}

int fault_apply(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
		const cJSON *undo, struct rt_err *e)
{
	const struct fault_mech *m = fault_mech_of(f->kind);
	if (!m)
		return rt_errf(e, EINVAL, "fault kind %d unknown", (int)f->kind);
	const char *kind = fault_rec_str(undo, "kind");
	if (!kind || strcmp(kind, fault_kind_names[f->kind]) != 0)
		return rt_errf(e, EINVAL, "apply %s: the undo record is for another fault",
			       fault_kind_names[f->kind]);
	if (fault_rec_noop(undo))
		return 0;
	if (fault_check_supported(t, f, e) < 0)
		return -1;
	return m->apply(c, t, f, undo, e);
}

int fault_revert(struct rt_ctx *c, const cJSON *undo, struct rt_err *e)
{
	int k = fault_kind_from_name(fault_rec_str(undo, "kind"));
	const char *key = fault_rec_str(undo, "key");
	if (k < 0 || !key)
		return rt_errf(e, EINVAL, "revert: malformed fault record (no kind or key)");
	if (fault_rec_noop(undo))
		return 0;
	if (fault_mech_of((enum fault_kind)k)->revert(c, undo, e) < 0)
		return rt_err_prefix(e, "revert %s", key);
	return 0;
}

/* Revert every journaled record, then sweep each mechanism. Goes on after
 * a failure so one stuck object does not keep the rest broken; reports the
 * first failure. The journal's records are left to the caller to clear. */
int fault_heal_all(struct rt_ctx *c, struct rt_err *e)
{
	static const struct fault_mech *const mechs[] = {&fault_mech_node, &fault_mech_link,
							  &fault_mech_tc, &fault_mech_nft};
	struct rt_err first = {0}, err;
	int rc = 0;
	const cJSON *rec;
	cJSON_ArrayForEach(rec, c->journal.faults) {
		err = (struct rt_err){0};
		if (fault_revert(c, rec, &err) < 0 && rc++ == 0)
			first = err;
	}
	for (size_t i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++) {
		err = (struct rt_err){0};
		if (mechs[i]->heal(c, &err) < 0 && rc++ == 0)
			first = err;
	}
	if (rc == 0)
		return 0;
	if (e)
		*e = first;
	return rt_err_prefix(e, "heal %s", c->topology);
}

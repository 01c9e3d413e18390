/* fault_int.h — what the fault mechanisms share with fault.c (not public).
 *
 * Each mechanism file (fault_nft.c, fault_tc.c, fault_link.c,
 * fault_node.c) exports one struct fault_mech: prepare adds the
 * mechanism's own fields to the undo record, apply changes the system,
 * revert works from the record alone, heal sweeps every trace of the
 * topology whatever the records say. fault.c picks the mechanism by kind,
 * so a new kind is a new file plus one line in its table. */
#ifndef ASPEN_FAULT_INT_H
#define ASPEN_FAULT_INT_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "compiler/topology.h"
#include "runtime/err.h"
#include "runtime/runtime.h"

struct rtnl_qdisc;

struct fault_mech {
	int (*prepare)(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
		       cJSON *rec, struct rt_err *e);
	int (*apply)(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
		     const cJSON *rec, struct rt_err *e);
	int (*revert)(struct rt_ctx *c, const cJSON *rec, struct rt_err *e);
	int (*heal)(struct rt_ctx *c, struct rt_err *e);
	/* This host's share of f in a multi-host compile (t->has_here): 1
	 * when it has something to do here, 0 when not, -1 on error; *ports
	 * = the ports (node faults: nodes) placed here that it acts on. */
	int (*share)(const struct topology *t, const struct topo_fault *f, size_t *ports,
		     struct rt_err *e);
};

extern const struct fault_mech fault_mech_nft, fault_mech_tc, fault_mech_link, fault_mech_node;

/* ---- targets ---- */

/* One interface a fault acts on. */
struct fault_port {
	const struct topo_node *node;
	const struct topo_iface *iface;
};

/* Expand a target list into interfaces (a node target = all its
 * interfaces), duplicates removed, in target order. *out is malloc'ed (may
 * be NULL when *n is 0); the caller frees it. */
int fault_ports(const struct topology *t, const struct target_list *l, struct fault_port **out,
		size_t *n, struct rt_err *e);

/* fault_ports, keeping only the ports of nodes placed on this host
 * (topo_node_here): what loss, tc and link faults act on. */
int fault_ports_here(const struct topology *t, const struct target_list *l,
		     struct fault_port **out, size_t *n, struct rt_err *e);

/* The share of a fault acting on the ports (or nodes) of l placed here:
 * 1 and *ports when there is one, 0 when none is here. */
int fault_share_ports(const struct topology *t, const struct target_list *l, size_t *ports,
		      struct rt_err *e);

/* ---- nf_tables rules (fault_nft.c), pure: unit-tested without a kernel ---- */

/* Append to cmds the "add rule" commands of partition or loss fault f for
 * chain of table (bridge family): for a multi-host compile only this
 * host's share (docs/faults.md, "Faults across hosts"). Returns the
 * number of rules added, or -1. */
int fault_nft_rules(cJSON *cmds, const char *table, const char *chain,
		    const struct topology *t, const struct topo_fault *f, struct rt_err *e);

/* ---- records ---- */

/* String member of a record, or NULL. */
const char *fault_rec_str(const cJSON *rec, const char *name);

/* ---- capabilities (fault.c; the probes run in a throwaway namespace) ---- */

enum fault_cap { FAULT_CAP_NFT, FAULT_CAP_TBF, FAULT_CAP_NETEM, FAULT_CAP_IFB, FAULT_CAP_FLOWER,
		 FAULT_CAP__COUNT };

/* 1 supported, 0 not (why gets the kernel's answer), -1 the probe itself
 * could not run (why says so). Probed once per process, all at once. */
int fault_cap(enum fault_cap cap, char *why, size_t len);

/* The probes, called inside the throwaway namespace by fault.c: 0 works,
 * -1 with the reason in why. tc probes need a link: dev. kind "tbf" and
 * "netem" add that root qdisc; "ifb" the VM path's redirect (an ifb, an
 * ingress qdisc on dev, the u32 + mirred filter to the ifb). */
int fault_nft_probe(char *why, size_t len);
int fault_tc_probe(const char *kind, const char *dev, char *why, size_t len);

/* ---- qdisc encodings (fault_tc.c), pure: unit-tested without a kernel ---- */

/* Handles aspen gives its root qdiscs; a root qdisc with another major is
 * not aspen's and is never touched. */
#define FAULT_TBF_MAJOR 0xa5e0u
#define FAULT_NETEM_MAJOR 0xa5e1u

/* netem probability from a percentage: 0..100 -> 0..UINT32_MAX. */
unsigned fault_netem_prob(double percent);

/* The netem qdisc for a latency / duplicate / corrupt / reorder fault, root
 * of ifindex, handle FAULT_NETEM_MAJOR:. *out freed with rtnl_qdisc_put. */
int fault_netem_qdisc(const struct topo_fault *f, int ifindex, struct rtnl_qdisc **out,
		      struct rt_err *e);

/* The tbf qdisc for a rate fault on a link of this MTU (0: 1500). */
int fault_tbf_qdisc(const struct topo_fault *f, unsigned mtu, int ifindex,
		    struct rtnl_qdisc **out, struct rt_err *e);

/* The RTM_NEWQDISC request that adds q (flags NLM_F_CREATE | ...), as
 * sent: libnl's encoding with the length fixed (see fault_tc.c). *out is
 * freed with nlmsg_free. */
struct nl_msg;
int fault_qdisc_request(struct rtnl_qdisc *q, int flags, struct nl_msg **out,
			struct rt_err *e);

/* VM nodes (fault_tc.c): the ingress qdisc (ffff:) of the TAP ifindex,
 * and the filter under it that redirects every frame the guest sends to
 * the ifb ifb_ifindex, where the fault's own qdisc is the root. The
 * filter's priority is aspen's mark on it. *out freed with rtnl_qdisc_put
 * / rtnl_cls_put. */
#define FAULT_INGRESS_PRIO 0xa5e0u
struct rtnl_cls;
int fault_ingress_qdisc(int ifindex, struct rtnl_qdisc **out, struct rt_err *e);
int fault_redirect_filter(int ifindex, int ifb_ifindex, struct rtnl_cls **out, struct rt_err *e);

/* tbf burst when the fault gives none: 10 ms at the rate, at least two
 * full frames. */
unsigned long long fault_tbf_burst(unsigned long long rate_bps, unsigned mtu);

#endif

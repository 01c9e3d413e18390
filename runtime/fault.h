/* fault.h — applying and reverting one fault on the live system.
 *
 * The contract between the fault mechanisms (fault_*.c: nf_tables
 * partitions and loss, tc qdiscs for rate and netem impairments, link
 * state, node processes and VMs) and the scheduler that runs a topology's
 * timed schedule (schedule.c), ad hoc faults (`aspen fault`) and `aspen heal`.
 *
 * Every revertible fault is described, before it is applied, by an undo
 * record: a JSON object naming exactly the kernel objects and processes it
 * touches (nft chain names, qdisc handles on (netns, dev) pairs, links,
 * pids + start times, VMM sockets). The scheduler writes the record into
 * the journal's "faults" array BEFORE fault_apply, so a crash at any point
 * leaves enough to revert: fault_revert works from the record alone (no
 * topology file needed) and is idempotent — reverting something that was
 * never applied, or already reverted, succeeds.
 *
 * Record fields common to all kinds (others are the mechanism's own):
 *   "key":      unique per active fault: the fault's label, or "f<index>"
 *               for faults[index], or "adhoc-<n>" for ad hoc faults
 *   "kind":     fault_kind_names[kind]
 *   "desc":     fault_describe() text
 *   "deadline": absolute CLOCK_REALTIME ms when it is to be reverted, or 0
 * and, for a topology compiled for one host of a multi-host file
 * (t->has_here; docs/faults.md, "Faults across hosts"):
 *   "host":     the host whose share of the fault this is
 *   "local_ports": the ports (node faults: nodes) placed here it acts on
 *   "no_local_share": true when nothing of the fault is here: apply and
 *               revert then succeed without touching anything
 *
 * Partitions and loss live in one nf_tables table per topology
 * ("aspen-<topology>", bridge family); each fault is its own chain,
 * jumped to from the base chains, added and removed in one transaction each:
 * overlapping faults compose as the union of what each drops, and no
 * instant shows half a fault's rules. */
#ifndef ASPEN_FAULT_H
#define ASPEN_FAULT_H

#include <cJSON.h>
#include <stdbool.h>

#include "compiler/topology.h"
#include "runtime/err.h"
#include "runtime/runtime.h"

/* Can this machine run f? Netem impairments (latency, duplicate, corrupt,
 * reorder) need sch_netem, rate needs tbf, partitions and loss nf_tables.
 * Probed once per process, in a throwaway network namespace. 0 when
 * supported; -1 with one line naming the fault, the missing piece and what
 * to do, e.g.
 *   faults[1] (slow-node2): latency needs the sch_netem qdisc, which this
 *   kernel lacks: load it (modprobe sch_netem) or use a kernel built with
 *   CONFIG_NET_SCH_NETEM
 * errnum is ENOTSUP when the machine lacks it; another errno (EPERM without
 * root) when the probe itself could not run, so the answer is unknown.
 * Rate and netem faults on VM nodes also need the ifb redirect (ifb,
 * ingress qdisc, u32, mirred); loss with a correlation is refused here
 * (ENOTSUP; docs/faults.md says why). fault_apply runs
 * this check itself. */
int fault_check_supported(const struct topology *t, const struct topo_fault *f, struct rt_err *e);

/* For `aspen doctor`: does this kernel have "nftables", "tbf", "netem",
 * "ifb" or "flower" (cls_flower)? 1 yes, 0 no (why: the kernel's answer),
 * -1 the probe could not run (why says so; it needs root). Same probe. */
int fault_host_cap(const char *name, char *why, size_t len);

/* This host's share of f (a one-host compile: all of it): 1 when there is
 * something to do here, 0 when not, -1 on error; *ports = the ports (node
 * faults: nodes) placed here that it acts on. A partition has a share on
 * a host when one of its sides has a port here, and an isolate of a node
 * on another host on every host (its MACs and addresses are cut). */
int fault_share(const struct topology *t, const struct topo_fault *f, size_t *ports,
		struct rt_err *e);

/* Resolve f's targets on the live topology into its undo record (*undo, a
 * new cJSON object the caller owns). No change to the system. Node faults
 * that cannot be reverted (kill, resume, start, restart, reboot) get a
 * record too (the scheduler logs it) but need no journaling. */
int fault_prepare(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
		  const char *key, cJSON **undo, struct rt_err *e);

/* Apply the fault described by f and its record. */
int fault_apply(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
		const cJSON *undo, struct rt_err *e);

/* Revert from the record alone. Idempotent. Node faults other than pause
 * have no inverse: their revert succeeds without doing anything. */
int fault_revert(struct rt_ctx *c, const cJSON *undo, struct rt_err *e);

/* Remove every trace of this topology's faults whatever the journal says:
 * the nft table, qdiscs aspen added on its links, links it set down,
 * processes it paused. For `aspen heal NAME` and destroy. Idempotent.
 * Reverts each record of c->journal.faults first, then sweeps; the records
 * are left for the caller to clear (journal_set_faults + journal_save). */
int fault_heal_all(struct rt_ctx *c, struct rt_err *e);

#endif

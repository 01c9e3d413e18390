/* runtime.h — applying plans to the live system and observing it.
 *
 * One struct rt_ctx per aspen invocation on one topology. It holds the
 * topology's lock and journal, the netlink handle of the host namespace and
 * a cache of handles inside node namespaces, and the driver table. The CLI
 * does, for apply:
 *
 *     rt_open(&c, name, argv, ...)     lock + journal
 *     rt_observe(&c, &observed)        journal + live probe + discovery
 *     plan_compute(&p, topo, &desired, &observed)
 *     rt_execute(&c, &p)               run the plan, journaling as it goes
 *     rt_close(&c)
 *
 * Observed state has two sources. The journal lists what aspen created; each
 * journaled resource is probed (absent, or present with live properties, so
 * drift shows in the plan). Discovery finds what a crash kept out of the
 * journal: links whose alias is this topology's mark, namespaces whose
 * marker file is, and node pidfiles in the runtime dir. Together they make
 * `destroy` complete after a crash at any point. */
#ifndef ASPEN_RUNTIME_H
#define ASPEN_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler/arena.h"
#include "compiler/plan.h"
#include "compiler/resource.h"
#include "compiler/strmap.h"
#include "runtime/driver.h"
#include "runtime/err.h"
#include "runtime/journal.h"
#include "runtime/lock.h"
#include "runtime/paths.h"

struct nl;

enum rt_event_kind {
	RT_EV_START,            /* an action begins */
	RT_EV_DONE,             /* an action succeeded */
	RT_EV_FAIL,             /* an action failed (err set) */
};

struct rt_event {
	enum rt_event_kind kind;
	const struct action *action;
	size_t index, total;    /* 1-based position in the plan */
	uint64_t elapsed_us;    /* DONE/FAIL: time the action took */
	const char *err;        /* FAIL */
};

typedef void (*rt_event_fn)(const struct rt_event *ev, void *ud);

struct rt_nscache {
	char name[64];
	int fd;
	struct nl *nl;
	const char *key;        /* name, in c->arena: its key in c->ns_idx */
};

struct nl_link_info;

/* What is known of the links of one handle's namespace during a run (see
 * rt_link): filled by one dump, kept up to date by the drivers' calls to
 * rt_link_changed. */
struct rt_linkcache {
	struct nl *nl;
	bool filled;            /* a dump went into it */
	bool complete;          /* and no link was added or changed since */
	struct nl_link_info *v;
	size_t n, cap;
	struct strmap names;    /* v[i].name -> i (keys point into v) */
	const char *key;        /* nl as text, in c->arena: its key in c->lc_idx */
};

/* A delete whose kernel work waits for the end of the delete phase. */
struct rt_deferred {
	const struct resource *r;
	int ifindex;            /* links: the object whose ownership was checked */
};

struct rt_ctx {
	const char *topology;
	struct arena arena;             /* observed resources, scratch */
	struct lock lock;
	struct journal journal;
	bool journal_loaded;
	struct nl *host;                /* handle in aspen's own namespace */
	struct rt_nscache *ns; size_t n_ns, cap_ns;
	char run_dir[PATHS_MAX];
	const struct res_driver *drv[RES__COUNT];
	/* Kinds whose create/destroy may run in worker threads, concurrently
	 * with the other independent actions of their batch (docs/executor.md).
	 * Their drivers touch no netlink handle and no arena there, and hold
	 * rt_shared_lock() around any journal access. */
	bool parallel[RES__COUNT];
	rt_event_fn on_event; void *ud;
	int stop_grace_ms;              /* SIGTERM -> SIGKILL grace for processes */
	size_t mutations;               /* actions that changed the system */
	/* The schedule running on this context (schedule.c), or NULL. The
	 * records it journaled ahead of their time and has not yet applied
	 * are sched_is_armed(): a heal served meanwhile (the control API)
	 * must leave them alone. */
	void *sched_run;
	struct rt_linkcache *lc; size_t n_lc, cap_lc;
	/* Lookups by name and by handle without a scan: 3000 nodes make
	 * 3000 namespaces and caches, each looked up several times. */
	struct strmap ns_idx, lc_idx;
	size_t observe_probed;          /* rt_observe: journaled entries of its out */
	/* Delete phase: the namespaces and links this plan deletes, and the
	 * deletes deferred to the end of the phase (exec.c). */
	const char **dying_ns; size_t n_dying_ns;
	const char **dying_links; size_t n_dying_links;
	struct rt_deferred *del_links; size_t n_del_links, cap_del_links;
	struct rt_deferred *del_ns; size_t n_del_ns, cap_del_ns;
	/* This run is a destroy (cli/cmd_destroy.c): probes settle presence
	 * and ownership only, which is all a delete needs, and read nothing
	 * inside a namespace of ours (it goes whole); a plan that succeeded is
	 * followed by rt_forget, so rt_execute skips its final journal save
	 * (docs/executor.md, "Destroy"). */
	bool destroying;
	/* Destroy: namespaces whose probe found them mounted and marked ours,
	 * so their addresses and routes need no second look (drv_ns.c). */
	const char **ours_ns; size_t n_ours_ns, cap_ours_ns;
};

/* Lock the topology (timeout as lock_acquire; RT_NO_LOCK for read-only
 * use such as status), load its journal, open the host netlink handle.
 * argv is recorded in the lock as the holder. */
#define RT_NO_LOCK (-2147483647 - 1)
int rt_open(struct rt_ctx *c, const char *topology, const char *const *argv,
	    int lock_timeout_ms, struct rt_err *e);
/* Close handles, release the lock. Safe on a partly opened context. */
void rt_close(struct rt_ctx *c);

/* Observed resources: journal entries probed live, plus discovered objects
 * (desired, optional, is the template for discovered ones that the topology
 * still wants). Allocated in c->arena (freed by rt_close). */
int rt_observe(struct rt_ctx *c, const struct res_list *desired, struct res_list *out,
	       struct rt_err *e);

/* Before anything changes: every object the plan creates must not collide
 * with an object aspen does not own. Reports every collision at once. */
int rt_preflight(struct rt_ctx *c, const struct plan *p, struct rt_err *e);

/* Before anything changes: no network whose gateway address the plan
 * creates (which puts its subnet on a host bridge) overlaps an IPv4 address
 * or route the host has on a link aspen did not create (hostnet.c says what
 * is left out, and why). host is the handle in aspen's namespace, or NULL
 * to open one for the call (plan without root). Reports every network at
 * once, each at the subnet's FILE:LINE:COL. */
struct topology;
int hostnet_preflight(struct nl *host, const struct topology *t, const struct plan *p,
		      struct rt_err *e);

/* The same for IPv6: every network whose gateway6 address the plan
 * creates, its subnet6 against the host's IPv6 addresses and routes
 * (hostnet.c). */
int hostnet6_preflight(struct nl *host, const struct topology *t, const struct plan *p,
		       struct rt_err *e);
/* Before anything changes: no network whose gateway address the plan
 * creates overlaps a host-side network address of another aspen topology
 * that has a journal on this host (peernet.c), unless the network says
 * `allow_overlap: true`. The error names both topologies and networks,
 * each overlap at the subnet's FILE:LINE:COL. */
int peernet_preflight(const struct topology *t, const struct plan *p, struct rt_err *e);

/* Run the plan's actions in order. The journal is saved after every batch
 * of independent actions (and so after every action that a later one
 * depends on). Stops at the first failure: what succeeded is journaled, so
 * destroy or a new apply can always go on from there. */
int rt_execute(struct rt_ctx *c, const struct plan *p, struct rt_err *e);

/* Record in the journal every observed resource it lacks (found by its
 * mark after a crash) so later runs need no discovery for it; saves the
 * journal when anything was added. */
int rt_adopt(struct rt_ctx *c, const struct res_list *observed, struct rt_err *e);

/* After a destroy: remove the journal, runtime dir and state dir. */
int rt_forget(struct rt_ctx *c, struct rt_err *e);

/* ---- helpers for drivers ---- */

/* The ownership mark of r in this topology. */
const char *rt_mark(struct rt_ctx *c, const struct resource *r, char *buf, size_t len);
/* A netlink handle inside namespace name (cached); *fd_out (optional) gets
 * the namespace fd, owned by the cache. */
int rt_ns_nl(struct rt_ctx *c, const char *name, struct nl **out, int *fd_out, struct rt_err *e);
/* Drop the cached handle of a namespace that is being deleted. */
void rt_ns_forget(struct rt_ctx *c, const char *name);
/* The netlink handle for a resource's "netns" prop: the node's, or the host's. */
int rt_nl_for(struct rt_ctx *c, const struct resource *r, struct nl **out, struct rt_err *e);
/* True when the running plan deletes namespace name. */
bool rt_ns_dying(const struct rt_ctx *c, const char *name);
/* True when the running plan deletes the host link called name. */
bool rt_link_dying(const struct rt_ctx *c, const char *name);
/* Delete link ifindex (resource r, its ownership checked) at the end of the
 * delete phase, with every other deferred link in one kernel batch
 * (nl_link_del_many): deleting links one by one costs ~20-50 ms each. */
int rt_defer_link_delete(struct rt_ctx *c, const struct resource *r, int ifindex,
			 struct rt_err *e);
/* Delete namespace resource r at the end of the delete phase, after the
 * deferred links: its veths then go in that batch, not in the kernel's
 * slower cleanup of a dead namespace. */
int rt_defer_ns_delete(struct rt_ctx *c, const struct resource *r, struct rt_err *e);

/* The link called name in nl's namespace, from a per-run cache: the first
 * lookup in a namespace dumps all its links (one round trip, as one lookup
 * costs); later ones cost nothing until a driver reports a change. A
 * missing link fails with ENODEV, as nl_link_find. */
int rt_link(struct rt_ctx *c, struct nl *nl, const char *name, struct nl_link_info *out,
	    struct rt_err *e);
/* Every link of nl's namespace: from the cache when nothing changed since
 * it was filled, else through one dump that fills it. fn may be NULL (fill
 * only). */
int rt_link_each(struct rt_ctx *c, struct nl *nl, int (*fn)(const struct nl_link_info *l,
		 void *arg, struct rt_err *e), void *arg, struct rt_err *e);
/* Say that link name of nl was created, changed or deleted (name NULL: any
 * link of nl; nl NULL: of any namespace), so the cache asks the kernel. */
void rt_link_changed(struct rt_ctx *c, struct nl *nl, const char *name);
/* The last `lines` (at most 3) non-blank lines of a log file, joined with
 * " / ", into buf: what an error message quotes of a node's or VMM's log. */
void rt_log_tail(const char *path, size_t lines, char *buf, size_t len);
/* The part of an id after "kind/": "node1.eth0" for "veth/node1.eth0". */
const char *rt_id_name(const char *id);

struct proc_id;
/* The process of a process or vmm resource: journal first, then its
 * pidfile (<node>.pid, <node>.vmm.pid). */
bool rt_process_find(struct rt_ctx *c, const struct resource *r, struct proc_id *p);

/* Serialises journal access between the main thread and the worker
 * threads of parallel drivers while the executor runs a batch. */
void rt_shared_lock(struct rt_ctx *c);
void rt_shared_unlock(struct rt_ctx *c);

extern const struct res_driver drv_netns, drv_bridge, drv_addr, drv_veth, drv_tap,
	drv_route, drv_process, drv_vmm, drv_vm, drv_vxlan;

#endif

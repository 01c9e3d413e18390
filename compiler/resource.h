/* resource.h — the unit of desired and observed state.
 *
 * Lowering turns a topology into a list of resources; the runtime's journal
 * and live probe produce the observed list in the same form; the planner
 * diffs the two. A resource is a kind, a stable id ("veth/node1.eth0"), a
 * sorted set of string properties and the ids it depends on. Keeping
 * properties as strings makes the diff, the journal (JSON) and the plan
 * output one generic piece of code; each kind says in its kind table which
 * properties can be changed in place and which force a replacement.
 *
 * Ids are "<kind>/<name>", where name is node, node.iface, network, ... and
 * unique within one topology. */
#ifndef ASPEN_RESOURCE_H
#define ASPEN_RESOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "compiler/arena.h"

enum res_kind {
	RES_NETNS,      /* named network namespace /run/netns/<name>, lo up */
	RES_BRIDGE,     /* linux bridge, up */
	RES_ADDR,       /* an IPv4 address on a link (host bridge or inside a netns) */
	RES_VETH,       /* veth pair: host end on a bridge, peer inside a netns */
	RES_TAP,        /* persistent TAP on a bridge, for a VM */
	RES_ROUTE,      /* default route inside a netns */
	RES_PROCESS,    /* a netns node's command */
	RES_VMM,        /* a cloud-hypervisor process with its API socket */
	RES_VM,         /* the VM inside a VMM: created and booted */
	/* A VXLAN port on a network's bridge, joining it to the same network's
	 * bridges on the other hosts (multi-host, docs/multihost.md). Props:
	 * name, bridge, vni, local (this host's underlay IPv4), port (UDP,
	 * 4789), mtu, remotes (the other hosts' underlay IPv4s, space
	 * separated, sorted: one all-zero static FDB entry each, so
	 * broadcast and ARP reach every host without multicast) and fdb
	 * ("MAC@IPv4" of every interface on the network placed on another
	 * host, space separated, sorted: static unicast entries; learning
	 * is off). Depends on bridge/<network>. */
	RES_VXLAN,
	RES__COUNT
};

struct prop {
	const char *key, *value;
};

struct resource {
	enum res_kind kind;
	const char *id;                 /* "<kind>/<name>" */
	struct prop *props; size_t n_props;   /* sorted by key, unique keys */
	const char **deps; size_t n_deps;     /* ids this resource needs, in insertion order */
	size_t cap_props, cap_deps;     /* allocated slots; 0 for arrays res_* did not allocate */
};

/* A growable list of resources. A zeroed struct is an empty list. Its array
 * and everything in it live in the arena given to res_list_add (always the
 * same arena for one list): freeing that arena frees the list; there is no
 * res_list_free. The array doubles when full, so a struct resource pointer
 * is valid only until the next res_list_add on the same list. */
struct res_list {
	struct resource *v;
	size_t n, cap;
};

/* Per kind: its name ("veth") and the properties that can be updated in
 * place; a change to any other property replaces the resource. */
struct res_kind_info {
	const char *name;
	const char *const *updatable;   /* NULL-terminated; NULL = none */
	const char *const *summary;     /* NULL-terminated: props a plan line shows for a create */
};
extern const struct res_kind_info res_kinds[RES__COUNT];

/* Append an empty resource (id copied into a) and return it. */
struct resource *res_list_add(struct res_list *l, struct arena *a, enum res_kind kind,
			      const char *id);
/* Set key=value (both copied into a), keeping props sorted by key with
 * unique keys: setting a key again replaces its value. value must not be
 * NULL. Binary search, so building a resource costs O(p log p) compares. */
void res_set(struct arena *a, struct resource *r, const char *key, const char *value);
/* Like res_set, but key and value are stored by reference: both must live
 * as long as the resource (static, or in the same arena). Used for a value
 * many resources share, so it is not copied once per resource. */
void res_set_ref(struct resource *r, struct arena *a, const char *key, const char *value);
void res_setf(struct arena *a, struct resource *r, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Add a dependency (copied into a); adding the same id twice is a no-op. */
void res_add_dep(struct arena *a, struct resource *r, const char *dep_id);
const char *res_get(const struct resource *r, const char *key);  /* NULL if unset */
bool res_prop_updatable(enum res_kind kind, const char *key);
/* The same for one desired resource: a process whose restart_on is "own"
 * also takes a new `cluster` (its peers) in place, without a restart. */
bool res_prop_updatable_in(const struct resource *r, const char *key);
int res_kind_from_name(const char *name);  /* -1 if unknown */

#endif

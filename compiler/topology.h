/* topology.h — the in-memory form of a topology file (language v1).
 *
 * This is what the decoder fills from YAML, what validation checks and what
 * lowering turns into resources. Everything hangs off one arena owned by the
 * struct topology. Every user-visible item keeps the position of its key in
 * the file so later stages (validation, lowering) can still say
 * FILE:LINE:COL. Derived fields (generated names, resolved indices) are filled
 * by topo_resolve() in names.c/validate.c and are marked "derived" below.
 *
 * Units: durations are microseconds, sizes bytes, rates bits per second,
 * percentages 0..100 as double, IPv4 addresses host byte order, IPv6
 * addresses 16 bytes in network order. */
#ifndef ASPEN_TOPOLOGY_H
#define ASPEN_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler/arena.h"
#include "compiler/diag.h"

#define TOPO_API_VERSION "aspen/v1"
#define IFNAMSIZ_ASPEN 16       /* kernel IFNAMSIZ including the NUL */

struct ipv4_prefix {
	uint32_t addr;          /* host byte order */
	uint8_t len;            /* 0..32 */
};

struct ipv6_prefix {
	uint8_t addr[16];       /* network byte order */
	uint8_t len;            /* 0..128 */
};

struct kv {
	const char *key, *value;
	struct pos pos;
};

struct strv {                   /* an argv-like list of strings */
	const char **v;
	size_t n;
	struct pos pos;
	struct pos *at;                 /* of each item (list form), or NULL: all at pos */
};

/* ---------------- networks ---------------- */

struct topo_network {
	const char *name;
	struct pos pos;                 /* of the key naming the network */
	bool has_subnet;                /* false: missing or unreadable (already reported) */
	struct ipv4_prefix subnet;      struct pos subnet_pos;
	bool has_gateway; uint32_t gateway; struct pos gateway_pos;
	/* dual stack: an IPv6 subnet beside the IPv4 one (validate6.c) */
	bool has_subnet6; struct ipv6_prefix subnet6; struct pos subnet6_pos;
	bool has_gateway6; uint8_t gateway6[16]; struct pos gateway6_pos;
	const char *bridge;             /* user-chosen bridge name, or NULL */
	struct pos bridge_pos;
	uint32_t mtu;                   /* 0 = kernel default */
	struct pos mtu_pos;
	/* May overlap a network of another live topology on this host
	 * (runtime/peernet.c); the host's own routes are still refused. */
	bool allow_overlap;

	char bridge_name[IFNAMSIZ_ASPEN];  /* derived: bridge or generated */

	/* derived, multi-host topologies only (t->n_hosts > 0): */
	size_t home_host;               /* the host whose bridge holds the gateway
					   addresses: the host of the first node
					   (file order) with an interface on it */
	bool spans;                     /* nodes on two hosts or more: VXLAN-joined */
	uint32_t vni;                   /* spans: derived from topology + network */
	uint32_t eff_mtu;               /* spans: mtu, or 1500 - 50 (VXLAN over IPv4) */
	char vxlan_name[IFNAMSIZ_ASPEN];   /* spans: the VXLAN port on each host */
};

/* ---------------- hosts (docs/multihost.md) ---------------- */

/* One machine of a multi-host topology: how the controller reaches it
 * (`local`, or `ssh: user@host[:port]` through the user's own ssh
 * configuration) and its underlay IPv4 address, the VXLAN endpoint the
 * other hosts send to (`address:`, or the ssh host when it is an IPv4
 * literal). */
struct topo_host {
	const char *name;
	struct pos pos;                 /* of the key naming the host */
	bool local;                     /* `local`: the controller's own machine */
	const char *ssh;                /* "user@host" or "host", without the port; NULL when local */
	uint16_t ssh_port;              /* 0: whatever the ssh configuration says */
	struct pos ssh_pos;
	bool has_address; uint32_t address; struct pos address_pos;   /* underlay */
};

/* `defaults: host: round-robin`: nodes without their own `host:` take the
 * hosts in map order, cycling, in node file order. */
#define TOPO_HOST_ROUND_ROBIN "round-robin"

/* ---------------- nodes ---------------- */

enum node_kind { NODE_VM, NODE_NETNS };

struct topo_iface {
	struct pos pos;                 /* of the list item */
	const char *network;            struct pos network_pos;
	bool has_ip; uint32_t ip;       struct pos ip_pos;
	bool has_ip6; uint8_t ip6[16];  struct pos ip6_pos;
	bool has_mac; uint8_t mac[6];   struct pos mac_pos;

	size_t network_idx;                     /* derived */
	char name[IFNAMSIZ_ASPEN];              /* derived: inside the node, eth0.. */
	char host_name[IFNAMSIZ_ASPEN];         /* derived: host end (veth peer or tap) */
	uint8_t eff_mac[6];                     /* derived: given or generated MAC */
};

struct topo_health {
	bool set;                       /* any health key given */
	struct pos pos;
	/* tcp and ping take either family: *_v6 says which address is set */
	bool has_tcp; uint32_t tcp_ip; uint16_t tcp_port; struct pos tcp_pos;
	bool tcp_v6; uint8_t tcp_ip6[16];
	bool has_ping; uint32_t ping_ip; struct pos ping_pos;
	bool ping_v6; uint8_t ping_ip6[16];
	struct strv exec;               /* n == 0: none */
	uint64_t timeout_us;            /* default 30s */
	uint64_t interval_us;           /* default 200ms */
};

struct topo_disk {
	struct pos pos;
	const char *path;               /* absolute (resolved against the file's folder) */
	bool readonly;
};

struct topo_node {
	const char *name;
	struct pos pos;                 /* of the key naming the node */
	enum node_kind kind;            struct pos kind_pos;

	/* kind: vm */
	const char *binary;             /* cloud-hypervisor binary, or NULL */
	uint32_t cpus;                  /* default 1 */
	uint64_t memory;                /* bytes, default 512 MiB */
	const char *kernel, *initramfs, *firmware, *cmdline;   /* paths absolute */
	struct topo_disk *disks; size_t n_disks;
	const char *console;            /* "off" | "log" | "tty" ; default log */
	const char *serial;             /* same */
	bool guest_ip;                  /* append ip= to the kernel cmdline */

	/* kind: netns */
	struct strv command;            /* argv; n == 0: no command */
	struct kv *env; size_t n_env;
	const char *workdir;
	/* restart_on: [own] — a change of the other nodes (the cluster's
	 * names and addresses the command's environment carries) does not
	 * restart the command; default [own, peers]. */
	bool keep_on_peers;             struct pos restart_on_pos;

	/* both */
	struct topo_iface *ifaces; size_t n_ifaces;
	struct topo_health health;

	/* multi-host: `host:` of the node (or of defaults: a host name or
	 * "round-robin"), NULL without. */
	const char *host;               struct pos host_pos;
	size_t host_idx;                /* derived: index in t->hosts; 0 without hosts */

	char netns_name[64];            /* derived: aspen-<topology>-<node> */
};

/* ---------------- faults ---------------- */

enum fault_kind {
	FAULT_PARTITION,
	FAULT_LATENCY,
	FAULT_LOSS,
	FAULT_DUPLICATE,
	FAULT_CORRUPT,
	FAULT_REORDER,
	FAULT_RATE,
	FAULT_LINK_DOWN,
	FAULT_KILL,
	FAULT_PAUSE,
	FAULT_RESUME,
	FAULT_START,
	FAULT_RESTART,
	FAULT_REBOOT,
	FAULT__COUNT
};

/* The YAML key of each kind: "partition", "latency", ..., "link-down", "kill". */
extern const char *const fault_kind_names[FAULT__COUNT];

/* A target is a node ("node1") or one of its interfaces ("node1.eth0"),
 * a role ("@leader", "@others": node NULL, resolved when the fault fires,
 * runtime/roles.c) or a random pick ("random", "random-node": node NULL,
 * replaced by a node when the compiler expands generators, generate.c). */
struct fault_target {
	const char *node;
	const char *iface;              /* NULL: every interface of the node */
	const char *role;               /* "@ROLE" without the '@', or NULL */
	bool random;                    /* "random" / "random-node" */
	struct pos pos;
	size_t node_idx;                /* derived */
	size_t iface_idx;               /* derived; valid when iface != NULL */
};

struct target_list {
	struct fault_target *v;
	size_t n;
	struct pos pos;
};

/* GRUDGE: a set of one-way cuts, groups[2k] -> groups[2k + 1] (what
 * random-majority-ring expands to). */
enum partition_mode { PART_GROUPS, PART_ONEWAY, PART_ISOLATE, PART_GRUDGE };
/* A partition chosen from the seed when the generator is expanded. */
enum partition_pick { PICK_NONE, PICK_HALVES, PICK_RING, PICK_NODE };
enum direction { DIR_BOTH, DIR_EGRESS, DIR_INGRESS };

struct topo_fault {
	struct pos pos;                 /* of the list item */
	size_t index;                   /* position in faults[] */
	uint64_t at_us;                 struct pos at_pos;
	bool has_for; uint64_t for_us;  struct pos for_pos;
	enum fault_kind kind;           struct pos kind_pos;
	const char *label;              /* optional `name:` of the fault, or NULL */
	bool has_at;
	/* A generator repeats the entry every `every` from `from` while the
	 * start is before `until`; instances are separate faults (generate.c). */
	bool has_every; uint64_t every_us; struct pos every_pos;
	bool has_from; uint64_t from_us; struct pos from_pos;
	bool has_until; uint64_t until_us; struct pos until_pos;
	enum partition_pick pick;       /* partition: random-halves, ... */
	size_t instance;                /* derived: 0 for a plain entry, 1.. for the
					   instances of an expanded generator or random pick */
	bool has_roles;                 /* derived: a target names a role */

	union {
		struct {
			enum partition_mode mode;
			/* GROUPS: groups[0..n_groups); traffic between groups dropped.
			 * ONEWAY: groups[0] = from, groups[1] = to; from->to dropped.
			 * ISOLATE: groups[0] = the isolated node(s); everyone else is
			 * implicitly the other side. */
			struct target_list *groups;
			size_t n_groups;
			/* GROUPS written as a flat list ([a, b]): every group is
			 * one bare target. Only valid when it names every node
			 * (validate.c, check_flat). */
			bool flat;
		} partition;
		struct {                        /* latency, loss, duplicate, corrupt, reorder, rate */
			struct target_list targets;
			enum direction direction;   /* loss only; others egress */
			uint64_t delay_us;          /* latency, reorder */
			uint64_t jitter_us;         /* latency */
			double correlation;         /* latency, loss, duplicate, corrupt, reorder: 0..100 */
			double percent;             /* loss, duplicate, corrupt, reorder */
			uint64_t rate_bps;          /* rate */
			uint64_t burst_bytes;       /* rate; 0 = derived */
		} impair;
		struct {                        /* link-down */
			struct target_list targets;
		} link;
		struct {                        /* kill, pause, resume, start, restart, reboot */
			struct target_list targets; /* nodes only */
		} node;
	} u;
};

/* ---------------- roles ---------------- */

/* A role: a probe run once per node when a fault naming "@name" fires; the
 * nodes whose probe exits 0 hold the role. */
struct topo_role {
	const char *name;
	struct pos pos;                 /* of the key naming the role */
	struct strv command;
	uint64_t timeout_us;            /* default 2s */
};

/* "@others": every node no other target of the same fault names. */
#define TOPO_ROLE_OTHERS "others"

/* ---------------- the topology ---------------- */

/* Where the seed of the generators came from. */
enum seed_source { SEED_DEFAULT, SEED_FILE, SEED_OPTION, SEED_RANDOM };

/* What the caller of topo_load_with() decides about the seed: `--seed N`
 * (has_seed) wins over the file's `seed:`, which wins over fallback (a
 * random seed the CLI drew: fallback_random; else 0 and SEED_DEFAULT). */
struct topo_load_opts {
	bool has_seed;
	uint64_t seed;
	uint64_t fallback;
	bool fallback_random;
	/* Compile for this host of the file's `hosts:` (a host's part,
	 * `--part`): lowering, health and faults see only its nodes
	 * (topo_node_here). NULL: the whole topology. */
	const char *host;
};

struct topology {
	struct arena arena;             /* owns everything below */
	const char *file;               /* path as given */
	const char *dir;                /* absolute folder of the file */
	const char *api_version;
	const char *name;               struct pos name_pos;

	struct topo_network *networks; size_t n_networks;
	struct topo_node *nodes; size_t n_nodes;
	struct topo_fault *faults; size_t n_faults;     /* after expansion */
	size_t n_entries;               /* faults: entries in the file */
	struct topo_role *roles; size_t n_roles;

	bool has_seed; uint64_t file_seed; struct pos seed_pos;   /* `seed:` */
	uint64_t seed;                  /* the seed the expansion used */
	enum seed_source seed_source;
	bool uses_random;               /* some entry picks from the seed */

	/* multi-host (docs/multihost.md): empty for a one-host topology,
	 * which is exactly what it was before hosts existed. */
	struct topo_host *hosts; size_t n_hosts;
	bool has_here; size_t here;     /* compiled for hosts[here] (topo_load_opts.host) */
};

/* Does node n run where this compile is for? Always, unless the topology
 * was compiled for one host's part and n is placed on another. */
static inline bool topo_node_here(const struct topology *t, const struct topo_node *n)
{
	return !t->has_here || n->host_idx == t->here;
}

void topo_free(struct topology *t);    /* accepts NULL */

/* Lookups by name; return SIZE_MAX when absent. Linear for small counts,
 * hashed by topo_index() for large ones. */
size_t topo_find_node(const struct topology *t, const char *name);
size_t topo_find_network(const struct topology *t, const char *name);
size_t topo_find_role(const struct topology *t, const char *name);

#endif

/* fields.h — the keys of every object in the topology language, as data.
 *
 * One table per object type (topology, defaults, network, node, interface,
 * disk, health, fault, and the parameter object of each fault action that
 * takes one). A table lists each key, its value type, which node kinds it
 * belongs to and whether it is required. The decoder walks these tables for
 * unknown-key errors ("did you mean ...") and kind checks, and dispatches on
 * the field id; tests/unit/test_schema.c proves that the JSON Schema in
 * schemas/aspen-v1.schema.json has exactly the same keys per object, so the
 * editor's view of the language and the C decoder cannot drift apart.
 *
 * A table's name is also the name of its definition in the schema
 * ("#/definitions/<name>"); "topology" is the schema's root. */
#ifndef ASPEN_FIELDS_H
#define ASPEN_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum field_type {
	FT_STRING,      /* any scalar text */
	FT_NAME,        /* a name (syntax checked by validation) */
	FT_PATH,        /* a file path; relative ones resolve against the file's folder */
	FT_INT,         /* whole number in [min, max] */
	FT_BOOL,
	FT_ENUM,        /* one of values[] */
	FT_DURATION,
	FT_SIZE,
	FT_RATE,
	FT_PERCENT,
	FT_IPV4,
	FT_PREFIX,
	FT_MAC,
	FT_IPV6,
	FT_PREFIX6,
	FT_IP,          /* IPv4 or IPv6 */
	FT_ENDPOINT,
	FT_COMMAND,     /* argv list or a shell-like string */
	FT_STRMAP,      /* mapping string -> string */
	FT_OBJECT,      /* mapping described by table `sub` */
	FT_LIST,        /* list of objects described by table `sub` */
	FT_NAMEMAP,     /* mapping name -> object described by table `sub` */
	FT_OBJLIST,     /* list of free-form items (faults) described by table `sub` */
	FT_TARGETS,     /* a target (node or node.iface) or a list of them */
	FT_PARTITION,   /* groups, {from, to} or {isolate} */
	FT_ACTION,      /* a fault action; `sub` names its parameter table or is NULL */
};

/* Node kinds a node field belongs to. */
enum { KIND_VM = 1u, KIND_NETNS = 2u, KIND_BOTH = 3u };

/* Field flags. */
enum { FF_REQUIRED = 1u };

/* Field ids: the decoder switches on these. Node ids are contiguous so a
 * node's "given" set fits in a bitmask (bit = id - F_NODE_FIRST). */
enum field_id {
	F_API_VERSION, F_TOPO_NAME, F_DEFAULTS, F_NETWORKS, F_NODES, F_FAULTS, F_SEED, F_ROLES,
	F_HOSTS, F_HOST_SSH, F_HOST_ADDRESS, F_HOST_LOCAL,
	F_ROLE_COMMAND, F_ROLE_TIMEOUT,
	F_NET_SUBNET, F_NET_GATEWAY, F_NET_BRIDGE, F_NET_MTU, F_NET_SUBNET6, F_NET_GATEWAY6,
	F_NET_ALLOW_OVERLAP,
	F_NODE_KIND, F_NODE_INTERFACES, F_NODE_HEALTH, F_NODE_BINARY, F_NODE_CPUS,
	F_NODE_MEMORY, F_NODE_KERNEL, F_NODE_INITRAMFS, F_NODE_FIRMWARE, F_NODE_CMDLINE,
	F_NODE_DISKS, F_NODE_CONSOLE, F_NODE_SERIAL, F_NODE_GUEST_IP, F_NODE_COMMAND,
	F_NODE_ENV, F_NODE_WORKDIR, F_NODE_RESTART_ON, F_NODE_HOST,
	F_IF_NETWORK, F_IF_IP, F_IF_MAC, F_IF_IP6,
	F_DISK_PATH, F_DISK_READONLY,
	F_H_TCP, F_H_PING, F_H_EXEC, F_H_TIMEOUT, F_H_INTERVAL,
	F_FAULT_AT, F_FAULT_FOR, F_FAULT_NAME, F_FAULT_ACTION, F_FAULT_EVERY, F_FAULT_FROM,
	F_FAULT_UNTIL, F_FAULT_ISOLATE,
	F_P_NODES, F_P_TARGETS, F_P_DELAY, F_P_JITTER, F_P_CORRELATION, F_P_PERCENT,
	F_P_DIRECTION, F_P_RATE, F_P_BURST, F_P_FROM, F_P_TO, F_P_ISOLATE,
	F__COUNT
};
#define F_NODE_FIRST F_NODE_KIND
#define F_NODE_LAST F_NODE_HOST

struct field {
	const char *key;
	enum field_id id;
	enum field_type type;
	unsigned kinds;                 /* node fields: KIND_*; else 0 */
	unsigned flags;                 /* FF_* */
	const char *sub;                /* nested table (FT_OBJECT/LIST/NAMEMAP/ACTION) */
	const char *const *values;      /* FT_ENUM: NULL-terminated */
	int64_t min, max;               /* FT_INT */
	int action;                     /* FT_ACTION: enum fault_kind */
};

struct field_table {
	const char *name;               /* "node"; schema definition name */
	const struct field *v;
	size_t n;
};

/* Every table, for tests and tools. */
extern const struct field_table *const fields_tables[];
extern const size_t fields_n_tables;

/* The table called name, or NULL. */
const struct field_table *fields_table(const char *name);
/* The field called key in t, or NULL. Linear: tables are short. */
const struct field *fields_find(const struct field_table *t, const char *key);
/* A close key of t for a misspelt one, or NULL. */
const char *fields_suggest(const struct field_table *t, const char *key);
/* "vm", "netns" or "vm and netns". */
const char *fields_kind_name(unsigned kinds);
/* What a value of f's type looks like, for "expected ..." messages
 * ("a duration like 250ms, 5s or 1m30s"). Writes into buf (enums and
 * integer ranges need formatting) and returns it. */
const char *fields_expect(const struct field *f, char *buf, size_t n);

#endif

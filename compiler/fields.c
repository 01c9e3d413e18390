/* fields.c — the field tables of the v1 language (see fields.h).
 *
 * This file is the language's key set in one place: adding a key means a row
 * here, a case in decode.c (the compiler warns about an unhandled id), and a
 * property in the JSON Schema (test_schema fails until it is there). */
#include "compiler/fields.h"

#include <stdio.h>
#include <string.h>

#include "compiler/diag.h"
#include "compiler/topology.h"

static const char *const console_values[] = {"off", "log", "tty", NULL};
static const char *const kind_values[] = {"vm", "netns", NULL};
static const char *const direction_values[] = {"both", "egress", "ingress", NULL};

#define TABLE(nm, arr) {nm, arr, sizeof(arr) / sizeof(arr[0])}

static const struct field topology_fields[] = {
	{.key = "apiVersion", .id = F_API_VERSION, .type = FT_STRING, .flags = FF_REQUIRED},
	{.key = "name", .id = F_TOPO_NAME, .type = FT_NAME, .flags = FF_REQUIRED},
	{.key = "seed", .id = F_SEED, .type = FT_INT, .min = 0, .max = INT64_MAX},
	{.key = "roles", .id = F_ROLES, .type = FT_NAMEMAP, .sub = "role"},
	{.key = "hosts", .id = F_HOSTS, .type = FT_NAMEMAP, .sub = "host"},
	{.key = "defaults", .id = F_DEFAULTS, .type = FT_OBJECT, .sub = "defaults"},
	{.key = "networks", .id = F_NETWORKS, .type = FT_NAMEMAP, .sub = "network"},
	{.key = "nodes", .id = F_NODES, .type = FT_NAMEMAP, .sub = "node", .flags = FF_REQUIRED},
	{.key = "faults", .id = F_FAULTS, .type = FT_OBJLIST, .sub = "fault"},
};

static const struct field role_fields[] = {
	{.key = "command", .id = F_ROLE_COMMAND, .type = FT_COMMAND, .flags = FF_REQUIRED},
	{.key = "timeout", .id = F_ROLE_TIMEOUT, .type = FT_DURATION},
};

/* A host of a multi-host topology (docs/multihost.md); `name: local` is
 * short for `{local: true}`. */
static const struct field host_fields[] = {
	{.key = "ssh", .id = F_HOST_SSH, .type = FT_STRING},
	{.key = "address", .id = F_HOST_ADDRESS, .type = FT_IPV4},
	{.key = "local", .id = F_HOST_LOCAL, .type = FT_BOOL},
};

static const struct field network_fields[] = {
	{.key = "subnet", .id = F_NET_SUBNET, .type = FT_PREFIX, .flags = FF_REQUIRED},
	{.key = "gateway", .id = F_NET_GATEWAY, .type = FT_IPV4},
	{.key = "subnet6", .id = F_NET_SUBNET6, .type = FT_PREFIX6},
	{.key = "gateway6", .id = F_NET_GATEWAY6, .type = FT_IPV6},
	{.key = "bridge", .id = F_NET_BRIDGE, .type = FT_STRING},
	{.key = "mtu", .id = F_NET_MTU, .type = FT_INT, .min = 68, .max = 65535},
	{.key = "allow_overlap", .id = F_NET_ALLOW_OVERLAP, .type = FT_BOOL},
};

/* Node fields except `interfaces`: shared by node and defaults. */
#define NODE_COMMON_FIELDS \
	{.key = "kind", .id = F_NODE_KIND, .type = FT_ENUM, .kinds = KIND_BOTH, .values = kind_values}, \
	{.key = "health", .id = F_NODE_HEALTH, .type = FT_OBJECT, .kinds = KIND_BOTH, .sub = "health"}, \
	{.key = "binary", .id = F_NODE_BINARY, .type = FT_PATH, .kinds = KIND_VM}, \
	{.key = "cpus", .id = F_NODE_CPUS, .type = FT_INT, .kinds = KIND_VM, .min = 1, .max = 255}, \
	{.key = "memory", .id = F_NODE_MEMORY, .type = FT_SIZE, .kinds = KIND_VM}, \
	{.key = "kernel", .id = F_NODE_KERNEL, .type = FT_PATH, .kinds = KIND_VM}, \
	{.key = "initramfs", .id = F_NODE_INITRAMFS, .type = FT_PATH, .kinds = KIND_VM}, \
	{.key = "firmware", .id = F_NODE_FIRMWARE, .type = FT_PATH, .kinds = KIND_VM}, \
	{.key = "cmdline", .id = F_NODE_CMDLINE, .type = FT_STRING, .kinds = KIND_VM}, \
	{.key = "disks", .id = F_NODE_DISKS, .type = FT_LIST, .kinds = KIND_VM, .sub = "disk"}, \
	{.key = "console", .id = F_NODE_CONSOLE, .type = FT_ENUM, .kinds = KIND_VM, .values = console_values}, \
	{.key = "serial", .id = F_NODE_SERIAL, .type = FT_ENUM, .kinds = KIND_VM, .values = console_values}, \
	{.key = "guest_ip", .id = F_NODE_GUEST_IP, .type = FT_BOOL, .kinds = KIND_VM}, \
	{.key = "command", .id = F_NODE_COMMAND, .type = FT_COMMAND, .kinds = KIND_NETNS}, \
	{.key = "env", .id = F_NODE_ENV, .type = FT_STRMAP, .kinds = KIND_NETNS}, \
	{.key = "workdir", .id = F_NODE_WORKDIR, .type = FT_PATH, .kinds = KIND_NETNS}, \
	{.key = "restart_on", .id = F_NODE_RESTART_ON, .type = FT_STRING, .kinds = KIND_NETNS}, \
	{.key = "host", .id = F_NODE_HOST, .type = FT_NAME, .kinds = KIND_BOTH}

static const struct field node_fields[] = {
	NODE_COMMON_FIELDS,
	{.key = "interfaces", .id = F_NODE_INTERFACES, .type = FT_LIST, .kinds = KIND_BOTH,
	 .sub = "interface"},
};

static const struct field defaults_fields[] = {
	NODE_COMMON_FIELDS,
};

static const struct field interface_fields[] = {
	{.key = "network", .id = F_IF_NETWORK, .type = FT_NAME, .flags = FF_REQUIRED},
	{.key = "ip", .id = F_IF_IP, .type = FT_IPV4},
	{.key = "ip6", .id = F_IF_IP6, .type = FT_IPV6},
	{.key = "mac", .id = F_IF_MAC, .type = FT_MAC},
};

static const struct field disk_fields[] = {
	{.key = "path", .id = F_DISK_PATH, .type = FT_PATH, .flags = FF_REQUIRED},
	{.key = "readonly", .id = F_DISK_READONLY, .type = FT_BOOL},
};

static const struct field health_fields[] = {
	{.key = "tcp", .id = F_H_TCP, .type = FT_ENDPOINT},
	{.key = "ping", .id = F_H_PING, .type = FT_IP},
	{.key = "exec", .id = F_H_EXEC, .type = FT_COMMAND},
	{.key = "timeout", .id = F_H_TIMEOUT, .type = FT_DURATION},
	{.key = "interval", .id = F_H_INTERVAL, .type = FT_DURATION},
};

#define ACTION(k, kind, s, t) \
	{.key = k, .id = F_FAULT_ACTION, .type = t, .sub = s, .action = kind}

static const struct field fault_fields[] = {
	/* `at` is required unless `every` is given: decode.c checks it. */
	{.key = "at", .id = F_FAULT_AT, .type = FT_DURATION},
	{.key = "for", .id = F_FAULT_FOR, .type = FT_DURATION},
	{.key = "name", .id = F_FAULT_NAME, .type = FT_NAME},
	{.key = "every", .id = F_FAULT_EVERY, .type = FT_DURATION},
	{.key = "from", .id = F_FAULT_FROM, .type = FT_DURATION},
	{.key = "until", .id = F_FAULT_UNTIL, .type = FT_DURATION},
	/* `isolate: X` is `partition: {isolate: X}` */
	{.key = "isolate", .id = F_FAULT_ISOLATE, .type = FT_TARGETS},
	ACTION("partition", FAULT_PARTITION, NULL, FT_PARTITION),
	ACTION("latency", FAULT_LATENCY, "latency", FT_ACTION),
	ACTION("loss", FAULT_LOSS, "loss", FT_ACTION),
	ACTION("duplicate", FAULT_DUPLICATE, "duplicate", FT_ACTION),
	ACTION("corrupt", FAULT_CORRUPT, "corrupt", FT_ACTION),
	ACTION("reorder", FAULT_REORDER, "reorder", FT_ACTION),
	ACTION("rate", FAULT_RATE, "rate", FT_ACTION),
	ACTION("link-down", FAULT_LINK_DOWN, "link-down", FT_ACTION),
	ACTION("kill", FAULT_KILL, NULL, FT_TARGETS),
	ACTION("pause", FAULT_PAUSE, NULL, FT_TARGETS),
	ACTION("resume", FAULT_RESUME, NULL, FT_TARGETS),
	ACTION("start", FAULT_START, NULL, FT_TARGETS),
	ACTION("restart", FAULT_RESTART, NULL, FT_TARGETS),
	ACTION("reboot", FAULT_REBOOT, NULL, FT_TARGETS),
};

#define P_NODES {.key = "nodes", .id = F_P_NODES, .type = FT_TARGETS}
#define P_TARGETS {.key = "targets", .id = F_P_TARGETS, .type = FT_TARGETS}
#define P_CORRELATION {.key = "correlation", .id = F_P_CORRELATION, .type = FT_PERCENT}
#define P_PERCENT {.key = "percent", .id = F_P_PERCENT, .type = FT_PERCENT, .flags = FF_REQUIRED}

static const struct field latency_fields[] = {
	P_NODES, P_TARGETS,
	{.key = "delay", .id = F_P_DELAY, .type = FT_DURATION, .flags = FF_REQUIRED},
	{.key = "jitter", .id = F_P_JITTER, .type = FT_DURATION},
	P_CORRELATION,
};

static const struct field loss_fields[] = {
	P_NODES, P_TARGETS, P_PERCENT, P_CORRELATION,
	{.key = "direction", .id = F_P_DIRECTION, .type = FT_ENUM, .values = direction_values},
};

static const struct field duplicate_fields[] = {P_NODES, P_TARGETS, P_PERCENT, P_CORRELATION};
static const struct field corrupt_fields[] = {P_NODES, P_TARGETS, P_PERCENT, P_CORRELATION};

static const struct field reorder_fields[] = {
	P_NODES, P_TARGETS, P_PERCENT, P_CORRELATION,
	{.key = "delay", .id = F_P_DELAY, .type = FT_DURATION},
};

static const struct field rate_fields[] = {
	P_NODES, P_TARGETS,
	{.key = "rate", .id = F_P_RATE, .type = FT_RATE, .flags = FF_REQUIRED},
	{.key = "burst", .id = F_P_BURST, .type = FT_SIZE},
};

static const struct field link_down_fields[] = {P_NODES, P_TARGETS};

static const struct field partition_oneway_fields[] = {
	{.key = "from", .id = F_P_FROM, .type = FT_TARGETS, .flags = FF_REQUIRED},
	{.key = "to", .id = F_P_TO, .type = FT_TARGETS, .flags = FF_REQUIRED},
};

static const struct field partition_isolate_fields[] = {
	{.key = "isolate", .id = F_P_ISOLATE, .type = FT_TARGETS, .flags = FF_REQUIRED},
};

static const struct field_table t_topology = TABLE("topology", topology_fields);
static const struct field_table t_defaults = TABLE("defaults", defaults_fields);
static const struct field_table t_host = TABLE("host", host_fields);
static const struct field_table t_network = TABLE("network", network_fields);
static const struct field_table t_role = TABLE("role", role_fields);
static const struct field_table t_node = TABLE("node", node_fields);
static const struct field_table t_interface = TABLE("interface", interface_fields);
static const struct field_table t_disk = TABLE("disk", disk_fields);
static const struct field_table t_health = TABLE("health", health_fields);
static const struct field_table t_fault = TABLE("fault", fault_fields);
static const struct field_table t_latency = TABLE("latency", latency_fields);
static const struct field_table t_loss = TABLE("loss", loss_fields);
static const struct field_table t_duplicate = TABLE("duplicate", duplicate_fields);
static const struct field_table t_corrupt = TABLE("corrupt", corrupt_fields);
static const struct field_table t_reorder = TABLE("reorder", reorder_fields);
static const struct field_table t_rate = TABLE("rate", rate_fields);
static const struct field_table t_link_down = TABLE("link-down", link_down_fields);
static const struct field_table t_oneway = TABLE("partition-oneway", partition_oneway_fields);
static const struct field_table t_isolate = TABLE("partition-isolate", partition_isolate_fields);

const struct field_table *const fields_tables[] = {
	&t_topology, &t_defaults, &t_host, &t_network, &t_role, &t_node, &t_interface, &t_disk, &t_health,
	&t_fault, &t_latency, &t_loss, &t_duplicate, &t_corrupt, &t_reorder, &t_rate,
	&t_link_down, &t_oneway, &t_isolate,
};
const size_t fields_n_tables = sizeof(fields_tables) / sizeof(fields_tables[0]);

const struct field_table *fields_table(const char *name)
{
	for (size_t i = 0; i < fields_n_tables; i++)
		if (strcmp(fields_tables[i]->name, name) == 0)
			return fields_tables[i];
	return NULL;
}

const struct field *fields_find(const struct field_table *t, const char *key)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].key, key) == 0)
			return &t->v[i];
	return NULL;
}

const char *fields_suggest(const struct field_table *t, const char *key)
{
	const char *keys[32];
	size_t n = t->n < 32 ? t->n : 32;
	for (size_t i = 0; i < n; i++)
		keys[i] = t->v[i].key;
	return diag_suggest(key, keys, n);
}

const char *fields_kind_name(unsigned kinds)
{
	switch (kinds) {
	case KIND_VM:
		return "vm";
	case KIND_NETNS:
		return "netns";
	default:
		return "vm and netns";
	}
}

static const char *enum_text(const char *const *v, char *buf, size_t n)
{
	size_t o = (size_t)snprintf(buf, n, "one of");
	for (size_t i = 0; v[i] && o < n; i++)
		o += (size_t)snprintf(buf + o, n - o, "%s %s", i ? "," : "", v[i]);
	return buf;
}

const char *fields_expect(const struct field *f, char *buf, size_t n)
{
	switch (f->type) {
	case FT_STRING: return "a string";
	case FT_NAME: return "a name";
	case FT_PATH: return "a file path";
	case FT_INT:
		snprintf(buf, n, "a whole number from %lld to %lld", (long long)f->min,
			 (long long)f->max);
		return buf;
	case FT_BOOL: return "true or false";
	case FT_ENUM: return enum_text(f->values, buf, n);
	case FT_DURATION: return "a duration like 250ms, 5s or 1m30s";
	case FT_SIZE: return "a size like 512M, 2G or 1024K";
	case FT_RATE: return "a rate like 10mbit, 1gbit or 500kbit";
	case FT_PERCENT: return "a percentage like 5% or 0.5%";
	case FT_IPV4: return "an IPv4 address like 10.0.0.2";
	case FT_PREFIX: return "a subnet like 10.0.0.0/24";
	case FT_MAC: return "a MAC address like 02:00:00:00:00:01";
	case FT_IPV6: return "an IPv6 address like fd00:100::2";
	case FT_PREFIX6: return "an IPv6 subnet like fd00:100::/64";
	case FT_IP: return "an IPv4 or IPv6 address like 10.0.0.2 or fd00:100::2";
	case FT_ENDPOINT: return "an address and port like 10.0.0.2:7000 or [fd00:100::2]:7000";
	case FT_COMMAND: return "a command (a string or a list of strings)";
	case FT_STRMAP: return "a mapping of names to strings";
	case FT_OBJECT: return "a mapping";
	case FT_LIST:
	case FT_OBJLIST:
		snprintf(buf, n, "a list of %ss", f->sub);
		return buf;
	case FT_NAMEMAP:
		snprintf(buf, n, "a mapping from names to %ss", f->sub);
		return buf;
	case FT_TARGETS: return "a node, node.interface, @role, random-node, or a list of them";
	case FT_PARTITION:
		return "groups like [[a, b], [c]], {from: [a], to: [b]}, {isolate: a}, "
		       "random-halves, random-majority-ring or random-node";
	case FT_ACTION: return "a mapping of parameters";
	}
	return "a value";
}

/* schema.c — Cloud Hypervisor v48's VmConfig, as serde deserializes it.
 *
 * The tables below transcribe the field lists of v48's vmm/src/vm_config.rs
 * (x86_64, default features "kvm" and "io_uring"): name, type, whether it is
 * an Option, and the serde default. From them one walk over the parsed body
 * does what serde does: type-check each known field (u8..u64 ranges,
 * strings, paths, IP and MAC addresses, unit enums, nested structs and
 * vectors), ignore unknown fields (VmConfig has no deny_unknown_fields),
 * refuse duplicates, report the first missing required field in declaration
 * order at the closing brace, and build the config vm.info shows, every
 * default filled, fields in declaration order, absent Options as null. */
#include "tests/chdouble/chd.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

enum tk { T_U8, T_U16, T_U32, T_U64, T_USIZE, T_I32, T_BOOL, T_STRING, T_PATH, T_IP, T_MAC,
	  T_ENUM, T_STRUCT, T_VEC };

struct sfield;
struct sty {
	enum tk k;
	const char *name;               /* struct and enum names, for messages */
	const struct sfield *fields;    /* T_STRUCT, ended by a NULL name */
	const char *const *variants;    /* T_ENUM, NULL-terminated */
	const struct sty *elem;         /* T_VEC */
};

struct sfield {
	const char *name;
	const struct sty *ty;
	bool opt;               /* Option<T>: missing or null is None (serialized null) */
	const char *def;        /* JSON of the serde default; NULL and !opt: required */
	bool always_null;       /* NetConfig.fds: vm.create drops them */
};

#define REQ(n, t)     {n, t, false, NULL, false}
#define OPT(n, t)     {n, t, true, NULL, false}
#define DEF(n, t, d)  {n, t, false, d, false}
#define END           {NULL, NULL, false, NULL, false}

static const struct sty ty_u8 = {T_U8, "u8", 0, 0, 0}, ty_u16 = {T_U16, "u16", 0, 0, 0},
	ty_u32 = {T_U32, "u32", 0, 0, 0}, ty_u64 = {T_U64, "u64", 0, 0, 0},
	ty_usize = {T_USIZE, "usize", 0, 0, 0}, ty_i32 = {T_I32, "i32", 0, 0, 0},
	ty_bool = {T_BOOL, "a boolean", 0, 0, 0}, ty_string = {T_STRING, "a string", 0, 0, 0},
	ty_path = {T_PATH, "path string", 0, 0, 0}, ty_ip = {T_IP, "IP address", 0, 0, 0},
	ty_mac = {T_MAC, "a string", 0, 0, 0};

#define VEC(id, e) static const struct sty id = {T_VEC, "a sequence", NULL, NULL, &e}
#define STRUCT(id, nm, f) static const struct sty id = {T_STRUCT, "struct " nm, f, NULL, NULL}
#define ENUM(id, nm, v) static const struct sty id = {T_ENUM, nm, NULL, v, NULL}

VEC(vec_usize, ty_usize);
VEC(vec_u16, ty_u16);
VEC(vec_u32, ty_u32);
VEC(vec_i32, ty_i32);
VEC(vec_string, ty_string);

static const struct sfield f_cpu_affinity[] = {REQ("vcpu", &ty_u32), REQ("host_cpus", &vec_usize), END};
STRUCT(st_cpu_affinity, "CpuAffinity", f_cpu_affinity);
VEC(vec_cpu_affinity, st_cpu_affinity);
static const struct sfield f_cpu_features[] = {DEF("amx", &ty_bool, "false"), END};
STRUCT(st_cpu_features, "CpuFeatures", f_cpu_features);
static const struct sfield f_cpu_topology[] = {
	REQ("threads_per_core", &ty_u16), REQ("cores_per_die", &ty_u16),
	REQ("dies_per_package", &ty_u16), REQ("packages", &ty_u16), END};
STRUCT(st_cpu_topology, "CpuTopology", f_cpu_topology);
static const struct sfield f_cpus[] = {
	REQ("boot_vcpus", &ty_u32), REQ("max_vcpus", &ty_u32), OPT("topology", &st_cpu_topology),
	DEF("kvm_hyperv", &ty_bool, "false"), DEF("max_phys_bits", &ty_u8, "46"),
	OPT("affinity", &vec_cpu_affinity), DEF("features", &st_cpu_features, "{}"), END};
STRUCT(st_cpus, "CpusConfig", f_cpus);

static const struct sfield f_platform[] = {
	DEF("num_pci_segments", &ty_u16, "1"), OPT("iommu_segments", &vec_u16),
	DEF("iommu_address_width_bits", &ty_u8, "64"), OPT("serial_number", &ty_string),
	OPT("uuid", &ty_string), OPT("oem_strings", &vec_string), END};
STRUCT(st_platform, "PlatformConfig", f_platform);
static const struct sfield f_pci_segment[] = {
	DEF("pci_segment", &ty_u16, "0"), DEF("mmio32_aperture_weight", &ty_u32, "1"),
	DEF("mmio64_aperture_weight", &ty_u32, "1"), END};
STRUCT(st_pci_segment, "PciSegmentConfig", f_pci_segment);
VEC(vec_pci_segment, st_pci_segment);

static const struct sfield f_memory_zone[] = {
	REQ("id", &ty_string), REQ("size", &ty_u64), OPT("file", &ty_path),
	DEF("shared", &ty_bool, "false"), DEF("hugepages", &ty_bool, "false"),
	OPT("hugepage_size", &ty_u64), OPT("host_numa_node", &ty_u32), OPT("hotplug_size", &ty_u64),
	OPT("hotplugged_size", &ty_u64), DEF("prefault", &ty_bool, "false"), END};
STRUCT(st_memory_zone, "MemoryZoneConfig", f_memory_zone);
VEC(vec_memory_zone, st_memory_zone);
static const char *const v_hotplug[] = {"Acpi", "VirtioMem", NULL};
ENUM(en_hotplug, "HotplugMethod", v_hotplug);
static const struct sfield f_memory[] = {
	REQ("size", &ty_u64), DEF("mergeable", &ty_bool, "false"),
	DEF("hotplug_method", &en_hotplug, "\"Acpi\""), OPT("hotplug_size", &ty_u64),
	OPT("hotplugged_size", &ty_u64), DEF("shared", &ty_bool, "false"),
	DEF("hugepages", &ty_bool, "false"), OPT("hugepage_size", &ty_u64),
	DEF("prefault", &ty_bool, "false"), OPT("zones", &vec_memory_zone),
	DEF("thp", &ty_bool, "true"), END};
STRUCT(st_memory, "MemoryConfig", f_memory);

static const struct sfield f_token_bucket[] = {
	REQ("size", &ty_u64), OPT("one_time_burst", &ty_u64), REQ("refill_time", &ty_u64), END};
STRUCT(st_token_bucket, "TokenBucketConfig", f_token_bucket);
static const struct sfield f_rate_limiter[] = {
	OPT("bandwidth", &st_token_bucket), OPT("ops", &st_token_bucket), END};
STRUCT(st_rate_limiter, "RateLimiterConfig", f_rate_limiter);
static const struct sfield f_rl_group[] = {
	DEF("id", &ty_string, "\"\""), DEF("rate_limiter_config", &st_rate_limiter, "{}"), END};
STRUCT(st_rl_group, "RateLimiterGroupConfig", f_rl_group);
VEC(vec_rl_group, st_rl_group);
static const struct sfield f_vq_affinity[] = {
	REQ("queue_index", &ty_u16), REQ("host_cpus", &vec_usize), END};
STRUCT(st_vq_affinity, "VirtQueueAffinity", f_vq_affinity);
VEC(vec_vq_affinity, st_vq_affinity);

static const struct sfield f_disk[] = {
	OPT("path", &ty_path), DEF("readonly", &ty_bool, "false"), DEF("direct", &ty_bool, "false"),
	DEF("iommu", &ty_bool, "false"), DEF("num_queues", &ty_usize, "1"),
	DEF("queue_size", &ty_u16, "128"), DEF("vhost_user", &ty_bool, "false"),
	OPT("vhost_socket", &ty_string), OPT("rate_limit_group", &ty_string),
	OPT("rate_limiter_config", &st_rate_limiter), OPT("id", &ty_string),
	DEF("disable_io_uring", &ty_bool, "false"), DEF("disable_aio", &ty_bool, "false"),
	DEF("pci_segment", &ty_u16, "0"), OPT("serial", &ty_string),
	OPT("queue_affinity", &vec_vq_affinity), END};
STRUCT(st_disk, "DiskConfig", f_disk);
VEC(vec_disk, st_disk);

static const char *const v_vhost_mode[] = {"Client", "Server", NULL};
ENUM(en_vhost_mode, "VhostMode", v_vhost_mode);
static const struct sfield f_net[] = {
	OPT("tap", &ty_string), DEF("ip", &ty_ip, "\"192.168.249.1\""),
	DEF("mask", &ty_ip, "\"255.255.255.0\""), DEF("mac", &ty_mac, "@random_mac"),
	OPT("host_mac", &ty_mac), OPT("mtu", &ty_u16), DEF("iommu", &ty_bool, "false"),
	DEF("num_queues", &ty_usize, "2"), DEF("queue_size", &ty_u16, "256"),
	DEF("vhost_user", &ty_bool, "false"), OPT("vhost_socket", &ty_string),
	DEF("vhost_mode", &en_vhost_mode, "\"Client\""), OPT("id", &ty_string),
	{"fds", &vec_i32, true, NULL, true}, OPT("rate_limiter_config", &st_rate_limiter),
	DEF("pci_segment", &ty_u16, "0"), DEF("offload_tso", &ty_bool, "true"),
	DEF("offload_ufo", &ty_bool, "true"), DEF("offload_csum", &ty_bool, "true"), END};
STRUCT(st_net, "NetConfig", f_net);
VEC(vec_net, st_net);

static const struct sfield f_rng[] = {REQ("src", &ty_path), DEF("iommu", &ty_bool, "false"), END};
STRUCT(st_rng, "RngConfig", f_rng);
static const struct sfield f_balloon[] = {
	REQ("size", &ty_u64), DEF("deflate_on_oom", &ty_bool, "false"),
	DEF("free_page_reporting", &ty_bool, "false"), END};
STRUCT(st_balloon, "BalloonConfig", f_balloon);
static const struct sfield f_fs[] = {
	REQ("tag", &ty_string), REQ("socket", &ty_path), DEF("num_queues", &ty_usize, "1"),
	DEF("queue_size", &ty_u16, "1024"), OPT("id", &ty_string), DEF("pci_segment", &ty_u16, "0"), END};
STRUCT(st_fs, "FsConfig", f_fs);
VEC(vec_fs, st_fs);
static const struct sfield f_pmem[] = {
	REQ("file", &ty_path), OPT("size", &ty_u64), DEF("iommu", &ty_bool, "false"),
	DEF("discard_writes", &ty_bool, "false"), OPT("id", &ty_string),
	DEF("pci_segment", &ty_u16, "0"), END};
STRUCT(st_pmem, "PmemConfig", f_pmem);
VEC(vec_pmem, st_pmem);

static const char *const v_console_mode[] = {"Off", "Pty", "Tty", "File", "Socket", "Null", NULL};
ENUM(en_console_mode, "ConsoleOutputMode", v_console_mode);
static const struct sfield f_console[] = {
	OPT("file", &ty_path), REQ("mode", &en_console_mode), DEF("iommu", &ty_bool, "false"),
	OPT("socket", &ty_path), END};
STRUCT(st_console, "ConsoleConfig", f_console);
static const struct sfield f_debug_console[] = {
	OPT("file", &ty_path), REQ("mode", &en_console_mode), OPT("iobase", &ty_u16), END};
STRUCT(st_debug_console, "DebugConsoleConfig", f_debug_console);

static const struct sfield f_device[] = {
	REQ("path", &ty_path), DEF("iommu", &ty_bool, "false"), OPT("id", &ty_string),
	DEF("pci_segment", &ty_u16, "0"), OPT("x_nv_gpudirect_clique", &ty_u8), END};
STRUCT(st_device, "DeviceConfig", f_device);
VEC(vec_device, st_device);
static const struct sfield f_user_device[] = {
	REQ("socket", &ty_path), OPT("id", &ty_string), DEF("pci_segment", &ty_u16, "0"), END};
STRUCT(st_user_device, "UserDeviceConfig", f_user_device);
VEC(vec_user_device, st_user_device);
static const struct sfield f_vdpa[] = {
	REQ("path", &ty_path), DEF("num_queues", &ty_usize, "1"), DEF("iommu", &ty_bool, "false"),
	OPT("id", &ty_string), DEF("pci_segment", &ty_u16, "0"), END};
STRUCT(st_vdpa, "VdpaConfig", f_vdpa);
VEC(vec_vdpa, st_vdpa);
static const struct sfield f_vsock[] = {
	REQ("cid", &ty_u32), REQ("socket", &ty_path), DEF("iommu", &ty_bool, "false"),
	OPT("id", &ty_string), DEF("pci_segment", &ty_u16, "0"), END};
STRUCT(st_vsock, "VsockConfig", f_vsock);
static const struct sfield f_numa_distance[] = {
	DEF("destination", &ty_u32, "0"), DEF("distance", &ty_u8, "0"), END};
STRUCT(st_numa_distance, "NumaDistance", f_numa_distance);
VEC(vec_numa_distance, st_numa_distance);
static const struct sfield f_numa[] = {
	DEF("guest_numa_id", &ty_u32, "0"), OPT("cpus", &vec_u32),
	OPT("distances", &vec_numa_distance), OPT("memory_zones", &vec_string),
	OPT("pci_segments", &vec_u16), END};
STRUCT(st_numa, "NumaConfig", f_numa);
VEC(vec_numa, st_numa);
static const struct sfield f_payload[] = {
	OPT("firmware", &ty_path), OPT("kernel", &ty_path), OPT("cmdline", &ty_string),
	OPT("initramfs", &ty_path), END};
STRUCT(st_payload, "PayloadConfig", f_payload);
static const struct sfield f_tpm[] = {REQ("socket", &ty_path), END};
STRUCT(st_tpm, "TpmConfig", f_tpm);
static const struct sfield f_landlock[] = {REQ("path", &ty_path), REQ("access", &ty_string), END};
STRUCT(st_landlock, "LandlockConfig", f_landlock);
VEC(vec_landlock, st_landlock);

static const struct sfield f_vm[] = {
	DEF("cpus", &st_cpus, "{\"boot_vcpus\":1,\"max_vcpus\":1}"),
	DEF("memory", &st_memory, "{\"size\":536870912}"),
	OPT("payload", &st_payload), OPT("rate_limit_groups", &vec_rl_group),
	OPT("disks", &vec_disk), OPT("net", &vec_net),
	DEF("rng", &st_rng, "{\"src\":\"/dev/urandom\"}"), OPT("balloon", &st_balloon),
	OPT("fs", &vec_fs), OPT("pmem", &vec_pmem),
	DEF("serial", &st_console, "{\"mode\":\"Null\"}"),
	DEF("console", &st_console, "{\"mode\":\"Tty\"}"),
	DEF("debug_console", &st_debug_console, "{\"mode\":\"Off\",\"iobase\":233}"),
	OPT("devices", &vec_device), OPT("user_devices", &vec_user_device),
	OPT("vdpa", &vec_vdpa), OPT("vsock", &st_vsock), DEF("pvpanic", &ty_bool, "false"),
	DEF("iommu", &ty_bool, "false"), OPT("numa", &vec_numa), DEF("watchdog", &ty_bool, "false"),
	OPT("pci_segments", &vec_pci_segment), OPT("platform", &st_platform), OPT("tpm", &st_tpm),
	DEF("landlock_enable", &ty_bool, "false"), OPT("landlock_rules", &vec_landlock), END};
STRUCT(st_vm, "VmConfig", f_vm);

/* ---------------- the walk ---------------- */

struct sctx {
	bool failed;
	struct jpos pos;
	char msg[512];
};

static cJSON *sfail(struct sctx *c, struct jpos at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static cJSON *sfail(struct sctx *c, struct jpos at, const char *fmt, ...)
{
	if (!c->failed) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
		va_end(ap);
		c->failed = true;
		c->pos = at;
	}
	return NULL;
}

/* serde's Unexpected, as serde_json prints it (null, not "unit value"). */
static void sunexpected(const struct jv *v, char *out, size_t n)
{
	switch (v->t) {
	case J_NULL: snprintf(out, n, "null"); return;
	case J_BOOL: snprintf(out, n, "boolean `%s`", v->b ? "true" : "false"); return;
	case J_ARR: snprintf(out, n, "sequence"); return;
	case J_OBJ: snprintf(out, n, "map"); return;
	case J_NUM:
		if (v->nk == N_UINT) {
			snprintf(out, n, "integer `%llu`", (unsigned long long)v->u);
		} else if (v->nk == N_NEG) {
			snprintf(out, n, "integer `%lld`", (long long)v->i);
		} else {
			char f[64];
			for (int prec = 1; prec <= 17; prec++) {
				snprintf(f, sizeof(f), "%.*g", prec, v->d);
				if (strtod(f, NULL) == v->d)
					break;
			}
			char *e = strchr(f, 'e');
			if (e) {                /* ryu style: 1e20, 1e-7 */
				char *d = e + 1;
				if (*d == '+')
					memmove(d, d + 1, strlen(d));
				if (*d == '-')
					d++;
				while (*d == '0' && d[1])
					memmove(d, d + 1, strlen(d));
			} else if (!strchr(f, '.')) {
				strcat(f, ".0");
			}
			snprintf(out, n, "floating point `%s`", f);
		}
		return;
	case J_STR: {
		size_t k = 0;
		k += (size_t)snprintf(out, n, "string \"");
		for (const char *s = v->str; *s && k + 8 < n; s++) {
			unsigned char ch = (unsigned char)*s;
			if (ch == '"' || ch == '\\')
				k += (size_t)snprintf(out + k, n - k, "\\%c", ch);
			else if (ch == '\n')
				k += (size_t)snprintf(out + k, n - k, "\\n");
			else if (ch == '\t')
				k += (size_t)snprintf(out + k, n - k, "\\t");
			else if (ch == '\r')
				k += (size_t)snprintf(out + k, n - k, "\\r");
			else if (ch < 0x20)
				k += (size_t)snprintf(out + k, n - k, "\\u{%x}", ch);
			else
				out[k++] = (char)ch;
		}
		snprintf(out + k, n - k, "\"");
		return;
	}
	}
}

static cJSON *sinvalid_type(struct sctx *c, const struct jv *v, const char *expected)
{
	char u[256];
	sunexpected(v, u, sizeof(u));
	return sfail(c, v->at, "invalid type: %s, expected %s", u, expected);
}

static cJSON *sde(const struct sty *t, const struct jv *v, struct sctx *c);

static cJSON *sde_int(const struct sty *t, const struct jv *v, struct sctx *c)
{
	static const uint64_t max[] = {[T_U8] = 0xff, [T_U16] = 0xffff, [T_U32] = 0xffffffffu,
				       [T_U64] = UINT64_MAX, [T_USIZE] = UINT64_MAX, [T_I32] = 0x7fffffff};
	if (v->t != J_NUM || v->nk == N_FLOAT)
		return sinvalid_type(c, v, t->name);
	if (v->nk == N_NEG) {
		if (t->k != T_I32 || v->i < -2147483648LL)
			return sfail(c, v->at, "invalid value: integer `%lld`, expected %s",
				     (long long)v->i, t->name);
		return cJSON_CreateNumber((double)v->i);
	}
	if (v->u > max[t->k])
		return sfail(c, v->at, "invalid value: integer `%llu`, expected %s",
			     (unsigned long long)v->u, t->name);
	return cJSON_CreateNumber((double)v->u);
}

static cJSON *sde_ip(const struct jv *v, struct sctx *c)
{
	unsigned char a[16];
	char out[INET6_ADDRSTRLEN];
	if (v->t != J_STR)
		return sinvalid_type(c, v, "IP address");
	if (inet_pton(AF_INET, v->str, a) == 1)
		inet_ntop(AF_INET, a, out, sizeof(out));
	else if (inet_pton(AF_INET6, v->str, a) == 1)
		inet_ntop(AF_INET6, a, out, sizeof(out));
	else
		return sfail(c, v->at, "invalid IP address syntax");
	return cJSON_CreateString(out);
}

static cJSON *sde_mac(const struct jv *v, struct sctx *c)
{
	if (v->t != J_STR)
		return sinvalid_type(c, v, "a string");
	unsigned b[6];
	const char *s = v->str;
	for (int k = 0; k < 6; k++) {
		const char *colon = strchr(s, ':');
		size_t len = colon ? (size_t)(colon - s) : strlen(s);
		if ((k < 5) != (colon != NULL) || len != 2)
			return sfail(c, v->at, "The provided MAC address is invalid: "
				     "parsing of %s into a MAC address failed", v->str);
		char hex[3] = {s[0], s[1], 0}, *end;
		b[k] = (unsigned)strtoul(hex, &end, 16);
		if (*end || hex[0] == '-' || hex[0] == ' ')
			return sfail(c, v->at, "The provided MAC address is invalid: parsing of %s "
				     "into a MAC address failed: invalid digit found in string", v->str);
		s += len + (colon ? 1 : 0);
	}
	char out[18];
	snprintf(out, sizeof(out), "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
	return cJSON_CreateString(out);
}

static cJSON *sde_enum(const struct sty *t, const struct jv *v, struct sctx *c)
{
	if (v->t == J_OBJ)
		return sfail(c, v->at, "invalid type: map, expected enum %s", t->name);
	if (v->t != J_STR)
		return sfail(c, v->start, "expected value");
	size_t nv = 0;
	for (const char *const *p = t->variants; *p; p++, nv++)
		if (strcmp(*p, v->str) == 0)
			return cJSON_CreateString(v->str);
	char list[256] = "";
	size_t k = 0;
	for (size_t i = 0; i < nv; i++)
		k += (size_t)snprintf(list + k, sizeof(list) - k, "%s`%s`",
				      i == 0 ? "" : (nv == 2 ? " or " : ", "), t->variants[i]);
	return sfail(c, v->at, "unknown variant `%s`, expected %s%s", v->str,
		     nv > 2 ? "one of " : "", list);
}

static cJSON *sde_vec(const struct sty *t, const struct jv *v, struct sctx *c)
{
	if (v->t != J_ARR)
		return sinvalid_type(c, v, "a sequence");
	cJSON *a = cJSON_CreateArray();
	for (size_t k = 0; k < v->n; k++) {
		cJSON *e = sde(t->elem, v->items[k], c);
		if (!e) {
			cJSON_Delete(a);
			return NULL;
		}
		cJSON_AddItemToArray(a, e);
	}
	return a;
}

static cJSON *sdefault(const struct sfield *f, struct sctx *c)
{
	if (strcmp(f->def, "@random_mac") == 0) {
		unsigned char r[6] = {0};
		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
			r[1] = (unsigned char)rand();
		char out[18];
		/* CH's MacAddr::local_random: random bytes, first byte 0x2e */
		snprintf(out, sizeof(out), "2e:%02x:%02x:%02x:%02x:%02x", r[1], r[2], r[3], r[4], r[5]);
		return cJSON_CreateString(out);
	}
	struct jerr syn;
	struct jv *d = json_parse(f->def, strlen(f->def), &syn);
	cJSON *out = sde(f->ty, d, c);
	json_free(d);
	return out;
}

static cJSON *sde_struct(const struct sty *t, const struct jv *v, struct sctx *c)
{
	if (v->t == J_ARR)      /* serde also takes a struct as a sequence; the double does not */
		return sfail(c, v->at, "invalid type: sequence, expected %s (ch-double: sequence form "
			     "not supported)", t->name);
	if (v->t != J_OBJ)
		return sinvalid_type(c, v, t->name);
	size_t nf = 0;
	while (t->fields[nf].name)
		nf++;
	cJSON **got = calloc(nf ? nf : 1, sizeof(*got));
	cJSON *out = NULL;
	for (size_t k = 0; k < v->n && !c->failed; k++) {
		size_t i = 0;
		while (i < nf && strcmp(t->fields[i].name, v->keys[k]) != 0)
			i++;
		if (i == nf)
			continue;                       /* unknown: serde ignores it */
		if (got[i]) {
			sfail(c, v->keyend[k], "duplicate field `%s`", v->keys[k]);
			break;
		}
		const struct jv *item = v->items[k];
		if (!item)
			break;                          /* the body ends here */
		const struct sfield *f = &t->fields[i];
		if (f->opt && item->t == J_NULL)
			got[i] = cJSON_CreateNull();
		else
			got[i] = sde(f->ty, item, c);
		if (got[i] && f->always_null) {
			cJSON_Delete(got[i]);
			got[i] = cJSON_CreateNull();
		}
	}
	for (size_t i = 0; i < nf && !c->failed && v->complete; i++) {
		const struct sfield *f = &t->fields[i];
		if (got[i])
			continue;
		if (f->opt)
			got[i] = cJSON_CreateNull();
		else if (f->def)
			got[i] = sdefault(f, c);
		else
			sfail(c, v->end, "missing field `%s`", f->name);
	}
	if (!c->failed && v->complete) {
		out = cJSON_CreateObject();
		for (size_t i = 0; i < nf; i++) {
			cJSON_AddItemToObject(out, t->fields[i].name, got[i]);
			got[i] = NULL;
		}
	}
	for (size_t i = 0; i < nf; i++)
		cJSON_Delete(got[i]);
	free(got);
	return out;
}

static cJSON *sde(const struct sty *t, const struct jv *v, struct sctx *c)
{
	if (!v || c->failed)
		return NULL;
	switch (t->k) {
	case T_U8: case T_U16: case T_U32: case T_U64: case T_USIZE: case T_I32:
		return sde_int(t, v, c);
	case T_BOOL:
		return v->t == J_BOOL ? cJSON_CreateBool(v->b) : sinvalid_type(c, v, t->name);
	case T_STRING: case T_PATH:
		return v->t == J_STR ? cJSON_CreateString(v->str) : sinvalid_type(c, v, t->name);
	case T_IP:
		return sde_ip(v, c);
	case T_MAC:
		return sde_mac(v, c);
	case T_ENUM:
		return sde_enum(t, v, c);
	case T_STRUCT:
		return sde_struct(t, v, c);
	case T_VEC:
		return sde_vec(t, v, c);
	}
	return NULL;
}

int schema_vmconfig(const char *body, size_t len, cJSON **out, char *msg, size_t msgsz)
{
	struct jerr syn;
	struct sctx c = {0};
	struct jv *v = json_parse(body, len, &syn);
	*out = sde(&st_vm, v, &c);
	json_free(v);
	if (c.failed) {         /* a type error is met before any later syntax error */
		cJSON_Delete(*out);
		*out = NULL;
		snprintf(msg, msgsz, "%s at line %u column %u", c.msg, c.pos.line, c.pos.col);
		return -1;
	}
	if (syn.set || !*out) {
		cJSON_Delete(*out);
		*out = NULL;
		snprintf(msg, msgsz, "%s at line %u column %u", syn.set ? syn.msg : "EOF while parsing a value",
			 syn.pos.line, syn.pos.col);
		return -1;
	}
	return 0;
}

int schema_version_fields(const char *body, cJSON *out, unsigned version, char *msg, size_t msgsz)
{
	static const char *const types[] = {"FixedVhd", "Qcow2", "Raw", "Vhdx", "Unknown", NULL};
	cJSON *in = cJSON_Parse(body);
	const cJSON *d, *n;
	int i = 0, rc = 0;
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(out, "disks")) {
		if (version < CHD_V_IMAGE_TYPE)
			break;
		const cJSON *src = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(in, "disks"), i++);
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(src, "image_type");
		const char *v = cJSON_IsString(t) ? t->valuestring : "Unknown";
		bool ok = false;
		for (size_t k = 0; types[k]; k++)
			ok |= strcmp(types[k], v) == 0;
		if (!ok || (t && !cJSON_IsString(t))) {
			/* serde's text; its position is not modelled here */
			snprintf(msg, msgsz, "unknown variant `%s`, expected one of `FixedVhd`, `Qcow2`, `Raw`, "
				 "`Vhdx`, `Unknown` at line 1 column 1", cJSON_IsString(t) ? v : "?");
			rc = -1;
			break;
		}
		cJSON_AddStringToObject((cJSON *)d, "image_type", v);
	}
	i = 0;
	cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(out, "net")) {
		if (version < CHD_V_NET_IP_OPT)
			break;
		const cJSON *src = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(in, "net"), i++);
		const char *keys[] = {"ip", "mask"};
		for (int k = 0; k < 2; k++)
			if (!cJSON_GetObjectItemCaseSensitive(src, keys[k]))
				cJSON_ReplaceItemInObjectCaseSensitive((cJSON *)n, keys[k], cJSON_CreateNull());
	}
	cJSON_Delete(in);
	return rc;
}

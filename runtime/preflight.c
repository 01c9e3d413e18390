/* preflight.c — what a VM node needs from the host, checked before apply
 * changes anything.
 *
 * A missing guest kernel found at vm.boot time would leave a bridge, TAPs
 * and VMMs half made; found here it costs nothing. Every problem is one
 * line saying which node(s), what is wrong and how to fix it. Nodes with
 * the same problem (ten VMs sharing one kernel path) share one line, so
 * the message stays readable for big topologies. `plan` prints the same
 * lines. */
#include "runtime/vm.h"
#include "runtime/curl.h"
#include "runtime/hostinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PF_PROBLEMS_MAX 32

struct problem {
	char nodes[256];
	char what[512];
};

struct pf {
	struct problem v[PF_PROBLEMS_MAX];
	size_t n, dropped;
};

/* Record a problem of node; the same text for another node joins its line. */
static void pf_add(struct pf *pf, const char *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void pf_add(struct pf *pf, const char *node, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < pf->n; i++) {
		if (strcmp(pf->v[i].what, what) != 0)
			continue;
		size_t len = strlen(pf->v[i].nodes);
		if (strstr(pf->v[i].nodes, "...") == NULL &&
		    (size_t)snprintf(pf->v[i].nodes + len, sizeof(pf->v[i].nodes) - len, ", %s", node) >=
		    sizeof(pf->v[i].nodes) - len)
			snprintf(pf->v[i].nodes + len, sizeof(pf->v[i].nodes) - len, ", ...");
		return;
	}
	if (pf->n == PF_PROBLEMS_MAX) {
		pf->dropped++;
		return;
	}
	snprintf(pf->v[pf->n].nodes, sizeof(pf->v[pf->n].nodes), "%s", node);
	snprintf(pf->v[pf->n].what, sizeof(pf->v[pf->n].what), "%s", what);
	pf->n++;
}

/* A file the VMM opens: exists, is a regular file, readable (and
 * writable when it is a read-write disk). */
static void check_file(struct pf *pf, const char *node, const char *what, const char *path,
		       bool write, const char *fix)
{
	struct stat st;
	const char *why = NULL;
	if (stat(path, &st) < 0)
		why = strerror(errno);
	else if (S_ISDIR(st.st_mode))
		why = "is a directory";
	else if (access(path, write ? R_OK | W_OK : R_OK) < 0)
		why = strerror(errno);
	if (why)
		pf_add(pf, node, "%s %s: %s (%s)", what, path, why, fix);
}

static void check_vmm(struct pf *pf, const struct resource *r)
{
	char bin[4096];
	struct rt_err e;
	if (vm_binary(res_get(r, "binary"), bin, sizeof(bin), &e) == 0)
		return;
	pf_add(pf, rt_id_name(r->id), "cloud-hypervisor binary %s (install Cloud Hypervisor v48, "
	       "or point `binary:` or $ASPEN_CH_BINARY at it; see docs/vms.md)", e.msg);
}

static void check_vm(struct pf *pf, const char *run_dir, const struct resource *r)
{
	const char *node = rt_id_name(r->id), *v;
	if ((v = res_get(r, "kernel")))
		check_file(pf, node, "kernel", v, false,
			   "set `kernel:` to an uncompressed guest kernel, vmlinux; see docs/vms.md");
	if ((v = res_get(r, "initramfs")))
		check_file(pf, node, "initramfs", v, false, "fix `initramfs:` or remove it");
	if ((v = res_get(r, "firmware")))
		check_file(pf, node, "firmware", v, false,
			   "set `firmware:` to a CH firmware such as hypervisor-fw or CLOUDHV.fd");
	cJSON *disks = cJSON_Parse((v = res_get(r, "disks")) ? v : "[]");
	const cJSON *d;
	cJSON_ArrayForEach(d, disks) {
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(d, "path");
		bool ro = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "readonly"));
		if (cJSON_IsString(p))
			check_file(pf, node, ro ? "disk" : "disk (read-write)", p->valuestring, !ro,
				   ro ? "create the image or fix `disks:`" :
				   "create the image, make it writable, or mark it `readonly: true`");
	}
	cJSON_Delete(disks);
	cJSON *cfg;
	struct rt_err e;
	if (vm_config(run_dir, r, 0, &cfg, &e) < 0)
		pf_add(pf, node, "%s", e.msg + (strncmp(e.msg, node, strlen(node)) == 0 &&
						 e.msg[strlen(node)] == ':' ? strlen(node) + 2 : 0));
	else
		cJSON_Delete(cfg);
}

/* Guest memory plus a VMM's overhead for every VM the plan creates,
 * against MemAvailable: 200 VMs of 512 MiB need ~120 GiB, which the OOM
 * killer would otherwise be the first to notice. VMs already running are
 * in MemAvailable already. */
static void check_memory(struct pf *pf, const struct plan *p, const char *nodes)
{
	unsigned long long guests = 0, avail = hostinfo_mem_available();
	size_t n = 0;
	for (size_t i = 0; i < p->n_actions; i++) {
		const struct action *a = &p->actions[i];
		const char *m;
		if (a->phase != PHASE_CREATE || a->op == ACT_UPDATE || a->desired->kind != RES_VM)
			continue;
		n++;
		guests += (m = res_get(a->desired, "memory")) ? strtoull(m, NULL, 10) : 512ull << 20;
	}
	unsigned long long need = guests + n * HOSTLIM_VMM_OVERHEAD;
	if (n == 0 || avail == 0 || need <= avail)
		return;
	pf_add(pf, nodes, "%zu VM%s need %.1f GiB (%.1f GiB of guest memory + %llu MiB per VMM) but "
	       "MemAvailable is %.1f GiB (give the nodes less `memory:`, start fewer, or free memory)",
	       n, n == 1 ? "" : "s", (double)need / (1 << 30), (double)guests / (1 << 30),
	       HOSTLIM_VMM_OVERHEAD >> 20, (double)avail / (1 << 30));
}

/* /dev/kvm, once for all the VMMs the plan starts. */
static void check_kvm(struct pf *pf, const char *nodes)
{
	const char *skip = getenv("ASPEN_SKIP_KVM_CHECK");
	if (!nodes[0] || (skip && !strcmp(skip, "1")))
		return;
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return;
	}
	int err = errno;
	/* A user who may not open it may still plan; apply runs as root. */
	if ((err == EACCES || err == EPERM) && geteuid() != 0)
		return;
	pf_add(pf, nodes, "/dev/kvm: %s (Cloud Hypervisor needs KVM: enable virtualization in "
	       "the firmware, load kvm_intel or kvm_amd, and run aspen as root)", strerror(err));
}

int vm_preflight(const struct plan *p, struct rt_err *e)
{
	struct pf *pf = calloc(1, sizeof(*pf));
	char run_dir[PATHS_MAX], vmms[256] = "";
	if (!pf)
		return rt_errf(e, ENOMEM, "out of memory");
	if (!p->topology || paths_run_dir(p->topology, run_dir, sizeof(run_dir), NULL) < 0)
		snprintf(run_dir, sizeof(run_dir), "/run/aspen/topology");
	int curl = 1;           /* libcurl: 1 not tried yet, 0 loaded, -1 missing */
	struct rt_err ce;
	for (size_t i = 0; i < p->n_actions; i++) {
		const struct action *a = &p->actions[i];
		if (a->phase != PHASE_CREATE || a->op == ACT_UPDATE)
			continue;
		const struct resource *r = a->desired;
		/* The VMM API client's library, loaded at its first use. (A
		 * VMM created comes with its VM: checking VMs names each once.) */
		if (r->kind == RES_VM && curl == 1)
			curl = rtcurl_load(&ce);
		if (r->kind == RES_VM && curl < 0)
			pf_add(pf, rt_id_name(r->id), "%s", ce.msg);
		if (r->kind == RES_VMM) {
			check_vmm(pf, r);
			size_t len = strlen(vmms);
			snprintf(vmms + len, sizeof(vmms) - len, "%s%s", len ? ", " : "", rt_id_name(r->id));
		} else if (r->kind == RES_VM) {
			check_vm(pf, run_dir, r);
		}
	}
	check_kvm(pf, vmms);
	check_memory(pf, p, vmms);
	if (pf->n == 0) {
		free(pf);
		return 0;
	}
	size_t total = pf->n + pf->dropped, used = 0;
	char msg[sizeof(e->msg)];
	for (size_t i = 0; i < pf->n && used < sizeof(msg); i++)
		used += (size_t)snprintf(msg + used, sizeof(msg) - used, "\n  %s: %s", pf->v[i].nodes,
					 pf->v[i].what);
	if (used >= sizeof(msg))
		snprintf(msg + sizeof(msg) - 5, 5, " ...");
	rt_errf(e, ENOENT, "%zu problem%s with VM nodes; nothing was changed:%s", total,
		total == 1 ? "" : "s", msg);
	free(pf);
	return -1;
}

/* cmd_doctor.c — `aspen doctor FILE`: every host limit a topology meets.
 *
 * One row per limit: the value the host has, the value the topology needs
 * (compiler/hostlimits.c, from the file alone) and a fix when it falls
 * short. Nothing changes on the host; the kernel-module rows probe in a
 * throwaway namespace (the fault engine's probe) and say "unknown" without
 * root. Rows are data first and text or JSON second, so both outputs say
 * the same thing. A file with errors is still measured (a network over a
 * bridge's ports is an error and a row), and exits 1. */
#include "cli/cli.h"
#include "compiler/compile.h"
#include "compiler/hostlimits.h"
#include "runtime/fault.h"
#include "runtime/hostinfo.h"

#include <cJSON.h>
#include <fcntl.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

enum { OPT_JSON = 1000 };

enum doc_status { DOC_OK, DOC_WARN, DOC_SHORT, DOC_UNKNOWN };
static const char *const doc_status_names[] = {"ok", "warn", "short", "unknown"};

struct doc_row {
	char name[80];
	bool numeric;                   /* have/need numbers, else the strings */
	unsigned long long have, need;
	char have_s[64], need_s[64];
	enum doc_status st;
	char why[240];                  /* why have is "no" or "unknown" */
	char fix[240];
};

struct doc {
	struct doc_row v[24];
	size_t n;
};

static struct doc_row *doc_add(struct doc *d, const char *name)
{
	struct doc_row *r = &d->v[d->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	return r;
}

/* A numeric row: short when need exceeds have (warn instead when soft). */
static struct doc_row *doc_num(struct doc *d, const char *name, int have_rc,
			       unsigned long long have, unsigned long long need, bool soft)
{
	struct doc_row *r = doc_add(d, name);
	r->numeric = have_rc == 0;
	r->have = have;
	r->need = need;
	if (have_rc != 0) {
		snprintf(r->have_s, sizeof(r->have_s), "unreadable");
		snprintf(r->need_s, sizeof(r->need_s), "%llu", need);
		r->st = DOC_UNKNOWN;
	} else {
		r->st = need <= have ? DOC_OK : soft ? DOC_WARN : DOC_SHORT;
	}
	return r;
}

static void doc_sysctl(struct doc *d, const char *key, const char *dotted,
		       unsigned long long need, bool soft, unsigned long long fit)
{
	unsigned long long have = 0;
	int rc = hostinfo_sysctl(key, &have);       /* before have is passed on */
	struct doc_row *r = doc_num(d, dotted, rc, have, need, soft);
	if (r->st == DOC_SHORT || r->st == DOC_WARN)
		snprintf(r->fix, sizeof(r->fix), "sysctl -w %s=%llu", dotted, fit);
}

/* A kernel feature row: needed or not, present or not. */
static void doc_cap(struct doc *d, const char *name, const char *label, bool needed,
		    const char *module)
{
	char why[256] = "";
	int have = geteuid() == 0 ? fault_host_cap(name, why, sizeof(why)) : -1;
	struct doc_row *r = doc_add(d, label);
	snprintf(r->need_s, sizeof(r->need_s), "%s", needed ? "yes" : "no");
	snprintf(r->have_s, sizeof(r->have_s), "%s", have == 1 ? "yes" : have == 0 ? "no" : "unknown");
	if (have != 1)
		snprintf(r->why, sizeof(r->why), "%.200s", geteuid() == 0 ? why : "probing needs root");
	r->st = have == 1 || !needed ? DOC_OK : have == 0 ? DOC_SHORT : DOC_UNKNOWN;
	if (have == 0 && needed)
		snprintf(r->fix, sizeof(r->fix), "modprobe %s, or a kernel built with it", module);
}

static void doc_measure(struct doc *d, const struct topology *t, const struct hostlim_need *n)
{
	struct doc_row *r = doc_num(d, "bridge ports (BR_MAX_PORTS)", 0, HOSTLIM_BRIDGE_PORTS,
				    n->max_ports, false);
	if (n->max_ports_net != SIZE_MAX)
		snprintf(r->name, sizeof(r->name), "bridge ports (network %.40s)",
			 t->networks[n->max_ports_net].name);
	if (r->st == DOC_SHORT)
		snprintf(r->fix, sizeof(r->fix), "split the network into networks of at most %u "
			 "interfaces each", HOSTLIM_BRIDGE_PORTS);

	unsigned long long fit2, fit3;
	hostlim_neigh_fit(n->neigh, &fit2, &fit3);
	doc_sysctl(d, "net/ipv4/neigh/default/gc_thresh3", "net.ipv4.neigh.default.gc_thresh3",
		   n->neigh, false, fit3);
	doc_sysctl(d, "net/ipv4/neigh/default/gc_thresh2", "net.ipv4.neigh.default.gc_thresh2",
		   n->neigh, true, fit2);

	struct rlimit rl = {0};
	int rc = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? 0 : -1;
	r = doc_num(d, "open files (ulimit -n)", rc, (unsigned long long)rl.rlim_cur, n->fds, false);
	if (r->st == DOC_SHORT)
		snprintf(r->fix, sizeof(r->fix), "ulimit -n %zu (the hard limit is %llu)", n->fds,
			 (unsigned long long)rl.rlim_max);

	doc_sysctl(d, "kernel/pid_max", "kernel.pid_max", n->processes, false, 2 * n->processes);
	doc_sysctl(d, "kernel/threads-max", "kernel.threads-max", n->processes, false,
		   2 * n->processes);
	/* +1: the fault engine's capability probe is a namespace too. */
	doc_sysctl(d, "user/max_net_namespaces", "user.max_net_namespaces",
		   n->netns_nodes + 1, false, 2 * (n->netns_nodes + 1));

	unsigned long long mem = n->vm_memory + n->vm_nodes * HOSTLIM_VMM_OVERHEAD;
	unsigned long long avail = hostinfo_mem_available();
	r = doc_num(d, "memory for VMs (MemAvailable, bytes)", avail ? 0 : -1, avail, mem, false);
	if (n->vm_nodes == 0 && r->st == DOC_UNKNOWN)
		r->st = DOC_OK;
	if (r->st == DOC_SHORT)
		snprintf(r->fix, sizeof(r->fix), "give the VMs less `memory:`, start fewer, or free "
			 "memory (each VMM costs %llu MiB beside its guest)",
			 HOSTLIM_VMM_OVERHEAD >> 20);

	r = doc_add(d, "/dev/kvm");
	snprintf(r->need_s, sizeof(r->need_s), "%s", n->vm_nodes ? "yes" : "no");
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int err = errno;
	if (fd >= 0)
		close(fd);
	snprintf(r->have_s, sizeof(r->have_s), "%s", fd >= 0 ? "yes" : "no");
	if (fd < 0)
		snprintf(r->why, sizeof(r->why), "%s", strerror(err));
	r->st = fd >= 0 || n->vm_nodes == 0 ? DOC_OK : DOC_SHORT;
	if (r->st == DOC_SHORT)
		snprintf(r->fix, sizeof(r->fix), "enable virtualization in the firmware, load "
			 "kvm_intel or kvm_amd, run aspen as root");

	doc_cap(d, "nftables", "nf_tables (partition, loss)", n->nft, "nf_tables");
	doc_cap(d, "tbf", "sch_tbf (rate)", n->tbf, "sch_tbf");
	doc_cap(d, "netem", "sch_netem (latency, duplicate, corrupt, reorder)", n->netem,
		"sch_netem");
	doc_cap(d, "ifb", "ifb (not used by aspen yet)", false, "ifb");
	doc_cap(d, "flower", "cls_flower (not used by aspen yet)", false, "cls_flower");
}

static void doc_print_text(const struct doc *d, const struct topology *t,
			   const struct hostlim_need *n)
{
	printf("topology %s: %zu netns node%s, %zu VM%s, %zu network%s, up to %llu neighbour "
	       "entries\n", t->name ? t->name : "?", n->netns_nodes, n->netns_nodes == 1 ? "" : "s",
	       n->vm_nodes, n->vm_nodes == 1 ? "" : "s", t->n_networks,
	       t->n_networks == 1 ? "" : "s", n->neigh);
	printf("%-7s %-50s %14s %12s\n", "", "limit", "have", "need");
	for (size_t i = 0; i < d->n; i++) {
		const struct doc_row *r = &d->v[i];
		char have[32], need[32];
		if (r->numeric) {
			snprintf(have, sizeof(have), "%llu", r->have);
			snprintf(need, sizeof(need), "%llu", r->need);
		}
		printf("%-7s %-50s %14s %12s\n", doc_status_names[r->st], r->name,
		       r->numeric ? have : r->have_s, r->numeric ? need : r->need_s);
		if (r->why[0] && (r->st != DOC_OK || cli_out.verbose))
			printf("%-7s   why: %s\n", "", r->why);
		if (r->fix[0])
			printf("%-7s   fix: %s\n", "", r->fix);
	}
}

static int doc_print_json(const struct doc *d, const struct topology *t, bool ok)
{
	cJSON *root = cJSON_CreateObject(), *rows = cJSON_CreateArray();
	cJSON_AddStringToObject(root, "topology", t->name ? t->name : "");
	cJSON_AddBoolToObject(root, "ok", ok);
	cJSON_AddItemToObject(root, "limits", rows);
	for (size_t i = 0; i < d->n; i++) {
		const struct doc_row *r = &d->v[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "limit", r->name);
		cJSON_AddStringToObject(o, "status", doc_status_names[r->st]);
		if (r->numeric) {
			cJSON_AddNumberToObject(o, "have", (double)r->have);
			cJSON_AddNumberToObject(o, "need", (double)r->need);
		} else {
			cJSON_AddStringToObject(o, "have", r->have_s);
			cJSON_AddStringToObject(o, "need", r->need_s);
		}
		if (r->why[0])
			cJSON_AddStringToObject(o, "why", r->why);
		if (r->fix[0])
			cJSON_AddStringToObject(o, "fix", r->fix);
		cJSON_AddItemToArray(rows, o);
	}
	char *s = cJSON_Print(root);
	cJSON_Delete(root);
	if (!s)
		return -1;
	puts(s);
	cJSON_free(s);
	return 0;
}

int cmd_doctor(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{"json", 0, false, OPT_JSON},
		{NULL, 0, false, 0},
	};
	bool json = false;
	const char *arg;
	int c, first;
	while ((c = cli_getopt("doctor", argc, argv, opts, &arg, &first)) > 0) {
		if (c == 'h')
			return cli_help("doctor");
		if (c == OPT_JSON)
			json = true;
	}
	if (c < 0)
		return EXIT_USAGE;
	if (first >= argc)
		return cli_usage_error("doctor", "no topology file given");
	if (argc - first > 1)
		return cli_usage_error("doctor", "one topology file at a time");

	struct diag_list dl;
	diag_init(&dl, argv[first]);
	struct topology *t = topo_load(argv[first], &dl);
	diag_sort(&dl);
	diag_print(&dl, stderr, DIAG_TEXT, cli_color_for(stderr));
	bool invalid = diag_failed(&dl);
	diag_clear(&dl);
	if (!t)
		return EXIT_ERR;
	struct hostlim_need need;
	hostlim_need(t, &need);
	struct doc d = {.n = 0};
	doc_measure(&d, t, &need);
	bool ok = !invalid;
	for (size_t i = 0; i < d.n; i++)
		ok &= d.v[i].st != DOC_SHORT;
	int rc = 0;
	if (json)
		rc = doc_print_json(&d, t, ok);
	else
		doc_print_text(&d, t, &need);
	topo_free(t);
	return rc < 0 || !ok ? EXIT_ERR : EXIT_OK;
}

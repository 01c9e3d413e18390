/* faultctl.c — a small CLI over the fault engine (runtime/fault.h), for the
 * end-to-end tests of the mechanisms, before the scheduler exists.
 *
 *   faultctl check  FILE INDEX   can this machine run faults[INDEX]?
 *   faultctl apply  FILE INDEX   prepare + apply faults[INDEX]; prints its record
 *   faultctl revert FILE INDEX   revert it from the record saved by apply (kept,
 *                                so reverting again tests idempotence)
 *   faultctl heal   FILE         remove every trace of the topology's faults
 *
 *   faultctl iface  FILE NODE    print NODE's first interface as the compiler
 *                                derives it: MAC IP HOST-END BRIDGE
 *
 * Multi-host placement by hand (the fault engine's share of a fault, before
 * the compiler places nodes itself): with FAULTCTL_HERE=HOST the topology
 * counts as compiled for HOST, and the nodes FAULTCTL_AWAY names
 * (blank-separated) are placed on another host, "away"; every other node
 * is here.
 *
 * FILE is a topology already applied (`aspen apply --no-wait FILE`). The
 * undo record is written to $FAULTCTL_DIR (default /tmp)/<topology>.f<INDEX>.json
 * BEFORE the fault is applied (as the scheduler journals it), so revert works
 * across invocations and after a failed apply. A failed apply reverts what
 * it did from that record, so it changes nothing. Exit 0 ok, 1 failure, 2
 * usage. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler/compile.h"
#include "runtime/fault.h"

static int usage(void)
{
	fprintf(stderr, "usage: faultctl check|apply|revert FILE INDEX | faultctl heal FILE | "
		"faultctl iface FILE NODE\n");
	return 2;
}

static int fail(const char *what, const struct rt_err *e)
{
	fprintf(stderr, "faultctl: %s: %s\n", what, e->msg);
	return 1;
}

static struct topology *load(const char *file)
{
	struct diag_list d;
	diag_init(&d, file);
	struct topology *t = topo_load(file, &d);
	diag_sort(&d);
	diag_print(&d, stderr, DIAG_TEXT, false);
	if (t && diag_failed(&d)) {
		topo_free(t);
		t = NULL;
	}
	diag_clear(&d);
	return t;
}

/* FAULTCTL_HERE / FAULTCTL_AWAY: hosts[0] = here, hosts[1] = "away". */
static int place(struct topology *t)
{
	const char *here = getenv("FAULTCTL_HERE"), *away = getenv("FAULTCTL_AWAY");
	static struct topo_host hosts[2];
	if (!here || !*here)
		return 0;
	hosts[0].name = here;
	hosts[1].name = "away";
	t->hosts = hosts;
	t->n_hosts = 2;
	t->has_here = true;
	t->here = 0;
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", away ? away : "");
	for (size_t i = 0; i < t->n_nodes; i++)
		t->nodes[i].host_idx = 0;
	for (char *sv, *w = strtok_r(buf, " ", &sv); w; w = strtok_r(NULL, " ", &sv)) {
		size_t i = topo_find_node(t, w);
		if (i == SIZE_MAX) {
			fprintf(stderr, "faultctl: FAULTCTL_AWAY names %s, not a node\n", w);
			return -1;
		}
		t->nodes[i].host_idx = 1;
	}
	return 0;
}

static int do_iface(const struct topology *t, const char *node)
{
	size_t i = topo_find_node(t, node);
	if (i == SIZE_MAX || !t->nodes[i].n_ifaces) {
		fprintf(stderr, "faultctl: no node %s with an interface\n", node);
		return 2;
	}
	const struct topo_iface *f = &t->nodes[i].ifaces[0];
	const uint8_t *m = f->eff_mac;
	char ip[INET_ADDRSTRLEN];
	struct in_addr a = {.s_addr = htonl(f->ip)};
	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	printf("%02x:%02x:%02x:%02x:%02x:%02x %s %s %s\n", m[0], m[1], m[2], m[3], m[4], m[5], ip,
	       f->host_name, t->networks[f->network_idx].bridge_name);
	return 0;
}

static void record_path(const struct topology *t, size_t index, char *buf, size_t len)
{
	const char *dir = getenv("FAULTCTL_DIR");
	snprintf(buf, len, "%s/%s.f%zu.json", dir && *dir ? dir : "/tmp", t->name, index);
}

static int record_write(const char *path, const cJSON *rec)
{
	char *s = cJSON_Print(rec);
	FILE *f = s ? fopen(path, "w") : NULL;
	int rc = f && fputs(s, f) >= 0 ? 0 : -1;
	if (f && fclose(f) != 0)
		rc = -1;
	if (rc == 0)
		printf("%s\n", s);
	free(s);
	return rc;
}

static cJSON *record_read(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char buf[65536];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return cJSON_Parse(buf);
}

static int do_apply(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
		    const char *path)
{
	struct rt_err e = {0};
	char key[32];
	cJSON *rec = NULL;
	snprintf(key, sizeof(key), "f%zu", f->index);
	if (fault_check_supported(t, f, &e) < 0)
		return fail("check", &e);
	if (fault_prepare(c, t, f, f->label ? f->label : key, &rec, &e) < 0)
		return fail("prepare", &e);
	if (record_write(path, rec) < 0) {
		cJSON_Delete(rec);
		fprintf(stderr, "faultctl: write %s: %s\n", path, strerror(errno));
		return 1;
	}
	int rc = 0;
	if (fault_apply(c, t, f, rec, &e) < 0) {
		rc = fail("apply", &e);
		struct rt_err e2 = {0};
		if (fault_revert(c, rec, &e2) < 0)
			fail("revert after failed apply", &e2);
		else
			unlink(path);
	}
	cJSON_Delete(rec);
	return rc;
}

static int do_revert(struct rt_ctx *c, const char *path)
{
	struct rt_err e = {0};
	cJSON *rec = record_read(path);
	if (!rec) {
		fprintf(stderr, "faultctl: no fault record %s\n", path);
		return 1;
	}
	int rc = fault_revert(c, rec, &e) < 0 ? fail("revert", &e) : 0;
	cJSON_Delete(rec);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	const char *cmd = argv[1];
	bool heal = strcmp(cmd, "heal") == 0;
	if (!heal && argc != 4)
		return usage();
	struct topology *t = load(argv[2]);
	if (!t)
		return 1;
	if (place(t) < 0) {
		topo_free(t);
		return 2;
	}
	if (strcmp(cmd, "iface") == 0) {
		int rc = argc == 4 ? do_iface(t, argv[3]) : usage();
		topo_free(t);
		return rc;
	}
	char *end = NULL;
	size_t index = heal ? 0 : strtoul(argv[3], &end, 10);
	if (!heal && (!end || *end || index >= t->n_faults)) {
		fprintf(stderr, "faultctl: %s has no faults[%s]\n", argv[2], argv[3]);
		topo_free(t);
		return 2;
	}
	struct rt_ctx c;
	struct rt_err e = {0};
	int rc;
	if (strcmp(cmd, "check") == 0) {
		rc = fault_check_supported(t, &t->faults[index], &e) < 0 ? fail("check", &e) : 0;
		topo_free(t);
		return rc;
	}
	if (rt_open(&c, t->name, (const char *const *)argv, 10000, &e) < 0) {
		rt_close(&c);
		topo_free(t);
		return fail("open", &e);
	}
	char path[4200];
	record_path(t, index, path, sizeof(path));
	if (heal)
		rc = fault_heal_all(&c, &e) < 0 ? fail("heal", &e) : 0;
	else if (strcmp(cmd, "apply") == 0)
		rc = do_apply(&c, t, &t->faults[index], path);
	else if (strcmp(cmd, "revert") == 0)
		rc = do_revert(&c, path);
	else
		rc = usage();
	rt_close(&c);
	topo_free(t);
	return rc;
}

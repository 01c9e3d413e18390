/* cmd_status.c — `aspen status [NAME]`: what aspen has running, live.
 *
 * With a NAME: every journaled resource probed now (present, missing, or
 * discovered without a journal entry), each node process's state and the
 * active faults, every node's health (one attempt of each of its checks,
 * now); with --matrix also who reaches whom (runtime/matrix.h),
 * probed now. Without one: the topologies this host has state for.
 * Read-only: takes no lock. While another aspen holds the topology and
 * serves the control API, the active faults and the matrix are asked of it
 * (GET /v1/faults, /v1/matrix): between two entries of its schedule, and
 * without the records it journaled ahead of their time. */
#include "api/client.h"
#include "cli/cli.h"
#include "cli/multihost.h"
#include "cli/wait.h"
#include "runtime/nodeenv.h"
#include "compiler/compile.h"
#include "compiler/strmap.h"
#include "runtime/proc.h"
#include "runtime/runtime.h"
#include "runtime/matrix.h"
#include "cli/schedout.h"
#include "runtime/vm.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_JSON = 1000, OPT_STATE_DIR, OPT_MATRIX, OPT_THIS_HOST };

static const char *detail(const struct resource *r, char *buf, size_t len)
{
	const char *keys[] = {"name", "address", "gateway"};
	for (size_t i = 0; i < 3; i++) {
		const char *v = res_get(r, keys[i]);
		if (v) {
			snprintf(buf, len, "%s", v);
			return buf;
		}
	}
	buf[0] = '\0';
	return buf;
}

/* The resource with this id in l, through idx (l's ids -> positions): a
 * scan per resource made status quadratic (12000 resources at 3000 nodes). */
static const struct resource *find(const struct res_list *l, const struct strmap *idx,
				   const char *id)
{
	size_t i;
	return strmap_get(idx, id, &i) ? &l->v[i] : NULL;
}

static void index_ids(const struct res_list *l, struct strmap *idx)
{
	strmap_init(idx, l->n);
	for (size_t i = 0; i < l->n; i++)
		strmap_put(idx, l->v[i].id, i, NULL);
}

static int list_all(bool json)
{
	char **names;
	size_t n;
	struct rt_err e;
	if (paths_list_topologies(&names, &n, &e) < 0) {
		fprintf(stderr, "aspen status: %s\n", e.msg);
		return EXIT_ERR;
	}
	if (json) {
		cJSON *a = cJSON_CreateArray();
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(names[i]));
		char *s = cJSON_PrintUnformatted(a);
		printf("{\"topologies\":%s}\n", s);
		cJSON_free(s);
		cJSON_Delete(a);
	} else if (n == 0) {
		printf("No topologies on this host.\n");
	} else {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", names[i]);
	}
	paths_list_free(names, n);
	return EXIT_OK;
}

/* The active faults (journal records, or the holder's GET /v1/faults with
 * "id" for "key"): a table, or "faults" in the JSON object root. */
static void print_faults(const cJSON *faults, const char *name, cJSON *root)
{
	int n = cJSON_GetArraySize(faults);
	if (root) {
		cJSON *arr = cJSON_AddArrayToObject(root, "faults");
		for (int i = 0; i < n; i++) {
			const cJSON *r = cJSON_GetArrayItem(faults, i);
			cJSON *o = cJSON_CreateObject();
			static const char *const keys[] = {"key", "kind", "desc"};
			for (size_t k = 0; k < 3; k++) {
				const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, keys[k]);
				if (cJSON_IsString(v))
					cJSON_AddStringToObject(o, keys[k], v->valuestring);
			}
			const cJSON *d = cJSON_GetObjectItemCaseSensitive(r, "deadline");
			cJSON_AddNumberToObject(o, "deadline", cJSON_IsNumber(d) ? d->valuedouble : 0);
			cJSON_AddItemToArray(arr, o);
		}
		return;
	}
	if (n == 0)
		return;
	printf("\n%-16s %s\n", "ACTIVE FAULT", "WHAT");
	for (int i = 0; i < n; i++) {
		const cJSON *r = cJSON_GetArrayItem(faults, i);
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(r, "key");
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(r, "desc");
		printf("%-16s %s\n", cJSON_IsString(k) ? k->valuestring : "?",
		       cJSON_IsString(d) ? d->valuestring : "?");
	}
	printf("'aspen heal %s' reverts them.\n", name);
}

/* GET path of the holder: its answer, or NULL (message printed). */
static cJSON *status_api_get(const char *sock, const char *path)
{
	long st = 0;
	cJSON *ans = NULL;
	struct rt_err e = {0};
	char buf[64];
	if (api_client_call(sock, "GET", path, NULL, &st, &ans, &e) < 0) {
		fprintf(stderr, "aspen status: %s\n", e.msg);
		return NULL;
	}
	if (st != 200) {
		fprintf(stderr, "aspen status: %s\n", api_client_error(ans, st, buf, sizeof(buf)));
		cJSON_Delete(ans);
		return NULL;
	}
	return ans;
}

/* The holder's active faults in the journal's record form ("key"). */
static cJSON *status_api_faults(const char *sock)
{
	cJSON *ans = status_api_get(sock, "/v1/faults");
	cJSON *arr = cJSON_DetachItemFromObjectCaseSensitive(ans, "faults");
	cJSON_Delete(ans);
	cJSON *r;
	cJSON_ArrayForEach(r, arr) {
		cJSON *id = cJSON_DetachItemFromObjectCaseSensitive(r, "id");
		if (id)
			cJSON_AddItemToObject(r, "key", id);
	}
	return arr;
}

/* Probe (or have the holder at sock probe) and print (or add as "matrix"
 * to root) the reachability matrix. */
static int add_matrix(const struct journal *j, const char *sock, cJSON *root)
{
	struct matrix m;
	struct rt_err e = {0};
	if (sock) {
		cJSON *ans = status_api_get(sock, "/v1/matrix");
		int r = ans ? matrix_from_json(ans, &m, &e) : -1;
		cJSON_Delete(ans);
		if (r < 0) {
			if (ans)
				fprintf(stderr, "aspen status: matrix: %s\n", e.msg);
			return -1;
		}
	} else if (matrix_from_journal(j, &m, &e) < 0 || matrix_measure(&m, 0, 0, &e) < 0) {
		fprintf(stderr, "aspen status: matrix: %s\n", e.msg);
		return -1;
	}
	if (root) {
		cJSON_AddItemToObject(root, "matrix", matrix_json(&m));
	} else if (m.n == 0) {
		printf("\nNo network-namespace node with an address: no matrix.\n");
	} else {
		printf("\nReachability (one ping from each row's namespace to each column's first address):\n");
		matrix_print(&m, stdout, cli_utf8(), "  ");
	}
	matrix_free(&m);
	return 0;
}

/* "tcp 10.0.0.2:7000: Connection refused" from "health tcp ...". */
static const char *status_unlabel(const char *msg)
{
	return strncmp(msg, "health ", 7) ? msg : msg + 7;
}

/* Every node's health, probed now: one attempt of each check, all at once,
 * as the topology file the journal records defines them (the journal keeps
 * resources, not checks). A table, or "health" in root. */
static void status_health(struct rt_ctx *rc, cJSON *root)
{
	const char *file = rc->journal.file;
	struct topology *t = NULL;
	if (file) {
		struct diag_list d;
		diag_init(&d, file);
		t = cli_topo_load(file, &d);
		if (diag_failed(&d)) {
			topo_free(t);
			t = NULL;
		}
		diag_clear(&d);
	}
	if (!t) {
		char why[PATHS_MAX + 64];
		snprintf(why, sizeof(why), file ? "the topology file %s does not load" :
			 "the journal records no topology file%s", file ? file : "");
		if (root)
			cJSON_AddStringToObject(root, "health_unknown", why);
		else
			printf("\nHealth unknown: %s.\n", why);
		return;
	}
	struct wait_checks wc;
	struct rt_err me;
	if (wait_checks_alloc(&wc, t, &me) < 0) {
		topo_free(t);
		return;
	}
	struct health_check *v = wc.v;
	size_t *first = calloc(t->n_nodes + 1, sizeof(*first));
	struct rt_err *res = calloc(3 * t->n_nodes + 1, sizeof(*res));
	size_t n = 0;
	if (!first || !res)
		goto out;
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct rt_err ce;
		first[i] = n;
		if (!topo_node_here(t, &t->nodes[i]))
			continue;               /* another host's node: its host says */
		int k = wait_node_checks(&wc, t, i, v + n, &ce);
		if (k < 0) {
			if (root)
				cJSON_AddStringToObject(root, "health_unknown", ce.msg);
			else
				printf("\nHealth unknown: %s.\n", ce.msg);
			goto out;
		}
		n += (size_t)k;
	}
	first[t->n_nodes] = n;
	if (health_check_each(v, n, res) < 0)
		goto out;
	cJSON *arr = root ? cJSON_AddArrayToObject(root, "health") : NULL;
	if (!root)
		printf("\n%-16s %-8s %s\n", "NODE", "HEALTH", "CHECKS");
	for (size_t i = 0; i < t->n_nodes; i++) {
		if (!topo_node_here(t, &t->nodes[i]))
			continue;
		size_t a = first[i], b = first[i + 1];
		bool ok = true;
		for (size_t k = a; k < b; k++)
			ok = ok && res[k].errnum == 0;
		const char *word = a == b ? "-" : ok ? "healthy" : "failing";
		cJSON *o = NULL, *checks = NULL;
		if (arr) {
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "node", t->nodes[i].name);
			cJSON_AddStringToObject(o, "health", a == b ? "no checks" : word);
			checks = cJSON_AddArrayToObject(o, "checks");
			cJSON_AddItemToArray(arr, o);
		} else {
			printf("%-16s %-8s %s", t->nodes[i].name, word, a == b ? "no checks\n" : "");
		}
		for (size_t k = a; k < b; k++) {
			char label[256];
			health_describe(&v[k], label, sizeof(label));
			if (checks) {
				cJSON *c = cJSON_CreateObject();
				cJSON_AddStringToObject(c, "check", status_unlabel(label));
				cJSON_AddBoolToObject(c, "ok", res[k].errnum == 0);
				if (res[k].errnum)
					cJSON_AddStringToObject(c, "error", res[k].msg);
				cJSON_AddItemToArray(checks, c);
				continue;
			}
			/* Passing checks by name; a failing one with its error. */
			printf("%s%s%s%s", k > a ? "; " : "", status_unlabel(res[k].errnum ? res[k].msg : label),
			       res[k].errnum ? "" : " ok", k + 1 == b ? "\n" : "");
		}
	}
out:
	wait_checks_free(&wc);
	free(first);
	free(res);
	topo_free(t);
}

int cmd_status(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{"json", 0, false, OPT_JSON},
		{"state-dir", 0, true, OPT_STATE_DIR},
		{"matrix", 0, false, OPT_MATRIX},
		{"this-host", 0, false, OPT_THIS_HOST},
		{NULL, 0, false, 0},
	};
	bool json = false, matrix = false, this_host = false;
	const char *arg;
	int c, first;
	while ((c = cli_getopt("status", argc, argv, opts, &arg, &first)) > 0) {
		if (c == 'h')
			return cli_help("status");
		if (c == OPT_JSON)
			json = true;
		if (c == OPT_MATRIX)
			matrix = true;
		if (c == OPT_THIS_HOST)
			this_host = true;
		if (c == OPT_STATE_DIR)
			setenv("ASPEN_STATE_DIR", arg, 1);
	}
	if (c < 0)
		return EXIT_USAGE;
	if (argc - first > 1)
		return cli_usage_error("status", "give at most one topology name");
	if (argc == first && matrix)
		return cli_usage_error("status", "--matrix needs a topology: aspen status --matrix NAME");
	if (argc == first)
		return list_all(json);
	char *name = cli_topology_name(argv[first]);
	if (!name)
		return EXIT_ERR;
	bool handled = false;
	if (!this_host) {
		/* placed on hosts: every host says what it holds */
		int st = mh_status(name, json, matrix, &handled);
		if (handled) {
			free(name);
			return st;
		}
	}
	/* a host's part: its health checks come from the part it applied */
	if (mh_load_saved_part("status", name) < 0) {
		free(name);
		return EXIT_ERR;
	}

	struct rt_ctx rc;
	struct rt_err e = {0};
	struct res_list live = {0};
	int status = EXIT_ERR;
	if (rt_open(&rc, name, NULL, RT_NO_LOCK, &e) < 0 || rt_observe(&rc, NULL, &live, &e) < 0) {
		fprintf(stderr, "aspen status: %s\n", e.msg);
		goto out;
	}
	const struct res_list *j = &rc.journal.resources;
	cJSON *root = json ? cJSON_CreateObject() : NULL, *arr = NULL;
	if (json) {
		cJSON_AddStringToObject(root, "topology", name);
		if (rc.journal.file)
			cJSON_AddStringToObject(root, "file", rc.journal.file);
		if (rc.journal.updated)
			cJSON_AddStringToObject(root, "updated", rc.journal.updated);
		arr = cJSON_AddArrayToObject(root, "resources");
	} else if (j->n == 0 && live.n == 0) {
		printf("%s: nothing on this host (never applied, or destroyed).\n", name);
		status = EXIT_OK;
		goto out;
	} else {
		printf("%s%s%s%s\n\n", name, rc.journal.file ? "  " : "",
		       rc.journal.file ? rc.journal.file : "",
		       rc.journal.updated ? "" : "");
		printf("%-28s %-10s %s\n", "RESOURCE", "STATE", "DETAIL");
	}
	size_t missing = 0, unfinished = 0;
	struct strmap jidx, lidx;
	index_ids(j, &jidx);
	index_ids(&live, &lidx);
	/* Journaled resources first (in journal order), then discovered ones. */
	for (size_t pass = 0; pass < 2; pass++) {
		const struct res_list *l = pass == 0 ? j : &live;
		for (size_t i = 0; i < l->n; i++) {
			const struct resource *r = &l->v[i];
			if (pass == 1 && find(j, &jidx, r->id))
				continue;
			const struct resource *lv = pass == 1 ? r : find(&live, &lidx, r->id);
			bool present = lv != NULL;
			const char *state = pass == 1 ? "untracked" : present ? "present" : "missing";
			char buf[128];
			detail(r, buf, sizeof(buf));
			/* A probe's "state": half made (a crash) or drifted. */
			const char *half = lv ? res_get(lv, "state") : NULL;
			if (half) {
				state = "unfinished";
				snprintf(buf, sizeof(buf), "%s", half);
				unfinished++;
			}
			const struct proc_id *pid = journal_find_process(&rc.journal, r->id);
			char version[64] = "";
			if ((r->kind == RES_PROCESS || r->kind == RES_VMM) && pid) {
				state = proc_state_name(proc_state(pid));
				snprintf(buf, sizeof(buf), "pid %d", (int)pid->pid);
			}
			if (r->kind == RES_VMM && pid && rt_vm_version(&rc, rt_id_name(r->id), version,
								      sizeof(version), NULL) == 0) {
				size_t len = strlen(buf);
				snprintf(buf + len, sizeof(buf) - len, ", cloud-hypervisor %s", version);
			}
			char vmstate[16];
			struct rt_err ve;
			if (r->kind == RES_VM) {      /* the VM's own word: Running, Paused, ... */
				if (rt_vm_state(&rc, rt_id_name(r->id), vmstate, &ve) == 0)
					state = vmstate;
				snprintf(buf, sizeof(buf), "%s", res_get(r, "kernel") ? res_get(r, "kernel") :
					 res_get(r, "firmware") ? res_get(r, "firmware") : "");
			}
			missing += !present;
			if (json) {
				cJSON *o = cJSON_CreateObject();
				cJSON_AddStringToObject(o, "id", r->id);
				cJSON_AddStringToObject(o, "kind", res_kinds[r->kind].name);
				cJSON_AddStringToObject(o, "state", state);
				if (pid && (r->kind == RES_PROCESS || r->kind == RES_VMM))
					cJSON_AddNumberToObject(o, "pid", pid->pid);
				if (version[0])
					cJSON_AddStringToObject(o, "version", version);
				cJSON *props = cJSON_AddObjectToObject(o, "props");
				for (size_t k = 0; k < r->n_props; k++)
					cJSON_AddStringToObject(props, r->props[k].key, r->props[k].value);
				cJSON_AddItemToArray(arr, o);
			} else {
				printf("%-28s %-10s %s\n", r->id, state, buf);
				for (size_t k = 0; cli_out.verbose && k < r->n_props; k++)
					printf("    %s = %s\n", r->props[k].key, r->props[k].value);
			}
		}
	}
	strmap_free(&jidx);
	strmap_free(&lidx);
	char sock[PATHS_MAX + 16];
	bool held = api_client_find(name, sock, sizeof(sock), &e) == 1;
	cJSON *faults = held ? status_api_faults(sock) : NULL;
	if (held && !faults)
		goto out_json;
	print_faults(held ? faults : rc.journal.faults, name, root);
	cJSON_Delete(faults);
	status_health(&rc, root);
	if (matrix && add_matrix(&rc.journal, held ? sock : NULL, root) < 0)
		goto out_json;
	if (json) {
		cJSON_AddNumberToObject(root, "missing", (double)missing);
		cJSON_AddNumberToObject(root, "unfinished", (double)unfinished);
		char *s = cJSON_PrintUnformatted(root);
		printf("%s\n", s);
		cJSON_free(s);
		cJSON_Delete(root);
	} else if (missing || unfinished) {
		size_t n = missing + unfinished;
		printf("\n%zu resource%s %s: run 'aspen plan' to see the repair, 'aspen apply' to make it.\n",
		       n, n == 1 ? " is" : "s are", !unfinished ? "missing" : !missing ? "unfinished" :
		       "missing or unfinished");
	}
	status = EXIT_OK;
out_json:
	if (status != EXIT_OK)
		cJSON_Delete(root);
out:
	rt_close(&rc);
	free(name);
	return status;
}

/* cmd_status.c — `aspen status [NAME]`: what aspen has running, live.
 *
 * With a NAME: every journaled resource probed now (present, missing, or
 * discovered without a journal entry) and each node process's state. Without
 * one: the topologies this host has state for. Read-only: takes no lock. */
#include "cli/cli.h"
#include "compiler/compile.h"
#include "runtime/proc.h"
#include "runtime/runtime.h"
#include "runtime/vm.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_JSON = 1000, OPT_STATE_DIR };

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

static const struct resource *find(const struct res_list *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].id, id))
			return &l->v[i];
	return NULL;
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

int cmd_status(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{"json", 0, false, OPT_JSON},
		{"state-dir", 0, true, OPT_STATE_DIR},
		{NULL, 0, false, 0},
	};
	bool json = false;
	const char *arg;
	int c, first;
	while ((c = cli_getopt("status", argc, argv, opts, &arg, &first)) > 0) {
		if (c == 'h')
			return cli_help("status");
		if (c == OPT_JSON)
			json = true;
		if (c == OPT_STATE_DIR)
			setenv("ASPEN_STATE_DIR", arg, 1);
	}
	if (c < 0)
		return EXIT_USAGE;
	if (argc - first > 1)
		return cli_usage_error("status", "give at most one topology name");
	if (argc == first)
		return list_all(json);
	char *name = cli_topology_name(argv[first]);
	if (!name)
		return EXIT_ERR;

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
	size_t missing = 0;
	/* Journaled resources first (in journal order), then discovered ones. */
	for (size_t pass = 0; pass < 2; pass++) {
		const struct res_list *l = pass == 0 ? j : &live;
		for (size_t i = 0; i < l->n; i++) {
			const struct resource *r = &l->v[i];
			if (pass == 1 && find(j, r->id))
				continue;
			bool present = pass == 1 || find(&live, r->id);
			const char *state = pass == 1 ? "untracked" : present ? "present" : "missing";
			char buf[128];
			detail(r, buf, sizeof(buf));
			const struct proc_id *pid = journal_find_process(&rc.journal, r->id);
			if ((r->kind == RES_PROCESS || r->kind == RES_VMM) && pid) {
				state = proc_state_name(proc_state(pid));
				snprintf(buf, sizeof(buf), "pid %d", (int)pid->pid);
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
	if (json) {
		cJSON_AddNumberToObject(root, "missing", (double)missing);
		char *s = cJSON_PrintUnformatted(root);
		printf("%s\n", s);
		cJSON_free(s);
		cJSON_Delete(root);
	} else if (missing) {
		printf("\n%zu resource%s missing: run 'aspen plan' to see the repair, 'aspen apply' to make it.\n",
		       missing, missing == 1 ? " is" : "s are");
	}
	status = EXIT_OK;
out:
	rt_close(&rc);
	free(name);
	return status;
}

/* drv_process.c — the command of a netns node, as a supervised process.
 *
 * The command runs inside the node's namespace, daemonized, with output in
 * <run dir>/<node>.log. It is named by pid + start time (proc.h), recorded
 * both in the journal and in <run dir>/<node>.pid. The pidfile is written by
 * the spawning child itself (proc.c) before the pid is even reported back,
 * so a crash of aspen at any point still leaves a trace destroy follows. A process whose pid was recycled is never
 * signalled: proc.c checks the start time first. */
#include "runtime/runtime.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/nodeenv.h"
#include "runtime/proc.h"

static int node_file(struct rt_ctx *c, const struct resource *r, const char *ext, char *buf,
		     size_t len, struct rt_err *e)
{
	if ((size_t)snprintf(buf, len, "%s/%s.%s", c->run_dir, rt_id_name(r->id), ext) >= len)
		return rt_errf(e, ENAMETOOLONG, "runtime path too long");
	return 0;
}

/* JSON array of strings -> NULL-terminated vector in the arena. */
static const char **json_argv(struct rt_ctx *c, const char *json, struct rt_err *e)
{
	cJSON *a = cJSON_Parse(json ? json : "[]");
	if (!cJSON_IsArray(a)) {
		cJSON_Delete(a);
		rt_errf(e, EINVAL, "bad argv property");
		return NULL;
	}
	int n = cJSON_GetArraySize(a);
	const char **v = arena_array(&c->arena, (size_t)n + 1, sizeof(*v));
	int i = 0;
	for (cJSON *it = a->child; it; it = it->next)
		v[i++] = arena_strdup(&c->arena, cJSON_IsString(it) ? it->valuestring : "");
	cJSON_Delete(a);
	return v;
}

/* What a node command inherits from aspen's own environment. */
static const char **inherited(struct rt_ctx *c)
{
	static const char *const keep[] = {"PATH", "LANG", "LC_ALL", "TZ", "HOME", "TERM"};
	const size_t nk = sizeof(keep) / sizeof(keep[0]);
	const char **v = arena_array(&c->arena, nk + 2, sizeof(*v));
	size_t n = 0;
	for (size_t k = 0; k < nk; k++) {
		const char *val = getenv(keep[k]);
		if (val)
			v[n++] = arena_printf(&c->arena, "%s=%s", keep[k], val);
	}
	if (!getenv("PATH"))
		v[n++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	return v;
}

static int read_pidfile(const char *path, struct proc_id *p)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int pid = 0;
	int n = fscanf(f, "%d %llu", &pid, &p->starttime);
	fclose(f);
	p->pid = pid;
	return n == 2 && pid > 0 ? 0 : -1;
}

/* The process of r (a process or vmm resource): from the journal, else
 * from its pidfile. */
bool rt_process_find(struct rt_ctx *c, const struct resource *r, struct proc_id *p)
{
	char path[PATHS_MAX + 64];
	const struct proc_id *j = journal_find_process(&c->journal, r->id);
	if (j) {
		*p = *j;
		return true;
	}
	/* A VMM's pidfile is <node>.vmm.pid (drv_vm.c), a command's <node>.pid. */
	return node_file(c, r, r->kind == RES_VMM ? "vmm.pid" : "pid", path, sizeof(path), NULL) == 0 &&
	       read_pidfile(path, p) == 0;
}

static int process_create(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	char log[PATHS_MAX + 64], pidf[PATHS_MAX + 64], nspath[256], rd[PATHS_MAX];
	struct proc_id p;
	if (rt_process_find(c, r, &p) && proc_alive(&p)) {   /* adopt after a crash */
		journal_set_process(&c->journal, r->id, &p);
		return 0;
	}
	if (paths_make_run_dir(c->topology, rd, sizeof(rd), e) < 0)
		return -1;
	const char **argv = json_argv(c, res_get(r, "argv"), e);
	if (!argv)
		return -1;
	if (!argv[0])
		return rt_errf(e, EINVAL, "empty command");
	char **envp = nodeenv_build(inherited(c), res_get(r, "cluster"), rt_id_name(r->id),
				    res_get(r, "env"), e);
	if (!envp)
		return -1;
	size_t n = 0;
	while (argv[n])
		n++;
	/* ${VAR} in the arguments, from the environment the command gets. */
	char **args = nodeenv_argv(argv, n, envp, e);
	snprintf(nspath, sizeof(nspath), "/run/netns/%s", res_get(r, "netns"));
	if (!args || !args[0] || node_file(c, r, "log", log, sizeof(log), e) < 0 ||
	    node_file(c, r, "pid", pidf, sizeof(pidf), e) < 0) {
		if (args && !args[0])
			rt_errf(e, EINVAL, "the command is empty once its variables are replaced");
		nodeenv_free(args);
		nodeenv_free(envp);
		return -1;
	}
	const char *wd = res_get(r, "workdir");
	struct proc_spec s = {
		.argv = (const char *const *)args, .envp = (const char *const *)envp,
		.workdir = wd && *wd ? wd : "/", .netns_path = nspath, .netns_fd = -1,
		.log_path = log, .daemonize = true, .pidfile = pidf,
	};
	int rc = proc_spawn(&s, &p, e);
	nodeenv_free(envp);
	if (rc < 0) {
		rt_err_prefix(e, "start %s", args[0]);
		nodeenv_free(args);
		return -1;
	}
	nodeenv_free(args);
	journal_set_process(&c->journal, r->id, &p);
	return 0;
}

static int process_destroy(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	char pidf[PATHS_MAX + 64];
	struct proc_id p;
	if (rt_process_find(c, r, &p) && proc_stop(&p, c->stop_grace_ms, e) < 0)
		return -1;
	journal_remove_process(&c->journal, r->id);
	if (node_file(c, r, "pid", pidf, sizeof(pidf), e) == 0)
		unlink(pidf);
	return 0;
}

static int process_probe(struct rt_ctx *c, const struct resource *r, bool *present,
			 struct resource *out, struct rt_err *e)
{
	struct proc_id p;
	(void)out;
	(void)e;
	*present = rt_process_find(c, r, &p) && proc_alive(&p);
	return 0;
}

/* The planner updates a process only for what needs no restart (its
 * restart_on policy, and its peers under restart_on=own): the command keeps
 * running, and the journal records the new values for its next start. */
static int process_update(struct rt_ctx *c, const struct resource *old, const struct resource *r,
			  struct rt_err *e)
{
	(void)c;
	(void)old;
	(void)r;
	(void)e;
	return 0;
}

const struct res_driver drv_process = {process_create, process_update, process_destroy,
				       process_probe, NULL};

/* drv_process.c — the command of a netns node, as a supervised process.
 *
 * The command runs inside the node's namespace, daemonized, with output in
 * <run dir>/<node>.log. It is named by pid + start time (proc.h), recorded
 * both in the journal and in <run dir>/<node>.pid. The pidfile is written by
 * the spawning child itself (proc.c) before the pid is even reported back,
 * so a crash of aspen at any point still leaves a trace destroy follows. A process whose pid was recycled is never
 * signalled: proc.c checks the start time first.
 *
 * The commands of one wave start together (create_many: a few threads
 * running proc_spawn, which returns once the exec succeeded), then settle
 * together (proc_settle: each has exited or gone to sleep), so the
 * liveness check that follows in `apply` needs no fixed sleep. */
#include "runtime/runtime.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

/* How long a started command may take to settle (proc_settle) before it
 * counts as running: the worst case, for a program still busy computing. */
#define PROCESS_SETTLE_MS 100

/* One node command, ready to start: everything that needs the context
 * (arena, journal, environment) is prepared on the calling thread, so the
 * start itself (proc_spawn) can run on any thread. */
struct start {
	struct proc_spec spec;
	char log[PATHS_MAX + 64], pidf[PATHS_MAX + 64], nspath[256];
	char **envp, **args;    /* args: argv with ${VAR} replaced */
	struct proc_id p;
	bool adopted;           /* already running (a crash came after its start) */
	int rc;
	struct rt_err err;
	uint64_t us;
};

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Fill st for r. 0, or -1 with e set. */
static int start_prepare(struct rt_ctx *c, const struct resource *r, struct start *st,
			 struct rt_err *e)
{
	char rd[PATHS_MAX];
	memset(st, 0, sizeof(*st));
	if (rt_process_find(c, r, &st->p) && proc_alive(&st->p)) {   /* adopt after a crash */
		st->adopted = true;
		return 0;
	}
	if (paths_make_run_dir(c->topology, rd, sizeof(rd), e) < 0)
		return -1;
	const char **argv = json_argv(c, res_get(r, "argv"), e);
	if (!argv)
		return -1;
	if (!argv[0])
		return rt_errf(e, EINVAL, "empty command");
	snprintf(st->nspath, sizeof(st->nspath), "/run/netns/%s", res_get(r, "netns"));
	if (node_file(c, r, "log", st->log, sizeof(st->log), e) < 0 ||
	    node_file(c, r, "pid", st->pidf, sizeof(st->pidf), e) < 0)
		return -1;
	st->envp = nodeenv_build(inherited(c), res_get(r, "cluster"), rt_id_name(r->id),
				 res_get(r, "env"), e);
	if (!st->envp)
		return -1;
	size_t n = 0;
	while (argv[n])
		n++;
	/* ${VAR} in the arguments, from the environment the command gets. */
	st->args = nodeenv_argv(argv, n, st->envp, e);
	if (!st->args || !st->args[0]) {
		if (st->args)
			rt_errf(e, EINVAL, "the command is empty once its variables are replaced");
		nodeenv_free(st->args);
		nodeenv_free(st->envp);
		st->args = st->envp = NULL;
		return -1;
	}
	const char *wd = res_get(r, "workdir");
	st->spec = (struct proc_spec){
		.argv = (const char *const *)st->args, .envp = (const char *const *)st->envp,
		.workdir = wd && *wd ? wd : "/", .netns_path = st->nspath, .netns_fd = -1,
		.log_path = st->log, .daemonize = true, .pidfile = st->pidf,
	};
	return 0;
}

static void start_run(struct start *st)
{
	uint64_t t0 = now_us();
	st->rc = proc_spawn(&st->spec, &st->p, &st->err);
	if (st->rc < 0)
		rt_err_prefix(&st->err, "start %s", st->spec.argv[0]);
	st->us = now_us() - t0;
}

/* Journal a started (or adopted) process; free what start_prepare made. */
static void start_finish(struct rt_ctx *c, const struct resource *r, struct start *st)
{
	nodeenv_free(st->envp);
	nodeenv_free(st->args);
	st->envp = st->args = NULL;
	if (st->rc == 0)
		journal_set_process(&c->journal, r->id, &st->p);
}

/* One command, as the fault engine starts it (`start: node`): no settle,
 * nobody checks its liveness right after, and a schedule should not wait.
 * apply starts commands through create_many or update, which settle. */
static int process_create(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	struct start st;
	if (start_prepare(c, r, &st, e) < 0)
		return -1;
	if (!st.adopted)
		start_run(&st);
	start_finish(c, r, &st);
	if (st.rc < 0)
		*e = st.err;
	return st.rc;
}

/* The starts of a batch, shared by a few threads, each taking the next. */
struct start_pool {
	struct start *v;
	size_t n, next;
};

static void *start_worker(void *arg)
{
	struct start_pool *sp = arg;
	for (;;) {
		size_t i = __atomic_fetch_add(&sp->next, 1, __ATOMIC_RELAXED);
		if (i >= sp->n)
			return NULL;
		if (sp->v[i].rc == 0 && !sp->v[i].adopted)
			start_run(&sp->v[i]);
	}
}

/* Every node command of the wave at once. A start is mostly waiting — for
 * the forks to be scheduled, the pidfile, the exec (7-10 ms each here, of
 * which little is CPU) — so starts overlap on a few threads, then all of
 * them settle together: the wave costs about one start and one settle,
 * not n of each. Each keeps its own outcome, in plan order. */
static void process_create_many(struct rt_ctx *c, const struct resource *const *rs, size_t n,
				int *rc, struct rt_err *err, uint64_t *us)
{
	enum { MAX_THREADS = 8 };
	struct start *v = calloc(n, sizeof(*v));
	struct proc_id *ids = calloc(n, sizeof(*ids));
	if (!v || !ids) {
		for (size_t i = 0; i < n; i++) {
			rc[i] = rt_errf(&err[i], ENOMEM, "out of memory");
			us[i] = 0;
		}
		free(v);
		free(ids);
		return;
	}
	for (size_t i = 0; i < n; i++)
		v[i].rc = start_prepare(c, rs[i], &v[i], &v[i].err);
	struct start_pool sp = {v, n, 0};
	pthread_t t[MAX_THREADS];
	size_t started = 0;
	/* This thread starts commands too; extra threads only when they can start. */
	while (started + 1 < MAX_THREADS && started + 1 < n &&
	       pthread_create(&t[started], NULL, start_worker, &sp) == 0)
		started++;
	start_worker(&sp);
	for (size_t k = 0; k < started; k++)
		pthread_join(t[k], NULL);
	size_t n_ids = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].rc == 0 && !v[i].adopted)
			ids[n_ids++] = v[i].p;
	proc_settle(ids, n_ids, PROCESS_SETTLE_MS);
	for (size_t i = 0; i < n; i++) {
		start_finish(c, rs[i], &v[i]);
		rc[i] = v[i].rc;
		err[i] = v[i].err;
		us[i] = v[i].us;
	}
	free(v);
	free(ids);
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
				       process_probe, process_create_many};

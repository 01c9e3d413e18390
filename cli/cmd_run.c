/* cmd_run.c — `aspen run FILE -- COMMAND...`: the test-suite entry point.
 *
 * Apply FILE and wait for health (apply_run), tell COMMAND where everything
 * is (environment variables and a JSON file of the whole cluster), run it in
 * aspen's own network namespace while the fault schedule runs, then destroy
 * the cluster — whether COMMAND succeeds, fails or the user interrupts —
 * and exit with COMMAND's status (128+N when a signal N killed it).
 *
 * Signals. While COMMAND runs, SIGINT/SIGTERM/SIGHUP sent to aspen by a
 * process (kill, a CI runner's timeout) are forwarded to COMMAND; one typed
 * at the terminal already reached COMMAND, which shares aspen's process
 * group, so it is not sent twice (told apart by si_code: the tty driver
 * sends SI_KERNEL). Then aspen waits for COMMAND and destroys. During apply
 * a first signal makes aspen skip COMMAND and destroy; a second one ends
 * aspen at once (the journal lets `aspen destroy NAME` finish later).
 * During destroy signals are held off: half a destroy helps no one.
 *
 * COMMAND is waited for by a thread (waitid WNOWAIT first, so its pid stays
 * a zombie — never recycled — until forwarding is switched off), so the
 * scheduler, running in the main thread, is not interrupted by SIGCHLD.
 *
 * For as long as COMMAND runs (with or without a schedule) aspen serves the
 * control API on the socket ASPEN_API names (api/server.h), from the main
 * thread's loop: COMMAND (or `aspen fault` / `aspen heal` run by it) drives
 * faults through it. */
#include "api/server.h"
#include "cli/apply.h"
#include "cli/artifacts.h"
#include "cli/cli.h"
#include "cli/destroy.h"
#include "cli/schedout.h"
#include "compiler/compile.h"
#include "runtime/nodeenv.h"
#include "runtime/paths.h"
#include "runtime/proc.h"
#include "runtime/vm.h"

#include <cJSON.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* The fault schedule, run while COMMAND runs. Runs t's faults at their
 * offsets (counted from its call) in the calling thread, until the schedule
 * ends or *stop becomes nonzero (COMMAND exited, or aspen was signalled);
 * reverts every fault it applied before returning. Returns 0, or -1 with e
 * set. Signals may interrupt its sleeps: an EINTR means "look at *stop". */
typedef int (*run_schedule_fn)(struct rt_ctx *c, const struct topology *t,
			       volatile sig_atomic_t *stop, struct api_server *srv,
			       const struct schedout_run *run, struct rt_err *e);

/* This build's scheduler (cli/schedout.c, runtime/schedule.h). */
static const run_schedule_fn run_schedule = schedout_run_until;

enum { OPT_KEEP = 1000, OPT_NO_SCHEDULE, OPT_LOCK_TIMEOUT, OPT_STATE_DIR, OPT_SEED, OPT_ARTIFACTS,
       OPT_WAIT_SCHEDULE };

/* ---------------- signals ---------------- */

enum run_phase { RUN_APPLY, RUN_COMMAND, RUN_DESTROY };

static volatile sig_atomic_t run_phase_now = RUN_APPLY;
static volatile sig_atomic_t run_signal;        /* the last signal aspen got, or 0 */
static volatile sig_atomic_t run_stop;          /* schedule: stop now */
static volatile sig_atomic_t run_child;         /* COMMAND's pid while forwarding */
/* --wait-schedule: the run stops once both are set (whoever sets its own
 * second sees the other's, seq_cst), not when COMMAND ends. */
static _Atomic int run_cmd_done, run_sched_done;
static bool run_wait_schedule;

static void run_say(const char *s)
{
	(void)!write(2, s, strlen(s));
}

static void run_on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	int saved = errno;
	bool from_tty = si && si->si_code == SI_KERNEL;
	switch (run_phase_now) {
	case RUN_APPLY:
		if (run_signal) {
			run_say("\naspen run: interrupted again: stopping now; "
				"'aspen destroy' with the topology's name cleans up\n");
			signal(sig, SIG_DFL);
			raise(sig);
		}
		run_say("\naspen run: interrupted: the cluster is destroyed once apply "
			"stops (interrupt again to quit at once)\n");
		break;
	case RUN_COMMAND:
		if (run_child > 0 && !from_tty)
			kill((pid_t)run_child, sig);
		break;
	case RUN_DESTROY:
		run_say("\naspen run: destroying the cluster; please wait\n");
		break;
	}
	run_signal = sig;
	run_stop = 1;
	errno = saved;
}

static const int run_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define RUN_NSIG (sizeof(run_signals) / sizeof(run_signals[0]))

static void run_signals_install(struct sigaction old[RUN_NSIG])
{
	struct sigaction sa = {.sa_sigaction = run_on_signal, .sa_flags = SA_SIGINFO | SA_RESTART};
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < RUN_NSIG; i++)
		sigaddset(&sa.sa_mask, run_signals[i]);
	for (size_t i = 0; i < RUN_NSIG; i++)
		sigaction(run_signals[i], &sa, &old[i]);
}

static void run_signals_restore(const struct sigaction old[RUN_NSIG])
{
	for (size_t i = 0; i < RUN_NSIG; i++)
		sigaction(run_signals[i], &old[i], NULL);
}

/* ---------------- what COMMAND is told ---------------- */

struct run {
	char **cmd;                     /* COMMAND... (NULL-terminated) */
	bool schedule;                  /* run the fault schedule */
	bool ran;                       /* COMMAND was started */
	int status;                     /* COMMAND's exit status (shell style) */
	sigset_t mask;                  /* aspen's signal mask at start: COMMAND's */
	/* for the summary (--artifacts) */
	uint64_t start_us, cmd_end_us;  /* unix us: COMMAND started, ended */
	size_t entries, applied, reverted, failed, not_run;
	bool sched_ran;
	struct schedout *so;            /* events: text on stderr, lines in ASPEN_EVENTS */
};

static void fmt_ip(char *buf, size_t n, uint32_t ip)
{
	snprintf(buf, n, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255u, (ip >> 8) & 255u, ip & 255u);
}

/* ASPEN_<PREFIX>_<NAME>: NAME uppercased, '-' -> '_' (as runtime/nodeenv.c). */
static void env_key(char *buf, size_t n, const char *prefix, const char *name)
{
	size_t k = (size_t)snprintf(buf, n, "%s", prefix);
	for (; *name && k + 1 < n; name++)
		buf[k++] = *name == '-' ? '_' : (*name >= 'a' && *name <= 'z') ? (char)(*name - 32) : *name;
	buf[k] = '\0';
}

static const char *node_first_ip(const struct topo_node *nd, char *buf, size_t n)
{
	for (size_t i = 0; i < nd->n_ifaces; i++)
		if (nd->ifaces[i].has_ip) {
			fmt_ip(buf, n, nd->ifaces[i].ip);
			return buf;
		}
	return NULL;
}

static const char *desired_prop(const struct res_list *l, const char *id, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].id, id))
			return res_get(&l->v[i], key);
	return NULL;
}

/* The whole cluster as JSON (the file ASPEN_CLUSTER_JSON names). */
static cJSON *cluster_json(struct rt_ctx *c, const struct topology *t, const struct res_list *desired)
{
	cJSON *root = cJSON_CreateObject();
	char buf[PATHS_MAX + 64], ip[16];
	cJSON_AddStringToObject(root, "topology", t->name);
	if (c->journal.file)
		cJSON_AddStringToObject(root, "file", c->journal.file);
	cJSON_AddStringToObject(root, "run_dir", c->run_dir);
	if (c->journal.dir)
		cJSON_AddStringToObject(root, "state_dir", c->journal.dir);
	cJSON *nets = cJSON_AddArrayToObject(root, "networks");
	for (size_t i = 0; i < t->n_networks; i++) {
		const struct topo_network *w = &t->networks[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", w->name);
		cJSON_AddStringToObject(o, "bridge", w->bridge_name);
		fmt_ip(ip, sizeof(ip), w->subnet.addr);
		snprintf(buf, sizeof(buf), "%s/%u", ip, w->subnet.len);
		cJSON_AddStringToObject(o, "subnet", buf);
		if (w->has_gateway) {
			fmt_ip(ip, sizeof(ip), w->gateway);
			cJSON_AddStringToObject(o, "gateway", ip);
		}
		char ip6[INET6_ADDRSTRLEN];
		if (w->has_subnet6) {
			inet_ntop(AF_INET6, w->subnet6.addr, ip6, sizeof(ip6));
			snprintf(buf, sizeof(buf), "%s/%u", ip6, w->subnet6.len);
			cJSON_AddStringToObject(o, "subnet6", buf);
		}
		if (w->has_gateway6)
			cJSON_AddStringToObject(o, "gateway6",
						inet_ntop(AF_INET6, w->gateway6, ip6, sizeof(ip6)));
		cJSON_AddItemToArray(nets, o);
	}
	cJSON *nodes = cJSON_AddArrayToObject(root, "nodes");
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct topo_node *nd = &t->nodes[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", nd->name);
		cJSON_AddStringToObject(o, "kind", nd->kind == NODE_VM ? "vm" : "netns");
		char version[64];
		if (nd->kind == NODE_VM && rt_vm_version(c, nd->name, version, sizeof(version), NULL) == 0)
			cJSON_AddStringToObject(o, "vmm_version", version);   /* vmm.ping's build_version */
		if (node_first_ip(nd, ip, sizeof(ip)))
			cJSON_AddStringToObject(o, "ip", ip);
		cJSON *ifs = cJSON_AddArrayToObject(o, "interfaces");
		for (size_t k = 0; k < nd->n_ifaces; k++) {
			const struct topo_iface *f = &nd->ifaces[k];
			cJSON *fo = cJSON_CreateObject();
			cJSON_AddStringToObject(fo, "name", f->name);
			cJSON_AddStringToObject(fo, "network", f->network);
			if (f->has_ip) {
				fmt_ip(ip, sizeof(ip), f->ip);
				cJSON_AddStringToObject(fo, "ip", ip);
			}
			if (f->has_ip6) {
				char ip6[INET6_ADDRSTRLEN];
				cJSON_AddStringToObject(fo, "ip6",
							inet_ntop(AF_INET6, f->ip6, ip6, sizeof(ip6)));
			}
			const uint8_t *m = f->eff_mac;
			snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
				 m[4], m[5]);
			cJSON_AddStringToObject(fo, "mac", buf);
			cJSON_AddStringToObject(fo, "host_link", f->host_name);
			cJSON_AddItemToArray(ifs, fo);
		}
		snprintf(buf, sizeof(buf), "vmm/%s", nd->name);
		const char *sock = desired_prop(desired, buf, "socket");
		if (nd->kind == NODE_NETNS) {
			cJSON_AddStringToObject(o, "netns", nd->netns_name);
		} else if (sock) {
			cJSON_AddStringToObject(o, "socket", sock);
		}
		snprintf(buf, sizeof(buf), "process/%s", nd->name);
		const struct proc_id *p = journal_find_process(&c->journal, buf);
		if (p)
			cJSON_AddNumberToObject(o, "pid", p->pid);
		if (nd->kind == NODE_NETNS && nd->command.n) {
			snprintf(buf, sizeof(buf), "%s/%s.log", c->run_dir, nd->name);
			cJSON_AddStringToObject(o, "log", buf);
		}
		cJSON_AddItemToArray(nodes, o);
	}
	return root;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -1;
	if (paths_write_all(fd, text, strlen(text)) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return close(fd);
}

/* COMMAND's environment: aspen's own, plus the cluster's names, addresses
 * and namespaces (nodeenv_build gives ASPEN_NODES, ASPEN_PEERS, ASPEN_OTHERS and
 * ASPEN_IP_<NODE> exactly as node commands get them). */
static char **command_env(const struct topology *t, const char *json_path, const char *api,
			  const char *events, const char *sched_end, struct rt_err *e)
{
	/* Inherited per-node variables (a nested aspen run) would shadow ours. */
	size_t n = 0;
	while (environ[n])
		n++;
	const char **inherit = calloc(n + 1, sizeof(*inherit));
	char *cluster = NULL;
	size_t clen = 0;
	FILE *cs = open_memstream(&cluster, &clen);
	cJSON *own = cJSON_CreateObject();
	char **envp = NULL;
	if (!inherit || !cs || !own) {
		rt_errf(e, ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0, k = 0; i < n; i++)
		if (strncmp(environ[i], "ASPEN_IP_", 9) && strncmp(environ[i], "ASPEN_NETNS_", 12))
			inherit[k++] = environ[i];
	cJSON_AddStringToObject(own, "ASPEN_TOPOLOGY", t->name);
	cJSON_AddStringToObject(own, "ASPEN_CLUSTER_JSON", json_path);
	if (api)
		cJSON_AddStringToObject(own, "ASPEN_API", api);
	if (events)
		cJSON_AddStringToObject(own, "ASPEN_EVENTS", events);
	cJSON_AddStringToObject(own, "ASPEN_SCHEDULE_END", sched_end);
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct topo_node *nd = &t->nodes[i];
		char ip[16], key[96];
		fprintf(cs, "%s%s", i ? " " : "", nd->name);
		if (node_first_ip(nd, ip, sizeof(ip)))
			fprintf(cs, "=%s", ip);
		if (nd->kind != NODE_NETNS)
			continue;
		env_key(key, sizeof(key), "ASPEN_NETNS_", nd->name);
		if (!cJSON_GetObjectItemCaseSensitive(own, key))   /* first in file order wins */
			cJSON_AddStringToObject(own, key, nd->netns_name);
	}
	if (fclose(cs) != 0) {
		cs = NULL;
		rt_errf(e, ENOMEM, "out of memory");
		goto out;
	}
	cs = NULL;
	char *own_s = cJSON_PrintUnformatted(own);
	if (!own_s) {
		rt_errf(e, ENOMEM, "out of memory");
		goto out;
	}
	envp = nodeenv_build(inherit, cluster, NULL, own_s, e);
	cJSON_free(own_s);
out:
	if (cs)
		fclose(cs);
	free(cluster);
	cJSON_Delete(own);
	free(inherit);
	return envp;
}

/* ---------------- running COMMAND ---------------- */

struct waiter {
	pid_t pid;
	int status;                     /* waitpid-style */
};

/* Wait for COMMAND without reaping it, switch forwarding off, then reap:
 * between the two its pid is a zombie, so a forwarded signal can never
 * reach a recycled pid. */
static void *run_wait(void *arg)
{
	struct waiter *w = arg;
	siginfo_t si;
	while (waitid(P_PID, (id_t)w->pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		;
	run_child = 0;
	run_cmd_done = 1;
	if (!run_wait_schedule || run_sched_done)
		run_stop = 1;
	while (waitpid(w->pid, &w->status, 0) < 0 && errno == EINTR)
		;
	return NULL;
}

static pid_t run_spawn(struct run *r, char **envp)
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	for (size_t i = 0; i < RUN_NSIG; i++)
		signal(run_signals[i], SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, &r->mask, NULL);
	execvpe(r->cmd[0], r->cmd, envp);
	int err = errno;
	dprintf(2, "aspen run: cannot run %s: %s\n", r->cmd[0], strerror(err));
	_exit(err == ENOENT ? 127 : 126);
}

static int shell_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return EXIT_ERR;
}

/* Every schedule event: counted for the summary, then shown and written
 * to ASPEN_EVENTS (schedout_event). The end of the timeline may be what
 * --wait-schedule was waiting for. */
static void run_event(const struct sched_event *ev, void *ud)
{
	struct run *r = ud;
	switch (ev->ev) {
	case SCHED_EV_START:    r->entries = ev->n; r->sched_ran = true; break;
	case SCHED_EV_APPLIED:  r->applied++; break;
	case SCHED_EV_REVERTED: r->reverted++; break;
	case SCHED_EV_FAILED:   r->failed++; break;
	case SCHED_EV_DONE:
		run_sched_done = 1;
		if (run_cmd_done)
			run_stop = 1;
		break;
	default:
		break;
	}
	schedout_event(ev, r->so);
}

/* A line of aspen run's own in ASPEN_EVENTS, in the schedule's form. */
static void run_event_line(struct run *r, const char *event, uint64_t unix_us, cJSON *o)
{
	if (!r->so->events) {
		cJSON_Delete(o);
		return;
	}
	char t[40], us[24];
	sched_fmt_time(unix_us, t, sizeof(t));
	snprintf(us, sizeof(us), "%llu", (unsigned long long)unix_us);
	cJSON *line = cJSON_CreateObject();
	cJSON_AddStringToObject(line, "event", event);
	for (cJSON *it = o ? o->child : NULL; it;) {
		cJSON *next = it->next;
		cJSON_AddItemToObject(line, it->string, cJSON_DetachItemViaPointer(o, it));
		it = next;
	}
	cJSON_Delete(o);
	cJSON_AddRawToObject(line, "unix_us", us);
	cJSON_AddStringToObject(line, "time", t);
	char *text = cJSON_PrintUnformatted(line);
	cJSON_Delete(line);
	if (text)
		fprintf(r->so->events, "%s\n", text);
	fflush(r->so->events);
	cJSON_free(text);
}

/* apply_run's `then`: the cluster is up and healthy, the topology locked. */
static int run_then(struct rt_ctx *c, const struct topology *t, const struct res_list *desired,
		    void *ud)
{
	struct run *r = ud;
	char path[PATHS_MAX + 32], events[PATHS_MAX + 32];
	snprintf(path, sizeof(path), "%s/cluster.json", c->run_dir);
	snprintf(events, sizeof(events), "%s/events.jsonl", c->run_dir);
	cJSON *j = cluster_json(c, t, desired);
	char *text = cJSON_Print(j);
	cJSON_Delete(j);
	int wr = text ? write_file(path, text) : -1;
	cJSON_free(text);
	if (wr < 0) {
		fprintf(stderr, "aspen run: write %s: %s\n", path, strerror(errno));
		return EXIT_ERR;
	}
	struct rt_err e = {0};
	/* The API's events (faults posted by COMMAND) print as the schedule's. */
	struct progress pr;
	progress_init(&pr, stderr, false, cli_out.quiet);
	struct schedout so = {&pr, NULL, cli_out.verbose, false, c};
	r->so = &so;
	if (schedout_open_events(&so, events, &e) < 0) {
		fprintf(stderr, "aspen run: %s\n", e.msg);
		return EXIT_ERR;
	}
	struct api_server_opts ao = {c, t, run_event, r};
	struct api_server *srv = NULL;
	if (api_server_start(&srv, &ao, &e) < 0)
		fprintf(stderr, "aspen run: %s; running without it\n", e.msg);
	/* t0 is fixed now, so COMMAND can be told when the schedule ends. */
	bool sched = r->schedule && run_schedule && t->n_faults;
	uint64_t t0 = sched_mono_us();
	r->start_us = sched_unix_us();
	uint64_t end_us = r->start_us + (sched ? schedout_span_us(t) : 0);
	char end[40];
	sched_fmt_time(end_us, end, sizeof(end));
	run_sched_done = !sched;
	run_cmd_done = 0;
	char **envp = command_env(t, path, srv ? api_server_path(srv) : NULL, events, end, &e);
	if (!envp) {
		fprintf(stderr, "aspen run: %s\n", e.msg);
		api_server_stop(srv);
		schedout_close(&so);
		return EXIT_ERR;
	}
	cJSON *st = cJSON_CreateObject();
	cJSON_AddStringToObject(st, "topology", t->name);
	cJSON *argv = cJSON_AddArrayToObject(st, "command");
	for (char **a = r->cmd; *a; a++)
		cJSON_AddItemToArray(argv, cJSON_CreateString(*a));
	cJSON_AddStringToObject(st, "schedule_end", end);
	run_event_line(r, "run_start", r->start_us, st);
	if (cli_out.verbose)
		fprintf(stderr, "aspen run: %s is up; running %s (cluster: %s)\n", t->name, r->cmd[0], path);

	/* Signals wait until COMMAND's pid is known, then the handler forwards
	 * them; the waiter thread inherits the full mask and takes none. */
	sigset_t all, keep;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &keep);
	if (run_signal) {       /* interrupted during apply: skip COMMAND */
		pthread_sigmask(SIG_SETMASK, &keep, NULL);
		nodeenv_free(envp);
		api_server_stop(srv);
		schedout_close(&so);
		return 128 + run_signal;
	}
	struct waiter w = {0};
	run_stop = 0;
	w.pid = run_spawn(r, envp);
	int spawn_err = errno;
	pthread_t th;
	int started = w.pid > 0 ? pthread_create(&th, NULL, run_wait, &w) : -1;
	if (w.pid > 0) {
		run_child = w.pid;
		run_phase_now = RUN_COMMAND;
		r->ran = true;
	}
	pthread_sigmask(SIG_SETMASK, &keep, NULL);
	nodeenv_free(envp);
	if (w.pid < 0) {
		fprintf(stderr, "aspen run: fork: %s\n", strerror(spawn_err));
		api_server_stop(srv);
		schedout_close(&so);
		return EXIT_ERR;
	}
	if (started != 0)       /* no thread: wait here, and run no schedule */
		run_wait(&w);

	int sched_rc = 0;
	struct sched_result res = {0};
	if (started == 0 && sched) {
		struct schedout_run sr = {run_event, r, t0, r->start_us, &res};
		sched_rc = run_schedule(c, t, &run_stop, srv, &sr, &e);
		if (sched_rc < 0)
			fprintf(stderr, "aspen run: fault schedule: %s\n", e.msg);
		/* Over, also when it failed before schedule_done: the command's
		 * end must stop the run from now on. */
		run_sched_done = 1;
		if (run_cmd_done)
			run_stop = 1;
	}
	if (started == 0 && srv)        /* no schedule, or it ended early: serve on */
		api_server_serve_until(srv, &run_stop);
	if (started == 0)
		pthread_join(th, NULL);
	api_server_stop(srv);
	run_phase_now = RUN_DESTROY;
	r->cmd_end_us = sched_unix_us();
	r->status = shell_status(w.status);
	r->not_run = res.not_run;
	if (res.not_run && !run_signal && !cli_out.quiet)
		fprintf(stderr, "aspen run: %s ended before the fault schedule: %zu of its %zu event%s "
			"did not run (--wait-schedule lets the schedule finish)\n", r->cmd[0],
			res.not_run, r->entries, r->entries == 1 ? "" : "s");
	cJSON *en = cJSON_CreateObject();
	cJSON_AddNumberToObject(en, "status", r->status);
	cJSON_AddNumberToObject(en, "not_run", (double)res.not_run);
	run_event_line(r, "command_exit", r->cmd_end_us, en);
	schedout_close(&so);
	r->so = NULL;
	if (r->status == 0 && sched_rc < 0)
		return EXIT_ERR;
	return r->status;
}

/* summary.txt of --artifacts (or of a failed run's kept directory). */
static void run_summary(const char *dir, const struct run *r, const char *file, int status)
{
	char start[40] = "-", end[40] = "-";
	if (r->start_us)
		sched_fmt_time(r->start_us, start, sizeof(start));
	if (r->cmd_end_us)
		sched_fmt_time(r->cmd_end_us, end, sizeof(end));
	char cmd[1024];
	size_t n = 0;
	for (char **a = r->cmd; *a && n < sizeof(cmd); a++)
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "%s%s", n ? " " : "", *a);
	artifacts_note(dir, "run %s: command: %s", file, cmd);
	if (!r->ran)
		artifacts_note(dir, "run: the command did not run (apply failed or was interrupted)");
	else
		artifacts_note(dir, "run: command started %s, ended %s, exit status %d", start, end,
			       r->status);
	if (r->sched_ran)
		artifacts_note(dir, "run: schedule of %zu event%s: %zu fault%s applied, %zu reverted, "
			       "%zu failed, %zu event%s did not run", r->entries,
			       r->entries == 1 ? "" : "s", r->applied, r->applied == 1 ? "" : "s",
			       r->reverted, r->failed, r->not_run, r->not_run == 1 ? "" : "s");
	else
		artifacts_note(dir, "run: no fault schedule ran");
	artifacts_note(dir, "run: exit status %d", status);
}

/* The name inside FILE and its number of faults, without printing anything
 * (apply prints the diagnostics); NULL when FILE does not load. */
static char *quiet_name(const char *file, size_t *n_faults, size_t *n_hosts)
{
	struct diag_list d;
	diag_init(&d, file);
	struct topology *t = cli_topo_load(file, &d);
	char *name = t && !diag_failed(&d) ? strdup(t->name) : NULL;
	*n_faults = name ? t->n_faults : 0;
	*n_hosts = name ? t->n_hosts : 0;
	topo_free(t);
	diag_clear(&d);
	return name;
}

int cmd_run(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{"keep", 0, false, OPT_KEEP},
		{"no-schedule", 0, false, OPT_NO_SCHEDULE},
		{"lock-timeout", 0, true, OPT_LOCK_TIMEOUT},
		{"state-dir", 0, true, OPT_STATE_DIR},
		{"seed", 0, true, OPT_SEED},
		{"artifacts", 0, true, OPT_ARTIFACTS},
		{"wait-schedule", 0, false, OPT_WAIT_SCHEDULE},
		{NULL, 0, false, 0},
	};
	/* Options end at "--"; everything after it is COMMAND, untouched. */
	int dd = 1;
	while (dd < argc && strcmp(argv[dd], "--"))
		dd++;
	struct run r = {.schedule = true};
	struct apply_opts o = {.argv = argv, .out = stderr, .wait = true, .brief = !cli_out.verbose,
			       .then = run_then, .ud = &r};
	bool keep = false;
	const char *artifacts = NULL, *arg;
	run_wait_schedule = false;
	int c, first;
	while ((c = cli_getopt("run", dd, argv, opts, &arg, &first)) > 0) {
		if (c == 'h')
			return cli_help("run");
		if (c == OPT_KEEP)
			keep = true;
		if (c == OPT_NO_SCHEDULE)
			r.schedule = false;
		if (c == OPT_ARTIFACTS)
			artifacts = arg;
		if (c == OPT_WAIT_SCHEDULE)
			run_wait_schedule = true;
		if (c == OPT_STATE_DIR)
			setenv("ASPEN_STATE_DIR", arg, 1);
		if (c == OPT_SEED && cli_seed_set(arg) < 0)
			return cli_usage_error("run", "--seed takes a whole number from 0 to 2^63-1, not '%s'", arg);
		if (c == OPT_LOCK_TIMEOUT && cli_parse_ms(arg, &o.lock_ms) < 0)
			return cli_usage_error("run", "--lock-timeout takes a duration like 30s, not '%s'", arg);
	}
	if (c < 0)
		return EXIT_USAGE;
	if (dd - first != 1)
		return cli_usage_error("run", "give exactly one topology file before --");
	if (dd >= argc - 1)
		return cli_usage_error("run", "give the command to run after --: aspen run FILE -- COMMAND...");
	o.file = argv[first];
	r.cmd = argv + dd + 1;
	if (keep && artifacts)
		return cli_usage_error("run", "--keep leaves the cluster and its files in place: drop "
				       "--artifacts (or give it to 'aspen destroy' later)");
	struct rt_err ae;
	if (artifacts && artifacts_prepare(artifacts, &ae) < 0) {
		fprintf(stderr, "aspen run: %s\n", ae.msg);
		return EXIT_ERR;
	}

	cli_seed_random();
	size_t n_faults, n_hosts;
	char *name = quiet_name(o.file, &n_faults, &n_hosts);
	if (n_hosts) {
		fprintf(stderr, "aspen run: %s places its nodes on hosts; 'aspen run' drives one host "
			"only for now: use 'aspen apply', your test, then 'aspen destroy' "
			"(docs/multihost.md)\n", o.file);
		free(name);
		return EXIT_ERR;
	}
	if (name && r.schedule && !run_schedule && n_faults && !cli_out.quiet)
		fprintf(stderr, "aspen run: note: this aspen has no fault scheduler yet: the fault "
			"schedule of %s does not run (--no-schedule silences this)\n", o.file);

	struct sigaction old[RUN_NSIG];
	sigprocmask(SIG_SETMASK, NULL, &r.mask);
	run_phase_now = RUN_APPLY;
	run_signal = 0;
	run_signals_install(old);

	int status = apply_run(&o);
	run_phase_now = RUN_DESTROY;
	if (!r.ran && run_signal)
		status = 128 + run_signal;
	if (name && keep) {
		if (!cli_out.quiet)
			fprintf(stderr, "aspen run: --keep: %s stays up; 'aspen destroy %s' removes it\n",
				name, name);
	} else if (name) {
		/* A failed run keeps its files even unasked: they are the only
		 * account of what went wrong (when it got as far as making any). */
		char *kept = NULL, rd[PATHS_MAX];
		bool files = paths_run_dir(name, rd, sizeof(rd), NULL) == 0 && access(rd, F_OK) == 0;
		if (!artifacts && files && status != EXIT_OK && !(run_signal && !r.ran) &&
		    !(kept = artifacts_mkdtemp(name, &ae)))
			fprintf(stderr, "aspen run: cannot keep the logs: %s\n", ae.msg);
		const char *dir = artifacts ? artifacts : kept;
		struct destroy_opts d = {.name = name, .argv = argv, .out = stderr, .lock_ms = o.lock_ms,
					 .brief = !cli_out.verbose, .artifacts = dir};
		if (destroy_run(&d) != EXIT_OK) {
			fprintf(stderr, "aspen run: the cluster was not fully destroyed: "
				"run 'aspen destroy %s'\n", name);
			if (status == EXIT_OK)
				status = EXIT_ERR;
		}
		if (dir)
			run_summary(dir, &r, o.file, status);
		if (kept && !cli_out.quiet)
			fprintf(stderr, "aspen run: failed (exit status %d): logs, events, journal and "
				"summary kept in %s\n", status, kept);
		else if (artifacts && !cli_out.quiet)
			fprintf(stderr, "aspen run: logs, events, journal and summary are in %s\n",
				artifacts);
		free(kept);
	}
	run_signals_restore(old);
	free(name);
	return status;
}

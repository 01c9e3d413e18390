/* wait.c — after convergence: wait until every node is up.
 *
 * A node is up when its command (netns nodes) is still running, or its
 * VMM alive and VM Running (vm nodes), and all its health checks pass. Checks of all nodes run in parallel (health.c); nodes
 * are grouped by their (timeout, interval) so each keeps its own timeout.
 *
 * Fail fast: a node whose command (or VMM) exits ends the wait at once
 * (health_wait_stop asks every 25 ms), and every node that died is
 * reported, each with its exit status and the telling lines of its log:
 * the ones that look like errors, else the first and the last. A program
 * that dies of a bad flag prints the error first and a usage text after
 * it; the last line alone would show the usage. */
#include "cli/wait.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/health.h"
#include "runtime/nodeenv.h"
#include "runtime/proc.h"
#include "runtime/vm.h"

struct waitctx {
	struct progress *pr;
	size_t n, passed;
};

static void on_progress(const struct health_check *c, size_t index, bool passed,
			const struct rt_err *last, long long elapsed_ms, void *arg)
{
	struct waitctx *w = arg;
	(void)index;
	if (passed)
		w->passed++;
	struct progress *pr = w->pr;
	if (pr->json) {
		char clock[96];
		progress_clock_kv(clock, sizeof(clock));
		if (passed)
			fprintf(pr->out, "{\"event\":\"healthy\",\"node\":\"%s\",\"elapsed_ms\":%lld,%s}\n",
				c->node, elapsed_ms, clock);
		return;
	}
	if (pr->quiet)
		return;
	if (pr->tty) {
		fprintf(pr->out, "\r\033[K  waiting for health: %zu/%zu checks pass (%.1fs)%s%s", w->passed,
			w->n, (double)elapsed_ms / 1000.0, last && !passed ? " — " : "",
			last && !passed ? last->msg : "");
		if (w->passed == w->n)
			fputc('\n', pr->out);
	} else if (passed) {
		static const char *const kinds[] = {"tcp", "ping", "exec"};
		fprintf(pr->out, "  healthy: %s %s (%.1fs)\n", c->node, kinds[c->kind],
			(double)elapsed_ms / 1000.0);
	}
	fflush(pr->out);
}

/* The node's command process, from the journal; NULL for a node without one. */
static const struct proc_id *wait_proc(struct rt_ctx *c, const struct topo_node *n)
{
	char id[128];
	if (n->kind == NODE_VM)
		snprintf(id, sizeof(id), "vmm/%s", n->name);
	else if (n->command.n)
		snprintf(id, sizeof(id), "process/%s", n->name);
	else
		return NULL;
	return journal_find_process(&c->journal, id);
}

struct waitstop {
	struct rt_ctx *c;
	const struct topology *t;
};

/* health_stop_fn: has a node's command (or VMM) exited? Then no check can
 * still pass for it, and the user wants to hear why at once. */
static bool wait_any_dead(void *arg)
{
	struct waitstop *w = arg;
	for (size_t i = 0; i < w->t->n_nodes; i++) {
		if (!topo_node_here(w->t, &w->t->nodes[i]))
			continue;
		const struct proc_id *p = wait_proc(w->c, &w->t->nodes[i]);
		if (p && !proc_alive(p))
			return true;
	}
	return false;
}

/* "exited with status 3", "was killed by signal 9 (Killed)", or "exited"
 * when the status is not ours to read. aspen is the reaper of the commands
 * it daemonizes (wait_prepare), so one that died is our zombie until
 * destroy reaps it; WNOWAIT leaves it so (proc_stop reaps it later). */
static void wait_exit_text(const struct proc_id *p, char *buf, size_t len)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (proc_state(p) == PROC_ZOMBIE &&
	    waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == p->pid) {
		if (si.si_code == CLD_EXITED)
			snprintf(buf, len, "exited with status %d", si.si_status);
		else
			snprintf(buf, len, "was killed by signal %d (%s)", si.si_status,
				 strsignal(si.si_status));
		return;
	}
	snprintf(buf, len, "exited");
}

/* Does a log line look like an error? Programs that die at start say so in
 * words like these; a usage text that follows says none of them, mostly. */
static bool wait_errorish(const char *line)
{
	static const char *const words[] = {
		"error", "fatal", "panic", "fail", "invalid", "unknown", "not defined",
		"unrecognized", "denied", "cannot", "can't", "no such", "not found",
		"refused", "in use", "abort", "exception", "traceback", "segmentation",
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(line, words[i]))
			return true;
	return false;
}

#define WAIT_LINE 200           /* characters of a log line shown */
#define WAIT_LOG_LINES 100000   /* lines read, at most */

struct wait_line {
	size_t no;
	char text[WAIT_LINE];
};

/* The most telling lines of a log: the lines that look like errors (up to
 * three) and the last line, or, when none does, the first two and the last
 * two. Numbered, so the reader sees where in the log each one was. */
static void wait_log_excerpt(FILE *out, const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		fprintf(out, "    (log %s: %s)\n", path, strerror(errno));
		return;
	}
	struct wait_line first[2], err[3], last[2];
	size_t n_first = 0, n_err = 0, n = 0;
	char line[WAIT_LINE];
	bool cont = false;      /* the rest of a line longer than the buffer */
	while (n < WAIT_LOG_LINES && fgets(line, sizeof(line), f)) {
		bool whole = strchr(line, '\n') != NULL;
		bool skip = cont;
		cont = !whole;
		if (skip)
			continue;
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[strspn(line, " \t")])
			continue;
		struct wait_line l = {++n, ""};
		snprintf(l.text, sizeof(l.text), "%s", line);
		if (n_first < 2)
			first[n_first++] = l;
		if (n_err < 3 && wait_errorish(line))
			err[n_err++] = l;
		last[n % 2] = l;
	}
	fclose(f);
	if (n == 0) {
		fprintf(out, "    (log %s is empty)\n", path);
		return;
	}
	struct wait_line show[6];
	size_t k = 0;
	if (n_err) {
		fprintf(out, "    log %s (%zu line%s), the lines that look like errors%s:\n", path, n,
			n == 1 ? "" : "s", err[n_err - 1].no == n ? "" : " and the last line");
		for (size_t i = 0; i < n_err; i++)
			show[k++] = err[i];
	} else {
		fprintf(out, "    log %s (%zu line%s), %s:\n", path, n, n == 1 ? "" : "s",
			n <= 4 ? "all of it" : "the first and last lines");
		for (size_t i = 0; i < n_first; i++)
			show[k++] = first[i];
		if (n > 3)
			show[k++] = last[(n - 1) % 2];
	}
	if (show[k - 1].no < n)
		show[k++] = last[n % 2];
	for (size_t i = 0; i < k; i++) {
		if (i && show[i].no > show[i - 1].no + 1)
			fprintf(out, "    %6s\n", "...");
		fprintf(out, "    %6zu| %s\n", show[i].no, show[i].text);
	}
}

/* Every node command must still be running, every VM Running (or Paused).
 * Reports every node that is not, not just the first: e gets one short
 * clause per node, *detail (when not NULL) each node's log excerpt. */
static int check_processes(struct rt_ctx *c, const struct topology *t, struct rt_err *e,
			   char **detail)
{
	char *text = NULL;
	size_t tlen = 0, len = 0, dead = 0;
	FILE *d = open_memstream(&text, &tlen);
	if (!d)
		return rt_errf(e, ENOMEM, "out of memory");
	e->msg[0] = '\0';
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct topo_node *n = &t->nodes[i];
		struct rt_err ve;
		char clause[PATHS_MAX + 512];
		if (!topo_node_here(t, n))
			continue;               /* another host waits for it */
		if (n->kind == NODE_VM) {
			if (rt_vm_check(c, n->name, &ve) == 0)
				continue;       /* its VMM lives and the VM runs */
			snprintf(clause, sizeof(clause), "%s", ve.msg);
			if (dead == 0)
				e->errnum = ve.errnum;
		} else {
			if (n->command.n == 0)
				continue;
			const struct proc_id *p = wait_proc(c, n);
			if (p && proc_alive(p))
				continue;
			char how[128], logp[PATHS_MAX + 64];
			if (p)
				wait_exit_text(p, how, sizeof(how));
			else
				snprintf(how, sizeof(how), "is not running");
			snprintf(logp, sizeof(logp), "%s/%s.log", c->run_dir, n->name);
			snprintf(clause, sizeof(clause), "%s: command %s %s (log: %s)", n->name,
				 n->command.v[0], how, logp);
			fprintf(d, "  %s: command %s %s\n", n->name, n->command.v[0], how);
			wait_log_excerpt(d, logp);
			if (dead == 0)
				e->errnum = ESRCH;
		}
		dead++;
		if (len < sizeof(e->msg) - 1)
			len += (size_t)snprintf(e->msg + len, sizeof(e->msg) - len, "%s%s",
						len ? "; " : "", clause);
	}
	fclose(d);
	if (dead > 1) {
		char all[sizeof(e->msg)];
		snprintf(all, sizeof(all), "%zu nodes are down: %.980s", dead, e->msg);
		memcpy(e->msg, all, sizeof(all));
	}
	if (dead && detail && tlen)
		*detail = text;
	else
		free(text);
	return dead ? -1 : 0;
}

int wait_checks_alloc(struct wait_checks *w, const struct topology *t, struct rt_err *e)
{
	*w = (struct wait_checks){ .n_nodes = t->n_nodes };
	w->v = calloc(3 * t->n_nodes + 1, sizeof(*w->v));
	w->nspath = calloc(t->n_nodes + 1, sizeof(*w->nspath));
	w->envs = calloc(t->n_nodes + 1, sizeof(*w->envs));
	w->args = calloc(t->n_nodes + 1, sizeof(*w->args));
	if (w->v && w->nspath && w->envs && w->args)
		return 0;
	wait_checks_free(w);
	return rt_errf(e, ENOMEM, "out of memory");
}

void wait_checks_free(struct wait_checks *w)
{
	for (size_t i = 0; w->envs && w->args && i < w->n_nodes; i++) {
		nodeenv_free(w->envs[i]);
		nodeenv_free(w->args[i]);
	}
	free(w->envs);
	free(w->args);
	free(w->v);
	free(w->nspath);
	*w = (struct wait_checks){0};
}

int wait_node_checks(struct wait_checks *w, const struct topology *t, size_t i,
		     struct health_check *out, struct rt_err *e)
{
	const struct topo_node *nd = &t->nodes[i];
	const struct topo_health *h = &nd->health;
	const char *ns = NULL;
	char ***envp = &w->envs[i], ***argv = &w->args[i];
	int n = 0;
	*envp = *argv = NULL;
	if (!h->set)
		return 0;
	if (nd->kind == NODE_NETNS) {
		snprintf(w->nspath[i], sizeof(w->nspath[i]), "/run/netns/%s", nd->netns_name);
		ns = w->nspath[i];
	}
	if (h->has_tcp) {
		out[n++] = (struct health_check){.node = nd->name, .netns_path = ns,
			.kind = HEALTH_TCP, .ip = h->tcp_ip, .port = h->tcp_port, .v6 = h->tcp_v6};
		if (h->tcp_v6)
			memcpy(out[n - 1].ip6, h->tcp_ip6, 16);
	}
	if (h->has_ping) {
		out[n++] = (struct health_check){.node = nd->name, .netns_path = ns,
			.kind = HEALTH_PING, .ip = h->ping_ip, .v6 = h->ping_v6};
		if (h->ping_v6)
			memcpy(out[n - 1].ip6, h->ping_ip6, 16);
	}
	if (h->exec.n) {
		/* Its argv with ${VAR} replaced, run with the environment the
		 * node's command gets (one environment for both, nodeenv.h). */
		*envp = nodeenv_node(t, i, (const char *const *)environ, e);
		*argv = *envp ? nodeenv_argv(h->exec.v, h->exec.n, *envp, e) : NULL;
		if (!*argv || !(*argv)[0])
			return *argv ? rt_errf(e, EINVAL, "%s: health exec is empty once its "
					       "variables are replaced", nd->name) :
				       rt_err_prefix(e, "%s: health exec", nd->name);
		out[n++] = (struct health_check){.node = nd->name, .netns_path = ns,
			.kind = HEALTH_EXEC, .argv = (const char *const *)*argv,
			.envp = (const char *const *)*envp};
	}
	return n;
}

void wait_prepare(void)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L);
}

int wait_healthy(struct rt_ctx *c, const struct topology *t, struct progress *pr,
		 struct rt_err *e, char **detail)
{
	if (detail)
		*detail = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < t->n_nodes; i++)
		cap += t->nodes[i].health.set && topo_node_here(t, &t->nodes[i]) ? 3 : 0;
	struct wait_checks wc;
	if (wait_checks_alloc(&wc, t, e) < 0)
		return -1;
	struct health_check *v = wc.v;
	bool *done = calloc(t->n_nodes + 1, sizeof(bool));
	int rc = 0;
	if (!done) {
		rc = rt_errf(e, ENOMEM, "out of memory");
		goto out;
	}
	if (cap == 0) {
		/* No checks: the commands were started and have settled
		 * (drv_process.c): one that died at once is dead by now. */
		rc = check_processes(c, t, e, detail);
		goto out;
	}
	/* One round per distinct (timeout, interval). */
	for (size_t g = 0; g < t->n_nodes && rc == 0; g++) {
		const struct topo_health *hg = &t->nodes[g].health;
		if (!hg->set || done[g] || !topo_node_here(t, &t->nodes[g]))
			continue;
		size_t n = 0;
		for (size_t i = g; i < t->n_nodes; i++) {
			const struct topo_node *nd = &t->nodes[i];
			const struct topo_health *h = &nd->health;
			if (!h->set || done[i] || !topo_node_here(t, nd) || h->timeout_us != hg->timeout_us ||
			    h->interval_us != hg->interval_us)
				continue;
			done[i] = true;
			int k = wait_node_checks(&wc, t, i, v + n, e);
			if (k < 0) {
				rc = -1;
				break;
			}
			n += (size_t)k;
		}
		if (rc < 0)
			break;
		struct waitctx w = {pr, n, 0};
		struct waitstop ws = {c, t};
		rc = health_wait_stop(v, n, (int)(hg->timeout_us / 1000), (int)(hg->interval_us / 1000),
				      on_progress, &w, wait_any_dead, &ws, e);
		if (rc < 0 && pr->tty && !pr->json)
			fputc('\n', pr->out);
	}
	/* A dead command explains a failed check better than the check does. */
	struct rt_err pe;
	if (check_processes(c, t, &pe, detail) < 0) {
		*e = pe;
		rc = -1;
	}
out:
	wait_checks_free(&wc);
	free(done);
	return rc;
}

/* wait.c — after convergence: wait until every node is up.
 *
 * A node is up when its command (netns nodes) is still running, or its
 * VMM alive and VM Running (vm nodes), and all its health checks pass. Checks of all nodes run in parallel (health.c); nodes
 * are grouped by their (timeout, interval) so each keeps its own timeout.
 * A command that died is reported with the tail of its log, which is what a
 * user needs to see first. */
#include "cli/wait.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
		if (passed)
			fprintf(pr->out, "{\"event\":\"healthy\",\"node\":\"%s\",\"elapsed_ms\":%lld}\n",
				c->node, elapsed_ms);
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

/* Every node command must still be running, every VM Running (or Paused). */
static int check_processes(struct rt_ctx *c, const struct topology *t, struct rt_err *e)
{
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct topo_node *n = &t->nodes[i];
		if (n->kind == NODE_VM && rt_vm_check(c, n->name, e) < 0)
			return -1;      /* its VMM exited, or the VM is not Running */
		if (n->kind != NODE_NETNS || n->command.n == 0)
			continue;
		char id[128], logp[PATHS_MAX + 64], tail[300];
		snprintf(id, sizeof(id), "process/%s", n->name);
		const struct proc_id *p = journal_find_process(&c->journal, id);
		if (p && proc_alive(p))
			continue;
		snprintf(logp, sizeof(logp), "%s/%s.log", c->run_dir, n->name);
		rt_log_tail(logp, 1, tail, sizeof(tail));
		return rt_errf(e, ESRCH, "%s: command %s exited%s%s%s (log: %s)", n->name,
			       n->command.v[0], tail[0] ? ": \"" : "", tail, tail[0] ? "\"" : "", logp);
	}
	return 0;
}

/* Node i's exec check: its argv with ${VAR} replaced, run with the
 * environment its command gets (one environment for both, nodeenv.h). */
static int exec_check(const struct topology *t, size_t i, const char *ns, struct health_check *hc,
		      char ***envp, char ***argv, struct rt_err *e)
{
	const struct topo_node *nd = &t->nodes[i];
	*envp = nodeenv_node(t, i, (const char *const *)environ, e);
	*argv = *envp ? nodeenv_argv(nd->health.exec.v, nd->health.exec.n, *envp, e) : NULL;
	if (!*argv || !(*argv)[0])
		return *argv ? rt_errf(e, EINVAL, "%s: health exec is empty once its variables are "
				       "replaced", nd->name) : rt_err_prefix(e, "%s: health exec", nd->name);
	*hc = (struct health_check){.node = nd->name, .netns_path = ns, .kind = HEALTH_EXEC,
				    .argv = (const char *const *)*argv,
				    .envp = (const char *const *)*envp};
	return 0;
}

int wait_healthy(struct rt_ctx *c, const struct topology *t, struct progress *pr, struct rt_err *e)
{
	size_t cap = 0;
	for (size_t i = 0; i < t->n_nodes; i++)
		cap += t->nodes[i].health.set ? 3 : 0;
	struct health_check *v = calloc(cap + 1, sizeof(*v));
	char (*nspath)[96] = calloc(t->n_nodes + 1, sizeof(*nspath));
	bool *done = calloc(t->n_nodes + 1, sizeof(bool));
	char ***envs = calloc(t->n_nodes + 1, sizeof(*envs)), ***args = calloc(t->n_nodes + 1, sizeof(*args));
	int rc = 0;
	if (!v || !nspath || !done || !envs || !args) {
		rc = rt_errf(e, ENOMEM, "out of memory");
		goto out;
	}
	if (cap == 0) {
		/* No checks: the commands were started and have settled
		 * (drv_process.c): one that died at once is dead by now. */
		rc = check_processes(c, t, e);
		goto out;
	}
	/* One round per distinct (timeout, interval). */
	for (size_t g = 0; g < t->n_nodes && rc == 0; g++) {
		const struct topo_health *hg = &t->nodes[g].health;
		if (!hg->set || done[g])
			continue;
		size_t n = 0;
		for (size_t i = g; i < t->n_nodes; i++) {
			const struct topo_node *nd = &t->nodes[i];
			const struct topo_health *h = &nd->health;
			if (!h->set || done[i] || h->timeout_us != hg->timeout_us ||
			    h->interval_us != hg->interval_us)
				continue;
			done[i] = true;
			const char *ns = NULL;
			if (nd->kind == NODE_NETNS) {
				snprintf(nspath[i], sizeof(nspath[i]), "/run/netns/%s", nd->netns_name);
				ns = nspath[i];
			}
			if (h->has_tcp)
				v[n++] = (struct health_check){.node = nd->name, .netns_path = ns,
					.kind = HEALTH_TCP, .ip = h->tcp_ip, .port = h->tcp_port,
					.v6 = h->tcp_v6};
			if (h->has_tcp && h->tcp_v6)
				memcpy(v[n - 1].ip6, h->tcp_ip6, 16);
			if (h->has_ping)
				v[n++] = (struct health_check){.node = nd->name, .netns_path = ns,
					.kind = HEALTH_PING, .ip = h->ping_ip, .v6 = h->ping_v6};
			if (h->has_ping && h->ping_v6)
				memcpy(v[n - 1].ip6, h->ping_ip6, 16);
			if (h->exec.n && (rc = exec_check(t, i, ns, &v[n++], &envs[i], &args[i], e)) < 0)
				break;
		}
		if (rc < 0)
			break;
		struct waitctx w = {pr, n, 0};
		rc = health_wait(v, n, (int)(hg->timeout_us / 1000), (int)(hg->interval_us / 1000),
				 on_progress, &w, e);
		if (rc < 0 && pr->tty && !pr->json)
			fputc('\n', pr->out);
	}
	/* A dead command explains a failed check better than the check does. */
	struct rt_err pe;
	if (check_processes(c, t, &pe) < 0) {
		*e = pe;
		rc = -1;
	}
out:
	for (size_t i = 0; envs && args && i < t->n_nodes; i++) {
		nodeenv_free(envs[i]);
		nodeenv_free(args[i]);
	}
	free(envs);
	free(args);
	free(v);
	free(nspath);
	free(done);
	return rc;
}

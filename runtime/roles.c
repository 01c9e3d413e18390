/* roles.c — "@ROLE" and "@others" resolved when a fault fires.
 *
 * Owns roles_resolve(): for every role a fault names, the role's probe runs
 * once per node — all nodes at once, at most ROLES_PARALLEL at a time — on
 * the host side, in aspen's own network namespace, with the environment
 * that node's command gets (ASPEN_NODE, ASPEN_NODE_IP, ASPEN_PEERS, the
 * node's `env:`, ...) on top of aspen's own. A probe that exits 0 within
 * the role's timeout means the node holds the role; any other end (non-zero
 * exit, a signal, the timeout, a command that cannot start) means it does
 * not. Then each role target becomes the nodes that hold the role, and
 * "@others" every node that no other target of the fault names.
 *
 * Why skip rather than fail: a role held by nobody (an election in
 * progress) is a state of the system under test, not an error of aspen's;
 * the schedule goes on and the event says what happened. The probes are
 * aspen's children, reaped here; one that outlives its timeout is killed
 * (SIGKILL) before roles_resolve returns, so nothing is left behind. */
#include "runtime/roles.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compiler/compile.h"
#include "runtime/nodeenv.h"
#include "runtime/proc.h"

#define ROLES_PARALLEL 16
#define ROLES_POLL_NS 500000L   /* 0.5 ms between checks of running probes */

extern char **environ;

static uint64_t roles_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Start r's probe for node i; the child's pid, or -1 (the node then does
 * not hold the role; why says so). */
static pid_t roles_spawn(struct rt_ctx *c, const struct topology *t, const struct topo_role *r,
			 size_t i, char *why, size_t len)
{
	struct rt_err e = {0};
	char **envp = nodeenv_node(t, i, (const char *const *)environ, &e);
	if (!envp) {
		snprintf(why, len, "%.200s", e.msg);
		return -1;
	}
	struct proc_spec s = {.argv = r->command.v, .envp = (const char *const *)envp,
			      .netns_fd = -1};
	struct proc_id id;
	int rc = proc_spawn(&s, &id, &e);
	nodeenv_free(envp);
	if (rc < 0) {
		snprintf(why, len, "%.200s", e.msg);
		return -1;
	}
	return id.pid;
}

/* held[i] = node i holds role r now. */
static void roles_probe(struct rt_ctx *c, const struct topology *t, const struct topo_role *r,
			bool *held, char *why, size_t len)
{
	size_t n = t->n_nodes, next = 0, running = 0;
	pid_t *pid = calloc(n + 1, sizeof(*pid));
	if (!pid) {
		snprintf(why, len, "out of memory");
		return;
	}
	uint64_t deadline = roles_now_us() + r->timeout_us;
	size_t *slot = calloc(ROLES_PARALLEL, sizeof(*slot));
	for (;;) {
		while (next < n && running < ROLES_PARALLEL && roles_now_us() < deadline) {
			pid[next] = roles_spawn(c, t, r, next, why, len);
			if (pid[next] > 0)
				slot[running++] = next;
			next++;
		}
		bool late = roles_now_us() >= deadline;
		for (size_t k = 0; k < running;) {
			size_t i = slot[k];
			int st;
			if (late)
				kill(pid[i], SIGKILL);  /* our unreaped child: the pid is still ours */
			pid_t w = waitpid(pid[i], &st, late ? 0 : WNOHANG);
			if (w == 0 || (w < 0 && errno == EINTR)) {
				k++;
				continue;
			}
			held[i] = w == pid[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0 && !late;
			if (late && w == pid[i] && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
				snprintf(why, len, "the probe of %s was still running after the timeout",
					 t->nodes[i].name);
			slot[k] = slot[--running];
		}
		if (running == 0 && (next == n || late))
			break;
		nanosleep(&(struct timespec){0, ROLES_POLL_NS}, NULL);
	}
	free(slot);
	free(pid);
}

/* ---------------- the fault's targets ---------------- */

static struct target_list *roles_lists(struct topo_fault *f, size_t *n)
{
	*n = 1;
	switch (f->kind) {
	case FAULT_PARTITION:
		*n = f->u.partition.n_groups;
		return f->u.partition.groups;
	case FAULT_LINK_DOWN:
		return &f->u.link.targets;
	case FAULT_KILL: case FAULT_PAUSE: case FAULT_RESUME: case FAULT_START:
	case FAULT_RESTART: case FAULT_REBOOT:
		return &f->u.node.targets;
	default:
		return &f->u.impair.targets;
	}
}

static bool roles_is_others(const struct fault_target *tg)
{
	return tg->role && strcmp(tg->role, TOPO_ROLE_OTHERS) == 0;
}

struct roles_run {
	struct rt_ctx *c;
	const struct topology *t;
	bool **held;            /* per role index, probed on first use */
	char why[256];          /* the last probe problem, for messages */
	char note[512];
	size_t note_len;
};

static const bool *roles_held(struct roles_run *rr, size_t role)
{
	if (!rr->held[role]) {
		rr->held[role] = arena_array(&rr->c->arena, rr->t->n_nodes + 1, sizeof(bool));
		roles_probe(rr->c, rr->t, &rr->t->roles[role], rr->held[role], rr->why,
			    sizeof(rr->why));
	}
	return rr->held[role];
}

static void roles_note(struct roles_run *rr, const char *pre, const char *s, const char *post)
{
	int w = snprintf(rr->note + rr->note_len, sizeof(rr->note) - rr->note_len, "%s%s%s", pre,
			 s, post);
	if (w > 0)
		rr->note_len = rr->note_len + (size_t)w < sizeof(rr->note) ? rr->note_len + (size_t)w
									 : sizeof(rr->note) - 1;
}

/* "@leader = n1 n2" appended to the note. */
static void roles_note_set(struct roles_run *rr, const char *role, const bool *set)
{
	roles_note(rr, rr->note_len ? "; @" : "@", role, " =");
	for (size_t i = 0; i < rr->t->n_nodes; i++)
		if (set[i])
			roles_note(rr, " ", rr->t->nodes[i].name, "");
}

/* l with its role targets replaced by whole nodes: the role's holders, or
 * others[] for @others; a node given twice is kept once. */
static void roles_expand(struct roles_run *rr, struct target_list *l, const bool *others)
{
	const struct topology *t = rr->t;
	size_t n = t->n_nodes, cap = l->n + n * l->n;
	struct fault_target *v = arena_array(&rr->c->arena, cap + 1, sizeof(*v));
	bool *in = arena_array(&rr->c->arena, n + 1, sizeof(bool));
	size_t k = 0;
	for (size_t j = 0; j < l->n; j++) {
		const struct fault_target *tg = &l->v[j];
		if (!tg->role) {
			if (tg->iface || tg->node_idx >= n || !in[tg->node_idx])
				v[k++] = *tg;
			if (!tg->iface && tg->node_idx < n)
				in[tg->node_idx] = true;
			continue;
		}
		const bool *set = roles_is_others(tg) ? others
				: roles_held(rr, topo_find_role(t, tg->role));
		for (size_t i = 0; i < n; i++) {
			if (!set[i] || in[i])
				continue;
			in[i] = true;
			v[k++] = (struct fault_target){.node = t->nodes[i].name, .pos = tg->pos,
						       .node_idx = i, .iface_idx = SIZE_MAX};
		}
	}
	l->v = v;
	l->n = k;
}

int roles_resolve(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
		  const struct topo_fault **out, const char **note, struct rt_err *e)
{
	*out = f;
	*note = NULL;
	if (!f->has_roles)
		return 0;
	struct roles_run rr = {.c = c, .t = t};
	rr.held = arena_array(&c->arena, t->n_roles + 1, sizeof(*rr.held));
	size_t n = t->n_nodes;
	struct topo_fault *x = arena_alloc(&c->arena, sizeof(*x));
	*x = *f;
	x->has_roles = false;
	size_t nl;
	struct target_list *l = roles_lists(x, &nl);
	if (x->kind == FAULT_PARTITION) {       /* the groups are f's: copy them */
		struct target_list *g = arena_array(&c->arena, nl + 1, sizeof(*g));
		memcpy(g, l, nl * sizeof(*g));
		x->u.partition.groups = l = g;
	}

	/* What every target but @others names; every role named must be held. */
	bool *named = arena_array(&c->arena, n + 1, sizeof(bool));
	bool has_others = false;
	for (size_t g = 0; g < nl; g++) {
		for (size_t j = 0; j < l[g].n; j++) {
			const struct fault_target *tg = &l[g].v[j];
			if (roles_is_others(tg)) {
				has_others = true;
			} else if (tg->role) {
				size_t ri = topo_find_role(t, tg->role);
				if (ri == SIZE_MAX)
					return rt_errf(e, EINVAL, "role \"%s\" is not defined", tg->role);
				const bool *h = roles_held(&rr, ri);
				bool any = false;
				for (size_t i = 0; i < n; i++) {
					named[i] = named[i] || h[i];
					any = any || h[i];
				}
				if (!any) {
					rt_errf(e, ENOENT, "no node holds role @%s now%s%s%s; the fault is "
						"skipped", tg->role, rr.why[0] ? " (" : "", rr.why,
						rr.why[0] ? ")" : "");
					return 1;
				}
			} else if (tg->node_idx < n) {
				named[tg->node_idx] = true;
			}
		}
	}
	bool *others = arena_array(&c->arena, n + 1, sizeof(bool));
	bool any_other = false;
	for (size_t i = 0; i < n; i++) {
		others[i] = !named[i];
		any_other = any_other || others[i];
	}
	if (has_others && !any_other) {
		rt_errf(e, ENOENT, "@others names no node: the fault's other targets name every "
			"node now; the fault is skipped");
		return 1;
	}
	for (size_t ri = 0; ri < t->n_roles; ri++)
		if (rr.held[ri])
			roles_note_set(&rr, t->roles[ri].name, rr.held[ri]);
	if (has_others)
		roles_note_set(&rr, TOPO_ROLE_OTHERS, others);

	for (size_t g = 0; g < nl; g++)
		roles_expand(&rr, &l[g], others);
	/* A node on two sides of a partition: the roles moved onto a node the
	 * file names on the other side. */
	if (x->kind == FAULT_PARTITION && x->u.partition.mode != PART_ISOLATE) {
		size_t *side = arena_array(&c->arena, n + 1, sizeof(size_t));
		for (size_t g = 0; g < nl; g++) {
			for (size_t j = 0; j < l[g].n; j++) {
				size_t i = l[g].v[j].node_idx;
				if (i >= n || l[g].v[j].iface)
					continue;
				if (side[i] && side[i] != g + 1) {
					rt_errf(e, EEXIST, "%s would be on two sides of the partition "
						"(%s); the fault is skipped", t->nodes[i].name, rr.note);
					return 1;
				}
				side[i] = g + 1;
			}
		}
	}
	*out = x;
	*note = arena_strdup(&c->arena, rr.note);
	return 0;
}

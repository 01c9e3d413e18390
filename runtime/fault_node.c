/* fault_node.c — node faults: kill, pause / resume, start, restart, reboot.
 *
 * A netns node is its command, the process/<node> resource: kill SIGKILLs
 * its process group at once (no SIGTERM: a crash gives no chance to clean
 * up), pause / resume SIGSTOP / SIGCONT the group (proc.h), start and
 * restart go through the process driver with the journaled resource, so a
 * restarted node gets exactly the command, environment and namespace apply
 * gave it, and its new pid + start time land in the journal.
 *
 * A VM node is its VMM process (vmm/<node>, journaled under that id by the
 * VMM driver) and the VM inside it: kill SIGKILLs the VMM, pause / resume /
 * reboot are Cloud Hypervisor's vm.pause / vm.resume / vm.reboot on the
 * API socket of the vmm resource, start and restart use the VMM and VM
 * drivers generically (c->drv[RES_VMM], c->drv[RES_VM]).
 *
 * Only pause has an inverse (resume). Its record names the processes by
 * pid + start time as they were when it was prepared, so a revert after
 * the node was restarted signals nothing that is not the paused process. */
#include "runtime/fault_int.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "runtime/ch_client.h"
#include "runtime/proc.h"
#include "runtime/vm.h"

#define NODE_KILL_WAIT_MS 5000
#define NODE_CH_CONNECT_MS 1000

static const struct resource *node_res(struct rt_ctx *c, const char *kind, const char *node)
{
	char id[128];
	snprintf(id, sizeof(id), "%s/%s", kind, node);
	return journal_find_resource(&c->journal, id);
}

/* The live process of resource r (process/ or vmm/); false when none. */
static bool node_proc(struct rt_ctx *c, const struct resource *r, struct proc_id *p)
{
	if (!r)
		return false;
	if (r->kind == RES_PROCESS)
		return rt_process_find(c, r, p) && proc_alive(p);
	const struct proc_id *j = journal_find_process(&c->journal, r->id);
	if (!j)
		return false;
	*p = *j;
	return proc_alive(p);
}

/* The resource that is "the node's process": process/<n> or vmm/<n>. */
static const struct resource *node_main(struct rt_ctx *c, const char *node, bool vm,
					struct rt_err *e)
{
	const struct resource *r = node_res(c, vm ? "vmm" : "process", node);
	if (!r)
		rt_errf(e, ENOENT, "node %s has no %s in the journal (%s; is the topology "
			"applied?)", node, vm ? "vmm/ resource" : "command", vm ?
			"no VMM" : "a netns node without `command` cannot be killed or paused");
	return r;
}

/* ---------------- VM API ---------------- */

typedef int (*ch_op)(struct ch *, struct rt_err *);

static int node_ch(struct rt_ctx *c, const char *node, ch_op op, const char *what,
		   struct rt_err *e)
{
	const struct resource *r = node_res(c, "vmm", node);
	const char *sock = r ? res_get(r, "socket") : NULL;
	struct ch *ch = NULL;
	if (!sock)
		return rt_errf(e, ENOENT, "node %s: no vmm/%s with a socket in the journal", node,
			       node);
	if (ch_open(&ch, sock, e) < 0)
		return -1;
	ch_set_timeouts(ch, NODE_CH_CONNECT_MS, vm_request_ms());
	int rc = op(ch, e);
	ch_close(ch);
	return rc < 0 ? rt_err_prefix(e, "%s %s", what, node) : 0;
}

/* Resume a VM only if the VMM says it is paused; a VMM that does not
 * answer has nothing paused to resume. */
static int node_vm_unpause(struct rt_ctx *c, const char *sock, struct rt_err *e)
{
	struct ch *ch = NULL;
	char state[16] = "";
	(void)c;
	if (ch_open(&ch, sock, e) < 0)
		return -1;
	ch_set_timeouts(ch, NODE_CH_CONNECT_MS, vm_request_ms());
	int rc = 0;
	if (ch_vm_info(ch, state, NULL, NULL) == 0 && strcmp(state, "Paused") == 0)
		rc = ch_vm_resume(ch, e);
	ch_close(ch);
	return rc;
}

/* ---------------- the drivers, generically ---------------- */

static int node_drv(struct rt_ctx *c, enum res_kind k, const char *node, bool create,
		    struct rt_err *e)
{
	const struct res_driver *d = c->drv[k];
	const struct resource *r = node_res(c, res_kinds[k].name, node);
	if (!d)
		return rt_errf(e, ENOTSUP, "node %s: this build has no %s driver (VM support is "
			       "not there yet)", node, res_kinds[k].name);
	if (!r)
		return rt_errf(e, ENOENT, "node %s: no %s/%s in the journal (is the topology "
			       "applied?)", node, res_kinds[k].name, node);
	int rc = create ? d->create(c, r, e) : d->destroy(c, r, e);
	return rc < 0 ? rt_err_prefix(e, "%s %s", create ? "start" : "stop", r->id) : 0;
}

static int node_start(struct rt_ctx *c, const char *node, bool vm, struct rt_err *e)
{
	if (!vm)
		return node_drv(c, RES_PROCESS, node, true, e);
	if (node_drv(c, RES_VMM, node, true, e) < 0)
		return -1;
	return node_drv(c, RES_VM, node, true, e);
}

static int node_stop(struct rt_ctx *c, const char *node, bool vm, struct rt_err *e)
{
	if (!vm)
		return node_drv(c, RES_PROCESS, node, false, e);
	if (node_drv(c, RES_VM, node, false, e) < 0)
		return -1;
	return node_drv(c, RES_VMM, node, false, e);
}

/* ---------------- signals ---------------- */

static int node_kill(struct rt_ctx *c, const char *node, bool vm, struct rt_err *e)
{
	struct proc_id p;
	const struct resource *r = node_main(c, node, vm, e);
	if (!r)
		return -1;
	if (!node_proc(c, r, &p))
		return 0;       /* already down: the fault's goal holds */
	if (proc_signal_group(&p, SIGKILL, e) < 0)
		return rt_err_prefix(e, "kill %s", node);
	if (proc_wait_exit(&p, NODE_KILL_WAIT_MS, e) < 0)
		return rt_err_prefix(e, "kill %s", node);
	return 0;
}

static int node_signal_live(struct rt_ctx *c, const char *node, bool stop, struct rt_err *e)
{
	struct proc_id p;
	const struct resource *r = node_main(c, node, false, e);
	if (!r)
		return -1;
	if (!node_proc(c, r, &p))
		return rt_errf(e, ESRCH, "%s %s: its command is not running", stop ? "pause" :
			       "resume", node);
	return stop ? proc_pause(&p, e) : proc_resume(&p, e);
}

/* ---------------- the mechanism ---------------- */

static int node_prepare(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
			cJSON *rec, struct rt_err *e)
{
	const struct target_list *l = &f->u.node.targets;
	cJSON *arr = cJSON_AddArrayToObject(rec, "nodes");
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].node_idx >= t->n_nodes)
			return rt_errf(e, EINVAL, "fault target %s is not resolved", l->v[i].node);
		const struct topo_node *n = &t->nodes[l->v[i].node_idx];
		bool vm = n->kind == NODE_VM;
		if (!topo_node_here(t, n))
			continue;       /* its own host signals it */
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToArray(arr, o);
		cJSON_AddStringToObject(o, "node", n->name);
		cJSON_AddBoolToObject(o, "vm", vm);
		const struct resource *r = node_res(c, vm ? "vmm" : "process", n->name);
		struct proc_id p;
		if (r && vm && res_get(r, "socket"))
			cJSON_AddStringToObject(o, "socket", res_get(r, "socket"));
		if (r && node_proc(c, r, &p)) {
			cJSON_AddNumberToObject(o, "pid", p.pid);
			cJSON_AddNumberToObject(o, "starttime", (double)p.starttime);
		}
	}
	return 0;
}

static bool node_rec_proc(const cJSON *o, struct proc_id *p)
{
	const cJSON *pid = cJSON_GetObjectItemCaseSensitive(o, "pid");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "starttime");
	if (!cJSON_IsNumber(pid) || !cJSON_IsNumber(st))
		return false;
	p->pid = (pid_t)pid->valuedouble;
	p->starttime = (unsigned long long)st->valuedouble;
	return true;
}

static int node_pause(struct rt_ctx *c, const cJSON *o, const char *node, bool vm,
		      struct rt_err *e)
{
	struct proc_id p;
	if (vm)
		return node_ch(c, node, ch_vm_pause, "pause", e);
	if (!node_rec_proc(o, &p))
		return rt_errf(e, ESRCH, "pause %s: its command is not running", node);
	return proc_pause(&p, e);
}

static int node_apply_one(struct rt_ctx *c, enum fault_kind k, const cJSON *o, struct rt_err *e)
{
	const char *node = fault_rec_str(o, "node");
	bool vm = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "vm"));
	if (!node)
		return rt_errf(e, EINVAL, "malformed node in fault record");
	switch (k) {
	case FAULT_KILL:
		return node_kill(c, node, vm, e);
	case FAULT_PAUSE:
		return node_pause(c, o, node, vm, e);
	case FAULT_RESUME:
		return vm ? node_ch(c, node, ch_vm_resume, "resume", e)
			  : node_signal_live(c, node, false, e);
	case FAULT_START:
		return node_start(c, node, vm, e);
	case FAULT_RESTART:
		if (node_stop(c, node, vm, e) < 0)
			return -1;
		return node_start(c, node, vm, e);
	case FAULT_REBOOT:
		if (!vm)
			return rt_errf(e, ENOTSUP, "reboot %s: only VM nodes reboot; use restart",
				       node);
		return node_ch(c, node, ch_vm_reboot, "reboot", e);
	default:
		return rt_errf(e, EINVAL, "%s is not a node fault", fault_kind_names[k]);
	}
}

static int node_apply(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
		      const cJSON *rec, struct rt_err *e)
{
	const cJSON *o;
	(void)t;
	cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(rec, "nodes"))
		if (node_apply_one(c, f->kind, o, e) < 0)
			return -1;
	/* start / restart changed pids: record them at once */
	if (f->kind == FAULT_START || f->kind == FAULT_RESTART)
		return journal_save(&c->journal, e);
	return 0;
}

/* Only pause has an inverse: resume exactly the processes / VMs it paused. */
static int node_revert(struct rt_ctx *c, const cJSON *rec, struct rt_err *e)
{
	const char *kind = fault_rec_str(rec, "kind");
	const cJSON *o;
	int rc = 0;
	if (!kind || strcmp(kind, fault_kind_names[FAULT_PAUSE]) != 0)
		return 0;
	cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(rec, "nodes")) {
		struct proc_id p;
		struct rt_err err = {0};
		const char *sock = fault_rec_str(o, "socket");
		int one = 0;
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "vm")) && sock)
			one = node_vm_unpause(c, sock, &err);
		else if (node_rec_proc(o, &p) && proc_state(&p) != PROC_GONE)
			one = proc_resume(&p, &err);
		if (one < 0 && rc++ == 0 && e)
			*e = err;
	}
	return rc ? -1 : 0;
}

/* Every journaled process continued, and every VM that is paused resumed. */
static int node_heal(struct rt_ctx *c, struct rt_err *e)
{
	int rc = 0;
	for (size_t i = 0; i < c->journal.n_procs; i++) {
		const struct proc_id *p = &c->journal.procs[i].proc;
		struct rt_err err = {0};
		/* SIGCONT to every live one, not just those reading 'T': a leader
		 * caught in vfork() reads 'D' while its stopped child waits. */
		if (proc_alive(p) && proc_resume(p, &err) < 0 && rc++ == 0 && e)
			*e = err;
	}
	const struct res_list *l = &c->journal.resources;
	for (size_t i = 0; i < l->n; i++) {
		const char *sock = res_get(&l->v[i], "socket");
		struct proc_id p;
		struct rt_err err = {0};
		if (l->v[i].kind != RES_VMM || !sock || !node_proc(c, &l->v[i], &p))
			continue;
		if (node_vm_unpause(c, sock, &err) < 0 && rc++ == 0 && e)
			*e = err;
	}
	return rc ? -1 : 0;
}

/* A node's process or VM is reached on its own host only. */
static int node_share(const struct topology *t, const struct topo_fault *f, size_t *ports,
		      struct rt_err *e)
{
	const struct target_list *l = &f->u.node.targets;
	*ports = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].node_idx >= t->n_nodes)
			return rt_errf(e, EINVAL, "fault target %s is not resolved", l->v[i].node);
		*ports += topo_node_here(t, &t->nodes[l->v[i].node_idx]);
	}
	return *ports > 0;
}

const struct fault_mech fault_mech_node = {node_prepare, node_apply, node_revert, node_heal,
					   node_share};

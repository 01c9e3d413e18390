/* drv_vm.c — Cloud Hypervisor nodes: the VMM process (vmm/<node>) and the
 * VM inside it (vm/<node>), plus the node-level calls of runtime/vm.h.
 *
 * The idea: a VM node is a supervised process that happens to speak HTTP.
 * The VMM is started like a node command (drv_process.c): daemonized, its
 * own session, stderr in <run dir>/<node>.log, stdout (where the guest
 * console goes, Tty mode) in <node>.console.log, CH's own log in
 * <node>.vmm.log, named by pid + start time in the journal and in the
 * pidfile <node>.vmm.pid the moment it exists, so a crash of aspen at any
 * point leaves a trace destroy follows. It is ready when vmm.ping answers.
 * The VM is pure API: vm.create with the VmConfig built from the resource's
 * props (vmconfig.h), then vm.boot; destroy is vm.shutdown + vm.delete.
 *
 * Both drivers are parallel (docs/executor.md): the executor runs the
 * creates and destroys of one batch in worker threads, so ten VMs boot in
 * about the time of one. Therefore nothing here touches the context's
 * arena or netlink handles from create/destroy, each call opens its own
 * API client, and every journal access is under rt_shared_lock().
 *
 * Observation: a VMM is present when its process is alive; when it is alive
 * but its API does not answer it is present with `api=unresponsive`, a
 * drift the planner repairs by replacing it (and a destroy still stops it).
 * A VM is present when vm.info says Running or Paused; anything else (not
 * created, Created after a failed boot, the VMM gone) is absent, so apply
 * creates it again. Failures keep CH's message:
 *   create vm/node2: vm.boot failed (500): Error from API: The VM could not boot: ... */
#include "runtime/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/ch_client.h"
#include "runtime/ch_version.h"
#include "runtime/proc.h"
#include "runtime/vmconfig.h"

#define VM_QUICK_MS 2000L               /* probe and destroy: per request */
#define VM_READY_MS 10000L              /* a new VMM's socket must answer */
#define VM_CONNECT_MS 1000L

/* ---------------- settings and paths ---------------- */

static long env_ms(const char *name, long dflt)
{
	const char *s = getenv(name);
	long v = s && *s ? strtol(s, NULL, 10) : 0;
	return v > 0 ? v : dflt;
}

static long request_ms(void) { return env_ms("ASPEN_CH_TIMEOUT_MS", CH_DEFAULT_REQUEST_MS); }
long vm_request_ms(void) { return request_ms(); }
/* Its own knob: a short request timeout (to see a hung VMM quickly) must
 * not also cut short the start of a VMM on a loaded machine; a VMM that
 * dies at start ends the wait at once anyway. */
static long ready_ms(void) { return env_ms("ASPEN_CH_READY_MS", VM_READY_MS); }
static long quick_ms(void)
{
	long t = request_ms();
	return t < VM_QUICK_MS ? t : VM_QUICK_MS;
}

long vm_shutdown_ms(unsigned long long guest_bytes)
{
	long t = VM_QUICK_MS + (long)(guest_bytes >> 30) * 1000 + ((guest_bytes >> 29) & 1) * 500;
	long cap = request_ms();
	return t < cap ? t : cap;
}

/* The guest memory of node's VM as the journal has it (0: unknown). */
static unsigned long long node_memory(struct rt_ctx *c, const char *node)
{
	char id[300];
	snprintf(id, sizeof(id), "vm/%s", node);
	rt_shared_lock(c);
	const struct resource *j = journal_find_resource(&c->journal, id);
	const char *m = j ? res_get(j, "memory") : NULL;
	unsigned long long v = m ? strtoull(m, NULL, 10) : 0;
	rt_shared_unlock(c);
	return v;
}

static const char *node_of(const struct resource *r)
{
	return rt_id_name(r->id);
}

/* <run dir>/<node>.<ext> */
static int run_file(const struct rt_ctx *c, const char *node, const char *ext, char *buf,
		    size_t len, struct rt_err *e)
{
	if ((size_t)snprintf(buf, len, "%s/%s.%s", c->run_dir, node, ext) >= len)
		return rt_errf(e, ENAMETOOLONG, "%s: runtime path too long", node);
	return 0;
}

/* The API socket of node: the vmm resource's prop, else the journal's
 * vmm/<node>, else the path lowering gives it (a discovered VMM). */
static void node_socket(struct rt_ctx *c, const char *node, const struct resource *vmm, char *buf,
			size_t len)
{
	const char *s = vmm ? res_get(vmm, "socket") : NULL;
	if (s && *s) {
		snprintf(buf, len, "%s", s);
		return;
	}
	char id[300];
	snprintf(id, sizeof(id), "vmm/%s", node);
	rt_shared_lock(c);
	const struct resource *j = journal_find_resource(&c->journal, id);
	s = j ? res_get(j, "socket") : NULL;
	if (s && *s)
		snprintf(buf, len, "%s", s);
	else
		snprintf(buf, len, "/run/aspen/%s/%s.sock", c->topology, node);
	rt_shared_unlock(c);
}

/* The VMM process of node as the journal or its pidfile names it. */
static bool vmm_find(struct rt_ctx *c, const char *node, struct proc_id *p)
{
	char id[300];
	snprintf(id, sizeof(id), "vmm/%s", node);
	struct resource r = {.kind = RES_VMM, .id = id};
	rt_shared_lock(c);
	bool found = rt_process_find(c, &r, p);
	rt_shared_unlock(c);
	return found;
}

static int client(const char *sock, long request, struct ch **out, struct rt_err *e)
{
	if (ch_open(out, sock, e) < 0)
		return -1;
	ch_set_timeouts(*out, request < VM_CONNECT_MS ? request : VM_CONNECT_MS, request);
	return 0;
}

/* Does the VMM on sock answer vmm.ping (quickly)? Its pid into *pid. */
static bool vmm_answers(const char *sock, long *pid)
{
	struct ch *ch;
	struct ch_ping ping;
	struct rt_err ignore;
	if (client(sock, quick_ms(), &ch, &ignore) < 0)
		return false;
	bool ok = ch_ping(ch, &ping, &ignore) == 0;
	ch_close(ch);
	if (pid)
		*pid = ok ? ping.pid : 0;
	return ok;
}

/* The live VMM of node: journal or pidfile; else, when its socket answers,
 * the pid the VMM reports (a crash between spawn and pidfile). */
static bool vmm_find_live(struct rt_ctx *c, const char *node, const char *sock, struct proc_id *p)
{
	if (vmm_find(c, node, p) && proc_alive(p))
		return true;
	long pid = 0;
	struct rt_err ignore;
	if (access(sock, F_OK) < 0 || !vmm_answers(sock, &pid) || pid <= 0)
		return false;
	p->pid = (pid_t)pid;
	return proc_starttime(p->pid, &p->starttime, &ignore) == 0 && proc_alive(p);
}

static int write_pidfile(const char *path, const struct proc_id *p, struct rt_err *e)
{
	if (proc_write_pidfile(path, p) < 0)
		return rt_errf(e, errno, "write %s: %s", path, strerror(errno));
	return 0;
}

static void record_process(struct rt_ctx *c, const char *id, const struct proc_id *p)
{
	rt_shared_lock(c);
	journal_set_process(&c->journal, id, p);
	rt_shared_unlock(c);
}

static void forget_process(struct rt_ctx *c, const char *id)
{
	rt_shared_lock(c);
	journal_remove_process(&c->journal, id);
	rt_shared_unlock(c);
}

/* Remove the API socket of a VMM that is gone, and the <socket>.lock a
 * v53 VMM takes beside it and never removes (api/http/mod.rs). */
static void vmm_unlink_socket(const char *sock)
{
	char lock[PATHS_MAX + 8];
	unlink(sock);
	snprintf(lock, sizeof(lock), "%s.lock", sock);
	unlink(lock);
}

/* Create the directory holding sock when it is not there (0700). */
static int make_socket_dir(const char *sock, struct rt_err *e)
{
	char dir[PATHS_MAX];
	snprintf(dir, sizeof(dir), "%s", sock);
	char *d = dirname(dir);
	if (mkdir(d, 0700) < 0 && errno != EEXIST)
		return rt_errf(e, errno, "create %s: %s", d, strerror(errno));
	return 0;
}

/* ---------------- binary ---------------- */

static bool executable_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int vm_binary(const char *prop, char *out, size_t len, struct rt_err *e)
{
	const char *name = prop, *from = "binary:";
	if (!name || !*name) {
		name = getenv("ASPEN_CH_BINARY");
		from = "$ASPEN_CH_BINARY";
	}
	if (!name || !*name) {
		name = VM_BINARY_DEFAULT;
		from = NULL;
	}
	if (strchr(name, '/')) {
		struct stat st;
		if (stat(name, &st) < 0)
			return rt_errf(e, errno, "%s%s%s: %s", from ? from : "", from ? " " : "", name,
				       strerror(errno));
		if (!S_ISREG(st.st_mode) || access(name, X_OK) < 0)
			return rt_errf(e, EACCES, "%s%s%s: not an executable file", from ? from : "",
				       from ? " " : "", name);
		if ((size_t)snprintf(out, len, "%s", name) >= len)
			return rt_errf(e, ENAMETOOLONG, "%s: path too long", name);
		return 0;
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ":");
		if ((size_t)snprintf(out, len, "%.*s/%s", (int)n, n ? p : ".", name) < len &&
		    executable_file(out))
			return 0;
		p += n + (p[n] == ':');
	}
	out[0] = '\0';
	return rt_errf(e, ENOENT, "%s%s%s: not found in PATH", from ? from : "", from ? " " : "", name);
}

/* ---------------- VmConfig from props ---------------- */

static int out_mode(const char *run_dir, const char *node, const char *what, const char *mode,
		    struct vmconfig_out *o, char *file, size_t len, struct rt_err *e)
{
	memset(o, 0, sizeof(*o));
	if (!strcmp(mode, "off")) {
		o->mode = VMCONFIG_OUT_OFF;
	} else if (!strcmp(mode, "tty") || (!strcmp(mode, "log") && !strcmp(what, "console"))) {
		/* The VMM's stdout, <node>.console.log, which aspen opened for
		 * appending: CH dups it at every boot and reboot, where File mode
		 * would truncate, so the console keeps the history of every boot
		 * (docs/vms.md, "Console history"). */
		o->mode = VMCONFIG_OUT_TTY;
	} else if (!strcmp(mode, "log")) {      /* serial: per boot, see serial_rotate */
		if ((size_t)snprintf(file, len, "%s/%s.%s.log", run_dir, node, what) >= len)
			return rt_errf(e, ENAMETOOLONG, "%s: runtime path too long", node);
		o->mode = VMCONFIG_OUT_FILE;
		o->file = file;
	} else {
		return rt_errf(e, EINVAL, "%s: %s mode '%s' is not off, log or tty", node, what, mode);
	}
	return 0;
}

static cJSON *json_array_prop(const struct resource *r, const char *key, struct rt_err *e)
{
	const char *v = res_get(r, key);
	cJSON *a = cJSON_Parse(v ? v : "[]");
	if (!cJSON_IsArray(a)) {
		cJSON_Delete(a);
		rt_errf(e, EINVAL, "%s: bad %s property", node_of(r), key);
		return NULL;
	}
	return a;
}

static const char *json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int vm_config(const char *run_dir, const struct resource *r, unsigned ch_version, cJSON **out,
	      struct rt_err *e)
{
	const char *node = node_of(r), *v;
	char console_file[PATHS_MAX], serial_file[PATHS_MAX];
	struct vmconfig_in in = {0};
	*out = NULL;
	in.cpus = (v = res_get(r, "cpus")) ? (unsigned)strtoul(v, NULL, 10) : 1;
	in.memory = (v = res_get(r, "memory")) ? strtoull(v, NULL, 10) : 512ull << 20;
	in.kernel = res_get(r, "kernel");
	in.firmware = res_get(r, "firmware");
	in.initramfs = res_get(r, "initramfs");
	in.cmdline = res_get(r, "cmdline");
	if (out_mode(run_dir, node, "console", (v = res_get(r, "console")) ? v : "log", &in.console,
		     console_file, sizeof(console_file), e) < 0 ||
	    out_mode(run_dir, node, "serial", (v = res_get(r, "serial")) ? v : "off", &in.serial,
		     serial_file, sizeof(serial_file), e) < 0)
		return -1;
	cJSON *disks = json_array_prop(r, "disks", e), *nets = disks ? json_array_prop(r, "net", e) : NULL;
	int rc = -1;
	in.n_disks = (size_t)cJSON_GetArraySize(disks);
	in.n_nets = (size_t)cJSON_GetArraySize(nets);
	struct vmconfig_disk *dv = calloc(in.n_disks + 1, sizeof(*dv));
	struct vmconfig_net *nv = calloc(in.n_nets + 1, sizeof(*nv));
	if (!disks || !nets || !dv || !nv) {
		if (disks && nets)
			rt_errf(e, ENOMEM, "out of memory");
		goto out;
	}
	size_t i = 0;
	for (const cJSON *d = disks->child; d; d = d->next, i++)
		dv[i] = (struct vmconfig_disk){json_str(d, "path"),
					       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "readonly"))};
	i = 0;
	for (const cJSON *n = nets->child; n; n = n->next, i++)
		nv[i] = (struct vmconfig_net){json_str(n, "tap"), json_str(n, "mac")};
	in.disks = dv;
	in.nets = nv;
	in.disk_image_type_raw = ch_version_needs_image_type(ch_version);
	rc = vmconfig_build(&in, out, e);
	if (rc < 0)
		rt_err_prefix(e, "%s", node);
out:
	free(dv);
	free(nv);
	cJSON_Delete(disks);
	cJSON_Delete(nets);
	return rc;
}

/* Does have (vm.info's config, with CH's defaults filled in) hold every
 * value of want (what aspen sent)? */
static bool json_covers(const cJSON *have, const cJSON *want)
{
	if (!have)
		return false;
	if (cJSON_IsObject(want)) {
		if (!cJSON_IsObject(have))
			return false;
		for (const cJSON *w = want->child; w; w = w->next)
			if (!json_covers(cJSON_GetObjectItemCaseSensitive(have, w->string), w))
				return false;
		return true;
	}
	if (cJSON_IsArray(want)) {
		if (!cJSON_IsArray(have) || cJSON_GetArraySize(have) != cJSON_GetArraySize(want))
			return false;
		for (const cJSON *w = want->child, *h = have->child; w; w = w->next, h = h->next)
			if (!json_covers(h, w))
				return false;
		return true;
	}
	if (cJSON_IsString(want))
		return cJSON_IsString(have) && !strcmp(have->valuestring, want->valuestring);
	if (cJSON_IsNumber(want))
		return cJSON_IsNumber(have) && !(have->valuedouble < want->valuedouble ||
						 have->valuedouble > want->valuedouble);
	if (cJSON_IsBool(want))
		return cJSON_IsBool(have) && cJSON_IsTrue(have) == cJSON_IsTrue(want);
	return cJSON_IsNull(have) && cJSON_IsNull(want);
}

static bool state_up(const char *st)
{
	return !strcmp(st, "Running") || !strcmp(st, "Paused");
}

/* ---------------- vmm/<node> ---------------- */

/* ---------------- watching a VMM start ---------------- */

/* aspen becomes the reaper of the VMMs it daemonizes, so a VMM that dies
 * at start stays a zombie of ours until we have read its exit status (a
 * double-forked process is nobody's child otherwise, and its status would
 * be gone by the time we look). The VMMs that live on are reparented to
 * init when aspen exits, as before; those that exit while aspen runs are
 * reaped by proc_stop or stay zombies until then, which proc_alive()
 * already counts as gone. */
static void vmm_reaper_once(void)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L);
}

/* A pidfd on the just-spawned VMM p, or -1 (no pidfd_open: then only the
 * deadline ends the wait, as on old kernels). */
static int vmm_pidfd(const struct proc_id *p)
{
	int fd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	unsigned long long st = 0;
	if (fd >= 0 && (proc_starttime(p->pid, &st, NULL) < 0 || st != p->starttime)) {
		close(fd);      /* gone and recycled already: nothing to watch */
		return -1;
	}
	return fd;
}

/* "exited with status 1", "was killed by signal 9", or "exited" when the
 * VMM is not our child (another reaper took it). Reaps it. */
static void vmm_exit_text(int pidfd, const struct proc_id *p, char *buf, size_t len)
{
	siginfo_t si = {0};
	int r = pidfd >= 0 ? waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG)
			   : waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG);
	if (r == 0 && si.si_pid && si.si_code == CLD_EXITED)
		snprintf(buf, len, "exited with status %d", si.si_status);
	else if (r == 0 && si.si_pid)
		snprintf(buf, len, "was killed by signal %d (%s)", si.si_status, strsignal(si.si_status));
	else
		snprintf(buf, len, "exited");
}

static off_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : 0;
}

/* Cloud Hypervisor's own account of a failed start: the error chain it
 * prints on stderr (src/main.rs, cli_print_error_chain)
 *   Error: Cloud Hypervisor exited with the following chain of errors:
 *     0: Failed to open hypervisor interface (is hypervisor interface available?)
 *     1: Failed to create the hypervisor
 *     2: no supported hypervisor
 * as one line "Failed to open ...: Failed to create ...: no supported
 * hypervisor", read from the log after offset `from` (what this start
 * wrote). Without a chain, the last lines of the log. */
static void vmm_error_lines(const char *log, off_t from, char *buf, size_t len)
{
	FILE *f = fopen(log, "re");
	char line[512];
	size_t used = 0;
	bool in_chain = false;
	buf[0] = '\0';
	if (!f)
		return;
	if (from > 0)
		fseeko(f, from, SEEK_SET);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strstr(line, "exited with the following")) {
			in_chain = true;
			used = 0;
			buf[0] = '\0';
			continue;
		}
		const char *t = line + strspn(line, " \t");
		if (!in_chain || !*t || line[0] != ' ') {
			in_chain = false;
			continue;
		}
		const char *colon = t + strspn(t, "0123456789");
		if (colon > t && colon[0] == ':' && colon[1] == ' ')
			t = colon + 2;
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ": " : "", t);
	}
	fclose(f);
	if (!buf[0])
		rt_log_tail(log, 3, buf, len);
}

/* The VMM answers: is it a release aspen can drive? Newer than the table
 * is allowed, with a warning on stderr (once per VMM start). */
static int vmm_check_version(struct ch *ch, const char *node, struct rt_err *e)
{
	struct ch_ping ping;
	char warn[300];
	if (ch_ping(ch, &ping, e) < 0)
		return -1;
	unsigned v = ch_version_parse(ping.version);
	if (ch_version_check(v, warn, sizeof(warn), e) < 0)
		return -1;
	if (warn[0])
		fprintf(stderr, "aspen: warning: %s: %s\n", node, warn);
	return 0;
}

/* CH truncates a File-mode serial log at every boot: keep the previous
 * boot's as <node>.serial.log.1 before a boot aspen asks for (vm.create +
 * vm.boot, vm.reboot). A reboot the guest makes itself is not seen. */
static void serial_rotate(const char *run_dir, const char *node)
{
	char cur[PATHS_MAX], old[PATHS_MAX + 4];
	struct stat st;
	snprintf(cur, sizeof(cur), "%s/%s.serial.log", run_dir, node);
	snprintf(old, sizeof(old), "%s.1", cur);
	if (stat(cur, &st) == 0 && st.st_size > 0)
		rename(cur, old);
}

/* Start the VMM and wait for its API. On failure nothing of it is left.
 * The VMM logs at info level (-v) into <node>.vmm.log, so its account of
 * a later failure (a device it could not open) is there; its stderr, where
 * a failed start prints the error chain, goes to <node>.log. */
static int vmm_start(struct rt_ctx *c, const struct resource *r, const char *sock, struct rt_err *e)
{
	static pthread_once_t reaper = PTHREAD_ONCE_INIT;
	const char *node = node_of(r);
	char bin[PATHS_MAX], rd[PATHS_MAX], log[PATHS_MAX], vlog[PATHS_MAX], pidf[PATHS_MAX];
	char api[PATHS_MAX + 8], tail[700], how[64], out[PATHS_MAX];
	if (vm_binary(res_get(r, "binary"), bin, sizeof(bin), e) < 0 ||
	    paths_make_run_dir(c->topology, rd, sizeof(rd), e) < 0 || make_socket_dir(sock, e) < 0 ||
	    run_file(c, node, "log", log, sizeof(log), e) < 0 ||
	    run_file(c, node, "vmm.log", vlog, sizeof(vlog), e) < 0 ||
	    run_file(c, node, "vmm.pid", pidf, sizeof(pidf), e) < 0 ||
	    run_file(c, node, "console.log", out, sizeof(out), e) < 0)
		return -1;
	/* A socket left by a VMM that died: CH refuses to bind over it. */
	if (unlink(sock) < 0 && errno != ENOENT)
		return rt_errf(e, errno, "remove stale socket %s: %s", sock, strerror(errno));
	pthread_once(&reaper, vmm_reaper_once);
	snprintf(api, sizeof(api), "path=%s", sock);
	const char *argv[] = {bin, "-v", "--api-socket", api, "--log-file", vlog, NULL};
	struct proc_spec s = {
		.argv = argv, .envp = NULL, .workdir = "/", .netns_path = NULL, .netns_fd = -1,
		.log_path = log, .stdout_path = out, .daemonize = true, .pidfile = pidf,
	};
	struct proc_id p;
	off_t log_from = file_size(log);
	if (proc_spawn(&s, &p, e) < 0)
		return rt_err_prefix(e, "start %s", bin);
	record_process(c, r->id, &p);
	int pidfd = vmm_pidfd(&p);
	struct ch *ch;
	int rc = client(sock, request_ms(), &ch, e);
	if (rc == 0) {
		rc = ch_wait_ready_pid(ch, ready_ms(), pidfd, e);
		if (rc == 0)
			rc = vmm_check_version(ch, node, e);
		ch_close(ch);
	}
	if (rc == 0) {
		if (pidfd >= 0)
			close(pidfd);
		return 0;
	}
	/* Say why (ENOTSUP: it runs, but aspen cannot drive it; e says so
	 * already), then leave nothing behind. */
	struct rt_err why = *e, ignore;
	if (why.errnum == ENOTSUP) {
		/* e as it is */
	} else if (why.errnum == ECHILD || !proc_alive(&p)) {
		vmm_exit_text(pidfd, &p, how, sizeof(how));
		vmm_error_lines(log, log_from, tail, sizeof(tail));
		rt_errf(e, ECHILD, "%s %s before its API came up%s%s (log: %s)", bin, how,
			tail[0] ? ": " : "", tail, log);
	} else {
		rt_log_tail(vlog, 3, tail, sizeof(tail));
		if (!tail[0])
			rt_log_tail(log, 3, tail, sizeof(tail));
		rt_errf(e, why.errnum, "%s%s%s (log: %s)", why.msg, tail[0] ? "; VMM log: " : "", tail,
			log);
	}
	if (pidfd >= 0)
		close(pidfd);
	proc_stop(&p, 1000, &ignore);
	unlink(pidf);
	vmm_unlink_socket(sock);
	forget_process(c, r->id);
	return -1;
}

static int vmm_create(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	const char *node = node_of(r);
	char sock[PATHS_MAX], pidf[PATHS_MAX];
	struct proc_id p;
	node_socket(c, node, r, sock, sizeof(sock));
	if (vmm_find_live(c, node, sock, &p)) {
		if (vmm_answers(sock, NULL)) {          /* adopt: a crash left it running */
			record_process(c, r->id, &p);
			return run_file(c, node, "vmm.pid", pidf, sizeof(pidf), e) < 0 ? -1 :
			       write_pidfile(pidf, &p, e);
		}
		if (proc_stop(&p, c->stop_grace_ms, e) < 0)     /* ours, but deaf */
			return rt_err_prefix(e, "stop unresponsive VMM pid %d", (int)p.pid);
	}
	return vmm_start(c, r, sock, e);
}

static int vmm_destroy(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	const char *node = node_of(r);
	char sock[PATHS_MAX], pidf[PATHS_MAX];
	struct proc_id p;
	node_socket(c, node, r, sock, sizeof(sock));
	if (vmm_find_live(c, node, sock, &p)) {
		struct ch *ch;
		struct rt_err ignore;
		bool asked = false;
		long wait_ms = vm_shutdown_ms(node_memory(c, node));
		if (client(sock, wait_ms, &ch, &ignore) == 0) {
			/* An answer, even a refusal ("VM is not running"), means the
			 * API is alive; no answer: go straight to signals. */
			if (ch_vm_shutdown(ch, &ignore) == 0 || ignore.errnum == 0) {
				ch_vm_delete(ch, &ignore);
				asked = ch_vmm_shutdown(ch, &ignore) == 0;
			}
			ch_close(ch);
		}
		if ((!asked || proc_wait_exit(&p, (int)wait_ms, &ignore) < 0) &&
		    proc_stop(&p, c->stop_grace_ms, e) < 0)
			return rt_err_prefix(e, "stop VMM pid %d", (int)p.pid);
	}
	vmm_unlink_socket(sock);
	if (run_file(c, node, "vmm.pid", pidf, sizeof(pidf), NULL) == 0)
		unlink(pidf);
	forget_process(c, r->id);
	char dir[PATHS_MAX];
	snprintf(dir, sizeof(dir), "%s", sock);
	if (strcmp(dirname(dir), c->run_dir) != 0)
		paths_remove_dir_if_empty(dir, NULL);
	return 0;
}

static int vmm_probe(struct rt_ctx *c, const struct resource *r, bool *present, struct resource *out,
		     struct rt_err *e)
{
	const char *node = node_of(r);
	char sock[PATHS_MAX];
	struct proc_id p;
	(void)e;
	node_socket(c, node, r, sock, sizeof(sock));
	*present = vmm_find_live(c, node, sock, &p);
	if (*present && !vmm_answers(sock, NULL))
		res_set(&c->arena, out, "api", "unresponsive");
	return 0;
}

static int vmm_update(struct rt_ctx *c, const struct resource *old, const struct resource *r,
		      struct rt_err *e)
{
	return vmm_destroy(c, old, e) < 0 ? -1 : vmm_create(c, r, e);
}

const struct res_driver drv_vmm = {vmm_create, vmm_update, vmm_destroy, vmm_probe, NULL};

/* ---------------- vm/<node> ---------------- */

/* CH looks a TAP up in /sys/class/net (net_util/src/open_tap.rs); sysfs
 * shows the network namespace it was mounted in. When aspen's TAP is not
 * there, v48-v52 take it for a TAP they created and give it their default
 * host address, 192.168.249.1/24: refuse before vm.boot instead. */
static int vm_taps_visible(const struct resource *r, struct rt_err *e)
{
	const char *v = res_get(r, "net");
	cJSON *nets = cJSON_Parse(v ? v : "[]");
	const cJSON *n;
	int rc = 0;
	cJSON_ArrayForEach(n, nets) {
		const char *tap = json_str(n, "tap");
		char path[300], idx[32] = "";
		if (!tap)
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/ifindex", tap);
		FILE *f = fopen(path, "re");
		bool same = f && fgets(idx, sizeof(idx), f) && strtoul(idx, NULL, 10) == if_nametoindex(tap);
		if (f)
			fclose(f);
		if (!same) {
			rc = rt_errf(e, ENODEV, "TAP %s is not in /sys/class/net: sysfs shows another network "
				     "namespace, and Cloud Hypervisor (before v53) would give the TAP its "
				     "default address 192.168.249.1/24; mount sysfs in this namespace "
				     "(mount -t sysfs sysfs /sys in a private mount namespace)", tap);
			break;
		}
	}
	cJSON_Delete(nets);
	return rc;
}

static int vm_create(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	const char *node = node_of(r);
	char sock[PATHS_MAX], st[16];
	cJSON *cfg, *have = NULL;
	struct ch *ch;
	struct ch_ping ping;
	struct rt_err ie;
	node_socket(c, node, NULL, sock, sizeof(sock));
	if (client(sock, request_ms(), &ch, e) < 0)
		return -1;
	/* What the VmConfig holds depends on the release (ch_version.h). */
	if (ch_ping(ch, &ping, e) < 0) {
		ch_close(ch);
		return -1;
	}
	unsigned version = ch_version_parse(ping.version);
	if (vm_config(c->run_dir, r, version, &cfg, e) < 0) {
		ch_close(ch);
		return -1;
	}
	int rc = -1;
	if (ch_version_sets_tap_ip(version) && vm_taps_visible(r, e) < 0)
		goto out;
	if (ch_vm_info(ch, st, &have, &ie) == 0) {
		if (state_up(st) && json_covers(have, cfg)) {  /* adopt: a crash left it booted */
			rc = 0;
			goto out;
		}
		/* A config from a failed boot or an older apply: start over. */
		if (state_up(st))
			ch_vm_shutdown(ch, &ie);
		if (ch_vm_delete(ch, e) < 0)
			goto out;
	} else if (ie.errnum != 0) {            /* no answer at all */
		*e = ie;
		goto out;
	}
	serial_rotate(c->run_dir, node);
	if (ch_vm_create(ch, cfg, e) < 0)
		goto out;
	if (ch_vm_boot(ch, e) < 0) {
		ch_vm_delete(ch, &ie);          /* best effort: leave no half-made VM */
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(have);
	cJSON_Delete(cfg);
	ch_close(ch);
	return rc;
}

static int vm_destroy(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	char sock[PATHS_MAX];
	struct ch *ch;
	struct rt_err ie;
	const char *m = res_get(r, "memory");
	node_socket(c, node_of(r), NULL, sock, sizeof(sock));
	if (client(sock, vm_shutdown_ms(m ? strtoull(m, NULL, 10) : 0), &ch, e) < 0)
		return -1;
	int rc = 0;
	/* "VM is not running" is fine. No answer (the VMM is gone or hung):
	 * the VM goes with its VMM, which vmm/<node> stops. */
	if (ch_vm_shutdown(ch, &ie) == 0 || ie.errnum == 0)
		if (ch_vm_delete(ch, e) < 0 && e->errnum == 0)
			rc = -1;
	ch_close(ch);
	return rc;
}

static int vm_probe(struct rt_ctx *c, const struct resource *r, bool *present, struct resource *out,
		    struct rt_err *e)
{
	char st[16];
	(void)out;
	(void)e;
	*present = rt_vm_state(c, node_of(r), st, NULL) == 0 && state_up(st);
	return 0;
}

static int vm_update(struct rt_ctx *c, const struct resource *old, const struct resource *r,
		     struct rt_err *e)
{
	return vm_destroy(c, old, e) < 0 ? -1 : vm_create(c, r, e);
}

const struct res_driver drv_vm = {vm_create, vm_update, vm_destroy, vm_probe, NULL};

/* ---------------- node-level calls (vm.h) ---------------- */

static int node_call(struct rt_ctx *c, const char *node, int (*fn)(struct ch *, struct rt_err *),
		     struct rt_err *e)
{
	char sock[PATHS_MAX];
	struct ch *ch;
	node_socket(c, node, NULL, sock, sizeof(sock));
	if (client(sock, request_ms(), &ch, e) < 0)
		return rt_err_prefix(e, "%s", node);
	int rc = fn(ch, e);
	ch_close(ch);
	return rc < 0 ? rt_err_prefix(e, "%s", node) : 0;
}

int rt_vm_pause(struct rt_ctx *c, const char *node, struct rt_err *e)
{
	return node_call(c, node, ch_vm_pause, e);
}

int rt_vm_resume(struct rt_ctx *c, const char *node, struct rt_err *e)
{
	return node_call(c, node, ch_vm_resume, e);
}

int rt_vm_reboot(struct rt_ctx *c, const char *node, struct rt_err *e)
{
	serial_rotate(c->run_dir, node);
	return node_call(c, node, ch_vm_reboot, e);
}

int rt_vm_kill(struct rt_ctx *c, const char *node, struct rt_err *e)
{
	char sock[PATHS_MAX];
	struct proc_id p;
	node_socket(c, node, NULL, sock, sizeof(sock));
	if (!vmm_find_live(c, node, sock, &p))
		return 0;
	if (proc_signal(&p, SIGKILL, e) < 0 && e->errnum != ESRCH)
		return rt_err_prefix(e, "%s: kill VMM pid %d", node, (int)p.pid);
	if (proc_wait_exit(&p, 5000, e) < 0)
		return rt_err_prefix(e, "%s: VMM pid %d", node, (int)p.pid);
	vmm_unlink_socket(sock);
	return 0;
}

int rt_vm_state(struct rt_ctx *c, const char *node, char state[16], struct rt_err *e)
{
	char sock[PATHS_MAX];
	struct ch *ch;
	node_socket(c, node, NULL, sock, sizeof(sock));
	if (access(sock, F_OK) < 0)
		return rt_errf(e, ENOENT, "%s: VMM not running (no socket %s)", node, sock);
	if (client(sock, quick_ms(), &ch, e) < 0)
		return -1;
	int rc = ch_vm_info(ch, state, NULL, e);
	ch_close(ch);
	return rc < 0 ? rt_err_prefix(e, "%s", node) : 0;
}

int rt_vm_check(struct rt_ctx *c, const char *node, struct rt_err *e)
{
	char st[16], log[PATHS_MAX], tail[600];
	struct proc_id p;
	if (!vmm_find(c, node, &p) || !proc_alive(&p)) {
		if (run_file(c, node, "log", log, sizeof(log), e) < 0)
			return -1;
		rt_log_tail(log, 3, tail, sizeof(tail));
		return rt_errf(e, ESRCH, "%s: the VMM exited%s%s%s (log: %s)", node, tail[0] ? ": \"" : "",
			       tail, tail[0] ? "\"" : "", log);
	}
	if (rt_vm_state(c, node, st, e) < 0)
		return -1;
	if (!state_up(st))
		return rt_errf(e, ESRCH, "%s: the VM is %s, not Running", node, st);
	return 0;
}

int rt_vm_version(struct rt_ctx *c, const char *node, char *out, size_t len, struct rt_err *e)
{
	char sock[PATHS_MAX];
	struct ch *ch;
	struct ch_ping ping;
	node_socket(c, node, NULL, sock, sizeof(sock));
	if (access(sock, F_OK) < 0)
		return rt_errf(e, ENOENT, "%s: VMM not running (no socket %s)", node, sock);
	if (client(sock, quick_ms(), &ch, e) < 0)
		return -1;
	int rc = ch_ping(ch, &ping, e);
	ch_close(ch);
	if (rc < 0)
		return rt_err_prefix(e, "%s", node);
	snprintf(out, len, "%s", ping.build_version[0] ? ping.build_version : ping.version);
	return 0;
}

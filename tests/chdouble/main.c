/* main.c — ch-double: a stand-in for the cloud-hypervisor binary, v48 by
 * default, another release with CHD_VERSION (docs/ch-api.md "Versions").
 *
 * Same command line as far as aspen uses it: `--api-socket path=/x.sock`,
 * `--api-socket /x.sock` or `fd=N`, `--version` / `-V` ("cloud-hypervisor
 * v48.0"), `-v` (repeatable), `--log-file F`, `--seccomp V`, `--landlock`.
 * Like CH (clap) it refuses unknown arguments with exit status 2, and VM
 * options (--kernel, --serial, --console, ...) without a payload; a VM
 * described on the command line is not implemented (exit 2, say so).
 * Serves one request at a time, as CH's single HTTP thread does, and exits 0
 * after vmm.shutdown, SIGTERM or SIGINT, removing its socket.
 *
 * Like CH it sets up its log file, then "creates the hypervisor", then binds
 * the socket: a failure before that prints CH's error chain and exits 1.
 *
 * Steering from tests (environment):
 *   CHD_VERSION=v53.0        speak as that release (default v48.0)
 *   CHD_NO_KVM=1             the host has no KVM: error chain, exit 1, no socket
 *   CHD_BOOT_DELAY_MS=N      vm.boot (and vm.reboot) take N ms longer
 *   CHD_FAIL_NTH=N           the N-th request (1-based, any path) answers 500
 *   CHD_FAIL_ENDPOINT=a,b    these endpoints (vm.boot, ...) always answer 500
 *   CHD_CRASH_ON=a,b         _exit(1) while handling these endpoints
 *   CHD_HANG_ON=a,b          read the request, never answer (SIGTERM still works)
 *   CHD_NO_SOCKET=1          never create the socket; sleep until killed
 *   CHD_STATE_FILE=path      rewritten (atomically) on every transition with one
 *                            of NotCreated, Created, Running, Paused, Exited
 *   CHD_POWER_BUTTON=ignore  the "guest" ignores vm.power-button; by default it
 *                            powers off CHD_POWEROFF_MS (50) ms later and the
 *                            VMM exits 0, as CH does when its guest powers off
 * Logs as CH does (chd_log: warnings, -v info, -vv debug) on stderr or
 * --log-file; each request is an info line "#N PUT /api/v1/vm.boot -> 204". */
#include "tests/chdouble/chd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 10

static FILE *g_log;
static int g_sigfd = -1;
static bool g_quit;
static const char *g_sock_path;
static bool g_sock_created;

static int g_verbose;
static struct timespec g_t0;
static unsigned g_version = 4800;

unsigned chd_version(void)
{
	return g_version;
}

void chd_log(enum chd_level lv, const char *fmt, ...)
{
	static const char *const name[] = {"", "ERROR", "WARN", "INFO", "DEBUG"};
	if ((int)lv > 2 + g_verbose)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double ms = (double)(now.tv_sec - g_t0.tv_sec) * 1e3 + (double)(now.tv_nsec - g_t0.tv_nsec) / 1e6;
	FILE *f = g_log ? g_log : stderr;
	va_list ap;
	va_start(ap, fmt);
	fprintf(f, "cloud-hypervisor: %.6fms: <ch-double> %s:vmm -- ", ms, name[lv]);
	vfprintf(f, fmt, ap);
	fputs("\r\n", f);
	fflush(f);
	va_end(ap);
}

bool chd_sleep_ms(unsigned long ms)
{
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long spent = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (g_quit || (unsigned long)spent >= ms)
			return g_quit;
		struct pollfd p = {.fd = g_sigfd, .events = POLLIN};
		if (poll(&p, 1, (int)(ms - (unsigned long)spent)) > 0)
			g_quit = true;
	}
}

/* ---------------- command line ---------------- */

struct args {
	const char *api_socket;
	const char *log_file;
	int verbose;
	bool version;
};

static const char *const vm_options[] = {
	"balloon", "cmdline", "console", "cpus", "debug-console", "device", "disk", "firmware", "fs",
	"initramfs", "kernel", "landlock-rules", "memory", "memory-zone", "net", "numa", "pci-segment",
	"platform", "pmem", "pvpanic", "rate-limit-group", "rng", "serial", "tpm", "user-device", "vdpa",
	"vsock", "watchdog", NULL};
static const char *const flag_options[] = {"pvpanic", "watchdog", "landlock", NULL};

static bool in(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

static void usage(FILE *f)
{
	fprintf(f, "Launch a cloud-hypervisor VMM.\n\nUsage: cloud-hypervisor [OPTIONS]\n\n"
		   "Options (ch-double implements): --api-socket <path=...|fd=...|PATH>, --log-file <F>,\n"
		   "  -v..., -V/--version, --seccomp <true|false|log>, --landlock, -h/--help\n");
}

static void clap_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void clap_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "error: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n\nUsage: cloud-hypervisor [OPTIONS]\n\nFor more information, try '--help'.\n");
	exit(2);
}

static void parse_args(int argc, char **argv, struct args *a)
{
	bool vm_opt = false, payload = false;
	if (argc < 2) {
		usage(stderr);
		exit(2);
	}
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
			usage(stdout);
			exit(0);
		}
		if (strcmp(s, "-V") == 0 || strcmp(s, "--version") == 0) {
			a->version = true;
			continue;
		}
		if (s[0] == '-' && s[1] == 'v' && strspn(s + 1, "v") == strlen(s + 1)) {
			a->verbose += (int)strlen(s + 1);
			continue;
		}
		if (strncmp(s, "--", 2) != 0)
			clap_error("unexpected argument '%s' found", s);
		char name[64];
		const char *eq = strchr(s, '='), *val = eq ? eq + 1 : NULL;
		snprintf(name, sizeof(name), "%.*s", (int)(eq ? (size_t)(eq - s - 2) : strlen(s + 2)), s + 2);
		bool known = strcmp(name, "api-socket") == 0 || strcmp(name, "log-file") == 0 ||
			     strcmp(name, "seccomp") == 0 || strcmp(name, "event-monitor") == 0 ||
			     in(vm_options, name) || in(flag_options, name);
		if (!known)
			clap_error("unexpected argument '%s' found", s);
		if (!in(flag_options, name) && !val) {
			if (i + 1 >= argc)
				clap_error("a value is required for '--%s <VALUE>' but none was supplied", name);
			val = argv[++i];
		}
		if (strcmp(name, "api-socket") == 0)
			a->api_socket = val;
		else if (strcmp(name, "log-file") == 0)
			a->log_file = val;
		else if (strcmp(name, "seccomp") == 0 && strcmp(val, "true") && strcmp(val, "false") &&
			 strcmp(val, "log"))
			clap_error("invalid value '%s' for '--seccomp <seccomp>'", val);
		if (in(vm_options, name))
			vm_opt = true;
		if (strcmp(name, "kernel") == 0 || strcmp(name, "firmware") == 0)
			payload = true;
	}
	if (vm_opt && !payload && !a->version) {
		fprintf(stderr, "error: the following required arguments were not provided:\n"
				"  <--firmware <firmware>|--kernel <kernel>>\n\n"
				"Usage: cloud-hypervisor [OPTIONS]\n\nFor more information, try '--help'.\n");
		exit(2);
	}
	if (payload && !a->version) {
		fprintf(stderr, "ch-double: a VM on the command line (--kernel/--firmware) is not implemented; "
				"use the API (vm.create)\n");
		exit(2);
	}
}

/* v53 (vmm/src/api/http/mod.rs, acquire_api_socket_lock): a write lock on
 * <path>.lock, kept for the life of the process and never removed; whoever
 * holds it owns the path, so a socket found there is stale and removed. */
static void api_socket_lock(const char *path)
{
	char lock[4200];
	snprintf(lock, sizeof(lock), "%s.lock", path);
	int fd = open(lock, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	if (fd >= 0 && fcntl(fd, F_OFD_SETLK, &fl) == 0) {
		unlink(path);
		return;         /* fd stays open: the lock lives as long as we do */
	}
	int err = errno;
	fprintf(stderr, "Error: Cloud Hypervisor exited with the following chain of errors:\n"
			"  0: Failed to start the VMM thread\n");
	if (fd >= 0 && (err == EAGAIN || err == EACCES))
		fprintf(stderr, "  1: API socket \"%s\" is already in use by another running instance\n", path);
	else
		fprintf(stderr, "  1: Error creation API server's socket\n  2: %s (os error %d)\n",
			strerror(err), err);
	exit(1);
}

/* CH's OptionParser on "path=...,fd=..." with a bare path as fallback. */
static int api_socket_listen(const char *spec)
{
	if (strncmp(spec, "fd=", 3) == 0) {
		char *end;
		long fd = strtol(spec + 3, &end, 10);
		if (*end || fd < 0) {
			fprintf(stderr, "Error: Cloud Hypervisor exited with the following chain of errors:\n"
					"  0: Error parsing --api-socket\n  1: invalid digit found in string\n");
			exit(1);
		}
		return (int)fd;
	}
	const char *path = strncmp(spec, "path=", 5) == 0 ? spec + 5 : spec;
	if (g_version >= CHD_V_SOCK_LOCK)
		api_socket_lock(path);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
	} else if (fd >= 0) {
		memcpy(sa.sun_path, path, strlen(path) + 1);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, 64) == 0) {
			g_sock_path = path;
			g_sock_created = true;
			return fd;
		}
	}
	int err = errno;
	fprintf(stderr, "Error: Cloud Hypervisor exited with the following chain of errors:\n"
			"  0: Failed to start the VMM thread\n  1: Error creation API server's socket\n"
			"  2: %s (os error %d)\n", strerror(err), err);
	exit(1);
}

/* ---------------- the loop ---------------- */

static void chd_exit(int status)
{
	vmm_shutdown_all();
	if (g_sock_created)
		unlink(g_sock_path);
	vmm_write_state("Exited");
	chd_log(CHD_INFO, "exiting with status %d", status);
	exit(status);
}

static void hang_forever(void)
{
	while (!g_quit) {
		struct pollfd p = {.fd = g_sigfd, .events = POLLIN};
		if (poll(&p, 1, -1) > 0)
			g_quit = true;
	}
	chd_exit(0);
}

static void serve_one(struct http_conn *c, struct http_req *req, unsigned long nth)
{
	struct http_resp r;
	enum chd_after after;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	vmm_handle(req, nth, &r, &after);
	if (after == CHD_HANG)
		hang_forever();
	http_send(http_conn_fd(c), &r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	chd_log(CHD_INFO, "#%lu %s %s -> %d (%.1f ms)%s%s", nth, http_method_name(req->method), req->path, r.status,
		(double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
		r.body && r.status >= 400 ? " " : "", r.body && r.status >= 400 ? r.body : "");
	free(r.body);
	if (after == CHD_CRASH)
		_exit(1);
	if (after == CHD_EXIT || g_quit)
		chd_exit(0);
}

static void serve(int lfd)
{
	struct http_conn *conns[MAX_CONNECTIONS] = {0};
	unsigned long nth = 0;
	for (;;) {
		struct pollfd p[MAX_CONNECTIONS + 2];
		int np = 0;
		p[np++] = (struct pollfd){.fd = g_sigfd, .events = POLLIN};
		p[np++] = (struct pollfd){.fd = lfd, .events = POLLIN};
		for (int i = 0; i < MAX_CONNECTIONS; i++)
			p[np++] = (struct pollfd){.fd = conns[i] ? http_conn_fd(conns[i]) : -1, .events = POLLIN};
		int n = poll(p, (nfds_t)np, vmm_power_pending() ? 10 : -1);
		if (n < 0 && errno != EINTR)
			chd_exit(1);
		if (p[0].revents || g_quit)
			chd_exit(0);
		if (vmm_guest_powered_off())
			chd_exit(0);
		if (p[1].revents & POLLIN) {
			int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			int slot = 0;
			while (slot < MAX_CONNECTIONS && conns[slot])
				slot++;
			if (fd >= 0 && slot == MAX_CONNECTIONS) {
				http_server_full(fd);
				close(fd);
			} else if (fd >= 0) {
				conns[slot] = http_conn_new(fd);
			}
		}
		for (int i = 0; i < MAX_CONNECTIONS; i++) {
			if (!conns[i] || !(p[i + 2].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			struct http_req req = {0};
			int r;
			while ((r = http_conn_read(conns[i], &req)) == 1) {
				serve_one(conns[i], &req, ++nth);
				http_req_clear(&req);
			}
			if (r < 0) {
				http_conn_free(conns[i]);
				conns[i] = NULL;
			}
		}
	}
}

static unsigned long env_ul(const char *name, unsigned long dflt)
{
	const char *v = getenv(name);
	return v && *v ? strtoul(v, NULL, 10) : dflt;
}

static const char *env_s(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* "v53.0", "53.0" or "53" -> 5300; unset: v48.0. */
static unsigned parse_version(const char *v)
{
	if (!v)
		return 4800;
	if (*v == 'v')
		v++;
	char *end;
	unsigned long major = strtoul(v, &end, 10), minor = *end == '.' ? strtoul(end + 1, NULL, 10) : 0;
	if (major < 1 || major > 999 || minor > 99) {
		fprintf(stderr, "ch-double: CHD_VERSION=%s is not a version like v53.0\n", v);
		exit(2);
	}
	return (unsigned)(major * 100 + minor);
}

int main(int argc, char **argv)
{
	struct args a = {0};
	umask(077);             /* as CH: sockets and files only for this user */
	clock_gettime(CLOCK_MONOTONIC, &g_t0);
	g_version = parse_version(env_s("CHD_VERSION"));
	parse_args(argc, argv, &a);
	g_verbose = a.verbose;
	if (a.version) {
		printf("cloud-hypervisor v%u.%u\n", g_version / 100, g_version % 100);
		if (a.verbose)
			printf("Enabled features: [\"io_uring\", \"kvm\"]\n");
		return 0;
	}
	if (a.log_file && !(g_log = fopen(a.log_file, "we"))) {
		fprintf(stderr, "Error: Cloud Hypervisor exited with the following chain of errors:\n"
				"  0: Error creating log file\n  1: %s (os error %d)\n", strerror(errno), errno);
		return 1;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	g_sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	signal(SIGCHLD, SIG_IGN);

	static struct chd_faults f;
	f.boot_delay_ms = env_ul("CHD_BOOT_DELAY_MS", 0);
	f.fail_nth = env_ul("CHD_FAIL_NTH", 0);
	f.fail_endpoints = env_s("CHD_FAIL_ENDPOINT");
	f.crash_on = env_s("CHD_CRASH_ON");
	f.hang_on = env_s("CHD_HANG_ON");
	f.state_file = env_s("CHD_STATE_FILE");
	f.power_button_ignored = env_s("CHD_POWER_BUTTON") && strcmp(env_s("CHD_POWER_BUTTON"), "ignore") == 0;
	f.poweroff_ms = env_ul("CHD_POWEROFF_MS", 50);
	f.version = g_version;
	vmm_init(&f);

	/* CH creates the hypervisor (opens /dev/kvm) before it binds the API
	 * socket (src/main.rs, start_vmm): without KVM it never serves. */
	if (env_s("CHD_NO_KVM")) {
		chd_log(CHD_ERROR, "Fatal error: CreateHypervisor(HypervisorCreate(no supported hypervisor))");
		fprintf(stderr, "Error: Cloud Hypervisor exited with the following chain of errors:\n"
				"  0: Failed to open hypervisor interface (is hypervisor interface available?)\n"
				"  1: Failed to create the hypervisor\n"
				"  2: no supported hypervisor\n");
		return 1;
	}

	if (env_s("CHD_NO_SOCKET") || !a.api_socket) {
		chd_log(CHD_INFO, a.api_socket ? "CHD_NO_SOCKET: not creating %s" : "no --api-socket%s: nothing to serve",
			a.api_socket ? a.api_socket : "");
		hang_forever();
	}
	int lfd = api_socket_listen(a.api_socket);
	chd_log(CHD_INFO, "serving the Cloud Hypervisor v%u.%u API on %s", g_version / 100, g_version % 100,
		a.api_socket);
	serve(lfd);
	return 0;
}

/* test_ch_client.c — the CH REST client against the CH v48 API double.
 *
 * Runs as root inside tests/sandbox.sh: each test starts $BUILD/tools/ch-double
 * on a socket in a fresh mktemp directory (steered by CHD_* variables), drives
 * it through runtime/ch_client with configs from runtime/vmconfig, and checks
 * both the client's view and the kernel's: the TAP the VM uses is UP with
 * carrier exactly while the VM runs (the double holds its queue fd) and its
 * MAC shows up as host_mac in vm.info. Every double started is stopped by
 * pid and reaped. */
#include "tests/testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/ch_client.h"
#include "runtime/vmconfig.h"

#define TAP "chdtap0"

static char dir[64];
static pid_t g_pid;             /* the double of the running test, 0 once reaped */
static char sock[128], kernel[128], disk[128], statefile[128], logfile[128];

/* ---------------- fixtures ---------------- */

static int tap_persist(const char *name, int on)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct ifreq ifr = {0};
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	int r = ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, on) < 0 ? -1 : 0;
	close(fd);
	return r;
}

/* The TAP as the kernel sees it from this namespace: flags and MAC. */
static short tap_flags(const char *name, char mac[18])
{
	struct ifreq ifr = {0};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	assert_int_equal(ioctl(s, SIOCGIFHWADDR, &ifr), 0);
	unsigned char *m = (unsigned char *)ifr.ifr_hwaddr.sa_data;
	snprintf(mac, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	assert_int_equal(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	close(s);
	return ifr.ifr_flags;
}

/* Operstate (IFF_RUNNING) follows the carrier through linkwatch, which may
 * lag by up to a second: wait for it. */
static short tap_wait_flags(const char *name, char mac[18], short want)
{
	short f = 0;
	for (int i = 0; i < 300; i++) {
		f = tap_flags(name, mac) & (IFF_UP | IFF_RUNNING);
		if (f == want)
			break;
		struct timespec ts = {0, 10000000L};
		nanosleep(&ts, NULL);
	}
	return f;
}

static bool if_exists(const char *name)
{
	struct ifreq ifr = {0};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	bool r = ioctl(s, SIOCGIFINDEX, &ifr) == 0;
	close(s);
	return r;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int read_file(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t got = fread(buf, 1, n - 1, f);
	buf[got] = '\0';
	fclose(f);
	while (got > 0 && buf[got - 1] == '\n')
		buf[--got] = '\0';
	return 0;
}

/* A bare ELF64 header: what CH's kernel loader checks first. */
static void write_elf(const char *path)
{
	static const char elf[64] = "\x7f" "ELF\x02\x01\x01";
	FILE *f = fopen(path, "w");
	if (f) {
		fwrite(elf, 1, sizeof(elf), f);
		fclose(f);
	}
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/aspen-chd.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock, sizeof(sock), "%s/vm.sock", dir);
	snprintf(kernel, sizeof(kernel), "%s/vmlinux", dir);
	snprintf(disk, sizeof(disk), "%s/root.raw", dir);
	snprintf(statefile, sizeof(statefile), "%s/state", dir);
	snprintf(logfile, sizeof(logfile), "%s/double.log", dir);
	write_elf(kernel);
	write_file(disk, "disk\n");
	/* CH and the double look TAPs up in /sys/class/net: sysfs must show
	 * this (the sandbox's) network namespace. The mount namespace is the
	 * sandbox's own. */
	if (mount("sysfs", "/sys", "sysfs", 0, NULL) < 0) {
		fprintf(stderr, "mount sysfs: %s\n", strerror(errno));
		return -1;
	}
	if (tap_persist(TAP, 1)) {
		fprintf(stderr, "cannot create TAP %s: %s\n", TAP, strerror(errno));
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tap_persist(TAP, 0);
	char buf[8192];
	if (read_file(logfile, buf, sizeof(buf)) == 0)      /* shown by run-tests.sh on failure */
		fprintf(stderr, "--- ch-double log (head) ---\n%s\n", buf);
	const char *names[] = {kernel, disk, statefile, logfile, sock};
	for (size_t i = 0; i < 5; i++)
		unlink(names[i]);
	rmdir(dir);
	return 0;
}



/* Start the double with the given CHD_* settings (NULL-terminated "K=V"). */
static pid_t double_start(const char *const *env)
{
	const char *build = getenv("BUILD");
	char bin[512], arg[200];
	snprintf(bin, sizeof(bin), "%s/tools/ch-double", build ? build : "build");
	snprintf(arg, sizeof(arg), "path=%s", sock);
	unlink(sock);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (; env && *env; env++)
			putenv((char *)*env);
		setenv("CHD_STATE_FILE", statefile, 1);
		int fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0)
			dup2(fd, 2);
		execl(bin, "ch-double", "--api-socket", arg, (char *)NULL);
		_exit(127);
	}
	g_pid = pid;
	return pid;
}

/* Wait up to ms for pid to exit; returns its wait status or -1. */
static int double_wait(pid_t pid, long ms)
{
	for (long t = 0; t <= ms; t += 5) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			if (pid == g_pid)
				g_pid = 0;
			return st;
		}
		struct timespec ts = {0, 5000000L};
		nanosleep(&ts, NULL);
	}
	return -1;
}

static void double_stop(pid_t pid)
{
	if (pid > 0 && kill(pid, SIGTERM) == 0 && double_wait(pid, 2000) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (pid == g_pid)
		g_pid = 0;
}

/* After each test, pass or fail: stop its double if it still runs. */
static int stop_current(void **state)
{
	(void)state;
	double_stop(g_pid);
	return 0;
}

static struct ch *client(long request_ms)
{
	struct ch *ch;
	struct rt_err e = {0};
	assert_int_equal(ch_open(&ch, sock, &e), 0);
	ch_set_timeouts(ch, 500, request_ms);
	if (ch_wait_ready(ch, 3000, &e))
		fail_msg("%s", e.msg);
	return ch;
}

static cJSON *config(const char *tap)
{
	struct vmconfig_disk d = {disk, false};
	struct vmconfig_net n = {tap, "52:54:00:aa:bb:01"};
	struct vmconfig_in in = {.cpus = 2, .memory = 256ull << 20, .kernel = kernel,
				 .cmdline = "console=hvc0", .disks = &d, .n_disks = 1,
				 .nets = tap ? &n : NULL, .n_nets = tap ? 1 : 0};
	cJSON *j;
	struct rt_err e = {0};
	if (vmconfig_build(&in, &j, &e))
		fail_msg("%s", e.msg);
	return j;
}

static void expect_err(int rc, const struct rt_err *e, const char *want)
{
	assert_int_equal(rc, -1);
	if (!strstr(e->msg, want))
		fail_msg("error \"%s\"\n  lacks \"%s\"", e->msg, want);
}

static void expect_state(struct ch *ch, const char *want)
{
	char st[16];
	struct rt_err e = {0};
	if (ch_vm_info(ch, st, NULL, &e))
		fail_msg("%s", e.msg);
	assert_string_equal(st, want);
	char file[32];
	assert_int_equal(read_file(statefile, file, sizeof(file)), 0);
	assert_string_equal(file, want);
}

static void create(struct ch *ch, const char *tap)
{
	struct rt_err e = {0};
	cJSON *c = config(tap);
	int rc = ch_vm_create(ch, c, &e);
	cJSON_Delete(c);
	if (rc)
		fail_msg("%s", e.msg);
}

#define OK(call) do { struct rt_err e_ = {0}; if ((call) != 0) fail_msg("%s: %s", #call, e_.msg); } while (0)
#define E (&e_)

/* ---------------- tests ---------------- */

static void test_lifecycle(void **state)
{
	(void)state;
	pid_t pid = double_start(NULL);
	struct ch *ch = client(5000);
	struct ch_ping p;
	struct rt_err e = {0};
	char buf[64];

	OK(ch_ping(ch, &p, E));
	assert_string_equal(p.version, "48.0.0");
	assert_string_equal(p.build_version, "v48.0");
	assert_int_equal(p.pid, pid);
	expect_err(ch_vm_info(ch, NULL, NULL, &e), &e,
		   "vm.info failed (500): Error from API: The VM info is not available: VM is not created");

	create(ch, TAP);
	expect_state(ch, "Created");
	OK(ch_vm_boot(ch, E));
	expect_state(ch, "Running");

	/* the kernel's view: the double holds the TAP's queue (carrier) and brought it up */
	char mac[18];
	assert_int_equal(tap_wait_flags(TAP, mac, IFF_UP | IFF_RUNNING), IFF_UP | IFF_RUNNING);
	cJSON *cfg = NULL;
	char st[16];
	OK(ch_vm_info(ch, st, &cfg, E));
	const cJSON *net0 = cJSON_GetArrayItem(cJSON_GetObjectItem(cfg, "net"), 0);
	const cJSON *disk0 = cJSON_GetArrayItem(cJSON_GetObjectItem(cfg, "disks"), 0);
	assert_string_equal(cJSON_GetObjectItem(net0, "host_mac")->valuestring, mac);
	assert_string_equal(cJSON_GetObjectItem(net0, "mac")->valuestring, "52:54:00:aa:bb:01");
	assert_string_equal(cJSON_GetObjectItem(net0, "id")->valuestring, "_net1");
	assert_string_equal(cJSON_GetObjectItem(disk0, "id")->valuestring, "_disk0");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(cfg, "cpus"), "max_vcpus")->valueint, 2);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(cfg, "memory"), "thp")));
	cJSON_Delete(cfg);

	expect_err(ch_vm_boot(ch, &e), &e, "vm.boot failed (500): Error from API: The VM could not boot: "
		   "invalid VM state transition: Running to Running");
	OK(ch_vm_pause(ch, E));
	expect_state(ch, "Paused");
	expect_err(ch_vm_pause(ch, &e), &e, "vm.pause failed (500): Error from API: The VM could not be "
		   "paused: Cannot pause VM: Failed to pause migratable component: Invalid transition: "
		   "InvalidStateTransition(Paused, Paused)");
	OK(ch_vm_resume(ch, E));
	expect_state(ch, "Running");
	expect_err(ch_vm_resume(ch, &e), &e, "vm.resume failed (500): Error from API: The VM could not "
		   "resume: Cannot resume VM: Failed to resume migratable component: Invalid transition: "
		   "InvalidStateTransition(Running, Running)");
	OK(ch_vm_pause(ch, E));
	OK(ch_vm_boot(ch, E));          /* v48: boot on a paused VM resumes it */
	expect_state(ch, "Running");
	OK(ch_vm_reboot(ch, E));
	expect_state(ch, "Running");

	OK(ch_vm_shutdown(ch, E));
	expect_state(ch, "Created");    /* v48 drops the VM: info says Created again */
	assert_int_equal(tap_wait_flags(TAP, mac, IFF_UP), IFF_UP);     /* fd closed: no carrier */
	expect_err(ch_vm_shutdown(ch, &e), &e, "vm.shutdown failed (500): Error from API: "
		   "The VM could not shutdown: VM is not running");
	cJSON *again = config(TAP);
	expect_err(ch_vm_create(ch, again, &e), &e, "vm.create failed (500): Error from API: "
		   "The VM could not be created: VM is already created");
	cJSON_Delete(again);
	OK(ch_vm_boot(ch, E));          /* a shut down VM boots again */
	OK(ch_vm_delete(ch, E));
	assert_int_equal(read_file(statefile, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "NotCreated");
	OK(ch_vm_delete(ch, E));        /* deleting nothing is fine in v48 */

	OK(ch_vmm_shutdown(ch, E));
	assert_int_equal(ch_last_status(ch), 200);
	int ws = double_wait(pid, 2000);
	assert_true(ws >= 0 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	assert_int_equal(access(sock, F_OK), -1);
	assert_int_equal(read_file(statefile, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Exited");
	ch_close(ch);
}

static void test_wrong_transitions(void **state)
{
	(void)state;
	pid_t pid = double_start(NULL);
	struct ch *ch = client(5000);
	struct rt_err e = {0};
	expect_err(ch_vm_boot(ch, &e), &e, "vm.boot failed (500): Error from API: The VM could not boot: "
		   "VM config is missing");
	expect_err(ch_vm_reboot(ch, &e), &e, "vm.reboot failed (500): Error from API: The VM could not "
		   "reboot: VM is not created");
	expect_err(ch_vm_power_button(ch, &e), &e, "vm.power-button failed (500): Error from API: "
		   "Error triggering power button: VM is not running");
	expect_err(ch_vm_resume(ch, &e), &e, "The VM could not resume: VM is not running");
	create(ch, TAP);
	expect_err(ch_vm_pause(ch, &e), &e, "vm.pause failed (500): Error from API: The VM could not be "
		   "paused: VM is not running");
	assert_int_equal(ch_last_status(ch), 500);
	double_stop(pid);
	ch_close(ch);
}

static void test_boot_failures(void **state)
{
	(void)state;
	pid_t pid = double_start(NULL);
	struct ch *ch = client(5000);
	struct rt_err e = {0};
	create(ch, "chdnotap");
	expect_err(ch_vm_boot(ch, &e), &e, "vm.boot failed (500): Error from API: The VM could not boot: "
		   "Error from device manager: Cannot create virtio-net device: Failed to open taps: "
		   "Open tap device failed: Unable to configure tap interface: "
		   "Operation not permitted (os error 1)");
	expect_state(ch, "Created");
	assert_false(if_exists("chdnotap"));    /* the double never creates one */
	OK(ch_vm_delete(ch, E));

	unlink(kernel);
	create(ch, TAP);
	expect_err(ch_vm_boot(ch, &e), &e, "The VM could not boot: Cannot open kernel file: "
		   "No such file or directory (os error 2)");
	/* Not a kernel CH can load: the boot fails after the disks are
	 * locked, and the VM stays, Created, as CH keeps it. */
	write_file(kernel, "k\n");
	expect_err(ch_vm_boot(ch, &e), &e, "The VM could not boot: Cannot load the kernel into memory: "
		   "Kernel Loader: failed to load bzImage kernel image: Kernel Loader: Unable to read bzImage header");
	expect_state(ch, "Created");
	write_elf(kernel);
	OK(ch_vm_boot(ch, E));
	double_stop(pid);
	ch_close(ch);
}

static void test_bad_create(void **state)
{
	(void)state;
	pid_t pid = double_start(NULL);
	struct ch *ch = client(5000);
	struct rt_err e = {0};
	cJSON *bad = cJSON_Parse("{\"cpus\":{\"boot_vcpus\":2},\"payload\":{\"kernel\":\"/k\"}}");
	expect_err(ch_vm_create(ch, bad, &e), &e, "vm.create failed (400): Failed to deserialize JSON: "
		   "missing field `max_vcpus` at line 1 column 24");
	assert_int_equal(ch_last_status(ch), 400);
	cJSON_Delete(bad);
	bad = cJSON_Parse("{\"memory\":{\"size\":\"512M\"}}");
	expect_err(ch_vm_create(ch, bad, &e), &e, "vm.create failed (400): Failed to deserialize JSON: "
		   "invalid type: string \"512M\", expected u64 at line 1 column 24");
	cJSON_Delete(bad);
	expect_err(ch_vm_info(ch, NULL, NULL, &e), &e, "VM is not created");
	double_stop(pid);
	ch_close(ch);
}

static void test_fail_nth(void **state)
{
	(void)state;
	const char *env[] = {"CHD_FAIL_NTH=3", NULL};
	pid_t pid = double_start(env);
	struct ch *ch = client(5000);   /* request 1 (or more) is the readiness ping */
	struct rt_err e = {0};
	OK(ch_ping(ch, NULL, E));       /* request 2 */
	expect_err(ch_ping(ch, NULL, &e), &e, "vmm.ping failed (500): Error from API: Internal Server "
		   "Error: ch-double: injected failure of request #3 (CHD_FAIL_NTH)");
	OK(ch_ping(ch, NULL, E));
	double_stop(pid);
	ch_close(ch);
}

static void test_fail_endpoint(void **state)
{
	(void)state;
	const char *env[] = {"CHD_FAIL_ENDPOINT=vm.boot,vm.reboot", NULL};
	pid_t pid = double_start(env);
	struct ch *ch = client(5000);
	struct rt_err e = {0};
	create(ch, TAP);
	for (int i = 0; i < 2; i++)
		expect_err(ch_vm_boot(ch, &e), &e, "vm.boot failed (500): Error from API: The VM could not "
			   "boot: ch-double: injected failure");
	expect_state(ch, "Created");
	double_stop(pid);
	ch_close(ch);
}

static void test_crash_on(void **state)
{
	(void)state;
	const char *env[] = {"CHD_CRASH_ON=vm.boot", NULL};
	pid_t pid = double_start(env);
	struct ch *ch = client(5000);
	struct rt_err e = {0};
	create(ch, TAP);
	/* curl retries a dead kept-alive connection once: the fresh connect is
	 * refused (the socket file of a crashed VMM stays behind) */
	assert_int_equal(ch_vm_boot(ch, &e), -1);
	if (e.errnum != ECONNRESET && e.errnum != ECONNREFUSED)
		fail_msg("unexpected: %s", e.msg);
	assert_non_null(strstr(e.msg, sock));
	int ws = double_wait(pid, 2000);
	assert_true(ws >= 0 && WIFEXITED(ws) && WEXITSTATUS(ws) == 1);
	ch_close(ch);
}

static void test_no_socket(void **state)
{
	(void)state;
	const char *env[] = {"CHD_NO_SOCKET=1", NULL};
	pid_t pid = double_start(env);
	struct ch *ch;
	struct rt_err e = {0};
	assert_int_equal(ch_open(&ch, sock, &e), 0);
	expect_err(ch_wait_ready(ch, 300, &e), &e, "did not answer within 300 ms");
	assert_non_null(strstr(e.msg, sock));
	assert_non_null(strstr(e.msg, "cannot connect"));
	assert_int_equal(e.errnum, ETIMEDOUT);
	expect_err(ch_ping(ch, NULL, &e), &e, "vmm.ping: cannot connect to ");
	assert_int_equal(e.errnum, ENOENT);
	double_stop(pid);
	ch_close(ch);
}

static void test_hang_on(void **state)
{
	(void)state;
	const char *env[] = {"CHD_HANG_ON=vm.pause", NULL};
	pid_t pid = double_start(env);
	struct ch *ch = client(300);
	struct rt_err e = {0};
	create(ch, TAP);
	OK(ch_vm_boot(ch, E));
	expect_err(ch_vm_pause(ch, &e), &e, "vm.pause: no answer from ");
	assert_non_null(strstr(e.msg, "within 300 ms"));
	assert_int_equal(e.errnum, ETIMEDOUT);
	assert_int_equal(kill(pid, SIGTERM), 0);
	int ws = double_wait(pid, 2000);
	assert_true(ws >= 0 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	assert_int_equal(access(sock, F_OK), -1);
	ch_close(ch);
}

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void test_boot_delay(void **state)
{
	(void)state;
	const char *env[] = {"CHD_BOOT_DELAY_MS=400", NULL};
	pid_t pid = double_start(env);
	struct ch *ch = client(5000);
	create(ch, TAP);
	long t0 = now_ms();
	OK(ch_vm_boot(ch, E));
	long took = now_ms() - t0;
	assert_true(took >= 400);
	expect_state(ch, "Running");
	OK(ch_vm_shutdown(ch, E));
	ch_set_timeouts(ch, 0, 100);
	struct rt_err e = {0};
	expect_err(ch_vm_boot(ch, &e), &e, "vm.boot: no answer from ");
	double_stop(pid);
	ch_close(ch);
}

static void test_power_button(void **state)
{
	(void)state;
	pid_t pid = double_start(NULL);
	struct ch *ch = client(5000);
	create(ch, TAP);
	OK(ch_vm_boot(ch, E));
	OK(ch_vm_power_button(ch, E));
	int ws = double_wait(pid, 2000);     /* the guest powers off, the VMM exits */
	assert_true(ws >= 0 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	ch_close(ch);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("needs root (TAP devices)\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_lifecycle, stop_current),
		cmocka_unit_test_teardown(test_wrong_transitions, stop_current),
		cmocka_unit_test_teardown(test_boot_failures, stop_current),
		cmocka_unit_test_teardown(test_bad_create, stop_current),
		cmocka_unit_test_teardown(test_fail_nth, stop_current),
		cmocka_unit_test_teardown(test_fail_endpoint, stop_current),
		cmocka_unit_test_teardown(test_crash_on, stop_current),
		cmocka_unit_test_teardown(test_no_socket, stop_current),
		cmocka_unit_test_teardown(test_hang_on, stop_current),
		cmocka_unit_test_teardown(test_boot_delay, stop_current),
		cmocka_unit_test_teardown(test_power_button, stop_current),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

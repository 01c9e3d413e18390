/* test_vm.c — the pure parts of VM nodes, and the executor's parallel batches.
 *
 *   vm_config     a lowered VM node -> the VmConfig aspen sends (ip= reaches
 *                 the cmdline, console/serial files under the run dir,
 *                 disks and nets from their JSON props)
 *   vm_binary     `binary:`, then $ASPEN_CH_BINARY, then PATH
 *   vm_preflight  one line per problem, nodes with the same problem joined,
 *                 nothing reported for a healthy plan
 *   rt_execute    actions of parallel kinds run concurrently (each waits
 *                 for the others to be in flight: a sequential executor
 *                 would time out), others on the main thread one at a time;
 *                 every success is journaled even when a sibling fails.
 * No root, no VMM: drivers are recording doubles. */
#include "tests/testutil.h"

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "compiler/compile.h"
#include "compiler/diag.h"
#include "runtime/runtime.h"
#include "runtime/ch_version.h"
#include "runtime/vm.h"

static char dir[64];

static int rm_cb(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)st; (void)type; (void)f;
	return remove(p);
}

static void touch(const char *name, mode_t mode)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(chmod(p, mode), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/aspen-vm.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	char st[128];
	snprintf(st, sizeof(st), "%s/state", dir);
	setenv("ASPEN_STATE_DIR", st, 1);
	setenv("ASPEN_RUN_DIR", dir, 1);
	unsetenv("ASPEN_CH_BINARY");
	setenv("ASPEN_SKIP_KVM_CHECK", "1", 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* ---------------- a lowered topology ---------------- */

#define YAML_FMT \
	"apiVersion: aspen/v1\n" \
	"name: t\n" \
	"defaults: {kind: vm, cpus: 2, memory: 256M, kernel: ./vmlinux, guest_ip: true,\n" \
	"           cmdline: \"console=hvc0 root=/dev/vda\"}\n" \
	"networks:\n" \
	"  lan: {subnet: 10.9.0.0/24, gateway: 10.9.0.1}\n" \
	"nodes:\n" \
	"  a: {interfaces: [{network: lan, ip: 10.9.0.2}], disks: [{path: ./a.raw}], serial: log}\n" \
	"  b: {interfaces: [{network: lan, ip: 10.9.0.3}], disks: [{path: ./b.raw, readonly: true}],\n" \
	"      console: off%s}\n"

struct lowered {
	struct topology *t;
	struct res_list res;
};

static void lower(struct lowered *l, const char *extra)
{
	char path[128], buf[2048];
	snprintf(path, sizeof(path), "%s/t.yaml", dir);
	snprintf(buf, sizeof(buf), YAML_FMT, extra);
	struct diag_list d;
	diag_init(&d, path);
	l->t = topo_load_buffer(path, buf, strlen(buf), &d);
	if (diag_failed(&d))
		diag_print(&d, stderr, DIAG_TEXT, false);
	assert_false(diag_failed(&d));
	diag_clear(&d);
	memset(&l->res, 0, sizeof(l->res));
	topo_lower(l->t, &l->res);
}

static const struct resource *find(const struct lowered *l, const char *id)
{
	for (size_t i = 0; i < l->res.n; i++)
		if (!strcmp(l->res.v[i].id, id))
			return &l->res.v[i];
	fail_msg("no %s", id);
	return NULL;
}

static const char *jstr(const cJSON *o, const char *path)
{
	char key[64];
	const char *dot;
	while ((dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		o = key[0] >= '0' && key[0] <= '9' ? cJSON_GetArrayItem(o, atoi(key)) :
		    cJSON_GetObjectItemCaseSensitive(o, key);
		path = dot + 1;
	}
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, path);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_config_from_lowering(void **state)
{
	(void)state;
	struct lowered l;
	lower(&l, "");
	cJSON *c;
	struct rt_err e = {0};
	assert_int_equal(vm_config("/run/aspen/t", find(&l, "vm/a"), 0, &c, &e), 0);
	char want[256];
	snprintf(want, sizeof(want), "%s/vmlinux", dir);
	assert_string_equal(jstr(c, "payload.kernel"), want);
	assert_string_equal(jstr(c, "payload.cmdline"),
			    "console=hvc0 root=/dev/vda ip=10.9.0.2::10.9.0.1:255.255.255.0:a:eth0:off");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "cpus"), "boot_vcpus")->valueint, 2);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "cpus"), "max_vcpus")->valueint, 2);
	assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "memory"), "size")->valuedouble == 268435456.0);
	snprintf(want, sizeof(want), "%s/a.raw", dir);
	assert_string_equal(jstr(c, "disks.0.path"), want);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "disks"), 0),
						      "readonly")));
	const struct resource *tap = find(&l, "tap/a.eth0");
	assert_string_equal(jstr(c, "net.0.tap"), res_get(tap, "name"));
	assert_non_null(jstr(c, "net.0.mac"));
	/* the console goes to the VMM's stdout, <node>.console.log (Tty mode:
	 * CH's File mode would truncate it at every reboot) */
	assert_string_equal(jstr(c, "console.mode"), "Tty");
	assert_null(jstr(c, "console.file"));
	assert_string_equal(jstr(c, "serial.mode"), "File");
	assert_string_equal(jstr(c, "serial.file"), "/run/aspen/t/a.serial.log");
	/* no image_type for v48 (unknown to it) or v50.0; "Raw" from v50.1 on */
	assert_null(jstr(c, "disks.0.image_type"));
	cJSON_Delete(c);
	assert_int_equal(vm_config("/run/aspen/t", find(&l, "vm/a"), 5000, &c, &e), 0);
	assert_null(jstr(c, "disks.0.image_type"));
	cJSON_Delete(c);
	assert_int_equal(vm_config("/run/aspen/t", find(&l, "vm/a"), 5300, &c, &e), 0);
	assert_string_equal(jstr(c, "disks.0.image_type"), "Raw");
	cJSON_Delete(c);

	assert_int_equal(vm_config("/r", find(&l, "vm/b"), 0, &c, &e), 0);
	assert_string_equal(jstr(c, "console.mode"), "Off");
	assert_string_equal(jstr(c, "serial.mode"), "Off");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "disks"), 0),
						     "readonly")));
	cJSON_Delete(c);
	topo_free(l.t);
}

static void test_config_bad_props(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct res_list l = {0};
	struct resource *r = res_list_add(&l, &a, RES_VM, "vm/x");
	res_set(&a, r, "kernel", "/k");
	res_set(&a, r, "net", "{not json");
	cJSON *c = (cJSON *)1;
	struct rt_err e = {0};
	assert_int_equal(vm_config("/r", r, 0, &c, &e), -1);
	assert_null(c);
	assert_string_equal(e.msg, "x: bad net property");
	res_set(&a, r, "net", "[]");
	res_set(&a, r, "console", "pty");
	assert_int_equal(vm_config("/r", r, 0, &c, &e), -1);
	assert_string_equal(e.msg, "x: console mode 'pty' is not off, log or tty");
	res_set(&a, r, "console", "tty");
	res_set(&a, r, "cpus", "0");
	assert_int_equal(vm_config("/r", r, 0, &c, &e), -1);
	assert_non_null(strstr(e.msg, "x: vmconfig: cpus"));
	res_set(&a, r, "cpus", "1");
	assert_int_equal(vm_config("/r", r, 0, &c, &e), 0);
	assert_string_equal(jstr(c, "console.mode"), "Tty");
	cJSON_Delete(c);
	arena_free(&a);
}

/* ---------------- binary ---------------- */

static void test_binary(void **state)
{
	(void)state;
	char out[256], want[256], path[256];
	struct rt_err e = {0};
	touch("cloud-hypervisor", 0755);
	touch("not-exec", 0644);
	snprintf(want, sizeof(want), "%s/cloud-hypervisor", dir);
	char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	snprintf(path, sizeof(path), "/nonexistent:%s", dir);
	setenv("PATH", path, 1);
	assert_int_equal(vm_binary("", out, sizeof(out), &e), 0);        /* PATH */
	assert_string_equal(out, want);
	assert_int_equal(vm_binary(want, out, sizeof(out), &e), 0);      /* binary: */
	setenv("ASPEN_CH_BINARY", "/no/such/ch", 1);
	assert_int_equal(vm_binary(NULL, out, sizeof(out), &e), -1);
	assert_string_equal(e.msg, "$ASPEN_CH_BINARY /no/such/ch: No such file or directory");
	assert_int_equal(vm_binary(want, out, sizeof(out), &e), 0);      /* binary: wins */
	unsetenv("ASPEN_CH_BINARY");
	snprintf(path, sizeof(path), "%s/not-exec", dir);
	assert_int_equal(vm_binary(path, out, sizeof(out), &e), -1);
	assert_non_null(strstr(e.msg, "not an executable file"));
	assert_int_equal(vm_binary("not-exec", out, sizeof(out), &e), -1);
	assert_string_equal(e.msg, "binary: not-exec: not found in PATH");
	setenv("PATH", "/nonexistent", 1);
	assert_int_equal(vm_binary(NULL, out, sizeof(out), &e), -1);
	assert_string_equal(e.msg, "cloud-hypervisor: not found in PATH");
	if (old)
		setenv("PATH", old, 1);
	free(old);
}

/* ---------------- preflight ---------------- */

static void preflight(const char *extra, int want_rc, struct rt_err *e)
{
	struct lowered l;
	lower(&l, extra);
	struct res_list observed = {0};
	struct plan p;
	struct diag_list d;
	diag_init(&d, "t");
	assert_int_equal(plan_compute(&p, l.t, &l.res, &observed, &d), 0);
	diag_clear(&d);
	assert_int_equal(vm_preflight(&p, e), want_rc);
	plan_free(&p);
	topo_free(l.t);
}

static void test_preflight(void **state)
{
	(void)state;
	char bin[256], msg[1024];
	struct rt_err e = {0};
	touch("cloud-hypervisor", 0755);
	snprintf(bin, sizeof(bin), "%s/cloud-hypervisor", dir);
	setenv("ASPEN_CH_BINARY", bin, 1);
	/* Nothing exists yet: kernel for both, a's disk (read-write). */
	preflight("", -1, &e);
	snprintf(msg, sizeof(msg),
		 "3 problems with VM nodes; nothing was changed:\n"
		 "  a, b: kernel %s/vmlinux: No such file or directory (set `kernel:` to an "
		 "uncompressed guest kernel, vmlinux; see docs/vms.md)\n"
		 "  a: disk (read-write) %s/a.raw: No such file or directory (create the image, make "
		 "it writable, or mark it `readonly: true`)\n"
		 "  b: disk %s/b.raw: No such file or directory (create the image or fix `disks:`)",
		 dir, dir, dir);
	assert_string_equal(e.msg, msg);
	touch("vmlinux", 0644);
	touch("a.raw", 0644);
	touch("b.raw", 0444);
	preflight("", 0, &e);
	/* A per-node binary that is missing, and an initramfs. */
	preflight(", binary: ./nope, initramfs: ./initrd", -1, &e);
	snprintf(msg, sizeof(msg),
		 "2 problems with VM nodes; nothing was changed:\n"
		 "  b: cloud-hypervisor binary binary: %s/nope: No such file or directory (install "
		 "Cloud Hypervisor v48, or point `binary:` or $ASPEN_CH_BINARY at it; see docs/vms.md)\n"
		 "  b: initramfs %s/initrd: No such file or directory (fix `initramfs:` or remove it)",
		 dir, dir);
	assert_string_equal(e.msg, msg);
	unsetenv("ASPEN_CH_BINARY");
}

/* ---------------- the executor ---------------- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int inflight, max_inflight, want_together, calls;
static pthread_t main_thread;
static bool off_main;

/* Enter, then wait (at most 2 s) until want_together calls are in flight:
 * only a concurrent executor gets them all there. */
static int rec_create(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	(void)c;
	pthread_mutex_lock(&mu);
	calls++;
	if (!pthread_equal(pthread_self(), main_thread))
		off_main = true;
	if (++inflight > max_inflight)
		max_inflight = inflight;
	pthread_cond_broadcast(&cv);
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 2;
	while (inflight < want_together)
		if (pthread_cond_timedwait(&cv, &mu, &dl) == ETIMEDOUT)
			break;
	inflight--;
	pthread_mutex_unlock(&mu);
	if (strstr(r->id, "fail"))
		return rt_errf(e, EIO, "%s failed on purpose", r->id);
	return 0;
}

static int rec_update(struct rt_ctx *c, const struct resource *o, const struct resource *r,
		      struct rt_err *e)
{
	(void)o;
	return rec_create(c, r, e);
}

static int rec_destroy(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	return rec_create(c, r, e);
}

static int rec_probe(struct rt_ctx *c, const struct resource *r, bool *present, struct resource *out,
		     struct rt_err *e)
{
	(void)c; (void)r; (void)out; (void)e;
	*present = true;
	return 0;
}

static const struct res_driver rec = {rec_create, rec_update, rec_destroy, rec_probe, NULL};

/* Run a plan creating the given resources (no deps) with the recording
 * driver for every kind; parallel kinds as given. */
static int run_plan(const char *const *ids, const enum res_kind *kinds, size_t n, bool par_vm,
		    struct rt_ctx *c, struct rt_err *e)
{
	memset(c, 0, sizeof(*c));
	c->topology = "t";
	arena_init(&c->arena);
	struct rt_err le;
	assert_int_equal(journal_load(&c->journal, "t", &le), 0);
	c->journal_loaded = true;
	for (int k = 0; k < RES__COUNT; k++)
		c->drv[k] = &rec;
	c->parallel[RES_VM] = c->parallel[RES_VMM] = par_vm;
	struct res_list desired = {0}, observed = {0};
	for (size_t i = 0; i < n; i++)
		res_set(&c->arena, res_list_add(&desired, &c->arena, kinds[i], ids[i]), "name", ids[i]);
	struct plan p;
	struct diag_list d;
	diag_init(&d, "t");
	assert_int_equal(plan_compute(&p, NULL, &desired, &observed, &d), 0);
	diag_clear(&d);
	main_thread = pthread_self();
	inflight = max_inflight = calls = 0;
	off_main = false;
	int rc = rt_execute(c, &p, e);
	plan_free(&p);
	return rc;
}

static void close_ctx(struct rt_ctx *c)
{
	struct rt_err e;
	journal_remove("t", &e);
	journal_free(&c->journal);
	arena_free(&c->arena);
}

static void test_exec_parallel(void **state)
{
	(void)state;
	static const char *const ids[] = {"vm/a", "vm/b", "vm/c", "vm/d", "bridge/x"};
	static const enum res_kind kinds[] = {RES_VM, RES_VM, RES_VM, RES_VM, RES_BRIDGE};
	struct rt_ctx c;
	struct rt_err e = {0};
	want_together = 4;
	assert_int_equal(run_plan(ids, kinds, 5, true, &c, &e), 0);
	assert_int_equal(calls, 5);
	assert_int_equal(max_inflight, 4);      /* the four VMs together */
	assert_true(off_main);
	assert_int_equal(c.mutations, 5);
	for (size_t i = 0; i < 5; i++)
		assert_non_null(journal_find_resource(&c.journal, ids[i]));
	close_ctx(&c);
}

/* $ASPEN_PARALLEL bounds the worker threads: each call waits (2 s at
 * most) for three in flight, which an unbounded executor reaches at once
 * and a bound of two never does. */
static void test_exec_parallel_bounded(void **state)
{
	(void)state;
	static const char *const ids[] = {"vm/a", "vm/b", "vm/c", "vm/d"};
	static const enum res_kind kinds[] = {RES_VM, RES_VM, RES_VM, RES_VM};
	struct rt_ctx c;
	struct rt_err e = {0};
	setenv("ASPEN_PARALLEL", "2", 1);
	want_together = 3;
	int rc = run_plan(ids, kinds, 4, true, &c, &e);
	unsetenv("ASPEN_PARALLEL");
	assert_int_equal(rc, 0);
	assert_int_equal(calls, 4);
	assert_int_equal(max_inflight, 2);
	assert_true(off_main);
	for (size_t i = 0; i < 4; i++)
		assert_non_null(journal_find_resource(&c.journal, ids[i]));
	close_ctx(&c);
}

static void test_exec_sequential_kinds(void **state)
{
	(void)state;
	static const char *const ids[] = {"bridge/a", "bridge/b", "bridge/c"};
	static const enum res_kind kinds[] = {RES_BRIDGE, RES_BRIDGE, RES_BRIDGE};
	struct rt_ctx c;
	struct rt_err e = {0};
	want_together = 1;
	assert_int_equal(run_plan(ids, kinds, 3, true, &c, &e), 0);
	assert_int_equal(max_inflight, 1);
	assert_false(off_main);                 /* netlink kinds: main thread only */
	close_ctx(&c);
	/* VMs too when the context does not mark them parallel. */
	static const char *const vms[] = {"vm/a", "vm/b"};
	static const enum res_kind vk[] = {RES_VM, RES_VM};
	assert_int_equal(run_plan(vms, vk, 2, false, &c, &e), 0);
	assert_int_equal(max_inflight, 1);
	assert_false(off_main);
	close_ctx(&c);
}

static void test_exec_parallel_failures(void **state)
{
	(void)state;
	static const char *const ids[] = {"vm/a", "vm/fail1", "vm/c", "vm/fail2"};
	static const enum res_kind kinds[] = {RES_VM, RES_VM, RES_VM, RES_VM};
	struct rt_ctx c;
	struct rt_err e = {0};
	want_together = 4;
	assert_int_equal(run_plan(ids, kinds, 4, true, &c, &e), -1);
	assert_int_equal(calls, 4);             /* siblings of a failure still run */
	assert_string_equal(e.msg, "create vm/fail1: vm/fail1 failed on purpose (and 1 more failed action)");
	assert_non_null(journal_find_resource(&c.journal, "vm/a"));
	assert_non_null(journal_find_resource(&c.journal, "vm/c"));
	assert_null(journal_find_resource(&c.journal, "vm/fail1"));
	assert_int_equal(c.mutations, 2);
	/* What succeeded was saved. */
	struct journal j;
	struct rt_err le;
	assert_int_equal(journal_load(&j, "t", &le), 0);
	assert_non_null(journal_find_resource(&j, "vm/c"));
	journal_free(&j);
	close_ctx(&c);
}

/* Destroy waits scale with the guest, capped by $ASPEN_CH_TIMEOUT_MS. */
static void test_shutdown_ms(void **state)
{
	(void)state;
	unsetenv("ASPEN_CH_TIMEOUT_MS");
	assert_int_equal(vm_shutdown_ms(0), 2000);
	assert_int_equal(vm_shutdown_ms(256ull << 20), 2000);
	assert_int_equal(vm_shutdown_ms(512ull << 20), 2500);
	assert_int_equal(vm_shutdown_ms(1ull << 30), 3000);
	assert_int_equal(vm_shutdown_ms(16ull << 30), 18000);
	assert_int_equal(vm_shutdown_ms(64ull << 30), 30000);   /* the request timeout */
	setenv("ASPEN_CH_TIMEOUT_MS", "300", 1);
	assert_int_equal(vm_shutdown_ms(16ull << 30), 300);
	unsetenv("ASPEN_CH_TIMEOUT_MS");
}

/* vmm.ping's version: parsed, refused before v28, warned after the table. */
static void test_ch_version(void **state)
{
	(void)state;
	assert_int_equal(ch_version_parse("48.0.0"), 4800);
	assert_int_equal(ch_version_parse("v53.0"), 5300);
	assert_int_equal(ch_version_parse("50.1.0"), 5001);
	assert_int_equal(ch_version_parse("27"), 2700);
	assert_int_equal(ch_version_parse("dirty"), 0);
	assert_int_equal(ch_version_parse(""), 0);
	assert_int_equal(ch_version_parse(NULL), 0);
	char warn[300];
	struct rt_err e = {0};
	assert_int_equal(ch_version_check(2700, warn, sizeof(warn), &e), -1);
	assert_non_null(strstr(e.msg, "cloud-hypervisor v27.0 is older than v28"));
	assert_int_equal(ch_version_check(0, warn, sizeof(warn), &e), -1);
	assert_int_equal(ch_version_check(2800, warn, sizeof(warn), &e), 0);
	assert_string_equal(warn, "");
	assert_int_equal(ch_version_check(5300, warn, sizeof(warn), &e), 0);
	assert_string_equal(warn, "");
	assert_int_equal(ch_version_check(5400, warn, sizeof(warn), &e), 0);
	assert_non_null(strstr(warn, "cloud-hypervisor v54.0 is newer than the releases aspen was checked against"));
	assert_false(ch_version_needs_image_type(4800));
	assert_false(ch_version_needs_image_type(5000));
	assert_true(ch_version_needs_image_type(5001));
	assert_true(ch_version_sets_tap_ip(5200));
	assert_false(ch_version_sets_tap_ip(5300));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_from_lowering),
		cmocka_unit_test(test_config_bad_props),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_preflight),
		cmocka_unit_test(test_ch_version),
		cmocka_unit_test(test_shutdown_ms),
		cmocka_unit_test(test_exec_parallel),
		cmocka_unit_test(test_exec_parallel_bounded),
		cmocka_unit_test(test_exec_sequential_kinds),
		cmocka_unit_test(test_exec_parallel_failures),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/* test_journal.c — state journal and state paths: round trip, atomic
 * replace, a write that fails half way (RLIMIT_FSIZE) leaving the old journal
 * intact, corrupt and future files, modes, removal, topology listing. */
#include "tests/testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/journal.h"
#include "runtime/paths.h"

static char root[256];

static int rm_cb(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)st; (void)type; (void)f;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	char base[] = "/tmp/aspen-journal.XXXXXX";
	if (!mkdtemp(base))
		return -1;
	/* The state root itself must be created by aspen (mode checks). */
	snprintf(root, sizeof(root), "%s/state", base);
	setenv("ASPEN_STATE_DIR", root, 1);
	umask(0);       /* modes must come from aspen, not from the umask */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char base[256];
	snprintf(base, sizeof(base), "%s", root);
	*strrchr(base, '/') = '\0';
	nftw(base, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	umask(022);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *read_text(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void make_dir(const char *name)
{
	char d[PATHS_MAX];
	struct rt_err e = {0};
	assert_int_equal(paths_make_state_dir(name, d, sizeof(d), &e), 0);
}

static void fill(struct journal *j)
{
	struct rt_err e = {0};
	struct arena a;
	struct res_list l = {0};
	arena_init(&a);
	struct resource *r = res_list_add(&l, &a, RES_NETNS, "netns/node1");
	res_set(&a, r, "name", "aspen-c3-node1");
	r = res_list_add(&l, &a, RES_VETH, "veth/node1.eth0");
	res_set(&a, r, "peer", "eth0");
	res_set(&a, r, "host", "as-c3-node1-0");
	res_add_dep(&a, r, "netns/node1");
	res_add_dep(&a, r, "bridge/lan");
	for (size_t i = 0; i < l.n; i++)
		assert_int_equal(journal_set_resource(j, &l.v[i], &e), 0);
	arena_free(&a);
	struct proc_id p = {.pid = 4242, .starttime = 123456789012ULL};
	journal_set_process(j, "process/node1", &p);
	assert_int_equal(journal_set_file(j, "/home/u/cluster3.yaml", &e), 0);
	journal_set_faults(j, cJSON_Parse("[{\"index\":0,\"active\":true,\"undo\":{\"x\":[1,2]}}]"));
}

static void test_missing_is_empty(void **state)
{
	(void)state;
	struct journal j;
	struct rt_err e = {0};
	assert_int_equal(journal_load(&j, "nothing", &e), 0);
	assert_true(journal_empty(&j));
	assert_null(j.file);
	assert_null(j.faults);
	journal_free(&j);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct journal j, k;
	struct rt_err e = {0};
	assert_int_equal(journal_load(&j, "cluster3", &e), 0);
	fill(&j);
	assert_int_equal(journal_save(&j, &e), 0);
	assert_non_null(j.updated);
	journal_free(&j);

	assert_int_equal(journal_load(&k, "cluster3", &e), 0);
	assert_string_equal(k.file, "/home/u/cluster3.yaml");
	assert_non_null(k.updated);
	assert_int_equal(strlen(k.updated), 20);        /* 2025-01-02T03:04:05Z */
	assert_int_equal(k.resources.n, 2);
	assert_string_equal(k.resources.v[0].id, "netns/node1");
	assert_int_equal(k.resources.v[0].kind, RES_NETNS);
	const struct resource *v = journal_find_resource(&k, "veth/node1.eth0");
	assert_non_null(v);
	assert_int_equal(v->kind, RES_VETH);
	assert_string_equal(res_get(v, "host"), "as-c3-node1-0");
	assert_string_equal(res_get(v, "peer"), "eth0");
	assert_int_equal(v->n_deps, 2);
	assert_string_equal(v->deps[0], "netns/node1");
	assert_string_equal(v->deps[1], "bridge/lan");
	const struct proc_id *p = journal_find_process(&k, "process/node1");
	assert_non_null(p);
	assert_int_equal(p->pid, 4242);
	assert_true(p->starttime == 123456789012ULL);
	char *f = cJSON_PrintUnformatted(k.faults);
	assert_string_equal(f, "[{\"index\":0,\"active\":true,\"undo\":{\"x\":[1,2]}}]");
	cJSON_free(f);
	journal_free(&k);
}

static void test_upsert_and_remove(void **state)
{
	(void)state;
	struct journal j;
	struct rt_err e = {0};
	assert_int_equal(journal_load(&j, "upsert", &e), 0);
	fill(&j);
	struct resource r = {.kind = RES_NETNS, .id = "netns/node1"};
	struct prop props[] = {{"name", "renamed"}};
	r.props = props;
	r.n_props = 1;
	assert_int_equal(journal_set_resource(&j, &r, &e), 0);
	assert_int_equal(j.resources.n, 2);
	assert_string_equal(j.resources.v[0].id, "netns/node1");   /* position kept */
	assert_string_equal(res_get(&j.resources.v[0], "name"), "renamed");
	assert_string_equal(j.resources.v[1].id, "veth/node1.eth0");
	r.kind = (enum res_kind)99;
	assert_int_equal(journal_set_resource(&j, &r, &e), -1);

	assert_true(journal_remove_resource(&j, "netns/node1"));
	assert_false(journal_remove_resource(&j, "netns/node1"));
	assert_int_equal(j.resources.n, 1);
	assert_null(journal_find_resource(&j, "netns/node1"));
	struct proc_id p2 = {.pid = 7, .starttime = 8};
	journal_set_process(&j, "process/node1", &p2);
	assert_int_equal(j.n_procs, 1);
	assert_int_equal(journal_find_process(&j, "process/node1")->pid, 7);
	assert_true(journal_remove_process(&j, "process/node1"));
	assert_false(journal_remove_process(&j, "process/node1"));
	assert_false(journal_empty(&j));
	journal_remove_resource(&j, "veth/node1.eth0");
	journal_set_faults(&j, NULL);
	assert_true(journal_empty(&j));
	assert_int_equal(journal_set_file(&j, "relative.yaml", &e), -1);
	journal_free(&j);
}

static int count_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *de;
	assert_non_null(d);
	while ((de = readdir(d)))
		n += strstr(de->d_name, ".tmp.") != NULL;
	closedir(d);
	return n;
}

static void test_modes_and_atomic_replace(void **state)
{
	(void)state;
	struct journal j;
	struct rt_err e = {0};
	struct stat st1, st2;
	assert_int_equal(journal_load(&j, "modes", &e), 0);
	fill(&j);
	assert_int_equal(journal_save(&j, &e), 0);
	assert_int_equal(stat(j.path, &st1), 0);
	assert_int_equal(st1.st_mode & 07777, 0600);
	struct stat d;
	assert_int_equal(stat(j.dir, &d), 0);
	assert_int_equal(d.st_mode & 07777, 0700);
	assert_int_equal(stat(root, &d), 0);
	assert_int_equal(d.st_mode & 07777, 0700);

	/* A second save replaces the file (new inode), never rewrites in place. */
	journal_remove_resource(&j, "netns/node1");
	assert_int_equal(journal_save(&j, &e), 0);
	assert_int_equal(stat(j.path, &st2), 0);
	assert_true(st1.st_ino != st2.st_ino);
	assert_int_equal(st2.st_mode & 07777, 0600);
	assert_int_equal(count_tmp(j.dir), 0);
	journal_free(&j);
}

/* A write that fails half way (the file size limit stands in for a full
 * disk: write() fails with EFBIG after a partial write) must leave the old
 * journal byte for byte and no temporary file. */
static void test_failed_write_keeps_old(void **state)
{
	(void)state;
	struct journal j;
	struct rt_err e = {0};
	assert_int_equal(journal_load(&j, "full", &e), 0);
	fill(&j);
	assert_int_equal(journal_save(&j, &e), 0);
	char *before = strdup(read_text(j.path));

	/* Grow the journal well past the limit. */
	struct arena a;
	arena_init(&a);
	struct res_list l = {0};
	for (int i = 0; i < 200; i++) {
		char id[64];
		snprintf(id, sizeof(id), "addr/node%d.eth0", i);
		struct resource *r = res_list_add(&l, &a, RES_ADDR, id);
		res_set(&a, r, "address", "10.100.0.2/24 padded to make the journal grow");
		assert_int_equal(journal_set_resource(&j, r, &e), 0);
	}
	arena_free(&a);

	struct rlimit old, lim;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 4096;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	int rc = journal_save(&j, &e);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);

	assert_int_equal(rc, -1);
	assert_int_equal(e.errnum, EFBIG);
	assert_non_null(strstr(e.msg, j.path));
	assert_non_null(strstr(e.msg, "File too large"));
	assert_non_null(strstr(e.msg, "previous journal is unchanged"));
	assert_string_equal(read_text(j.path), before);
	assert_int_equal(count_tmp(j.dir), 0);
	free(before);

	/* After the failure the same journal saves fine. */
	assert_int_equal(journal_save(&j, &e), 0);
	journal_free(&j);
	assert_int_equal(journal_load(&j, "full", &e), 0);
	assert_int_equal(j.resources.n, 202);
	journal_free(&j);
}

static void expect_load_error(const char *name, const char *text, const char *want)
{
	char dir[PATHS_MAX], path[PATHS_MAX + 32];
	struct journal j;
	struct rt_err e = {0};
	make_dir(name);
	assert_int_equal(paths_state_dir(name, dir, sizeof(dir), &e), 0);
	snprintf(path, sizeof(path), "%s/state.json", dir);
	write_file(path, text);
	assert_int_equal(journal_load(&j, name, &e), -1);
	if (!strstr(e.msg, want) || !strstr(e.msg, path))
		fail_msg("message \"%s\" lacks \"%s\" or the path", e.msg, want);
	assert_true(journal_empty(&j));
	journal_free(&j);
}

static void test_corrupt(void **state)
{
	(void)state;
	expect_load_error("corrupt", "{\"format_version\": 1, \"topology\": \"corr", "not valid JSON");
	expect_load_error("empty", "", "the file is empty");
	expect_load_error("array", "[1,2]", "not a JSON object");
	expect_load_error("nover", "{\"topology\": \"nover\"}", "no \"format_version\"");
	expect_load_error("other", "{\"format_version\": 1, \"topology\": \"c9\"}",
			  "\"topology\" is \"c9\", expected \"other\"");
	expect_load_error("kind", "{\"format_version\": 1, \"topology\": \"kind\", \"resources\":"
			  " [{\"kind\": \"teleporter\", \"id\": \"x/y\"}]}",
			  "resources[0] (x/y): unknown kind \"teleporter\"");
	expect_load_error("prop", "{\"format_version\": 1, \"topology\": \"prop\", \"resources\":"
			  " [{\"kind\": \"tap\", \"id\": \"tap/a\", \"props\": {\"mtu\": 1500}}]}",
			  "prop \"mtu\" is not a string");
	expect_load_error("dup", "{\"format_version\": 1, \"topology\": \"dup\", \"resources\":"
			  " [{\"kind\": \"tap\", \"id\": \"tap/a\"}, {\"kind\": \"tap\", \"id\": \"tap/a\"}]}",
			  "duplicate id \"tap/a\"");
	expect_load_error("proc", "{\"format_version\": 1, \"topology\": \"proc\", \"processes\":"
			  " {\"process/n1\": {\"pid\": -3, \"starttime\": 1}}}",
			  "processes.process/n1 needs integer");
	expect_load_error("faults", "{\"format_version\": 1, \"topology\": \"faults\", \"faults\": {}}",
			  "\"faults\" is not an array");
}

static void test_unknown_version(void **state)
{
	(void)state;
	expect_load_error("future", "{\"format_version\": 2, \"topology\": \"future\"}",
			  "unknown format_version 2");
}

/* A save SIGKILLed between mkostemp and rename leaves state.json.tmp.XXXXXX
 * (found by the crash matrix, tests/crash/): the next lock holder sweeps it
 * (rt_open), so re-apply after a crash leaves no trace; the journal stays. */
static void test_sweep_crashed_tmp(void **state)
{
	(void)state;
	struct journal j;
	struct rt_err e = {0};
	char tmp[PATHS_MAX + 32];
	make_dir("swept");
	assert_int_equal(journal_load(&j, "swept", &e), 0);
	snprintf(tmp, sizeof(tmp), "%s/state.json.tmp.Zq81xP", j.dir);
	fill(&j);
	assert_int_equal(journal_save(&j, &e), 0);
	write_file(tmp, "{\"half");
	assert_int_equal(count_tmp(j.dir), 1);
	journal_sweep(&j);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(count_tmp(j.dir), 0);
	assert_int_equal(access(j.path, F_OK), 0);
	journal_sweep(&j);      /* nothing left to sweep: harmless */
	journal_free(&j);
}

static void test_remove(void **state)
{
	(void)state;
	struct journal j;
	struct rt_err e = {0};
	assert_int_equal(journal_load(&j, "gone", &e), 0);
	fill(&j);
	assert_int_equal(journal_save(&j, &e), 0);
	char dir[PATHS_MAX], tmp[PATHS_MAX + 32], other[PATHS_MAX + 32];
	snprintf(dir, sizeof(dir), "%s", j.dir);
	journal_free(&j);

	/* A stray temp file from a crash does not keep the dir alive... */
	snprintf(tmp, sizeof(tmp), "%s/state.json.tmp.abc123", dir);
	write_file(tmp, "{");
	/* ...but any other file (a held lock) does. */
	snprintf(other, sizeof(other), "%s/lock", dir);
	write_file(other, "");
	assert_int_equal(journal_remove("gone", &e), 0);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(access(dir, F_OK), 0);
	unlink(other);
	assert_int_equal(journal_remove("gone", &e), 0);
	assert_int_equal(access(dir, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(journal_remove("gone", &e), 0);        /* idempotent */
	assert_int_equal(journal_load(&j, "gone", &e), 0);
	assert_true(journal_empty(&j));
	journal_free(&j);
}

static void test_paths(void **state)
{
	(void)state;
	char buf[PATHS_MAX];
	struct rt_err e = {0};
	assert_true(paths_valid_name("cluster3"));
	assert_true(paths_valid_name("a-b_c"));
	assert_true(paths_valid_name("x"));
	assert_false(paths_valid_name(""));
	assert_false(paths_valid_name("../etc"));
	assert_false(paths_valid_name("a/b"));
	assert_false(paths_valid_name("-a"));
	assert_false(paths_valid_name("a-"));
	assert_false(paths_valid_name("Upper"));
	assert_false(paths_valid_name("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));   /* 33 */
	assert_int_equal(paths_state_dir("../x", buf, sizeof(buf), &e), -1);
	assert_non_null(strstr(e.msg, "invalid topology name \"../x\""));

	assert_int_equal(paths_state_dir("c3", buf, sizeof(buf), &e), 0);
	char want[PATHS_MAX + 8];
	snprintf(want, sizeof(want), "%s/c3", root);
	assert_string_equal(buf, want);

	char *old = getenv("ASPEN_RUN_DIR") ? strdup(getenv("ASPEN_RUN_DIR")) : NULL;
	unsetenv("ASPEN_RUN_DIR");
	assert_int_equal(paths_run_dir("c3", buf, sizeof(buf), &e), 0);
	assert_string_equal(buf, "/run/aspen/c3");
	setenv("ASPEN_RUN_DIR", "/tmp/x/", 1);
	assert_int_equal(paths_run_dir("c3", buf, sizeof(buf), &e), 0);
	assert_string_equal(buf, "/tmp/x/c3");
	setenv("ASPEN_RUN_DIR", "relative", 1);
	assert_int_equal(paths_run_dir("c3", buf, sizeof(buf), &e), -1);
	assert_non_null(strstr(e.msg, "ASPEN_RUN_DIR=relative: not an absolute path"));
	/* The runtime dir and a missing root are created 0700. */
	char run[PATHS_MAX + 16];
	snprintf(run, sizeof(run), "%s/run/deeper", root);
	setenv("ASPEN_RUN_DIR", run, 1);
	assert_int_equal(paths_make_run_dir("c3", buf, sizeof(buf), &e), 0);
	struct stat st;
	assert_int_equal(stat(buf, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(run, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(paths_make_run_dir("c3", buf, sizeof(buf), &e), 0);   /* exists: fine */
	assert_int_equal(paths_remove_dir_if_empty(buf, &e), 0);
	assert_int_equal(access(buf, F_OK), -1);
	assert_int_equal(paths_remove_dir_if_empty(buf, &e), 0);
	if (old)
		setenv("ASPEN_RUN_DIR", old, 1);
	else
		unsetenv("ASPEN_RUN_DIR");
	free(old);

	char *saved = strdup(root);
	setenv("ASPEN_STATE_DIR", "/nonexistent-aspen-root", 1);
	char **list;
	size_t n;
	assert_int_equal(paths_list_topologies(&list, &n, &e), 0);
	assert_int_equal(n, 0);
	paths_list_free(list, n);
	setenv("ASPEN_STATE_DIR", saved, 1);
	free(saved);
}

static void test_list(void **state)
{
	(void)state;
	struct rt_err e = {0};
	make_dir("zeta");
	make_dir("alpha");
	make_dir("mid-1");
	char junk[PATHS_MAX + 16];
	snprintf(junk, sizeof(junk), "%s/not.a.name", root);
	mkdir(junk, 0700);
	snprintf(junk, sizeof(junk), "%s/afile", root);
	write_file(junk, "x");
	char **list;
	size_t n;
	assert_int_equal(paths_list_topologies(&list, &n, &e), 0);
	/* Other tests left their dirs too; check order and the filter. */
	bool seen_alpha = false, seen_zeta = false;
	for (size_t i = 0; i < n; i++) {
		if (i)
			assert_true(strcmp(list[i - 1], list[i]) < 0);
		assert_true(paths_valid_name(list[i]));
		assert_string_not_equal(list[i], "afile");
		seen_alpha |= strcmp(list[i], "alpha") == 0;
		seen_zeta |= strcmp(list[i], "zeta") == 0;
	}
	assert_true(seen_alpha && seen_zeta);
	paths_list_free(list, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_is_empty),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_upsert_and_remove),
		cmocka_unit_test(test_modes_and_atomic_replace),
		cmocka_unit_test(test_failed_write_keeps_old),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_unknown_version),
		cmocka_unit_test(test_sweep_crashed_tmp),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_list),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

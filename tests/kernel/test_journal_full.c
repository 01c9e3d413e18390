/* test_journal_full.c — a real full disk: the state root is a 64 KiB tmpfs
 * mounted inside the sandbox's private mount namespace, filled up, and a
 * save that needs more room must fail with ENOSPC while the previous
 * journal stays intact and no temporary file is left. */
#include "tests/testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>

#include "runtime/journal.h"
#include "tests/kernel/ktest.h"

static char mnt[] = "/tmp/aspen-full.XXXXXX";

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(mnt) || mount("aspen-full", mnt, "tmpfs", 0, "size=64k,mode=0700") < 0)
		return -1;
	setenv("ASPEN_STATE_DIR", mnt, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	umount(mnt);
	rmdir(mnt);
	return 0;
}

static void add(struct journal *j, int from, int to)
{
	struct rt_err e = {0};
	for (int i = from; i < to; i++) {
		char id[64];
		snprintf(id, sizeof(id), "addr/node%d.eth0", i);
		struct prop p = {"address", "10.100.0.2/24"};
		struct resource r = {.kind = RES_ADDR, .id = id, .props = &p, .n_props = 1};
		assert_int_equal(journal_set_resource(j, &r, &e), 0);
	}
}

static char *slurp(const char *path)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void test_enospc(void **state)
{
	(void)state;
	struct journal j;
	struct rt_err e = {0};
	assert_int_equal(journal_load(&j, "c3", &e), 0);
	add(&j, 0, 5);
	assert_int_equal(journal_save(&j, &e), 0);
	char *before = strdup(slurp(j.path));

	/* Fill the file system. */
	char filler[64];
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	int fd = open(filler, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	char block[4096];
	memset(block, 'x', sizeof(block));
	while (write(fd, block, sizeof(block)) > 0)
		;
	assert_int_equal(errno, ENOSPC);
	close(fd);

	add(&j, 5, 200);
	assert_int_equal(journal_save(&j, &e), -1);
	assert_int_equal(e.errnum, ENOSPC);
	assert_non_null(strstr(e.msg, "No space left on device"));
	assert_non_null(strstr(e.msg, "previous journal is unchanged"));
	assert_string_equal(slurp(j.path), before);
	DIR *d = opendir(j.dir);
	struct dirent *de;
	while ((de = readdir(d)))
		assert_null(strstr(de->d_name, ".tmp."));
	closedir(d);

	/* Room again: the same journal saves and loads whole. */
	unlink(filler);
	assert_int_equal(journal_save(&j, &e), 0);
	journal_free(&j);
	assert_int_equal(journal_load(&j, "c3", &e), 0);
	assert_int_equal(j.resources.n, 200);
	journal_free(&j);
	free(before);
}

static int suite(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enospc),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

int main(void)
{
	return ktest_main(suite);
}

/* test_fixtures.c — golden diagnostics for tests/fixtures/bad/NAME.yaml and a
 * clean load for tests/fixtures/good/NAME.yaml.
 *
 * From the repo root (found through ASPEN_TESTS=<repo>/tests, or the current
 * directory), each bad fixture is loaded as "tests/fixtures/bad/NAME.yaml",
 * its diagnostics sorted and rendered as plain text (diag_print, DIAG_TEXT,
 * no color), and compared byte for byte with tests/fixtures/bad/NAME.expected.
 *
 * To regenerate the expected files after an intended change of messages:
 *     ASPEN_UPDATE_GOLDEN=1 ASPEN_TESTS=$PWD/tests build/tests/test_fixtures
 * then READ every changed .expected (git diff) before committing: a golden
 * file is only as right as the person who checked it. */
#include "tests/testutil.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler/compile.h"

#define MAX_FIXTURES 256

static int go_to_root(void **state)
{
	(void)state;
	const char *tests = getenv("ASPEN_TESTS");
	if (tests) {
		char root[4096];
		snprintf(root, sizeof(root), "%s/..", tests);
		if (chdir(root) != 0) {
			fprintf(stderr, "chdir %s: %s\n", root, strerror(errno));
			return -1;
		}
	}
	if (access("tests/fixtures/bad", R_OK) != 0) {
		fprintf(stderr, "run from the repo root or set ASPEN_TESTS=<repo>/tests\n");
		return -1;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of dir's *.yaml files (without the suffix). */
static size_t list_yaml(const char *dir, char **names)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0) {
			assert_true(n < MAX_FIXTURES);
			names[n++] = strndup(e->d_name, len - 5);
		}
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	return n;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);
	char tmp[4096];
	size_t r;
	while ((r = fread(tmp, 1, sizeof(tmp), f)) > 0)
		fwrite(tmp, 1, r, m);
	fclose(m);
	fclose(f);
	*len = n;
	return buf;
}

/* The rendered diagnostics of loading path. */
static char *render(const char *path, size_t *len, size_t *n_errors)
{
	struct diag_list d;
	diag_init(&d, path);
	struct topology *t = topo_load(path, &d);
	diag_sort(&d);
	char *out = NULL;
	FILE *m = open_memstream(&out, len);
	diag_print(&d, m, DIAG_TEXT, false);
	fclose(m);
	*n_errors = d.n_errors;
	topo_free(t);
	diag_clear(&d);
	return out;
}

static void test_bad_fixtures(void **state)
{
	(void)state;
	char *names[MAX_FIXTURES];
	size_t n = list_yaml("tests/fixtures/bad", names);
	assert_true(n >= 15);
	bool update = getenv("ASPEN_UPDATE_GOLDEN") && strcmp(getenv("ASPEN_UPDATE_GOLDEN"), "1") == 0;
	int failures = 0;
	for (size_t i = 0; i < n; i++) {
		char path[512], exp_path[512];
		snprintf(path, sizeof(path), "tests/fixtures/bad/%s.yaml", names[i]);
		snprintf(exp_path, sizeof(exp_path), "tests/fixtures/bad/%s.expected", names[i]);
		size_t got_len, n_errors;
		char *got = render(path, &got_len, &n_errors);
		if (n_errors == 0) {
			fprintf(stderr, "%s: loads without errors, but it is a bad fixture\n", path);
			failures++;
		}
		if (update) {
			FILE *f = fopen(exp_path, "wb");
			assert_non_null(f);
			fwrite(got, 1, got_len, f);
			fclose(f);
			fprintf(stderr, "wrote %s\n", exp_path);
		} else {
			size_t want_len = 0;
			char *want = read_file(exp_path, &want_len);
			if (!want || want_len != got_len || memcmp(want, got, got_len) != 0) {
				fprintf(stderr, "MISMATCH %s\n--- expected (%s)\n%s--- got\n%s---\n", path,
					want ? exp_path : "missing", want ? want : "", got);
				failures++;
			}
			free(want);
		}
		free(got);
		free(names[i]);
	}
	assert_int_equal(failures, 0);
}

static void test_good_fixtures(void **state)
{
	(void)state;
	char *names[MAX_FIXTURES];
	size_t n = list_yaml("tests/fixtures/good", names);
	assert_true(n >= 3);
	int failures = 0;
	for (size_t i = 0; i < n; i++) {
		char path[512];
		snprintf(path, sizeof(path), "tests/fixtures/good/%s.yaml", names[i]);
		size_t len, n_errors;
		char *got = render(path, &len, &n_errors);
		if (len) {
			fprintf(stderr, "%s should load cleanly:\n%s", path, got);
			failures++;
		}
		free(got);
		free(names[i]);
	}
	assert_int_equal(failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_fixtures),
		cmocka_unit_test(test_good_fixtures),
	};
	return cmocka_run_group_tests(tests, go_to_root, NULL);
}

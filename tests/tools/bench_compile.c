/* bench_compile.c — how long the compiler takes on one file.
 *
 *   bench_compile FILE [ITER]      (ITER defaults to 20)
 *
 * Each iteration loads FILE (topo_load: parse + decode + validate), lowers
 * it to resources and plans against an empty observed state, as `aspen plan`
 * does on a fresh host. Prints the median wall time per iteration of each
 * stage and of the whole, and the peak RSS of the process. Asserts nothing:
 * numbers are for people and for bench/ comparisons.
 *
 * topo_load is referenced weakly so this tool links in a tree whose loader
 * is not built yet; it then exits 77 (skip) saying so. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "compiler/compile.h"
#include "compiler/plan.h"

#pragma weak topo_load

static double bench_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct bench_sample {
	double load, lower, plan, total;
	size_t nodes, resources, actions;
};

/* One load + lower + plan. Returns 0, or -1 after printing diagnostics. */
static int bench_once(const char *file, struct bench_sample *s)
{
	struct diag_list d;
	diag_init(&d, file);
	double t0 = bench_now_ms();
	struct topology *t = topo_load(file, &d);
	double t1 = bench_now_ms();
	if (!t || diag_failed(&d)) {
		diag_print(&d, stderr, DIAG_TEXT, false);
		diag_clear(&d);
		topo_free(t);
		return -1;
	}
	struct res_list desired = {0}, observed = {0};
	topo_lower(t, &desired);
	double t2 = bench_now_ms();
	struct plan p;
	int rc = plan_compute(&p, t, &desired, &observed, &d);
	double t3 = bench_now_ms();
	if (rc)
		diag_print(&d, stderr, DIAG_TEXT, false);
	*s = (struct bench_sample){t1 - t0, t2 - t1, t3 - t2, t3 - t0, t->n_nodes, desired.n,
				   p.n_actions};
	plan_free(&p);
	diag_clear(&d);
	topo_free(t);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bench_compile FILE [ITER]\n");
		return 2;
	}
	long iter = argc == 3 ? strtol(argv[2], NULL, 10) : 20;
	if (iter < 1 || iter > 100000) {
		fprintf(stderr, "bench_compile: ITER must be 1..100000\n");
		return 2;
	}
	if (!topo_load) {
		printf("bench_compile: this build has no topology loader (topo_load)\n");
		return 77;
	}
	double *v = calloc((size_t)iter * 4, sizeof(double));
	if (!v)
		return 1;
	double *load = v, *lower = v + iter, *plan = v + 2 * iter, *total = v + 3 * iter;
	struct bench_sample s = {0};
	for (long i = 0; i < iter; i++) {
		if (bench_once(argv[1], &s) != 0) {
			free(v);
			return 1;
		}
		load[i] = s.load;
		lower[i] = s.lower;
		plan[i] = s.plan;
		total[i] = s.total;
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("%s: %zu nodes, %zu resources, %zu actions, %ld iterations\n", argv[1], s.nodes,
	       s.resources, s.actions, iter);
	printf("load   %9.3f ms\n", bench_median(load, (size_t)iter));
	printf("lower  %9.3f ms\n", bench_median(lower, (size_t)iter));
	printf("plan   %9.3f ms\n", bench_median(plan, (size_t)iter));
	printf("total  %9.3f ms\n", bench_median(total, (size_t)iter));
	printf("peak RSS %ld KiB\n", ru.ru_maxrss);
	free(v);
	return 0;
}

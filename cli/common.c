/* common.c — helpers the commands share: loading a topology with its
 * diagnostics printed, telling a topology name from a file, durations in
 * options. */
#include "cli/cli.h"
#include "compiler/compile.h"
#include "runtime/paths.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* The seed of the fault generators for every load in this process: from
 * --seed, else the file's `seed:`, else (plan, apply, run) one drawn at
 * random once, so every load of one command expands the same schedule. */
static struct topo_load_opts cli_seed;
static bool cli_seed_told;

int cli_seed_set(const char *arg)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	if (!*arg || *end || errno || arg[0] == '-' || v > INT64_MAX)
		return -1;
	cli_seed.has_seed = true;
	cli_seed.seed = v;
	return 0;
}

void cli_seed_random(void)
{
	if (cli_seed.has_seed || cli_seed.fallback_random)
		return;
	uint64_t v = 0;
	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		v = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull;     /* still a seed, and printed */
	cli_seed.fallback = v & INT64_MAX;
	cli_seed.fallback_random = true;
}

const struct topo_load_opts *cli_seed_opts(void)
{
	return &cli_seed;
}

/* Say the seed once when it was drawn at random and something used it. */
void cli_seed_tell(const struct topology *t)
{
	if (cli_seed_told || !t->uses_random || t->seed_source != SEED_RANDOM || cli_out.quiet)
		return;
	cli_seed_told = true;
	fprintf(stderr, "aspen: the fault generators drew seed %" PRIu64 " at random; "
		"--seed %" PRIu64 " repeats this schedule\n", t->seed, t->seed);
}

/* "30s", "500ms", "2m" or a bare number of seconds -> milliseconds. */
int cli_parse_ms(const char *s, int *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || v < 0)
		return -1;
	if (!strcmp(end, "ms"))
		*out = (int)v;
	else if (!strcmp(end, "s") || !*end)
		*out = (int)(v * 1000);
	else if (!strcmp(end, "m"))
		*out = (int)(v * 60000);
	else
		return -1;
	return 0;
}

/* Load FILE, printing its diagnostics (warnings too); NULL on error. */
struct topology *cli_load(const char *file)
{
	struct diag_list d;
	diag_init(&d, file);
	struct topology *t = topo_load_with(file, &cli_seed, &d);
	diag_sort(&d);
	diag_print(&d, stderr, DIAG_TEXT, cli_color_for(stderr));
	if (!t || diag_failed(&d)) {
		topo_free(t);
		t = NULL;
	}
	if (t)
		cli_seed_tell(t);
	diag_clear(&d);
	return t;
}

/* NAME as given, or the name inside FILE. Returns a malloc'd string. */
char *cli_topology_name(const char *arg)
{
	struct stat st;
	if (paths_valid_name(arg) && stat(arg, &st) < 0)
		return strdup(arg);
	struct topology *t = cli_load(arg);
	if (!t) {
		fprintf(stderr, "aspen: cannot take the topology name from %s; "
			"give the name instead (see 'aspen status')\n", arg);
		return NULL;
	}
	char *name = strdup(t->name);
	topo_free(t);
	return name;
}


/* common.c — helpers the commands share: loading a topology with its
 * diagnostics printed, telling a topology name from a file, durations in
 * options. */
#include "cli/cli.h"
#include "compiler/compile.h"
#include "runtime/mark.h"
#include "runtime/paths.h"

#include <cJSON.h>

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

/* ---- a host's part of a multi-host topology (docs/multihost.md) ---- */

static struct cli_part part;
static bool part_set;

const struct cli_part *cli_part(void)
{
	return part_set ? &part : NULL;
}

static char *slurp(FILE *f, size_t *len)
{
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (n + 1 == cap) {
			char *nb = n > TOPO_MAX_FILE_BYTES * 2 ? NULL : realloc(buf, cap *= 2);
			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	if (buf)
		buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

char *cli_read_file(const char *path, size_t *len)
{
	if (!strcmp(path, "-"))
		return slurp(stdin, len);
	FILE *f = fopen(path, "re");
	char *text = slurp(f, len);
	int err = errno;
	if (f)
		fclose(f);
	errno = err;
	return text;
}

static char *json_dup(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
}

static int part_read(const char *cmd, const char *arg, bool strict)
{
	size_t len;
	char *text = cli_read_file(arg, &len);
	if (!text) {
		fprintf(stderr, "aspen %s: --part %s: %s\n", cmd, arg, strerror(errno));
		return -1;
	}
	cJSON *o = cJSON_ParseWithLength(text, len);
	free(text);
	/* the seed is a string: a JSON number is a double, exact to 2^53 only */
	char *seed = json_dup(o, "seed"), *end = NULL;
	const cJSON *num = cJSON_GetObjectItemCaseSensitive(o, "seed");
	part = (struct cli_part){json_dup(o, "aspen"), json_dup(o, "host"), json_dup(o, "file"),
				 json_dup(o, "source"), 0, seed ? strtoull(seed, &end, 10) : 0};
	bool seed_ok = seed && *seed && end && !*end && seed[0] != '-';
	/* a number is taken while a double holds it exactly */
	if (!seed && cJSON_IsNumber(num) && num->valuedouble >= 0 && num->valuedouble <= 9007199254740992.0 &&
	    num->valuedouble == (double)(uint64_t)num->valuedouble) {
		part.seed = (uint64_t)num->valuedouble;
		seed_ok = true;
	}
	free(seed);
	cJSON_Delete(o);
	if (!part.version || !part.host || !part.file || !part.source || !seed_ok) {
		fprintf(stderr, "aspen %s: --part %s is not a host's part (JSON with aspen, host, file, "
			"seed and source: docs/multihost.md)\n", cmd, arg);
		return -1;
	}
	if (strict && strcmp(part.version, cli_version())) {
		fprintf(stderr, "aspen %s: the controller runs aspen %s, this host aspen %s: install the "
			"same version on every host\n", cmd, part.version, cli_version());
		return -1;
	}
	part.len = strlen(part.source);
	part_set = true;
	mark_set_host(part.host);
	return 0;
}

int cli_part_read(const char *cmd, const char *arg)
{
	return part_read(cmd, arg, true);
}

int cli_part_read_saved(const char *cmd, const char *path)
{
	return part_read(cmd, path, false);
}

struct topology *cli_topo_load(const char *file, struct diag_list *d)
{
	if (!part_set)
		return topo_load_with(file, &cli_seed, d);
	struct topo_load_opts o = {.has_seed = true, .seed = part.seed, .host = part.host};
	return topo_load_buffer_with(part.file, part.source, part.len, &o, d);
}

/* Load FILE, printing its diagnostics (warnings too); NULL on error. */
struct topology *cli_load(const char *file)
{
	if (part_set)
		file = part.file;
	struct diag_list d;
	diag_init(&d, file);
	struct topology *t = cli_topo_load(file, &d);
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


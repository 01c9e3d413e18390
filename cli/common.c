/* common.c — helpers the commands share: loading a topology with its
 * diagnostics printed, telling a topology name from a file, durations in
 * options. */
#include "cli/cli.h"
#include "compiler/compile.h"
#include "runtime/paths.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
	struct topology *t = topo_load(file, &d);
	diag_sort(&d);
	diag_print(&d, stderr, DIAG_TEXT, cli_color_for(stderr));
	if (!t || diag_failed(&d)) {
		topo_free(t);
		t = NULL;
	}
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


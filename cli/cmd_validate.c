/* cmd_validate.c — `aspen validate FILE...`: check files, report every error.
 * Pure: reads the files and nothing else; needs no privileges. */
#include "cli/cli.h"
#include "compiler/compile.h"

#include <string.h>

enum { OPT_FORMAT = 1000 };

/* " from N entries" (static buffer: one message at a time). */
static const char *validate_entries(size_t n)
{
	static char buf[48];
	snprintf(buf, sizeof(buf), " from %zu entr%s", n, n == 1 ? "y" : "ies");
	return buf;
}

/* ", on 3 hosts" for a multi-host file, else nothing. */
static const char *validate_hosts(size_t n)
{
	static char buf[48];
	if (n == 0)
		return "";
	snprintf(buf, sizeof(buf), ", on %zu host%s", n, n == 1 ? "" : "s");
	return buf;
}

int cmd_validate(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{"format", 0, true, OPT_FORMAT},
		{NULL, 0, false, 0},
	};
	enum diag_format fmt = DIAG_TEXT;
	const char *arg;
	int c, first;
	while ((c = cli_getopt("validate", argc, argv, opts, &arg, &first)) > 0) {
		if (c == 'h')
			return cli_help("validate");
		if (c == OPT_FORMAT) {
			if (!strcmp(arg, "text"))
				fmt = DIAG_TEXT;
			else if (!strcmp(arg, "github"))
				fmt = DIAG_GITHUB;
			else if (!strcmp(arg, "json"))
				fmt = DIAG_JSON;
			else
				return cli_usage_error("validate", "--format takes text, github or json, not '%s'", arg);
		}
	}
	if (c < 0)
		return EXIT_USAGE;
	if (first >= argc)
		return cli_usage_error("validate", "no topology file given");

	int rc = EXIT_OK;
	bool quiet = cli_out.quiet;     /* -q: common to every command (cli_getopt) */
	bool color = fmt == DIAG_TEXT && cli_color_for(stderr);
	for (int i = first; i < argc; i++) {
		struct diag_list d;
		diag_init(&d, argv[i]);
		struct topology *t = topo_load(argv[i], &d);
		diag_sort(&d);
		bool failed = diag_failed(&d) || !t;
		if (fmt == DIAG_JSON) {
			diag_print(&d, stdout, fmt, false);
		} else {
			diag_print(&d, fmt == DIAG_GITHUB ? stdout : stderr, fmt, color);
			if (!failed && !quiet && fmt == DIAG_TEXT)
				/* Generators: "7 faults from 4 entries". */
				printf("%s: ok: topology %s, %zu node%s, %zu network%s, %zu fault%s%s%s\n",
				       argv[i], t->name, t->n_nodes, t->n_nodes == 1 ? "" : "s",
				       t->n_networks, t->n_networks == 1 ? "" : "s",
				       t->n_faults, t->n_faults == 1 ? "" : "s",
				       t->n_faults != t->n_entries
					       ? validate_entries(t->n_entries) : "",
				       validate_hosts(t->n_hosts));
			else if (failed && fmt == DIAG_TEXT)
				fprintf(stderr, "%s: %zu error%s\n", argv[i], d.n_errors,
					d.n_errors == 1 ? "" : "s");
		}
		if (failed)
			rc = EXIT_ERR;
		topo_free(t);
		diag_clear(&d);
	}
	return rc;
}

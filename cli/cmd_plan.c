/* cmd_plan.c — `aspen plan FILE`: what apply would do, and the fault timeline.
 * Compiles the file, diffs it against the observed state and prints the
 * plan; changes nothing. */
#include "cli/cli.h"
#include "compiler/compile.h"
#include "compiler/plan.h"
#include "runtime/hostinfo.h"
#include "runtime/runtime.h"
#include "runtime/vm.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_JSON = 1000, OPT_DETAILED, OPT_SEED };

int cmd_plan(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{"json", 0, false, OPT_JSON},
		{"detailed-exitcode", 0, false, OPT_DETAILED},
		{"seed", 0, true, OPT_SEED},
		{NULL, 0, false, 0},
	};
	bool json = false, detailed = false;
	const char *arg;
	int c, first;
	while ((c = cli_getopt("plan", argc, argv, opts, &arg, &first)) > 0) {
		if (c == 'h')
			return cli_help("plan");
		if (c == OPT_JSON)
			json = true;
		if (c == OPT_DETAILED)
			detailed = true;
		if (c == OPT_SEED && cli_seed_set(arg) < 0)
			return cli_usage_error("plan", "--seed takes a whole number from 0 to 2^63-1, not '%s'", arg);
	}
	if (c < 0)
		return EXIT_USAGE;
	if (first >= argc)
		return cli_usage_error("plan", "no topology file given");
	if (argc - first > 1)
		return cli_usage_error("plan", "one topology file at a time");

	/* A 1000-node plan is ~1 MB of JSON: write it in 64 KiB pieces rather
	 * than the 4 KiB stdio picks for a pipe. */
	static char outbuf[1 << 16];
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));

	const char *file = argv[first];
	struct diag_list d;
	diag_init(&d, file);
	cli_seed_random();
	struct topology *t = cli_topo_load(file, &d);
	diag_sort(&d);
	if (!t || diag_failed(&d)) {
		diag_print(&d, stderr, DIAG_TEXT, cli_color_for(stderr));
		topo_free(t);
		diag_clear(&d);
		return EXIT_ERR;
	}
	diag_print(&d, stderr, DIAG_TEXT, cli_color_for(stderr));  /* warnings */

	struct res_list desired = {0}, observed = {0};
	topo_lower(t, &desired);
	struct plan p;
	int rc = EXIT_OK;
	/* Against the live system when we may look at it (read-only, no lock);
	 * otherwise against an empty one, and say so. */
	struct rt_ctx live;
	struct rt_err e = {0};
	bool opened = false;
	if (geteuid() == 0) {
		opened = true;
		if (rt_open(&live, t->name, NULL, RT_NO_LOCK, &e) < 0 ||
		    rt_observe(&live, &desired, &observed, &e) < 0) {
			fprintf(stderr, "aspen plan: %s\n", e.msg);
			rt_close(&live);
			topo_free(t);
			diag_clear(&d);
			return EXIT_ERR;
		}
	} else if (!json) {
		fprintf(stderr, "aspen plan: not root: planning against an empty system "
			"(the live state needs root to read)\n");
	}
	if (plan_compute(&p, t, &desired, &observed, &d) < 0) {
		diag_print(&d, stderr, DIAG_TEXT, cli_color_for(stderr));
		rc = EXIT_ERR;
	} else {
		if (json)
			plan_print_json(&p, stdout);
		else
			plan_print_text(&p, stdout, cli_color_for(stdout), cli_out.verbose);
		if (detailed && p.n_actions > 0)
			rc = EXIT_CHANGES;
		/* What apply would refuse before changing anything: each check
		 * that fails, as apply would say it. */
		struct nl *host = opened ? live.host : NULL;
		struct rt_err pe[4];
		int bad[4] = {
			vm_preflight(&p, &pe[0]), hostnet_preflight(host, t, &p, &pe[1]),
			hostnet6_preflight(host, t, &p, &pe[2]), peernet_preflight(t, &p, &pe[3]),
		};
		for (size_t k = 0; k < 4; k++)
			if (bad[k] < 0) {
				fprintf(stderr, "aspen plan: error: apply would stop here: %s\n", pe[k].msg);
				rc = EXIT_ERR;
			}
		/* What no error stops but the host's one neighbour table drops. */
		struct hostlim_need need;
		hostlim_need(t, &need);
		hostinfo_neigh_warn(stderr, "aspen plan", need.neigh);
		plan_free(&p);
	}
	if (opened)
		rt_close(&live);
	topo_free(t);
	diag_clear(&d);
	return rc;
}

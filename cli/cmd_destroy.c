/* cmd_destroy.c — `aspen destroy FILE|NAME`: remove everything aspen made.
 *
 * Works from the journal and discovery alone, so the topology file may be
 * gone or broken: a FILE argument only supplies the name. Heals active
 * faults first when the journal records any (cli_heal: the records, then
 * every trace of the topology's faults), then deletes in reverse
 * dependency order, then removes the journal. Idempotent: a second
 * destroy, or one after a half-finished apply, exits 0. */
#include "cli/artifacts.h"
#include "cli/cli.h"
#include "cli/multihost.h"
#include "cli/destroy.h"
#include "cli/progress.h"
#include "cli/schedout.h"
#include "compiler/compile.h"
#include "compiler/plan.h"
#include "runtime/runtime.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

enum { OPT_JSON = 1000, OPT_LOCK_TIMEOUT, OPT_STATE_DIR, OPT_ARTIFACTS, OPT_THIS_HOST };


int cmd_destroy(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{"json", 0, false, OPT_JSON},
		{"lock-timeout", 0, true, OPT_LOCK_TIMEOUT},
		{"state-dir", 0, true, OPT_STATE_DIR},
		{"artifacts", 0, true, OPT_ARTIFACTS},
		{"this-host", 0, false, OPT_THIS_HOST},
		{NULL, 0, false, 0},
	};
	struct destroy_opts o = {.argv = argv, .out = stdout};
	bool this_host = false;
	const char *arg;
	int c, first;
	while ((c = cli_getopt("destroy", argc, argv, opts, &arg, &first)) > 0) {
		if (c == 'h')
			return cli_help("destroy");
		if (c == OPT_JSON)
			o.json = true;
		if (c == OPT_STATE_DIR)
			setenv("ASPEN_STATE_DIR", arg, 1);
		if (c == OPT_ARTIFACTS)
			o.artifacts = arg;
		if (c == OPT_THIS_HOST)
			this_host = true;
		if (c == OPT_LOCK_TIMEOUT && cli_parse_ms(arg, &o.lock_ms) < 0)
			return cli_usage_error("destroy", "--lock-timeout takes a duration like 30s, not '%s'", arg);
	}
	if (c < 0)
		return EXIT_USAGE;
	if (argc - first != 1)
		return cli_usage_error("destroy", "give one topology file or name");
	char *name = cli_topology_name(argv[first]);
	if (!name)
		return EXIT_ERR;
	o.name = name;
	bool handled = false;
	int status = this_host ? EXIT_OK : mh_destroy(name, o.json, &handled);
	if (handled) {
		/* placed on hosts: each destroyed its part */
		free(name);
		return status;
	}
	/* a host's part: its links' creation MACs derive from its name too */
	mh_load_saved_part("destroy", name);
	status = destroy_run(&o);
	if (status == EXIT_OK)
		mh_forget_part(name);      /* a host's part, when it had one */
	free(name);
	return status;
}

int destroy_run(const struct destroy_opts *o)
{
	const char *name = o->name;
	bool json = o->json;
	FILE *out = o->out;
	struct timespec ts0, ts1;
	clock_gettime(CLOCK_MONOTONIC, &ts0);
	struct rt_ctx rc;
	struct rt_err e = {0};
	struct progress pr;
	progress_init(&pr, out, json, cli_out.quiet || o->brief);
	struct res_list observed = {0};
	struct plan p = {0};
	bool planned = false;
	int status = EXIT_ERR;
	if (rt_open(&rc, name, (const char *const *)o->argv, o->lock_ms, &e) < 0)
		goto out;
	rc.on_event = progress_event;
	rc.ud = &pr;
	rc.destroying = true;
	/* The files first, while they are all there: a copy that fails stops
	 * destroy, which would otherwise delete what the user asked to keep. */
	if (o->artifacts && (artifacts_prepare(o->artifacts, &e) < 0 ||
			     artifacts_save(&rc, o->artifacts, &e) < 0))
		goto out;
	size_t n_faults = (size_t)cJSON_GetArraySize(rc.journal.faults);
	/* Faults first. A fault is journaled before it is applied and leaves
	 * the journal only once reverted, so with no record nothing of the
	 * fault engine is live (and the sweep, which asks every VMM whether it
	 * is paused, is not worth its timeouts then: `aspen heal` sweeps). */
	struct schedout so = {&pr, NULL, cli_out.verbose, false, &rc};
	if (cJSON_GetArraySize(rc.journal.faults) > 0) {
		if (cli_heal(&rc, NULL, &so, NULL, &e) < 0)
			goto out;
		journal_set_faults(&rc.journal, NULL);  /* healed: no record is left to act on */
		if (journal_save(&rc.journal, &e) < 0)
			goto out;
	}
	if (rt_observe(&rc, NULL, &observed, &e) < 0)
		goto out;
	struct diag_list d;
	diag_init(&d, name);
	planned = true;
	if (plan_destroy(&p, &observed, &d) < 0) {
		diag_print(&d, stderr, DIAG_TEXT, false);
		diag_clear(&d);
		goto out_quiet;
	}
	diag_clear(&d);
	if (rt_execute(&rc, &p, &e) < 0)
		goto out;
	if (rt_forget(&rc, &e) < 0)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &ts1);
	double ms = (double)(ts1.tv_sec - ts0.tv_sec) * 1e3 + (double)(ts1.tv_nsec - ts0.tv_nsec) / 1e6;
	if (json) {
		char kv[256];
		snprintf(kv, sizeof(kv), "\"topology\":\"%s\",\"deleted\":%zu,\"elapsed_ms\":%.1f",
			 name, p.n_actions, ms);
		progress_json(out, "destroyed", kv);
	} else if (!cli_out.quiet) {
		if (p.n_actions == 0)
			fprintf(out, "Nothing to destroy: %s has no resources on this host.\n", name);
		else
			fprintf(out, "Destroy complete: %s, %zu resources deleted in %.1f ms.\n", name,
			       p.n_actions, ms);
	}
	status = EXIT_OK;
	if (o->artifacts)
		artifacts_note(o->artifacts, "destroy: %zu resources deleted, %zu active fault%s reverted "
			       "first (%.1f ms)", p.n_actions, n_faults, n_faults == 1 ? "" : "s", ms);
	goto out_quiet;
out:
	fprintf(stderr, "aspen destroy: %s\n", e.msg);
	if (o->artifacts)
		artifacts_note(o->artifacts, "destroy: failed: %s", e.msg);
out_quiet:
	if (planned)
		plan_free(&p);
	rt_close(&rc);
	return status;
}

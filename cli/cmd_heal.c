/* cmd_heal.c — `aspen heal NAME [FAULT]`: revert active faults.
 *
 * Works from the journal's undo records alone (runtime/fault.h), so it
 * heals what a crashed or killed `aspen apply` or an ad hoc `aspen fault`
 * left, even when the topology file is gone. Records are reverted newest
 * first, each removed and the journal saved as it goes. Without FAULT it
 * then calls fault_heal_all, which removes every trace of the topology's
 * faults whatever the journal says (belt and braces after a crash between
 * two saves). Takes the topology's lock: a running schedule owns its faults,
 * so while another aspen holds the topology and serves the control API the
 * heal is asked of it (DELETE /v1/faults[/KEY], api/server.h): it reverts
 * from the same records, between two entries of its schedule. */
#include "api/client.h"
#include "cli/cli.h"
#include "cli/multihost.h"
#include "cli/progress.h"
#include "cli/schedout.h"
#include "runtime/runtime.h"
#include "runtime/schedule.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_JSON = 1000, OPT_LOCK_TIMEOUT, OPT_STATE_DIR, OPT_THIS_HOST };

/* Revert journaled faults (all, or key), then heal_all when key is NULL.
 * Shared with destroy. 0, or -1 with e set (records that failed stay). */
int cli_heal(struct rt_ctx *rc, const char *key, struct schedout *so, size_t *n,
	     struct rt_err *e)
{
	struct sched_opts o = {.on_event = schedout_event, .ud = so};
	if (sched_heal(rc, key, &o, n, e) < 0)
		return -1;
	if (key)
		return 0;
	if (!fault_ops_real.heal_all) {
		/* This build has no mechanisms: it cannot have applied anything. */
		return 0;
	}
	if (fault_ops_real.heal_all(rc, e) < 0)
		return rt_err_prefix(e, "heal all faults of %s", rc->topology);
	return 0;
}

/* The holder heals; its events are printed here. n gets the count. */
static int heal_via_api(const char *sock, const char *key, struct schedout *so, size_t *n,
			struct rt_err *e)
{
	char path[300];
	snprintf(path, sizeof(path), "/v1/faults%s%s", key ? "/" : "", key ? key : "");
	long st = 0;
	cJSON *ans = NULL;
	if (api_client_call(sock, "DELETE", path, NULL, &st, &ans, e) < 0)
		return -1;
	int rc = 0;
	if (st != 200) {
		char buf[64];
		rc = rt_errf(e, EIO, "%s", api_client_error(ans, st, buf, sizeof(buf)));
	} else {
		const cJSON *x;
		cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(ans, "events")) {
			struct sched_event ev;
			if (api_event_from_json(x, &ev) == 0)
				schedout_event(&ev, so);
		}
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(ans, "reverted");
		*n = cJSON_IsNumber(r) ? (size_t)r->valuedouble : 0;
	}
	cJSON_Delete(ans);
	return rc;
}

int cmd_heal(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{"json", 0, false, OPT_JSON},
		{"lock-timeout", 0, true, OPT_LOCK_TIMEOUT},
		{"state-dir", 0, true, OPT_STATE_DIR},
		{"this-host", 0, false, OPT_THIS_HOST},
		{NULL, 0, false, 0},
	};
	bool json = false, this_host = false;
	int lock_ms = 0;
	const char *arg;
	int c, first;
	while ((c = cli_getopt("heal", argc, argv, opts, &arg, &first)) > 0) {
		if (c == 'h')
			return cli_help("heal");
		if (c == OPT_JSON)
			json = true;
		if (c == OPT_THIS_HOST)
			this_host = true;
		if (c == OPT_STATE_DIR)
			setenv("ASPEN_STATE_DIR", arg, 1);
		if (c == OPT_LOCK_TIMEOUT && cli_parse_ms(arg, &lock_ms) < 0)
			return cli_usage_error("heal", "--lock-timeout takes a duration like 30s, not '%s'", arg);
	}
	if (c < 0)
		return EXIT_USAGE;
	if (argc - first < 1 || argc - first > 2)
		return cli_usage_error("heal", "give a topology name and optionally one fault");
	char *name = cli_topology_name(argv[first]);
	if (!name)
		return EXIT_ERR;
	const char *key = argc - first == 2 ? argv[first + 1] : NULL;
	bool handled = false;
	if (!this_host) {
		/* placed on hosts: every host heals its share */
		int st = mh_heal(name, key, &handled);
		if (handled) {
			free(name);
			return st;
		}
	}
	mh_load_saved_part("heal", name);       /* a host's part: its name, for MACs */

	struct rt_ctx rc;
	struct rt_err e = {0};
	struct progress pr;
	progress_init(&pr, stdout, json, cli_out.quiet);
	struct schedout so = {&pr, NULL, cli_out.verbose, false, &rc};
	int status = EXIT_ERR;
	size_t n = 0;
	char sock[PATHS_MAX + 16];
	memset(&rc, 0, sizeof(rc));
	rc.lock.fd = -1;
	if (api_client_find(name, sock, sizeof(sock), &e) == 1) {
		if (heal_via_api(sock, key, &so, &n, &e) < 0) {
			fprintf(stderr, "aspen heal: %s\n", e.msg);
			goto out;
		}
	} else if (rt_open(&rc, name, (const char *const *)argv, lock_ms, &e) < 0 ||
		   cli_heal(&rc, key, &so, &n, &e) < 0) {
		fprintf(stderr, "aspen heal: %s\n", e.msg);
		goto out;
	}
	if (json) {
		char kv[256];
		snprintf(kv, sizeof(kv), "\"topology\":\"%s\",\"reverted\":%zu", name, n);
		progress_json(stdout, "healed", kv);
	} else if (!cli_out.quiet) {
		if (n == 0 && !key)
			printf("Healed %s: no fault was recorded as active; every trace of its faults "
			       "is gone.\n", name);
		else
			printf("Healed %s: %zu fault%s reverted.\n", name, n, n == 1 ? "" : "s");
	}
	status = EXIT_OK;
out:
	rt_close(&rc);
	free(name);
	return status;
}

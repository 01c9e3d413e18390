/* cmd_plan.c — `aspen plan FILE`: what apply would do, and the fault timeline.
 * Compiles the file, diffs it against the observed state and prints the
 * plan; changes nothing.
 *
 * A multi-host file (docs/multihost.md) without --part plans every host's
 * share from scratch — plan contacts no host — one section each, then the
 * VXLAN links that join the spanning networks. With `--part FILE|-` a
 * host plans its own share against its live state, as a one-host file. */
#include "cli/cli.h"
#include "cli/multihost.h"
#include "compiler/compile.h"
#include "compiler/names.h"
#include "compiler/plan.h"
#include "runtime/hostinfo.h"
#include "runtime/runtime.h"
#include "runtime/vm.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_JSON = 1000, OPT_DETAILED, OPT_SEED, OPT_PART };

/* ---- a multi-host file, planned per host ---- */

/* "local, underlay 10.0.0.1" / "ssh ops@rack3-b port 2222, underlay 10.0.0.3" */
static void host_how(const struct topo_host *h, char *buf, size_t n)
{
	char ip[16];
	int o = h->local ? snprintf(buf, n, "local")
			 : snprintf(buf, n, "ssh %s", h->ssh ? h->ssh : "?");
	if (h->ssh_port && o >= 0 && (size_t)o < n)
		o += snprintf(buf + o, n - (size_t)o, " port %u", h->ssh_port);
	if (h->has_address && o >= 0 && (size_t)o < n) {
		names_fmt_ipv4(ip, h->address);
		snprintf(buf + o, n - (size_t)o, ", underlay %s", ip);
	}
}

/* Does a node on host h have an interface on network w? */
static bool host_on(const struct topology *t, size_t h, size_t w)
{
	for (size_t i = 0; i < t->n_nodes; i++)
		for (size_t j = 0; t->nodes[i].host_idx == h && j < t->nodes[i].n_ifaces; j++)
			if (t->nodes[i].ifaces[j].network_idx == w)
				return true;
	return false;
}

static void vxlan_text(const struct topology *t, FILE *out)
{
	bool any = false;
	for (size_t w = 0; w < t->n_networks; w++) {
		const struct topo_network *net = &t->networks[w];
		if (!net->spans)
			continue;
		if (!any)
			fputs("\nVXLAN links (UDP 4789, unicast with static FDB entries):\n", out);
		any = true;
		fprintf(out, "  %-12s VNI %-8u MTU %-5u port %-15s hosts", net->name, net->vni,
			net->eff_mtu, net->vxlan_name);
		for (size_t h = 0; h < t->n_hosts; h++)
			if (host_on(t, h, w))
				fprintf(out, " %s%s", t->hosts[h].name,
					h == net->home_host ? " (gateway)" : "");
		fputc('\n', out);
	}
	if (!any)
		fputs("\nVXLAN links: none (no network has nodes on two hosts)\n", out);
}

static void vxlan_json(const struct topology *t, FILE *out)
{
	fputs(",\n  \"vxlan\": [", out);
	bool first = true;
	for (size_t w = 0; w < t->n_networks; w++) {
		const struct topo_network *net = &t->networks[w];
		if (!net->spans)
			continue;
		fprintf(out, "%s\n    {\"network\": \"%s\", \"name\": \"%s\", \"vni\": %u, "
			"\"mtu\": %u, \"port\": 4789, \"gateway_host\": \"%s\", \"hosts\": [",
			first ? "" : ",", net->name, net->vxlan_name, net->vni, net->eff_mtu,
			t->hosts[net->home_host].name);
		first = false;
		bool f2 = true;
		for (size_t h = 0; h < t->n_hosts; h++)
			if (host_on(t, h, w)) {
				fprintf(out, "%s\"%s\"", f2 ? "" : ", ", t->hosts[h].name);
				f2 = false;
			}
		fputs("]}", out);
	}
	fputs(first ? "]\n}\n" : "\n  ]\n}\n", out);
}

/* Host names, ssh targets and network names are validated to a safe
 * charset, so the JSON around each plan object needs no escaping. */
static int plan_hosts(struct topology *t, struct diag_list *d, bool json, bool detailed)
{
	static const struct res_list nothing;
	int rc = EXIT_OK;
	if (json)
		fprintf(stdout, "{\n  \"format_version\": 1,\n  \"topology\": \"%s\",\n"
			"  \"hosts\": [", t->name);
	else
		printf("Topology %s on %zu hosts. Each host's plan is from scratch: plan contacts "
		       "no host (`aspen plan --part` on a host compares with its live state).\n",
		       t->name, t->n_hosts);
	struct plan last = {0};
	bool have_last = false;
	for (size_t h = 0; h < t->n_hosts; h++) {
		const struct topo_host *host = &t->hosts[h];
		struct res_list desired = {0};
		topo_lower_host(t, h, &desired);
		struct plan p;
		if (plan_compute(&p, t, &desired, &nothing, d) < 0) {
			diag_print(d, stderr, DIAG_TEXT, cli_color_for(stderr));
			plan_free(&p);
			if (have_last)
				plan_free(&last);
			return EXIT_ERR;
		}
		if (detailed && p.n_actions > 0)
			rc = EXIT_CHANGES;
		char how[160];
		host_how(host, how, sizeof how);
		if (json) {
			fprintf(stdout, "%s\n    {\"name\": \"%s\", \"local\": %s, \"ssh\": ",
				h ? "," : "", host->name, host->local ? "true" : "false");
			if (host->ssh)
				fprintf(stdout, "\"%s\"", host->ssh);
			else
				fputs("null", stdout);
			if (host->ssh_port)
				fprintf(stdout, ", \"port\": %u", host->ssh_port);
			else
				fputs(", \"port\": null", stdout);
			if (host->has_address) {
				char ip[16];
				names_fmt_ipv4(ip, host->address);
				fprintf(stdout, ", \"address\": \"%s\"", ip);
			} else {
				fputs(", \"address\": null", stdout);
			}
			fputs(",\n      \"plan\": ", stdout);
			plan_print_json_in(&p, stdout, 3);
			fputs("\n    }", stdout);
		} else {
			printf("\nhost %s (%s): %zu to create\n", host->name, how, p.n_create);
			/* The schedule is the same for every host: printed once. */
			size_t n_tl = p.n_timeline;
			p.n_timeline = 0;
			plan_print_text(&p, stdout, cli_color_for(stdout), cli_out.verbose);
			p.n_timeline = n_tl;
		}
		if (have_last)
			plan_free(&last);
		last = p;
		have_last = true;
	}
	if (json) {
		fputs("\n  ]", stdout);
		vxlan_json(t, stdout);
	} else {
		vxlan_text(t, stdout);
		if (have_last)
			plan_print_schedule(&last, stdout);
	}
	if (have_last)
		plan_free(&last);
	return rc;
}

int cmd_plan(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{"json", 0, false, OPT_JSON},
		{"detailed-exitcode", 0, false, OPT_DETAILED},
		{"seed", 0, true, OPT_SEED},
		{"part", 0, true, OPT_PART},
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
		if (c == OPT_PART && cli_part_read("plan", arg) < 0)
			return EXIT_ERR;
	}
	if (c < 0)
		return EXIT_USAGE;
	/* A part carries its source: a file argument is not needed. */
	if (first >= argc && !cli_part())
		return cli_usage_error("plan", "no topology file given");
	if (argc - first > 1)
		return cli_usage_error("plan", "one topology file at a time");

	/* A 1000-node plan is ~1 MB of JSON: write it in 64 KiB pieces rather
	 * than the 4 KiB stdio picks for a pipe. */
	static char outbuf[1 << 16];
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));

	const char *file = cli_part() ? cli_part()->file : argv[first];
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

	if (t->n_hosts > 0 && !t->has_here) {
		bool live = false;
		int hrc = mh_plan(t, json, detailed, &live);
		if (!live)
			hrc = plan_hosts(t, &d, json, detailed);
		topo_free(t);
		diag_clear(&d);
		return hrc;
	}

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

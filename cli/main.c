/* main.c — the aspen command line: global options, dispatch to one file per
 * command, and the help text. Each command lives in cli/cmd_<name>.c and
 * owns its own options; this file knows only their names and summaries. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cli_out cli_out;

const struct cli_cmd cli_commands[] = {
	{"validate", cmd_validate, "check topology files; every error with FILE:LINE:COL",
	 "usage: aspen validate [--format text|github|json] [-q] FILE...\n"
	 "\n"
	 "Check each topology file: YAML syntax, the v1 schema and the semantic rules\n"
	 "(references, addresses, names, the fault schedule). Every problem is reported\n"
	 "as FILE:LINE:COL: error: MESSAGE (field.path), not just the first one.\n"
	 "\n"
	 "  --format text     human-readable (default)\n"
	 "  --format github   GitHub Actions annotations (::error file=...)\n"
	 "  --format json     one JSON array of diagnostics per file\n"
	 "  -q, --quiet       print nothing for valid files (errors only)\n"
	 "\n"
	 "Exit status: 0 when every file is valid, 1 otherwise.\n"},
	{"plan", cmd_plan, "show the actions apply would take, and the fault timeline",
	 "usage: aspen plan [--json] [--detailed-exitcode] [--seed N] FILE\n"
	 "\n"
	 "Compile FILE and print the ordered actions that `aspen apply` would run\n"
	 "(+ create, ~ update in place, -/+ replace, - delete) and the fault schedule\n"
	 "as a timeline. Nothing on the system is changed.\n"
	 "\n"
	 "  --json                the plan as stable JSON (docs/plan-json.md)\n"
	 "  --detailed-exitcode   exit 0 when there is nothing to do, 2 when there are changes\n"
	 "  --seed N              expand the fault generators (`every`, random picks) with\n"
	 "                        seed N instead of the file's `seed:` (or a random one,\n"
	 "                        printed in the timeline's header)\n"
	 "\n"
	 "Exit status: 0 ok, 1 error, 2 changes (only with --detailed-exitcode).\n"},
	{"apply", cmd_apply, "create or converge the cluster, wait for health, run the fault schedule",
	 "usage: aspen apply [--json] [--events FILE] [--matrix] [--no-schedule] [--no-wait]\n"
	 "                   [--lock-timeout DUR] [--state-dir DIR] [--seed N] [--timings]\n"
	 "                   [--artifacts DIR] FILE | --part FILE|-\n"
	 "\n"
	 "Compare FILE with what is live (the state journal plus a probe of the kernel\n"
	 "and the VMMs), run the plan `aspen plan` shows, wait until every node passes\n"
	 "its health checks, then run the file's fault schedule: each fault applied at\n"
	 "its offset and reverted at at + for, printed as a timeline\n"
	 "  +5.000s partition [node1] | [node2 node3] applied (0.4 ms)\n"
	 "(-v adds each fault's key and lateness). Every active fault is in the journal\n"
	 "before it is applied; Ctrl-C or SIGTERM reverts the active faults and exits\n"
	 "130 / 143; after a crash, 'aspen heal NAME' reverts what was left. Faults\n"
	 "without `for` stay active until 'aspen heal'. Whether this machine can run\n"
	 "every fault is checked before anything changes. Applying an unchanged file\n"
	 "changes nothing (and runs the schedule again). Needs root.\n"
	 "\n"
	 "A node command that exits during the health wait ends it at once: every node\n"
	 "that died is named with its exit status, its log's path and the telling\n"
	 "lines of its log (those that look like errors, else the first and last). A\n"
	 "check that never passes is reported with its last finished attempt's result.\n"
	 "\n"
	 "  --json               one JSON event per line instead of text\n"
	 "  --events FILE        append the schedule's JSON events to FILE (each with\n"
	 "                       \"time\", RFC 3339 UTC with microseconds, and unix_us)\n"
	 "  --matrix             print the reachability matrix after each fault event\n"
	 "                       (probing takes up to 0.3s and may delay the next event)\n"
	 "  --no-schedule        converge only; do not run the fault schedule\n"
	 "  --lock-timeout DUR   wait up to DUR for another aspen on this topology\n"
	 "                       (default: fail at once, naming the holder)\n"
	 "  --no-wait            do not wait for health checks\n"
	 "  --artifacts DIR      when apply ends, copy the node and VMM logs, the\n"
	 "                       journal and a summary.txt into DIR\n"
	 "  --state-dir DIR      keep the journal in DIR/<name> (default /var/lib/aspen)\n"
	 "  --seed N             the seed of the fault generators (`every`, random picks):\n"
	 "                       overrides the file's `seed:`; without either, one is\n"
	 "                       drawn at random and printed\n"
	 "  --timings            at the end, the time of each stage (compile, observe,\n"
	 "                       plan, preflight, execute, health wait) and the actions'\n"
	 "                       own time per resource kind\n"
	 "\n"
	 "\n"
	 "Multi-host (a file with hosts:, docs/multihost.md): this machine is the\n"
	 "controller. It checks that every host runs this aspen, records the hosts in\n"
	 "the state dir (hosts.json), sends each host its part through the transport\n"
	 "(ASPEN_TRANSPORT, default ssh in batch mode with a control master;\n"
	 "ASPEN_REMOTE names aspen there) and streams what each host does, each line\n"
	 "led by the host's name (--json: a \"host\" member). A host that fails stops\n"
	 "the others; 'aspen destroy NAME' then removes every host's part. The schedule\n"
	 "runs here: each fault is sent to every host at once, and its event says the\n"
	 "skew between the hosts' kernel changes.\n"
	 "  --part FILE|-        (what a controller runs on a host) apply this host's\n"
	 "                       part: JSON with the topology, the seed and the host\n"
	 "\n"
	 "Exit status: 0 converged, healthy and schedule complete; 1 error (what was\n"
	 "done is journaled: apply again, heal, or destroy); 130 interrupted by SIGINT,\n"
	 "143 by SIGTERM (active faults reverted).\n"},
	{"destroy", cmd_destroy, "remove everything aspen created for a topology",
	 "usage: aspen destroy [--json] [--lock-timeout DUR] [--state-dir DIR]\n"
	 "                     [--artifacts DIR] [--this-host] FILE|NAME\n"
	 "\n"
	 "Stop node processes and VMs, delete links, namespaces and rules in reverse\n"
	 "dependency order, then the journal. Works from the journal and the ownership\n"
	 "marks alone, so the file may be gone: give the topology's name. Touches\n"
	 "nothing aspen did not create. Idempotent. Needs root.\n"
	 "\n"
	 "Faults the journal records as active are healed first (those records, then\n"
	 "every trace of the topology's faults), so a destroy after a crashed schedule\n"
	 "leaves no rule, qdisc or stopped process.\n"
	 "\n"
	 "  --json               one JSON event per line instead of text\n"
	 "  --lock-timeout DUR   wait up to DUR for another aspen on this topology\n"
	 "  --state-dir DIR      the journal is in DIR/<name> (default /var/lib/aspen)\n"
	 "  --artifacts DIR      first copy the node and VMM logs, cluster.json, the\n"
	 "                       events file and the journal into DIR (created if\n"
	 "                       missing; a copy that fails stops destroy), then add\n"
	 "                       a line to DIR/summary.txt\n"
	 "\n"
	 "A topology applied on several hosts from this machine (its hosts.json) is\n"
	 "destroyed on every host, in parallel; hosts.json goes when every host is done.\n"
	 "  --this-host          only what this machine holds, even when it controls\n"
	 "                       a multi-host topology (what the controller runs on a\n"
	 "                       host)\n"
	 "\n"
	 "Exit status: 0 nothing of the topology is left, 1 error.\n"},
	{"status", cmd_status, "resources, processes and health of a live topology",
	 "usage: aspen status [--json] [--matrix] [--state-dir DIR] [--this-host] [NAME|FILE]\n"
	 "\n"
	 "Without NAME, list the topologies this host has state for. With NAME, probe\n"
	 "every resource aspen recorded and show whether it is present, missing or\n"
	 "untracked (found by its ownership mark after a crash), each node process's\n"
	 "state, the active faults, and each node's health: one attempt of each of its\n"
	 "checks, now (healthy, failing with the check's error, or - for no checks).\n"
	 "Changes nothing. With NAME, needs root.\n"
	 "\n"
	 "  --json               the same as one JSON object\n"
	 "  --state-dir DIR      the journals are in DIR (default /var/lib/aspen)\n"
	 "  -v, --verbose        every property of each resource\n"
	 "  --matrix             also probe every ordered pair of netns nodes (echo\n"
	 "                       requests sent from inside the source's namespace,\n"
	 "                       watched for inside the destination's) and print who\n"
	 "                       reaches whom (rows: from, columns: to; \u2713 / \u2717, or\n"
	 "                       ok / -- without a UTF-8 locale); needs NAME\n"
	 "  --this-host          only this machine's share of a multi-host topology;\n"
	 "                       without it, a controller asks every host and shows\n"
	 "                       each (--json: {\"hosts\":[{\"name\",\"exit\",\"status\"}]})\n"
	 "\n"
	 "Exit status: 0 ok, 1 error, 64 usage error.\n"},
	{"fault", cmd_fault, "apply one fault now, by hand (ad hoc)",
	 "usage: aspen fault NAME KIND ARGS... [--for DUR] [--direction D] [--matrix] [--json]\n"
	 "                   [--lock-timeout DUR] [--state-dir DIR]\n"
	 "\n"
	 "  aspen fault NAME partition node1 / node2,node3     groups, '/' between them\n"
	 "  aspen fault NAME partition node1 '->' node2        one-way: only node1->node2 dropped\n"
	 "  aspen fault NAME isolate node1                     node1 against everyone else\n"
	 "  aspen fault NAME loss node2 20% [--direction egress|ingress|both]\n"
	 "  aspen fault NAME latency node2 100ms [JITTER]\n"
	 "  aspen fault NAME duplicate|corrupt node2 1%\n"
	 "  aspen fault NAME reorder node2 25% [DELAY]\n"
	 "  aspen fault NAME rate node1 10mbit [BURST]\n"
	 "  aspen fault NAME link-down node1.eth0\n"
	 "  aspen fault NAME kill|pause|resume|start|restart|reboot node1[,node2]\n"
	 "\n"
	 "Targets are nodes or interfaces (node1.eth0), several joined with commas. The\n"
	 "fault is checked exactly like a fault in the topology file (the file the\n"
	 "journal records, which must still exist), journaled as adhoc-N, then\n"
	 "applied. Without --for it stays until 'aspen heal NAME [adhoc-N]'; with\n"
	 "--for DUR this command waits and reverts it (Ctrl-C reverts it early).\n"
	 "Quote '->' in a shell. Needs root.\n"
	 "\n"
	 "  --for DUR      revert after DUR (10s, 500ms), then exit\n"
	 "  --direction D  loss only: both (default), egress or ingress\n"
	 "  --matrix       print the reachability matrix after the fault\n"
	 "  --json         JSON events, one per line\n"
	 "\n"
	 "Exit status: 0 applied (and reverted with --for), 1 error, 64 usage error,\n"
	 "130 / 143 interrupted (the fault was reverted).\n"},
	{"heal", cmd_heal, "revert active faults (all, or one by key)",
	 "usage: aspen heal [--json] [--lock-timeout DUR] [--state-dir DIR] [--this-host]\n"
	 "                  NAME|FILE [FAULT]\n"
	 "\n"
	 "Revert the faults the journal records as active, newest first: every one, or\n"
	 "only FAULT (its key: the fault's name in the file, f<index>, or adhoc-N from\n"
	 "'aspen fault'). Works from the journal alone, so it heals what a killed\n"
	 "'aspen apply' left. Without FAULT it then removes every trace of the\n"
	 "topology's faults whatever the journal says (its nf_tables table, qdiscs on\n"
	 "its links, links it set down, processes it paused). Idempotent. Needs root.\n"
	 "\n"
	 "A controller of a multi-host topology heals every host (not by FAULT);\n"
	 "--this-host heals this machine's share only.\n"
	 "\n"
	 "Exit status: 0 healed, 1 error (faults that could not be reverted stay\n"
	 "journaled; heal again).\n"},
	{"run", cmd_run, "apply, run a command against the cluster, destroy",
	 "usage: aspen run [--keep] [--no-schedule] [--wait-schedule] [--artifacts DIR]\n"
	 "                 [--lock-timeout DUR] [--state-dir DIR] [--seed N]\n"
	 "                 FILE -- COMMAND [ARGS...]\n"
	 "\n"
	 "The test-suite entry point. Apply FILE and wait for every node's health\n"
	 "checks, run COMMAND (in aspen's own network namespace, with aspen's stdin,\n"
	 "stdout and stderr) while the fault schedule runs, then destroy the cluster:\n"
	 "also when COMMAND fails or aspen is interrupted. aspen's own messages go to\n"
	 "stderr. SIGINT, SIGTERM and SIGHUP sent to aspen are passed on to COMMAND.\n"
	 "\n"
	 "COMMAND's environment adds:\n"
	 "  ASPEN_TOPOLOGY        the topology's name\n"
	 "  ASPEN_NODES           every node's name, space-separated, in file order\n"
	 "  ASPEN_PEERS           NAME=IP of every node with an address\n"
	 "  ASPEN_OTHERS          the same (in a node's own command: every other node)\n"
	 "  ASPEN_IP_<NODE>       the node's first address (NODE uppercased, - as _)\n"
	 "  ASPEN_NETNS_<NODE>    a netns node's namespace (ip netns exec ...)\n"
	 "  ASPEN_CLUSTER_JSON    a JSON file with the whole cluster: nodes, kinds,\n"
	 "                        interfaces, addresses, namespaces, sockets, pids, logs\n"
	 "  ASPEN_EVENTS          a file of JSON lines to tail: run_start, the schedule's\n"
	 "                        events as they happen, command_exit; each with \"time\"\n"
	 "                        (RFC 3339 UTC, microseconds) and unix_us\n"
	 "  ASPEN_SCHEDULE_END    when the fault schedule's last event is due (RFC 3339\n"
	 "                        UTC, microseconds); the start when there is none\n"
	 "\n"
	 "When COMMAND ends before the schedule, the rest of the schedule does not run\n"
	 "and aspen says how many events did not. A failed run keeps the node and VMM\n"
	 "logs, cluster.json, the events, the journal and a summary.txt in a directory\n"
	 "it prints ($TMPDIR or /tmp); a passing one leaves nothing behind.\n"
	 "\n"
	 "  --keep               leave the cluster up afterwards (for debugging)\n"
	 "  --no-schedule        do not run the fault schedule\n"
	 "  --wait-schedule      when COMMAND ends first, let the schedule finish\n"
	 "                       before destroying\n"
	 "  --artifacts DIR      keep the files a failed run keeps, in DIR, whatever\n"
	 "                       the outcome\n"
	 "  --lock-timeout DUR   wait up to DUR for another aspen on this topology\n"
	 "  --state-dir DIR      keep the journal in DIR/<name> (default /var/lib/aspen)\n"
	 "  --seed N             the seed of the fault generators (`every`, random picks):\n"
	 "                       overrides the file's `seed:`; without either, one is\n"
	 "                       drawn at random and printed\n"
	 "\n"
	 "Exit status: COMMAND's (128+N when signal N ended it); 1 when apply or\n"
	 "destroy failed; 128+N when signal N interrupted aspen before COMMAND ran.\n"
	 "Needs root.\n"},
	{"doctor", cmd_doctor, "every host limit a topology meets: value it has, value it needs",
	 "usage: aspen doctor [--json] FILE\n"
	 "\n"
	 "Print each limit of this host that FILE's topology meets, with the value the\n"
	 "host has and the value the topology needs: ports of the busiest bridge\n"
	 "(a Linux bridge holds at most 1023), the neighbour table\n"
	 "(net.ipv4.neigh.default.gc_thresh3 / gc_thresh2 bound the ARP entries of\n"
	 "every namespace together), open files, kernel.pid_max and threads-max for\n"
	 "node processes, user.max_net_namespaces, memory and /dev/kvm for VMs, and\n"
	 "the kernel modules faults use (nf_tables, sch_tbf, sch_netem; ifb and\n"
	 "cls_flower too). Each row is ok, warn, short (with a fix) or unknown.\n"
	 "Changes nothing; the module probes need root (else \"unknown\").\n"
	 "\n"
	 "  --json   the rows as one JSON object: {topology, ok, limits: [{limit,\n"
	 "           status, have, need, fix}]}\n"
	 "\n"
	 "Exit status: 0 every limit fits, 1 one falls short or FILE is invalid,\n"
	 "64 usage error.\n"},
	{"graph", cmd_graph, "draw the topology: DOT, Mermaid or SVG",
	 "usage: aspen graph [--format dot|mermaid|svg] [-o OUT] FILE\n"
	 "\n"
	 "Write FILE's topology as a picture: nodes with their kind, networks with\n"
	 "their bridge, subnet and gateway, one edge per interface (its name and\n"
	 "IP), laid out in the topology's shape (a ring of links as a ring, a LAN\n"
	 "as a star); and the fault schedule on a time axis with a scale, faults\n"
	 "that overlap side by side, each tied to the nodes it hits (DOT, SVG).\n"
	 "Reads nothing but FILE; needs no privileges.\n"
	 "\n"
	 "  -f, --format dot       Graphviz DOT (default)\n"
	 "  -f, --format mermaid   a Mermaid flowchart (for Markdown ```mermaid blocks)\n"
	 "  -f, --format svg       DOT rendered by Graphviz's `dot -Tsvg` (needs graphviz)\n"
	 "  -o, --output OUT       write to OUT instead of standard output; without\n"
	 "                         --format, OUT's extension (.dot .gv .mmd .svg) chooses\n"
	 "\n"
	 "Exit status: 0 ok, 1 invalid topology or rendering failed, 64 usage error.\n"},
	{NULL, NULL, NULL, NULL},
};

static void usage_main(FILE *f)
{
	fprintf(f, "usage: aspen [--no-color] [-q|--quiet] [-v|--verbose] COMMAND [ARGS]\n"
		   "       aspen --version | --help | COMMAND --help\n\n"
		   "aspen turns a versioned YAML topology into a running test cluster of\n"
		   "Cloud Hypervisor VMs or network-namespace nodes, and breaks it on schedule.\n\n"
		   "Commands:\n");
	for (const struct cli_cmd *c = cli_commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\nOptions (also accepted after COMMAND):\n"
		   "  --no-color     no colour (colour is only used on a terminal anyway)\n"
		   "  -q, --quiet    errors only\n"
		   "  -v, --verbose  more detail\n"
		   "\nExit status: 0 ok, 1 error, 2 changes (plan --detailed-exitcode),\n"
		   "64 usage error; 130 / 143 a fault schedule interrupted by SIGINT / SIGTERM\n"
		   "(its active faults reverted); aspen run: its command's.\n"
		   "Environment: NO_COLOR disables colour; ASPEN_STATE_DIR, ASPEN_RUN_DIR move\n"
		   "state and runtime files; ASPEN_CH_BINARY names cloud-hypervisor.\n"
		   "More: aspen COMMAND --help, man aspen.\n");
}

static const struct cli_cmd *find_cmd(const char *name)
{
	for (const struct cli_cmd *c = cli_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

int cli_help(const char *cmd)
{
	const struct cli_cmd *c = find_cmd(cmd);
	if (c)
		fputs(c->usage, stdout);
	return EXIT_OK;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "aspen %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'aspen %s --help')\n", cmd);
	return EXIT_USAGE;
}

bool cli_color_for(FILE *f)
{
	return cli_out.color && isatty(fileno(f));
}

void cli_out_init(void)
{
	const char *nc = getenv("NO_COLOR");
	const char *term = getenv("TERM");
	cli_out.color = !(nc && *nc) && !(term && strcmp(term, "dumb") == 0);
}

/* Output options every command takes as well as aspen itself, so that
 * `aspen apply -q FILE` works like `aspen -q apply FILE`. */
enum { GOPT_QUIET = 'q', GOPT_VERBOSE = 'v', GOPT_NO_COLOR = 900 };

int cli_getopt(const char *cmd, int argc, char **argv, const struct cli_opt *opts,
	       const char **arg_out, int *optind_out)
{
	struct option lo[40];
	char so[96];
	size_t n = 0, s = 0;
	so[s++] = ':';  /* report a missing value as ':' rather than '?' */
	for (; opts[n].long_name && n < 30; n++) {
		lo[n] = (struct option){opts[n].long_name, opts[n].has_arg ? required_argument : no_argument,
					NULL, opts[n].id};
		if (opts[n].short_name && s < sizeof(so) - 3) {
			so[s++] = opts[n].short_name;
			if (opts[n].has_arg)
				so[s++] = ':';
		}
	}
	lo[n++] = (struct option){"help", no_argument, NULL, 'h'};
	lo[n++] = (struct option){"quiet", no_argument, NULL, GOPT_QUIET};
	lo[n++] = (struct option){"verbose", no_argument, NULL, GOPT_VERBOSE};
	lo[n++] = (struct option){"no-color", no_argument, NULL, GOPT_NO_COLOR};
	lo[n] = (struct option){NULL, 0, NULL, 0};
	so[s++] = 'h';
	so[s++] = 'q';
	so[s++] = 'v';
	so[s] = '\0';
	opterr = 0;
	for (;;) {
		int c = getopt_long(argc, argv, so, lo, NULL);
		if (c == -1) {
			*optind_out = optind;
			return 0;
		}
		if (c == '?') {
			if (optopt)
				cli_usage_error(cmd, "unknown option -%c", optopt);
			else
				cli_usage_error(cmd, "unknown option %s", argv[optind - 1]);
			return -1;
		}
		if (c == ':') {
			cli_usage_error(cmd, "option %s needs a value", argv[optind - 1]);
			return -1;
		}
		if (c == GOPT_QUIET) {
			cli_out.quiet = true;
			continue;
		}
		if (c == GOPT_VERBOSE) {
			cli_out.verbose = true;
			continue;
		}
		if (c == GOPT_NO_COLOR) {
			cli_out.color = false;
			continue;
		}
		/* Map a short option back to its id. */
		for (size_t i = 0; opts[i].long_name; i++)
			if (opts[i].short_name && c == opts[i].short_name)
				c = opts[i].id;
		*arg_out = optarg;
		return c;
	}
}

int main(int argc, char **argv)
{
	cli_out_init();
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
			printf("aspen %s (topology language %s)\n", cli_version(), "aspen/v1");
			return EXIT_OK;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage_main(stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "--no-color")) {
			cli_out.color = false;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			cli_out.quiet = true;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			cli_out.verbose = true;
		} else {
			fprintf(stderr, "aspen: unknown option %s (see 'aspen --help')\n", a);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage_main(stderr);
		return EXIT_USAGE;
	}
	const struct cli_cmd *c = find_cmd(argv[i]);
	if (!c) {
		fprintf(stderr, "aspen: unknown command '%s' (see 'aspen --help')\n", argv[i]);
		return EXIT_USAGE;
	}
	optind = 1;
	return c->run(argc - i, argv + i);
}

/* cli.h — what the command files share: exit codes, output conventions,
 * and the small option parser every command uses.
 *
 * Exit codes (documented in README and `aspen --help`):
 *   0  success (for `plan --detailed-exitcode`: no changes)
 *   1  error: invalid topology, failed action, failed health check
 *   2  `plan --detailed-exitcode` only: the plan has changes
 *   64 usage error: unknown command or option, missing argument */
#ifndef ASPEN_CLI_H
#define ASPEN_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ASPEN_VERSION "0.1.0"

enum { EXIT_OK = 0, EXIT_ERR = 1, EXIT_CHANGES = 2, EXIT_USAGE = 64 };

struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	const char *usage;      /* full --help text */
};

extern const struct cli_cmd cli_commands[];

/* Output settings common to every command, set from the environment and
 * the global options (--no-color, --quiet, --verbose). */
struct cli_out {
	bool color;
	bool quiet;
	bool verbose;
};
extern struct cli_out cli_out;

void cli_out_init(void);                  /* colour on a TTY unless NO_COLOR */
bool cli_color_for(FILE *f);              /* colour for this stream */

/* Option parsing: a tiny getopt_long wrapper that reports errors as
 * "aspen CMD: unknown option --x (see aspen CMD --help)" and returns -1. */
struct cli_opt {
	const char *long_name;  /* "json" */
	char short_name;        /* 'j' or 0 */
	bool has_arg;
	int id;
};
/* Returns the id of the next option, 0 when only operands remain (their
 * index in *optind_out), -1 on error (message printed), 'h' for --help. */
int cli_getopt(const char *cmd, int argc, char **argv, const struct cli_opt *opts,
	       const char **arg_out, int *optind_out);
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cli_help(const char *cmd);

/* Shared helpers (common.c). */
struct topology;
int cli_parse_ms(const char *s, int *out);               /* 0 or -1 */
struct topology *cli_load(const char *file);             /* diagnostics printed */
char *cli_topology_name(const char *arg);                /* malloc'd, NULL on error */
/* The generators' seed (--seed N, or drawn at random): 0 or -1 (not a
 * number in 0..2^63-1). cli_load and cli_seed_opts() use it. */
struct topo_load_opts;
int cli_seed_set(const char *arg);
void cli_seed_random(void);             /* plan, apply, run: draw one unless --seed */
const struct topo_load_opts *cli_seed_opts(void);
void cli_seed_tell(const struct topology *t);   /* print a random seed once */
/* "0.1.0+<commit>": what --version prints and the parts compare. */
const char *cli_version(void);

/* Multi-host (docs/multihost.md): the part a host was given with
 * `--part FILE|-` (JSON: aspen, host, file, seed, source). cli_part_read
 * reads it (messages printed as "aspen CMD: ..."), refusing a part from
 * another aspen version; from then on every load in this process
 * (cli_load, cli_topo_load) compiles the part's source for its host,
 * whatever file the command names. */
struct cli_part {
	char *version, *host, *file, *source;
	size_t len;
	uint64_t seed;
};
int cli_part_read(const char *cmd, const char *arg);
/* The whole of path ("-": stdin), NUL-terminated, malloc'ed; NULL with
 * errno set. len may be NULL. */
char *cli_read_file(const char *path, size_t *len);
/* The part a host kept when it applied (status, destroy, heal there): the
 * same, but written by another aspen version is no reason to refuse. */
int cli_part_read_saved(const char *cmd, const char *path);
const struct cli_part *cli_part(void);             /* NULL without --part */
struct diag_list;
struct topology *cli_topo_load(const char *file, struct diag_list *d);

int cmd_validate(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_destroy(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_heal(int argc, char **argv);
int cmd_fault(int argc, char **argv);
int cmd_doctor(int argc, char **argv);

/* Revert journaled faults: all (key NULL, then fault_heal_all) or one
 * (cmd_heal.c; shared with destroy). */
struct rt_ctx;
struct rt_err;
struct schedout;
int cli_heal(struct rt_ctx *rc, const char *key, struct schedout *so, size_t *n,
	     struct rt_err *e);

#endif

/* cmd_graph.c — `aspen graph FILE`: the topology as a picture.
 *
 * DOT and Mermaid come from compiler/graph.c (pure text). SVG is DOT piped
 * through Graphviz's `dot -Tsvg`, run with fork/execvp (no shell) when it
 * is on PATH; without it the command says what to install instead of
 * writing half a file. Needs no privileges and reads nothing but FILE. */
#include "cli/cli.h"
#include "compiler/compile.h"
#include "compiler/graph.h"
#include "runtime/paths.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { OPT_FORMAT = 1000, OPT_OUTPUT };
enum out_format { OUT_DOT, OUT_MERMAID, OUT_SVG };

static int parse_format(const char *s, enum out_format *f)
{
	enum graph_format g;
	if (!strcmp(s, "svg")) {
		*f = OUT_SVG;
		return 0;
	}
	if (graph_format_parse(s, &g) < 0)
		return -1;
	*f = g == GRAPH_DOT ? OUT_DOT : OUT_MERMAID;
	return 0;
}

/* The format an output file's name asks for: x.svg, x.mmd, x.dot/x.gv. */
static int format_from_name(const char *path, enum out_format *f)
{
	const char *dot = strrchr(path, '.');
	if (!dot || strchr(dot, '/'))
		return -1;
	if (!strcmp(dot + 1, "mermaid"))
		return parse_format("mermaid", f);
	return parse_format(dot + 1, f);
}

/* True when an executable named prog is on PATH. */
static bool on_path(const char *prog)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	char buf[4096];
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ":");
		if (n > 0 && n + strlen(prog) + 2 <= sizeof(buf)) {
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, prog);
			if (access(buf, X_OK) == 0)
				return true;
		}
		p += n;
		if (*p == ':')
			p++;
	}
	return false;
}

/* Pipe dot_text through `dot -Tsvg` into out_fd. 0, or -1 with a message. */
static int render_svg(const char *dot_text, size_t len, int out_fd)
{
	int in[2], rep[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		goto sys;
	if (pipe2(rep, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		goto sys;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		close(in[0]); close(in[1]); close(rep[0]); close(rep[1]);
		goto sys;
	}
	if (pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(out_fd, 1) < 0)
			_exit(127);
		char *const argv[] = {"dot", "-Tsvg", NULL};
		execvp(argv[0], argv);
		int err = errno;
		(void)!write(rep[1], &err, sizeof(err));
		_exit(127);
	}
	close(in[0]);
	close(rep[1]);
	/* dot may die before reading everything: an EPIPE, not a SIGPIPE. */
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	sigaction(SIGPIPE, &ign, &old);
	int werr = paths_write_all(in[1], dot_text, len) < 0 ? errno : 0;
	close(in[1]);
	sigaction(SIGPIPE, &old, NULL);
	int exec_err = 0;
	ssize_t r;
	while ((r = read(rep[0], &exec_err, sizeof(exec_err))) < 0 && errno == EINTR)
		;
	close(rep[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (r == (ssize_t)sizeof(exec_err)) {
		fprintf(stderr, "aspen graph: cannot run dot: %s\n", strerror(exec_err));
		return -1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "aspen graph: dot -Tsvg failed (%s %d)\n",
			WIFEXITED(st) ? "exit" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		return -1;
	}
	if (werr) {
		fprintf(stderr, "aspen graph: writing to dot: %s\n", strerror(werr));
		return -1;
	}
	return 0;
sys:
	fprintf(stderr, "aspen graph: %s\n", strerror(errno));
	return -1;
}

/* Render t as fmt into out_path (NULL: stdout). */
static int emit(const struct topology *t, enum out_format fmt, const char *out_path)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (!mem) {
		fprintf(stderr, "aspen graph: %s\n", strerror(errno));
		return -1;
	}
	int rc = graph_write(t, fmt == OUT_MERMAID ? GRAPH_MERMAID : GRAPH_DOT, mem);
	if (fclose(mem) != 0 || rc < 0) {
		fprintf(stderr, "aspen graph: out of memory\n");
		free(text);
		return -1;
	}
	int fd = 1;
	if (out_path) {
		fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		if (fd < 0) {
			fprintf(stderr, "aspen graph: %s: %s\n", out_path, strerror(errno));
			free(text);
			return -1;
		}
	}
	if (fmt == OUT_SVG) {
		rc = render_svg(text, len, fd);
	} else {
		fflush(stdout);
		rc = paths_write_all(fd, text, len);
		if (rc < 0)
			fprintf(stderr, "aspen graph: %s: %s\n", out_path ? out_path : "stdout",
				strerror(errno));
	}
	if (out_path && close(fd) < 0 && rc == 0) {
		fprintf(stderr, "aspen graph: %s: %s\n", out_path, strerror(errno));
		rc = -1;
	}
	if (out_path && rc < 0)
		unlink(out_path);       /* no half-written picture left behind */
	free(text);
	return rc;
}

int cmd_graph(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{"format", 'f', true, OPT_FORMAT},
		{"output", 'o', true, OPT_OUTPUT},
		{NULL, 0, false, 0},
	};
	enum out_format fmt = OUT_DOT;
	bool fmt_given = false;
	const char *out_path = NULL, *arg;
	int c, first;
	while ((c = cli_getopt("graph", argc, argv, opts, &arg, &first)) > 0) {
		if (c == 'h')
			return cli_help("graph");
		if (c == OPT_FORMAT) {
			if (parse_format(arg, &fmt) < 0)
				return cli_usage_error("graph", "--format takes dot, mermaid or svg, not '%s'", arg);
			fmt_given = true;
		}
		if (c == OPT_OUTPUT)
			out_path = arg;
	}
	if (c < 0)
		return EXIT_USAGE;
	if (argc - first != 1)
		return cli_usage_error("graph", "give exactly one topology file");
	if (out_path && !strcmp(out_path, "-"))
		out_path = NULL;
	if (!fmt_given && out_path && format_from_name(out_path, &fmt) < 0)
		fmt = OUT_DOT;
	if (fmt == OUT_SVG && !on_path("dot")) {
		fprintf(stderr, "aspen graph: --format svg needs Graphviz's dot, which is not on PATH: "
			"install it (apt-get install graphviz), or use --format dot and render "
			"the file elsewhere\n");
		return EXIT_ERR;
	}
	struct topology *t = cli_load(argv[first]);
	if (!t)
		return EXIT_ERR;
	int rc = emit(t, fmt, out_path) < 0 ? EXIT_ERR : EXIT_OK;
	topo_free(t);
	return rc;
}

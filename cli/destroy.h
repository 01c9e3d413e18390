/* destroy.h — the destroy flow as a function, for `aspen destroy` and
 * `aspen run` (which destroys what it applied). */
#ifndef ASPEN_DESTROY_H
#define ASPEN_DESTROY_H

#include <stdbool.h>
#include <stdio.h>

struct destroy_opts {
	const char *name;               /* the topology's name */
	char **argv;                    /* recorded in the lock as its holder */
	FILE *out;                      /* progress and summary (stdout for destroy) */
	bool json;
	bool brief;                     /* summary line only, no line per action */
	int lock_ms;
	const char *artifacts;          /* --artifacts DIR: copy the runtime files and
					 * journal there first (cli/artifacts.h), or NULL */
};

/* Remove everything of o->name. Returns EXIT_OK or EXIT_ERR (printed). */
int destroy_run(const struct destroy_opts *o);

#endif

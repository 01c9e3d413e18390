/* envsub.h — ${VAR} in command arguments, the way systemd's ExecStart= does.
 *
 * In each argument of a node's `command:` and a health `exec:`:
 *   ${NAME}  anywhere in a word: the variable's value, inside that one word;
 *   $NAME    as a whole word: the value split at blanks into zero or more words;
 *   $$       a literal '$'.
 * Any other '$' (a shell's "$1", "$?", "$x" inside a word) is left as it is,
 * so `sh -c '...'` scripts keep working. NAME is [A-Za-z_][A-Za-z0-9_]*.
 * The same scanner serves validation (which names exist, at plan time) and
 * the runtime (the values, when a command starts). Pure. */
#ifndef ASPEN_ENVSUB_H
#define ASPEN_ENVSUB_H

#include <stddef.h>

#include "compiler/diag.h"
#include "compiler/topology.h"

/* The value of NAME (len bytes, not terminated), or NULL when unknown. */
typedef const char *(*envsub_lookup_fn)(void *arg, const char *name, size_t len);

struct envsub_err {
	size_t word;            /* index of the argument */
	char msg[160];          /* "unknown variable ${FOO}", "unterminated ${" */
	char name[80];          /* the unknown name, or "" for a syntax error */
};

/* Expand argv[0..n) into a malloc'd NULL-terminated vector of malloc'd
 * strings (free with envsub_free). NULL with *e filled on an unknown name
 * or bad syntax, or with e->msg "out of memory". */
char **envsub_argv(const char *const *argv, size_t n, envsub_lookup_fn fn, void *arg,
		   struct envsub_err *e);
void envsub_free(char **v);

/* A lookup over a "KEY=value" vector (envp). */
const char *envsub_envp_lookup(void *envp, const char *name, size_t len);

/* Validation: every ${VAR} of every node command and health exec names a
 * variable the node's command environment has (docs/language.md, "The node
 * environment"), else an error at the argument with the list of names. */
void envsub_check(const struct topology *t, struct diag_list *d);

#endif

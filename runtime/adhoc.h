/* adhoc.h — ad hoc faults: command-line words -> a validated struct topo_fault.
 *
 * `aspen fault NAME loss node2 20%` becomes one YAML fault,
 *   {name: adhoc-1, at: 0s, loss: {nodes: [node2], percent: 20%}}
 * which is run through the real decoder and validator together with the
 * topology file the journal records, as that file's only scheduled fault
 * (its own `faults:` entry is blanked out line for line, so positions in
 * the rest of the file are unchanged). Ad hoc faults therefore get exactly
 * the checks and messages of faults written in the file, and there is no
 * second parser of fault syntax. The words only choose the YAML: each must
 * be a plain word ([A-Za-z0-9._%,-]), so nothing typed can change the
 * document's structure.
 *
 * The validator simulates node states from "all running at 0"; for `start`
 * (needs a killed node) and `resume` (a paused one) the snippet first
 * states that assumption with a kill / pause at 0s and puts the fault at
 * 1s. The live state is the mechanism's to check. */
#ifndef ASPEN_ADHOC_H
#define ASPEN_ADHOC_H

#include <stddef.h>

#include "compiler/diag.h"
#include "compiler/topology.h"
#include "runtime/err.h"

#define ADHOC_MAX_WORDS 64

struct adhoc {
	char body[16384];       /* "loss: {nodes: [node2], percent: 20%}" */
	char prefix[4096];      /* "  - {at: 0s, kill: [node1]}\n" or "" */
};

/* kind and its words (separators "/" and "->" may be words of their own or
 * inside one: "a->b"), direction for loss (NULL: default). 0, or -1 with a
 * usage message in e:
 *   partition A / B[,C] [/ ...]    groups
 *   partition A -> B               one-way
 *   isolate A                      A against everyone else
 *   loss|duplicate|corrupt T PCT
 *   latency T DELAY [JITTER]       reorder T PCT [DELAY]   rate T RATE [BURST]
 *   link-down T...                 kill|pause|resume|start|restart|reboot N... */
int adhoc_build(struct adhoc *a, const char *kind, const char *const *words, size_t n,
		const char *direction, struct rt_err *e);

/* The YAML fault line: "  - {name: KEY, at: 0s[, for: FOR], BODY}\n". */
int adhoc_fault_yaml(const struct adhoc *a, const char *key, const char *for_s, char *buf,
		     size_t len);

/* buf[0..len) (a topology file's text, path names it) with its `faults:`
 * replaced by a's fault: decoded and validated into d. The fault is the
 * topology's last. *file_lines (optional) gets the number of lines of the
 * file proper: a diagnostic below it is about the ad hoc fault. NULL (and
 * d or e says why) when the file does not parse or the fault is invalid. */
struct topology *adhoc_load(const char *path, const char *buf, size_t len, const struct adhoc *a,
			    const char *key, const char *for_s, struct diag_list *d,
			    unsigned *file_lines, struct rt_err *e);
/* The same compiled with o (a host's part of a multi-host topology: its
 * host and seed), o NULL as adhoc_load. */
struct topology *adhoc_load_with(const char *path, const char *buf, size_t len,
				 const struct adhoc *a, const char *key, const char *for_s,
				 const struct topo_load_opts *o, struct diag_list *d,
				 unsigned *file_lines, struct rt_err *e);

#endif

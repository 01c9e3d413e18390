/* graph.h — a topology as a picture: Graphviz DOT and Mermaid text.
 *
 * Nodes show their name and kind; networks their bridge, subnet and
 * gateway; each edge joins a node to a network and carries the interface
 * name and its IP (the only place an address is written). DOT places
 * everything itself (see graph.c): the topology in its own shape, the fault
 * schedule as bars on a time axis with a scale, concurrent faults in
 * parallel lanes, each tied to the nodes it hits. Mermaid cannot pin
 * positions: there the schedule is a strip of boxes in time order.
 *
 * Pure: walks a validated topology and writes text. Output is deterministic
 * (file order; ids are indices, so any valid name is safe in either
 * notation), which is what the golden tests rely on. */
#ifndef ASPEN_GRAPH_H
#define ASPEN_GRAPH_H

#include <stdio.h>

#include "compiler/topology.h"

enum graph_format { GRAPH_DOT, GRAPH_MERMAID };

/* "dot" / "mermaid" -> *out; -1 for any other name. */
int graph_format_parse(const char *name, enum graph_format *out);

/* Write t (loaded and validated without errors: derived names are filled)
 * to out in fmt. Returns 0, or -1 when writing failed (ferror(out)). */
int graph_write(const struct topology *t, enum graph_format fmt, FILE *out);

#endif

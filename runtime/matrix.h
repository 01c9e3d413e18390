/* matrix.h — who can reach whom, right now, measured with real packets.
 *
 * For every ordered pair of network-namespace nodes (from, to), ICMP echo
 * requests are sent from inside from's namespace to to's first address and
 * watched for inside to's namespace: the pair is reachable when one
 * arrives (up to three tries within the timeout). All pairs run in
 * parallel on a bounded pool of threads. This is how a user sees what a
 * fault did: a partition shows as the crosses between its sides, a one-way
 * partition as one cross only. Needs root (raw sockets, setns). */
#ifndef ASPEN_MATRIX_H
#define ASPEN_MATRIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cJSON.h>

#include "runtime/err.h"
#include "runtime/journal.h"

#define MATRIX_TIMEOUT_MS 300   /* one pair: a cut pair costs this */
#define MATRIX_THREADS 32       /* probes in flight at once */

struct matrix_node {
	char name[64];          /* node name */
	char netns_path[96];    /* /run/netns/<netns> */
	bool has_ip4, has_ip6;  /* from a control API's answer: both as measured */
	uint32_t ip;            /* first address, host byte order */
	uint8_t ip6[16];        /* first IPv6 address, network byte order */
};

struct matrix {
	struct matrix_node *nodes;
	size_t n;
	bool *ok;               /* n * n: ok[from * n + to]; the diagonal is true */
	bool *ok6;              /* the same over IPv6; NULL when no node has an
				   IPv6 address (a pair where one lacks it: false) */
};

/* The netns nodes of a topology from its journal: every netns/<node>
 * resource with an address (the address on its lowest-numbered interface,
 * per family: a dual-stack topology is probed over both). Nodes without
 * an address are left out. m->ok is not yet measured. */
int matrix_from_journal(const struct journal *j, struct matrix *m, struct rt_err *e);

/* Probe every ordered pair once, timeout_ms each (0: MATRIX_TIMEOUT_MS),
 * at most threads at once (0: MATRIX_THREADS). A lost probe is a false
 * entry, not an error; -1 only when threads or memory fail. */
int matrix_measure(struct matrix *m, int timeout_ms, int threads, struct rt_err *e);

void matrix_free(struct matrix *m);

/* A table, rows = from, columns = to:
 *         node1 node2 node3
 *   node1   ·     ✗     ✗
 * with ✓/✗/· when utf8, else ok/--/. ; prefix starts every line. With
 * IPv6 (ok6), an "IPv4:" and an "IPv6:" table; a node without an address
 * of the family shows blank cells. */
void matrix_print(const struct matrix *m, FILE *out, bool utf8, const char *prefix);

/* {"nodes":["node1",..],"reachable":[[true,false,..],..]} (rows = from),
 * with "reachable6" of the same shape when ok6. */
cJSON *matrix_json(const struct matrix *m);

/* The inverse of matrix_json (a matrix measured by another aspen, through
 * its control API): names and reachability only. 0, or -1 when o is not
 * such an object. */
int matrix_from_json(const cJSON *o, struct matrix *m, struct rt_err *e);

#endif

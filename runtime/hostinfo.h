/* hostinfo.h — the host's own limits, read where the kernel publishes them.
 *
 * /proc/sys values and MemAvailable, for `plan`'s warnings, the VM
 * preflight and `aspen doctor`. Tests point the readers at a fake tree:
 * $ASPEN_TEST_PROCSYS replaces /proc/sys, $ASPEN_TEST_MEMINFO /proc/meminfo
 * (a test can then ask for any limit without changing the host's). */
#ifndef ASPEN_HOSTINFO_H
#define ASPEN_HOSTINFO_H

#include <stdio.h>

#include "compiler/hostlimits.h"

/* The first number of /proc/sys/<key> (key like "kernel/pid_max"):
 * 0 and *out set, or -1 when it cannot be read. */
int hostinfo_sysctl(const char *key, unsigned long long *out);

/* MemAvailable of /proc/meminfo in bytes, 0 when unknown. */
unsigned long long hostinfo_mem_available(void);

/* One line on f per neighbour-table bound `need` exceeds
 * (net.ipv4.neigh.default.gc_thresh2 / gc_thresh3), each prefixed with
 * `who` ("aspen plan") and naming the values that fit. Returns the number
 * of lines. */
int hostinfo_neigh_warn(FILE *f, const char *who, unsigned long long need);

#endif

/* ch_version.h — the Cloud Hypervisor releases aspen knows, and what each
 * needs from it.
 *
 * vmm.ping's "version" ("48.0.0", CARGO_PKG_VERSION) is read when a VMM
 * comes up. Versions are compared as major * 100 + minor. The table in
 * docs/ch-api.md ("Versions") lists, from the sources of v48.0 to v53.0,
 * every difference aspen relies on; the predicates below are that table. */
#ifndef ASPEN_RT_CH_VERSION_H
#define ASPEN_RT_CH_VERSION_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/err.h"

#define CH_VERSION_MIN     2800u   /* v28.0: payload {kernel, cmdline, ...} */
#define CH_VERSION_TESTED  4800u   /* the oldest release the table covers */
#define CH_VERSION_NEWEST  5300u   /* the newest release the table covers */

/* "48.0.0", "v53.0", "53.0" -> 4800, 5300; 0 when it is not a version. */
unsigned ch_version_parse(const char *s);

/* 0 when aspen can drive version v; -1 with the reason (older than v28).
 * A version newer than the table is accepted: *warn (when not NULL) gets
 * one line saying so, else is set empty. */
int ch_version_check(unsigned v, char *warn, size_t len, struct rt_err *e);

/* v50.1+: a disk without image_type is autodetected, and a raw one then
 * refuses guest writes to sector 0 (a whole-disk filesystem's superblock):
 * aspen sends "image_type": "Raw". 0 (unknown) counts as v48. */
bool ch_version_needs_image_type(unsigned v);

/* v48-v52: NetConfig.ip defaults to 192.168.249.1, and CH sets it on a TAP
 * it does not find in /sys/class/net (taking it for one it created). */
bool ch_version_sets_tap_ip(unsigned v);

#endif

/* mark.h — ownership marks on kernel objects aspen creates.
 *
 * aspen never changes or deletes an object it did not create. Links carry
 * the mark in IFLA_IFALIAS; named namespaces (which have no alias) carry it in
 * a marker file (see netns.h). A mark reads "aspen:<topology>:<resource-id>",
 * e.g. "aspen:cluster3:veth/node1.eth0". */
#ifndef ASPEN_RT_MARK_H
#define ASPEN_RT_MARK_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/err.h"

#define ASPEN_MARK_PREFIX "aspen:"
/* The kernel keeps at most IFALIASZ - 1 = 255 bytes of alias. */
#define ASPEN_MARK_MAX 255

/* Write "aspen:<topology>:<resource_id>" into buf (size len). Fails (EINVAL)
 * when topology is empty or holds ':', resource_id is empty, either holds a
 * control character, or the mark exceeds ASPEN_MARK_MAX or len - 1 bytes. */
int mark_build(char *buf, size_t len, const char *topology, const char *resource_id,
	       struct rt_err *e);

/* True when s is an aspen mark (starts with ASPEN_MARK_PREFIX). */
bool mark_is_aspen(const char *s);

/* True when s is an aspen mark of this topology ("aspen:<topology>:..."). */
bool mark_in_topology(const char *s, const char *topology);

/* The creation-time mark of a link: a locally administered MAC derived
 * from its mark (FNV-1a 64), set by the RTM_NEWLINK that creates a bridge
 * or a veth's host end. The kernel ignores IFLA_IFALIAS in RTM_NEWLINK, so
 * the alias needs a second request; a link that a crash left between the
 * two carries no alias but this MAC, and is recognised as the mark's
 * (docs/executor.md, "Crash safety by construction"). */
void mark_mac(const char *mark, unsigned char mac[6]);

/* The host of a multi-host topology this process works for (its part's
 * host, docs/multihost.md), or NULL: from then on mark_mac derives from
 * the mark and the host's name. The same network's bridge on two hosts
 * has one mark but sits on one L2 segment (joined by VXLAN): with one MAC,
 * each host would take frames for the other's gateway as its own. */
void mark_set_host(const char *host);

/* True when the link (alias, mac) carries mark: its alias is the mark, or
 * it has no alias and mac is mark_mac(mark) (made, not yet aliased). mac
 * may be NULL (the link has none). */
bool mark_link_owned(const char *mark, const char *alias, const unsigned char *mac);

#endif

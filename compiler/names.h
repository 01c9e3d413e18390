/* names.h — the names aspen gives to kernel objects of a topology.
 *
 * Every name is a pure function of the topology's own names (topology,
 * network, node, interface index), so a second `apply` — or a `destroy` after
 * a crash — finds exactly the objects the first one made. Link names must fit
 * the kernel's IFNAMSIZ (15 bytes + NUL); when the readable form is too long,
 * part of it is replaced by hex digits of a stable hash. docs/names.md has
 * the scheme and the reasons. */
#ifndef ASPEN_NAMES_H
#define ASPEN_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "compiler/diag.h"
#include "compiler/topology.h"

#define NAMES_NETNS_MAX 64      /* bytes of topo_node.netns_name, NUL included */

/* FNV-1a, 64 bits, over n bytes / a NUL-terminated string. Stable across
 * hosts and releases: generated names depend on it. */
uint64_t names_hash(const void *p, size_t n);
uint64_t names_hash_str(const char *s);

/* The hash generated names use: FNV-1a followed by MurmurHash3's 64-bit
 * finalizer. Plain FNV-1a barely changes its top bits when only the last
 * bytes differ ("node-0" vs "node-2"), and names take the top digits. */
uint64_t names_digest(const char *s);

/* The first `digits` (1..16) lower-case hex digits of h, most significant
 * first, written to out with a NUL (out holds digits + 1 bytes). */
void names_hex(char *out, uint64_t h, unsigned digits);
/* The same in base32 (alphabet 0-9a-v, 5 bits a character, 1..12). */
void names_b32(char *out, uint64_t h, unsigned digits);

/* "aspen-<topo>-<node>"; when that is longer than 63 bytes (only possible with
 * names near the 32-byte limit) "aspen-<topo>-<16 hex of digest(node)>". Never
 * writes more than NAMES_NETNS_MAX bytes; truncates only for names that
 * validation rejects anyway. */
void names_netns(char out[NAMES_NETNS_MAX], const char *topo, const char *node);

/* The bridge of a network: `user` when given (copied, truncated to 15 bytes:
 * validation rejects longer ones), else "as-<t>-<net>" with <t> the first 4
 * hex digits of digest(topo); when that exceeds 15 bytes "as-<t>-<6 hex of
 * digest(net)>". */
void names_bridge(char out[IFNAMSIZ_ASPEN], const char *topo, const char *net,
		  const char *user);

/* The VXLAN port of a network spanning hosts (multi-host): "vx-<t>-<net>",
 * else "vx-<t>-<6 hex of digest(net)>" like a bridge; the same name on
 * every host. */
void names_vxlan(char out[IFNAMSIZ_ASPEN], const char *topo, const char *net);

/* Host end of interface idx of a node (veth peer on the host, or the VM's
 * TAP): "as-<t>-<node>-<idx>" when that fits 15 bytes, else "as-<t>-<h>"
 * with <h> 7 base32 characters (0-9a-v, 35 bits) of digest("<node>/<idx>").
 * The index is folded into the hash rather than appended so every hashed
 * name keeps all 35 bits: with 2000 interfaces the odds of any collision
 * stay near 1 in 20000 (names_assign reports one if it happens). */
void names_host_iface(char out[IFNAMSIZ_ASPEN], const char *topo, const char *node, size_t idx);

/* The ifb device that carries a VM interface's shaped traffic
 * (docs/faults.md, "Rate and netem on VM nodes"): the host end's name with
 * its "as-" turned into "ai-", so `ip link` pairs them at a glance and the
 * length never changes; a host end without that prefix (none is generated
 * so) gets "ai-" + 12 base32 characters of digest(host). */
void names_ifb(char out[IFNAMSIZ_ASPEN], const char *host);

/* Name of interface idx inside its node: "eth<idx>". */
void names_node_iface(char out[IFNAMSIZ_ASPEN], size_t idx);

/* Generated MAC of interface idx: 02 (locally administered, unicast)
 * followed by the first 5 bytes of digest("<topo>/<node>/<idx>"). */
void names_mac(uint8_t mac[6], const char *topo, const char *node, size_t idx);

/* "10.100.0.2" from a host-order address; out holds 16 bytes. */
void names_fmt_ipv4(char out[16], uint32_t ip);
/* "02:00:00:00:00:01"; out holds 18 bytes. */
void names_fmt_mac(char out[18], const uint8_t mac[6]);

/* Fill every generated name of t — netns_name, bridge_name, vxlan_name of
 * a spanning network, iface name, host_name, eff_mac — and check that link names (bridges and host ends)
 * and namespace names are unique across the topology; each collision is an
 * error at the later owner naming the earlier one. Items with a NULL name
 * (a partial decode) are skipped. */
void names_assign(struct topology *t, struct diag_list *d);

#endif

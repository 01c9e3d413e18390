/* units.h — the value syntaxes of the topology language (docs/language.md,
 * "Values"): durations, sizes, rates, percentages, IPv4 addresses and
 * prefixes, MACs, endpoints and shell-like command lines.
 *
 * Every parser takes a whole NUL-terminated string, returns 0 and fills
 * *out, or returns -1 and points *why at a short static reason ("unknown
 * unit \"sec\"") that the caller puts into a diagnostic. Nothing is
 * trimmed: " 5s" is an error. Arithmetic is overflow-checked; a value that
 * does not fit is an error, never a wrap.
 *
 * Choices worth knowing:
 *  - duration: units us ms s m h, each at most once, largest first; a part
 *    may have a fraction (1.5s) if the result is a whole number of
 *    microseconds; a bare "0" is zero, any other bare number is an error.
 *  - size: binary units (K = KiB = 1024), optional "B"/"iB" spelling; a bare
 *    number is bytes. "MB"/"GB" are refused as ambiguous.
 *  - rate: SI units, case-insensitive: bit kbit mbit gbit tbit, and bps
 *    kbps mbps gbps tbps as bytes per second (x8). A bare number is refused.
 *  - ipv4: four decimal octets; leading zeros are refused (010 reads as
 *    octal to some tools).
 *  - prefix: host bits set (10.0.0.1/24) are accepted here; validation
 *    decides what to say about them.
 *  - command: words split on blanks; '...' literal; "..." with \ escaping
 *    only \ " $ ` and newline; \ outside quotes escapes any byte. */
#ifndef ASPEN_UNITS_H
#define ASPEN_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "compiler/arena.h"
#include "compiler/topology.h"

int unit_duration(const char *s, uint64_t *us, const char **why);
int unit_size(const char *s, uint64_t *bytes, const char **why);
int unit_rate(const char *s, uint64_t *bps, const char **why);
/* "5%", "0.5%" or a bare number; 0..100. */
int unit_percent(const char *s, double *pct, const char **why);
/* Decimal integer in [min, max]; no sign, no leading '+', no hex. */
int unit_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out, const char **why);
/* Host byte order. */
int unit_ipv4(const char *s, uint32_t *addr, const char **why);
int unit_prefix(const char *s, struct ipv4_prefix *p, const char **why);
int unit_mac(const char *s, uint8_t mac[6], const char **why);
/* IPv6: an address in any RFC 4291 text form ("fd00:100::2"), network
 * order; a prefix "fd00:100::/64", length 0..128; an endpoint
 * "[fd00:100::2]:7000" (brackets required, as in URLs). */
int unit_ipv6(const char *s, uint8_t addr[16], const char **why);
int unit_prefix6(const char *s, struct ipv6_prefix *p, const char **why);
int unit_endpoint6(const char *s, uint8_t addr[16], uint16_t *port, const char **why);
/* "ip:port", port 1..65535. */
int unit_endpoint(const char *s, uint32_t *ip, uint16_t *port, const char **why);
/* Split a command line into argv (allocated in a, v[n] == NULL). At least
 * one word; out->pos is left alone. */
int unit_split_command(struct arena *a, const char *s, struct strv *out, const char **why);

/* Formatting: each writes into buf (size n, truncating safely) and returns
 * buf. fmt_duration gives the shortest exact form: 0, 500us, 250ms, 1.5s,
 * 5s, 1m30s, 1h, 1h0m0.5s. fmt_size: 512M, 1G, 1536K, 100 (bytes).
 * fmt_rate: 10mbit, 1gbit, 1500kbit, 100bit. */
char *fmt_duration(char *buf, size_t n, uint64_t us);
char *fmt_size(char *buf, size_t n, uint64_t bytes);
char *fmt_rate(char *buf, size_t n, uint64_t bps);
#define FMT_IPV4_LEN 16
char *fmt_ipv4(char *buf, size_t n, uint32_t ip);
#define FMT_MAC_LEN 18
char *fmt_mac(char *buf, size_t n, const uint8_t mac[6]);

#endif

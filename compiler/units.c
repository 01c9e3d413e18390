/* units.c — parsing and formatting of the language's value syntaxes
 * (see units.h for the accepted forms).
 *
 * The idea: one small decimal reader (digits, optional fraction) feeds every
 * unit parser, and all scaling goes through two overflow-checked helpers, so
 * "99999999999h" is an error with a reason instead of a wrapped number.
 * Nothing here depends on the locale (no strtod, no isdigit on signed char). */
#include "compiler/units.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* A decimal number "123" or "1.25" at *s: integer part and up to 9 fraction
 * digits (frac / 10^nfrac). Advances *s past it. */
struct decimal {
	uint64_t ip;
	uint64_t frac;
	unsigned nfrac;
};

static int read_decimal(const char **s, struct decimal *d, const char **why)
{
	const char *p = *s;
	d->ip = 0;
	d->frac = 0;
	d->nfrac = 0;
	if (!is_digit(*p)) {
		*why = *p == '-' ? "negative values are not allowed" : "expected a number";
		return -1;
	}
	for (; is_digit(*p); p++) {
		unsigned dig = (unsigned)(*p - '0');
		if (d->ip > (UINT64_MAX - dig) / 10) {
			*why = "number too large";
			return -1;
		}
		d->ip = d->ip * 10 + dig;
	}
	if (*p == '.') {
		p++;
		if (!is_digit(*p)) {
			*why = "expected digits after '.'";
			return -1;
		}
		for (; is_digit(*p); p++) {
			if (d->nfrac == 9) {
				*why = "too many decimal places";
				return -1;
			}
			d->frac = d->frac * 10 + (unsigned)(*p - '0');
			d->nfrac++;
		}
	}
	*s = p;
	return 0;
}

static uint64_t pow10u(unsigned n)
{
	uint64_t r = 1;
	while (n--)
		r *= 10;
	return r;
}

/* d * mult, exactly; -1 when it overflows or is not a whole number. */
static int scale(const struct decimal *d, uint64_t mult, uint64_t *out, const char **why,
		 const char *fraction_why)
{
	if (mult && d->ip > UINT64_MAX / mult) {
		*why = "value too large";
		return -1;
	}
	uint64_t v = d->ip * mult;
	if (d->nfrac) {
		/* frac < 10^9 and mult <= 3.6e9 would overflow; split mult. */
		uint64_t den = pow10u(d->nfrac);
		uint64_t q = mult / den, r = mult % den;
		uint64_t part = d->frac * q;
		if (q && part / q != d->frac) {
			*why = "value too large";
			return -1;
		}
		/* frac * r < 10^9 * 10^9 fits in 64 bits. */
		uint64_t rem = d->frac * r;
		if (rem % den) {
			*why = fraction_why;
			return -1;
		}
		part += rem / den;
		if (v > UINT64_MAX - part) {
			*why = "value too large";
			return -1;
		}
		v += part;
	}
	*out = v;
	return 0;
}

static int add_checked(uint64_t *acc, uint64_t v, const char **why)
{
	if (*acc > UINT64_MAX - v) {
		*why = "value too large";
		return -1;
	}
	*acc += v;
	return 0;
}

/* ---------------- duration ---------------- */

static const struct {
	const char *name;
	uint64_t us;
} dur_units[] = {
	{"h", 3600ull * 1000000ull},
	{"m", 60ull * 1000000ull},
	{"s", 1000000ull},
	{"ms", 1000ull},
	{"us", 1ull},
};
#define N_DUR_UNITS (sizeof(dur_units) / sizeof(dur_units[0]))

/* Length of the unit name at p: letters only. */
static size_t unit_len(const char *p)
{
	size_t n = 0;
	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z'))
		n++;
	return n;
}

int unit_duration(const char *s, uint64_t *us, const char **why)
{
	if (!*s) {
		*why = "empty duration";
		return -1;
	}
	if (strcmp(s, "0") == 0) {
		*us = 0;
		return 0;
	}
	const char *p = s;
	uint64_t total = 0;
	size_t next = 0;        /* smallest allowed index into dur_units */
	while (*p) {
		struct decimal d;
		if (read_decimal(&p, &d, why) < 0)
			return -1;
		size_t ul = unit_len(p);
		if (ul == 0) {
			*why = *p ? "unexpected character in duration"
				  : "missing unit: us, ms, s, m or h";
			return -1;
		}
		size_t k;
		for (k = 0; k < N_DUR_UNITS; k++)
			if (strlen(dur_units[k].name) == ul && strncmp(p, dur_units[k].name, ul) == 0)
				break;
		if (k == N_DUR_UNITS) {
			*why = "unknown unit; use us, ms, s, m or h";
			return -1;
		}
		if (k < next) {
			*why = "units must be given largest first, each once";
			return -1;
		}
		next = k + 1;
		uint64_t v;
		if (scale(&d, dur_units[k].us, &v, why, "finer than a microsecond") < 0)
			return -1;
		if (add_checked(&total, v, why) < 0)
			return -1;
		p += ul;
	}
	*us = total;
	return 0;
}

/* ---------------- size ---------------- */

int unit_size(const char *s, uint64_t *bytes, const char **why)
{
	static const struct {
		const char *name;
		unsigned shift;
	} u[] = {
		{"", 0}, {"B", 0},
		{"K", 10}, {"Ki", 10}, {"KiB", 10},
		{"M", 20}, {"Mi", 20}, {"MiB", 20},
		{"G", 30}, {"Gi", 30}, {"GiB", 30},
		{"T", 40}, {"Ti", 40}, {"TiB", 40},
	};
	if (!*s) {
		*why = "empty size";
		return -1;
	}
	const char *p = s;
	struct decimal d;
	if (read_decimal(&p, &d, why) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		if (strcmp(p, u[i].name) == 0)
			return scale(&d, 1ull << u[i].shift, bytes, why, "not a whole number of bytes");
	}
	if (strcmp(p, "KB") == 0 || strcmp(p, "MB") == 0 || strcmp(p, "GB") == 0 ||
	    strcmp(p, "TB") == 0 || strcmp(p, "kB") == 0)
		*why = "ambiguous unit; binary units are K, M, G, T or KiB, MiB, GiB, TiB";
	else
		*why = "unknown unit; use K, M, G, T or KiB, MiB, GiB, TiB";
	return -1;
}

/* ---------------- rate ---------------- */

int unit_rate(const char *s, uint64_t *bps, const char **why)
{
	static const struct {
		const char *name;
		uint64_t mult;
	} u[] = {
		{"bit", 1}, {"kbit", 1000}, {"mbit", 1000000}, {"gbit", 1000000000},
		{"tbit", 1000000000000ull},
		{"bps", 8}, {"kbps", 8000}, {"mbps", 8000000}, {"gbps", 8000000000ull},
		{"tbps", 8000000000000ull},
	};
	if (!*s) {
		*why = "empty rate";
		return -1;
	}
	const char *p = s;
	struct decimal d;
	if (read_decimal(&p, &d, why) < 0)
		return -1;
	if (!*p) {
		*why = "missing unit: bit, kbit, mbit, gbit or bps, kbps, mbps, gbps";
		return -1;
	}
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		if (strcasecmp(p, u[i].name) == 0)
			return scale(&d, u[i].mult, bps, why, "not a whole number of bits per second");
	}
	*why = "unknown unit; use bit, kbit, mbit, gbit or bps, kbps, mbps, gbps";
	return -1;
}

/* ---------------- numbers ---------------- */

int unit_percent(const char *s, double *pct, const char **why)
{
	const char *p = s;
	struct decimal d;
	if (read_decimal(&p, &d, why) < 0)
		return -1;
	if (*p == '%')
		p++;
	if (*p) {
		*why = "expected a number followed by an optional %";
		return -1;
	}
	if (d.ip > 100 || (d.ip == 100 && d.frac)) {
		*why = "a percentage is at most 100";
		return -1;
	}
	*pct = (double)d.ip + (double)d.frac / (double)pow10u(d.nfrac);
	return 0;
}

int unit_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out, const char **why)
{
	const char *p = s;
	struct decimal d;
	if (read_decimal(&p, &d, why) < 0)
		return -1;
	if (*p || d.nfrac) {
		*why = "expected a whole number";
		return -1;
	}
	if (d.ip < min || d.ip > max) {
		*why = "out of range";
		return -1;
	}
	*out = d.ip;
	return 0;
}

/* ---------------- addresses ---------------- */

/* Four octets at *s; advances *s past them. */
static int read_ipv4(const char **s, uint32_t *addr, const char **why)
{
	const char *p = *s;
	uint32_t a = 0;
	for (int i = 0; i < 4; i++) {
		if (i > 0) {
			if (*p != '.') {
				*why = "expected an IPv4 address like 10.0.0.1";
				return -1;
			}
			p++;
		}
		if (!is_digit(*p)) {
			*why = "expected an IPv4 address like 10.0.0.1";
			return -1;
		}
		if (p[0] == '0' && is_digit(p[1])) {
			*why = "leading zeros are not allowed in an IPv4 address";
			return -1;
		}
		unsigned v = 0;
		int nd = 0;
		for (; is_digit(*p); p++) {
			if (++nd > 3) {
				*why = "an octet is over 255";
				return -1;
			}
			v = v * 10 + (unsigned)(*p - '0');
		}
		if (v > 255) {
			*why = "an octet is over 255";
			return -1;
		}
		a = a << 8 | v;
	}
	*addr = a;
	*s = p;
	return 0;
}

int unit_ipv4(const char *s, uint32_t *addr, const char **why)
{
	const char *p = s;
	uint32_t a;
	if (read_ipv4(&p, &a, why) < 0)
		return -1;
	if (*p) {
		*why = *p == '/' ? "an address has no prefix length"
				 : "expected an IPv4 address like 10.0.0.1";
		return -1;
	}
	*addr = a;
	return 0;
}

int unit_prefix(const char *s, struct ipv4_prefix *pfx, const char **why)
{
	const char *p = s;
	uint32_t a;
	if (read_ipv4(&p, &a, why) < 0)
		return -1;
	if (*p != '/') {
		*why = "expected a prefix like 10.0.0.0/24";
		return -1;
	}
	p++;
	uint64_t len;
	if (unit_uint(p, 0, 32, &len, why) < 0) {
		*why = "prefix length must be 0..32";
		return -1;
	}
	pfx->addr = a;
	pfx->len = (uint8_t)len;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int unit_mac(const char *s, uint8_t mac[6], const char **why)
{
	uint8_t m[6];
	const char *p = s;
	for (int i = 0; i < 6; i++) {
		if (i > 0 && *p++ != ':')
			goto bad;
		int hi = hexval(p[0]), lo = hi < 0 ? -1 : hexval(p[1]);
		if (hi < 0 || lo < 0)
			goto bad;
		m[i] = (uint8_t)(hi << 4 | lo);
		p += 2;
	}
	if (*p)
		goto bad;
	memcpy(mac, m, 6);
	return 0;
bad:
	*why = "expected a MAC address like 02:00:00:00:00:01";
	return -1;
}

int unit_endpoint(const char *s, uint32_t *ip, uint16_t *port, const char **why)
{
	const char *p = s;
	uint32_t a;
	if (read_ipv4(&p, &a, why) < 0)
		return -1;
	if (*p != ':') {
		*why = "expected ip:port like 10.0.0.2:7000";
		return -1;
	}
	uint64_t v;
	if (unit_uint(p + 1, 1, 65535, &v, why) < 0) {
		*why = "port must be 1..65535";
		return -1;
	}
	*ip = a;
	*port = (uint16_t)v;
	return 0;
}

/* ---------------- IPv6 ---------------- */

/* inet_pton is a pure parser (no system call); it accepts exactly the
 * RFC 4291 forms, embedded IPv4 included, and no zone ("%eth0"). */
int unit_ipv6(const char *s, uint8_t addr[16], const char **why)
{
	char buf[INET6_ADDRSTRLEN];
	size_t n = strlen(s);
	if (strchr(s, '/')) {
		*why = "an address has no prefix length";
		return -1;
	}
	if (n >= sizeof(buf) || inet_pton(AF_INET6, s, buf) != 1) {
		*why = "expected an IPv6 address like fd00:100::2";
		return -1;
	}
	memcpy(addr, buf, 16);
	return 0;
}

int unit_prefix6(const char *s, struct ipv6_prefix *pfx, const char **why)
{
	char ip[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	if (!slash) {
		*why = "expected a prefix like fd00:100::/64";
		return -1;
	}
	if ((size_t)(slash - s) >= sizeof(ip)) {
		*why = "expected an IPv6 address like fd00:100::2";
		return -1;
	}
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	uint8_t a[16];
	uint64_t len;
	if (unit_ipv6(ip, a, why) < 0)
		return -1;
	if (unit_uint(slash + 1, 0, 128, &len, why) < 0) {
		*why = "prefix length must be 0..128";
		return -1;
	}
	memcpy(pfx->addr, a, 16);
	pfx->len = (uint8_t)len;
	return 0;
}

int unit_endpoint6(const char *s, uint8_t addr[16], uint16_t *port, const char **why)
{
	char ip[INET6_ADDRSTRLEN];
	const char *close = s[0] == '[' ? strchr(s, ']') : NULL;
	if (!close || close[1] != ':') {
		*why = "expected [ipv6]:port like [fd00:100::2]:7000";
		return -1;
	}
	if ((size_t)(close - s - 1) >= sizeof(ip)) {
		*why = "expected an IPv6 address like fd00:100::2";
		return -1;
	}
	memcpy(ip, s + 1, (size_t)(close - s - 1));
	ip[close - s - 1] = '\0';
	uint8_t a[16];
	uint64_t v;
	if (unit_ipv6(ip, a, why) < 0)
		return -1;
	if (unit_uint(close + 2, 1, 65535, &v, why) < 0) {
		*why = "port must be 1..65535";
		return -1;
	}
	memcpy(addr, a, 16);
	*port = (uint16_t)v;
	return 0;
}

/* ---------------- command lines ---------------- */

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* One word starting at *s (not blank) into out (room for strlen(s)+1). */
static int split_word(const char **s, char *out, const char **why)
{
	const char *p = *s;
	size_t o = 0;
	while (*p && !is_blank(*p)) {
		if (*p == '\'') {
			const char *e = strchr(p + 1, '\'');
			if (!e) {
				*why = "unterminated single quote";
				return -1;
			}
			memcpy(out + o, p + 1, (size_t)(e - p - 1));
			o += (size_t)(e - p - 1);
			p = e + 1;
		} else if (*p == '"') {
			p++;
			while (*p != '"') {
				if (!*p) {
					*why = "unterminated double quote";
					return -1;
				}
				if (*p == '\\' && p[1] && strchr("\\\"$`\n", p[1]))
					p++;
				out[o++] = *p++;
			}
			p++;
		} else if (*p == '\\') {
			if (!p[1]) {
				*why = "trailing backslash";
				return -1;
			}
			out[o++] = p[1];
			p += 2;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
	*s = p;
	return 0;
}

int unit_split_command(struct arena *a, const char *s, struct strv *out, const char **why)
{
	size_t len = strlen(s), n = 0;
	/* At most len/2+1 words; count exactly in a first pass instead. */
	char *buf = arena_alloc(a, len + 1);
	const char **v = NULL;
	for (int pass = 0; pass < 2; pass++) {
		const char *p = s;
		n = 0;
		for (;;) {
			while (is_blank(*p))
				p++;
			if (!*p)
				break;
			if (split_word(&p, buf, why) < 0)
				return -1;
			if (pass == 1)
				v[n] = arena_strdup(a, buf);
			n++;
		}
		if (n == 0) {
			*why = "empty command";
			return -1;
		}
		if (pass == 0)
			v = arena_array(a, n + 1, sizeof(*v));
	}
	v[n] = NULL;
	out->v = v;
	out->n = n;
	out->at = NULL;         /* words of one string: all at its position */
	return 0;
}

/* ---------------- formatting ---------------- */

char *fmt_duration(char *buf, size_t n, uint64_t us)
{
	if (us == 0) {
		snprintf(buf, n, "0");
		return buf;
	}
	if (us < 1000000) {
		if (us % 1000 == 0)
			snprintf(buf, n, "%llums", (unsigned long long)(us / 1000));
		else
			snprintf(buf, n, "%lluus", (unsigned long long)us);
		return buf;
	}
	unsigned long long h = us / 3600000000ull, m = us / 60000000ull % 60,
			   sec = us / 1000000ull % 60, frac = us % 1000000ull;
	char tmp[96];
	size_t o = 0;
	if (h)
		o += (size_t)snprintf(tmp + o, sizeof(tmp) - o, "%lluh", h);
	if (m)
		o += (size_t)snprintf(tmp + o, sizeof(tmp) - o, "%llum", m);
	if (sec || frac) {
		o += (size_t)snprintf(tmp + o, sizeof(tmp) - o, "%llu", sec);
		if (frac) {
			char f[8];
			snprintf(f, sizeof(f), "%06llu", frac);
			size_t fl = 6;
			while (f[fl - 1] == '0')
				fl--;
			f[fl] = '\0';
			o += (size_t)snprintf(tmp + o, sizeof(tmp) - o, ".%s", f);
		}
		snprintf(tmp + o, sizeof(tmp) - o, "s");
	}
	snprintf(buf, n, "%s", tmp);
	return buf;
}

char *fmt_size(char *buf, size_t n, uint64_t bytes)
{
	static const char suf[] = "KMGT";
	int k = -1;
	uint64_t v = bytes;
	while (k < 3 && v && v % 1024 == 0) {
		v /= 1024;
		k++;
	}
	if (k < 0)
		snprintf(buf, n, "%llu", (unsigned long long)v);
	else
		snprintf(buf, n, "%llu%c", (unsigned long long)v, suf[k]);
	return buf;
}

char *fmt_rate(char *buf, size_t n, uint64_t bps)
{
	static const char *const suf[] = {"bit", "kbit", "mbit", "gbit", "tbit"};
	int k = 0;
	uint64_t v = bps;
	while (k < 4 && v && v % 1000 == 0) {
		v /= 1000;
		k++;
	}
	snprintf(buf, n, "%llu%s", (unsigned long long)v, suf[k]);
	return buf;
}

char *fmt_ipv4(char *buf, size_t n, uint32_t ip)
{
	snprintf(buf, n, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
	return buf;
}

char *fmt_mac(char *buf, size_t n, const uint8_t m[6])
{
	snprintf(buf, n, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

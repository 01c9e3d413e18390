/* mark.c — building and recognising ownership marks (see mark.h).
 *
 * A mark is plain text so that `ip -d link` shows whose a link is; the
 * topology name comes first so one prefix match finds everything a topology
 * owns when probing the live system. */
#include "runtime/mark.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static bool mark_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

int mark_build(char *buf, size_t len, const char *topology, const char *resource_id,
	       struct rt_err *e)
{
	if (!topology || !*topology || strchr(topology, ':') || !mark_printable(topology))
		return rt_errf(e, EINVAL, "ownership mark: bad topology name \"%s\"",
			       topology ? topology : "(null)");
	if (!resource_id || !*resource_id || !mark_printable(resource_id))
		return rt_errf(e, EINVAL, "ownership mark: bad resource id \"%s\"",
			       resource_id ? resource_id : "(null)");
	int n = snprintf(buf, len, ASPEN_MARK_PREFIX "%s:%s", topology, resource_id);
	if (n < 0 || (size_t)n >= len || n > ASPEN_MARK_MAX)
		return rt_errf(e, ENAMETOOLONG, "ownership mark for %s:%s: longer than %d bytes",
			       topology, resource_id, ASPEN_MARK_MAX);
	return 0;
}

bool mark_is_aspen(const char *s)
{
	return s && strncmp(s, ASPEN_MARK_PREFIX, strlen(ASPEN_MARK_PREFIX)) == 0;
}

bool mark_in_topology(const char *s, const char *topology)
{
	if (!mark_is_aspen(s) || !topology)
		return false;
	s += strlen(ASPEN_MARK_PREFIX);
	size_t n = strlen(topology);
	return n && strncmp(s, topology, n) == 0 && s[n] == ':';
}

static char mark_host[64];

void mark_set_host(const char *host)
{
	snprintf(mark_host, sizeof(mark_host), "%s", host ? host : "");
}

void mark_mac(const char *mark, unsigned char mac[6])
{
	uint64_t h = 1469598103934665603ull;            /* FNV-1a 64 */
	for (const unsigned char *p = (const unsigned char *)mark; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	if (mark_host[0]) {
		/* "@<host>" after the mark: a one-host topology's MACs are
		 * what they always were */
		h = (h ^ '@') * 1099511628211ull;
		for (const unsigned char *p = (const unsigned char *)mark_host; *p; p++)
			h = (h ^ *p) * 1099511628211ull;
	}
	mac[0] = 0x02;
	for (int i = 1; i < 6; i++)
		mac[i] = (unsigned char)(h >> (8 * i));
}

bool mark_link_owned(const char *mark, const char *alias, const unsigned char *mac)
{
	if (!mark || !*mark)
		return false;
	if (alias && alias[0])
		return strcmp(alias, mark) == 0;
	unsigned char want[6];
	mark_mac(mark, want);
	return mac && memcmp(mac, want, sizeof(want)) == 0;
}

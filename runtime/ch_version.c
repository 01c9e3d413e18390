/* ch_version.c — Cloud Hypervisor versions: parsing and the table of what
 * differs between the releases aspen was checked against (ch_version.h,
 * docs/ch-api.md "Versions"). */
#include "runtime/ch_version.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

unsigned ch_version_parse(const char *s)
{
	if (!s)
		return 0;
	if (*s == 'v')
		s++;
	char *end;
	unsigned long major = strtoul(s, &end, 10), minor = 0;
	if (end == s || major == 0 || major > 9999)
		return 0;
	if (*end == '.') {
		const char *m = end + 1;
		minor = strtoul(m, &end, 10);
		if (end == m || minor > 99)
			return 0;
	}
	return (unsigned)(major * 100 + minor);
}

int ch_version_check(unsigned v, char *warn, size_t len, struct rt_err *e)
{
	if (warn && len)
		warn[0] = '\0';
	if (v < CH_VERSION_MIN)
		return rt_errf(e, ENOTSUP, "cloud-hypervisor v%u.%u is older than v28, the first release with "
			       "the payload API aspen uses (install v%u or later; see docs/vms.md)",
			       v / 100, v % 100, CH_VERSION_TESTED / 100);
	if (v > CH_VERSION_NEWEST && warn && len)
		snprintf(warn, len, "cloud-hypervisor v%u.%u is newer than the releases aspen was checked "
			 "against (v%u.0 to v%u.0, docs/ch-api.md): it may behave differently",
			 v / 100, v % 100, CH_VERSION_TESTED / 100, CH_VERSION_NEWEST / 100);
	return 0;
}

bool ch_version_needs_image_type(unsigned v)
{
	return v >= 5001;
}

bool ch_version_sets_tap_ip(unsigned v)
{
	return v < 5300;
}

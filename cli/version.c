/* version.c — the version aspen reports and that multi-host parts compare:
 * the release and the commit it was built from (ASPEN_BUILD, set by the
 * Makefile from `git describe --always --dirty`), so two hosts whose
 * binaries differ say so even when the release number is the same. */
#include "cli/cli.h"

#ifndef ASPEN_BUILD
#define ASPEN_BUILD "unknown"
#endif

const char *cli_version(void)
{
	return ASPEN_VERSION "+" ASPEN_BUILD;
}

/* mhd.c — the libmicrohttpd function table of mhd.h, filled at first use
 * by runtime/dl.c. The library is never closed (a daemon may still be
 * stopping at exit). */
#define APIMHD_IMPL
#include "api/mhd.h"

#include "runtime/dl.h"

struct apimhd apimhd;

#define APIMHD_SYM(ret, name, args) RTDL_SYM(struct apimhd, name)
static const struct rtdl_sym apimhd_syms[] = { APIMHD_FUNCS(APIMHD_SYM) };
#undef APIMHD_SYM

static struct rtdl_lib apimhd_lib = {
	.env = "ASPEN_LIBMICROHTTPD", .soname = APIMHD_SONAME, .package = APIMHD_PACKAGE,
	.need = "libmicrohttpd is needed to serve the control API",
	.table = &apimhd, .syms = apimhd_syms,
	.nsyms = sizeof(apimhd_syms) / sizeof(apimhd_syms[0]),
	RTDL_LIB_STATE,
};

int apimhd_load(struct rt_err *e)
{
	return rtdl_load(&apimhd_lib, e);
}

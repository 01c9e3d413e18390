/* nftlib.c — the libnftables function table of nftlib.h, filled at first
 * use by runtime/dl.c (faults run on the schedule's thread, the capability
 * probe on one of its own: the loader is thread-safe). */
#define RTNFT_IMPL
#include "runtime/nftlib.h"

#include "runtime/dl.h"

struct rtnft rtnft;

#define RTNFT_SYM(ret, name, args) RTDL_SYM(struct rtnft, name)
static const struct rtdl_sym rtnft_syms[] = { RTNFT_FUNCS(RTNFT_SYM) };
#undef RTNFT_SYM

static struct rtdl_lib rtnft_lib = {
	.env = "ASPEN_LIBNFTABLES", .soname = RTNFT_SONAME, .package = RTNFT_PACKAGE,
	.need = "libnftables is needed for partitions and loss",
	.table = &rtnft, .syms = rtnft_syms,
	.nsyms = sizeof(rtnft_syms) / sizeof(rtnft_syms[0]),
	RTDL_LIB_STATE,
};

int rtnft_load(struct rt_err *e)
{
	return rtdl_load(&rtnft_lib, e);
}

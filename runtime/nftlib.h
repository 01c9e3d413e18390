/* nftlib.h — libnftables, loaded with dlopen at first use.
 *
 * libnftables brings libnftnl, libxtables, libjansson and libgmp: ~2 ms of
 * loading and relocation at the start of every aspen command (an empty
 * program with aspen's libraries: ~6 ms of CPU; without libnftables: ~4
 * ms), though only the nf_tables faults (partitions, loss) use it. So, as
 * runtime/curl.h does for libcurl, aspen does not link it: fault_nft.c
 * includes this header instead of <nftables/libnftables.h>, calls
 * rtnft_load() before its first nft_* call, and otherwise calls the
 * library as usual: the names below are macros over a table of function
 * pointers filled with dlsym, once per process (thread-safe).
 *
 * To use another libnftables function, add it to RTNFT_FUNCS and give it a
 * macro below. */
#ifndef ASPEN_RT_NFTLIB_H
#define ASPEN_RT_NFTLIB_H

#include <nftables/libnftables.h>

#include "runtime/err.h"

/* The soname loaded, unless $ASPEN_LIBNFTABLES names another file. */
#define RTNFT_SONAME "libnftables.so.1"
#define RTNFT_PACKAGE "libnftables1"

#define RTNFT_FUNCS(X)                                                                  \
	X(struct nft_ctx *, nft_ctx_new, (uint32_t flags))                              \
	X(void, nft_ctx_free, (struct nft_ctx *ctx))                                    \
	X(void, nft_ctx_output_set_flags, (struct nft_ctx *ctx, unsigned int flags))    \
	X(int, nft_ctx_buffer_output, (struct nft_ctx *ctx))                            \
	X(int, nft_ctx_buffer_error, (struct nft_ctx *ctx))                             \
	X(const char *, nft_ctx_get_output_buffer, (struct nft_ctx *ctx))               \
	X(const char *, nft_ctx_get_error_buffer, (struct nft_ctx *ctx))                \
	X(int, nft_run_cmd_from_buffer, (struct nft_ctx *nft, const char *buf))

#define RTNFT_MEMBER(ret, name, args) ret (*name) args;
struct rtnft {
	RTNFT_FUNCS(RTNFT_MEMBER)
};
#undef RTNFT_MEMBER

extern struct rtnft rtnft;

/* Load libnftables, once per process; later calls return the first call's
 * outcome. -1 with a message naming the library, why it failed and the
 * package to install. */
int rtnft_load(struct rt_err *e);

#ifndef RTNFT_IMPL
#define nft_ctx_new                     (rtnft.nft_ctx_new)
#define nft_ctx_free                    (rtnft.nft_ctx_free)
#define nft_ctx_output_set_flags        (rtnft.nft_ctx_output_set_flags)
#define nft_ctx_buffer_output           (rtnft.nft_ctx_buffer_output)
#define nft_ctx_buffer_error            (rtnft.nft_ctx_buffer_error)
#define nft_ctx_get_output_buffer       (rtnft.nft_ctx_get_output_buffer)
#define nft_ctx_get_error_buffer        (rtnft.nft_ctx_get_error_buffer)
#define nft_run_cmd_from_buffer         (rtnft.nft_run_cmd_from_buffer)
#endif

#endif

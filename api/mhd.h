/* mhd.h — libmicrohttpd, loaded with dlopen at first use.
 *
 * Debian's libmicrohttpd links GnuTLS, and with it p11-kit, nettle,
 * hogweed, gmp, libtasn1, libidn2, libunistring and libffi: linking it
 * cost every aspen command ~10 ms of loading, relocation and library
 * constructors before main (an empty program with aspen's libraries: ~16
 * ms of CPU; without libmicrohttpd: ~6 ms), though only `aspen run` serves
 * the control API. So, as runtime/curl.h does for libcurl, aspen does not
 * link it: api/server.c includes this header instead of <microhttpd.h>,
 * calls apimhd_load() before it starts a daemon, and otherwise calls
 * MHD_* as usual: the names below are macros over a table of function
 * pointers filled with dlsym, once per process.
 *
 * To use another MHD_* function, add it to APIMHD_FUNCS and give it a
 * macro below. */
#ifndef ASPEN_API_MHD_H
#define ASPEN_API_MHD_H

#include <microhttpd.h>

#include "runtime/err.h"

/* The soname loaded, unless $ASPEN_LIBMICROHTTPD names another file. */
#define APIMHD_SONAME "libmicrohttpd.so.12"
#define APIMHD_PACKAGE "libmicrohttpd12"

#define APIMHD_FUNCS(X)                                                                 \
	X(struct MHD_Daemon *, MHD_start_daemon, (unsigned int flags, uint16_t port,    \
		MHD_AcceptPolicyCallback apc, void *apc_cls, MHD_AccessHandlerCallback dh, \
		void *dh_cls, ...))                                                     \
	X(void, MHD_stop_daemon, (struct MHD_Daemon *d))                                \
	X(const union MHD_DaemonInfo *, MHD_get_daemon_info, (struct MHD_Daemon *d,     \
		enum MHD_DaemonInfoType info_type, ...))                                \
	X(enum MHD_Result, MHD_run, (struct MHD_Daemon *d))                             \
	X(enum MHD_Result, MHD_get_timeout, (struct MHD_Daemon *d,                      \
		MHD_UNSIGNED_LONG_LONG *timeout))                                       \
	X(const char *, MHD_lookup_connection_value, (struct MHD_Connection *c,         \
		enum MHD_ValueKind kind, const char *key))                              \
	X(struct MHD_Response *, MHD_create_response_from_buffer, (size_t size,         \
		void *buffer, enum MHD_ResponseMemoryMode mode))                        \
	X(struct MHD_Response *, MHD_create_response_from_callback, (uint64_t size,     \
		size_t block_size, MHD_ContentReaderCallback crc, void *crc_cls,        \
		MHD_ContentReaderFreeCallback crfc))                                    \
	X(enum MHD_Result, MHD_add_response_header, (struct MHD_Response *r,            \
		const char *header, const char *content))                               \
	X(enum MHD_Result, MHD_queue_response, (struct MHD_Connection *c,               \
		unsigned int status_code, struct MHD_Response *r))                      \
	X(void, MHD_destroy_response, (struct MHD_Response *r))                         \
	X(void, MHD_suspend_connection, (struct MHD_Connection *c))                     \
	X(void, MHD_resume_connection, (struct MHD_Connection *c))

#define APIMHD_MEMBER(ret, name, args) ret (*name) args;
struct apimhd {
	APIMHD_FUNCS(APIMHD_MEMBER)
};
#undef APIMHD_MEMBER

extern struct apimhd apimhd;

/* Load libmicrohttpd, once per process; later calls return the first
 * call's outcome. -1 with a message naming the library, why it failed and
 * the package to install. */
int apimhd_load(struct rt_err *e);

#ifndef APIMHD_IMPL
#define MHD_start_daemon                (apimhd.MHD_start_daemon)
#define MHD_stop_daemon                 (apimhd.MHD_stop_daemon)
#define MHD_get_daemon_info             (apimhd.MHD_get_daemon_info)
#define MHD_run                         (apimhd.MHD_run)
#define MHD_get_timeout                 (apimhd.MHD_get_timeout)
#define MHD_lookup_connection_value     (apimhd.MHD_lookup_connection_value)
#define MHD_create_response_from_buffer (apimhd.MHD_create_response_from_buffer)
#define MHD_create_response_from_callback (apimhd.MHD_create_response_from_callback)
#define MHD_add_response_header         (apimhd.MHD_add_response_header)
#define MHD_queue_response              (apimhd.MHD_queue_response)
#define MHD_destroy_response            (apimhd.MHD_destroy_response)
#define MHD_suspend_connection          (apimhd.MHD_suspend_connection)
#define MHD_resume_connection           (apimhd.MHD_resume_connection)
#endif

#endif

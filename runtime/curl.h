/* curl.h — libcurl, loaded with dlopen at first use.
 *
 * Linking libcurl (Debian's OpenSSL build) pulls in ~40 shared libraries:
 * ~14 ms of loading and relocation at the start of every aspen command,
 * though only VM nodes (and API clients) talk HTTP. So aspen does not link
 * it: code that uses libcurl includes this header instead of <curl/curl.h>,
 * calls rtcurl_load() once before its first curl_* call, and otherwise
 * writes curl_easy_init(), curl_easy_setopt(...) as usual: the names below
 * are macros over a table of function pointers that rtcurl_load() fills
 * with dlsym, once per process (thread-safe). <curl/curl.h> still gives the
 * types and constants; its compile-time option type checks (typecheck-gcc)
 * are lost, the price of the macros.
 *
 * To use another curl_* function, add it to RTCURL_FUNCS and give it a
 * macro below. */
#ifndef ASPEN_RT_CURL_H
#define ASPEN_RT_CURL_H

#include <curl/curl.h>

#include "runtime/err.h"

/* The soname loaded, unless $ASPEN_LIBCURL names another file. */
#define RTCURL_SONAME "libcurl.so.4"
#define RTCURL_PACKAGE "libcurl4"

#define RTCURL_FUNCS(X)                                                         \
	X(CURLcode, curl_global_init, (long flags))                             \
	X(CURL *, curl_easy_init, (void))                                       \
	X(CURLcode, curl_easy_setopt, (CURL *curl, CURLoption option, ...))     \
	X(CURLcode, curl_easy_perform, (CURL *curl))                            \
	X(CURLcode, curl_easy_getinfo, (CURL *curl, CURLINFO info, ...))        \
	X(void, curl_easy_cleanup, (CURL *curl))                                \
	X(const char *, curl_easy_strerror, (CURLcode code))                    \
	X(struct curl_slist *, curl_slist_append, (struct curl_slist *l, const char *s)) \
	X(void, curl_slist_free_all, (struct curl_slist *l))

#define RTCURL_MEMBER(ret, name, args) ret (*name) args;
struct rtcurl {
	RTCURL_FUNCS(RTCURL_MEMBER)
};
#undef RTCURL_MEMBER

extern struct rtcurl rtcurl;

/* Load libcurl and run curl_global_init, once per process; later calls
 * return the first call's outcome. -1 with a message naming the library,
 * why it failed and the package to install. */
int rtcurl_load(struct rt_err *e);

#ifndef RTCURL_IMPL
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init        (rtcurl.curl_global_init)
#define curl_easy_init          (rtcurl.curl_easy_init)
#define curl_easy_setopt        (rtcurl.curl_easy_setopt)
#define curl_easy_perform       (rtcurl.curl_easy_perform)
#define curl_easy_getinfo       (rtcurl.curl_easy_getinfo)
#define curl_easy_cleanup       (rtcurl.curl_easy_cleanup)
#define curl_easy_strerror      (rtcurl.curl_easy_strerror)
#define curl_slist_append       (rtcurl.curl_slist_append)
#define curl_slist_free_all     (rtcurl.curl_slist_free_all)
#endif

#endif

/* chd.h — the Cloud Hypervisor API double (v48, or v50.1..v53 behaviours
 * with CHD_VERSION): shared types.
 *
 * ch-double is built from the .c files beside this header into build/tools/ch-double:
 *   main.c    command line, signals, the poll loop, fault injection (CHD_*)
 *   http.c    an HTTP/1.1 server shaped like CH's micro_http
 *   json.c    a JSON reader that keeps serde_json's line/column positions
 *   schema.c  v48's VmConfig serde structs: checks, defaults, serialization
 *   vmm.c     the endpoints and the VM state machine, TAPs and consoles
 * docs/ch-api.md says what real CH does and where the double differs. */
#ifndef ASPEN_CHD_H
#define ASPEN_CHD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

/* ---------------- json.c ---------------- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };
enum jnum { N_UINT, N_NEG, N_FLOAT };

struct jpos {
	unsigned line, col;     /* serde_json's: col = bytes consumed on the line */
};

struct jv {
	enum jtype t;
	struct jpos start;      /* the value's first byte (serde_json's peek position) */
	struct jpos at;         /* scalars: last byte; containers: the byte before the bracket */
	struct jpos end;        /* containers: the closing bracket (valid when complete) */
	bool complete;          /* containers: closing bracket seen */
	bool b;
	enum jnum nk;
	uint64_t u;             /* N_UINT */
	int64_t i;              /* N_NEG */
	double d;               /* N_FLOAT (and every number, as double) */
	char *str;              /* J_STR, NUL-terminated */
	size_t n;               /* J_ARR / J_OBJ members */
	struct jv **items;
	char **keys;            /* J_OBJ */
	struct jpos *keyend;    /* J_OBJ: the key's closing quote */
};

struct jerr {
	bool set;
	struct jpos pos;
	char msg[512];
};

/* Parse len bytes. Returns the (possibly partial) tree, NULL when nothing
 * was parsed; a syntax error is left in *syn with serde_json's wording. */
struct jv *json_parse(const char *buf, size_t len, struct jerr *syn);
void json_free(struct jv *v);
bool jpos_before(struct jpos a, struct jpos b);

/* ---------------- schema.c ---------------- */

/* Deserialize body as v48's VmConfig: on success *out is the config with
 * every serde default filled (as vm.info shows it) and 0 is returned; on
 * failure -1 with serde_json's message ("missing field `payload` at line 1
 * column 2") in msg. */
int schema_vmconfig(const char *body, size_t len, cJSON **out, char *msg, size_t msgsz);
/* The fields later releases added or changed, over v48's config out:
 * DiskConfig.image_type (v50.1+, default "Unknown"), NetConfig.ip/mask
 * without defaults (v53). -1 with serde's message for a bad image_type. */
int schema_version_fields(const char *body, cJSON *out, unsigned version, char *msg, size_t msgsz);

/* ---------------- http.c ---------------- */

enum http_method { HM_GET, HM_PUT, HM_PATCH };

struct http_req {
	enum http_method method;
	char *path;             /* micro_http's absolute path, "" when unusable */
	bool has_body;          /* Content-Length > 0 */
	char *body;
	size_t body_len;
};

struct http_resp {
	int status;             /* 200, 204, 400, 404, 500 ... */
	char *body;             /* malloc'd, or NULL: no body (Content-Length: 0) */
};

struct http_conn;

/* Read what is available on c; returns 1 when a request is ready in *req,
 * 0 when more bytes are needed, -1 when the peer closed or a parse error was
 * answered (then the connection is to be closed). */
int http_conn_read(struct http_conn *c, struct http_req *req);
struct http_conn *http_conn_new(int fd);
void http_conn_free(struct http_conn *c);
int http_conn_fd(const struct http_conn *c);
int http_send(int fd, const struct http_resp *r);
void http_req_clear(struct http_req *req);
void http_server_full(int fd);
const char *http_method_name(enum http_method m);

/* ---------------- vmm.c ---------------- */

struct chd_faults {
	unsigned long boot_delay_ms;
	unsigned long fail_nth;         /* 0 = off */
	const char *fail_endpoints;     /* comma-separated endpoint names */
	const char *crash_on, *hang_on;
	const char *state_file;
	bool power_button_ignored;
	unsigned long poweroff_ms;
	unsigned version;               /* CHD_VERSION: major * 100 + minor (4800, 5300) */
};

/* The releases whose behaviour the double can take (CHD_VERSION=v48.0 ...),
 * by the first release that has each difference (docs/ch-api.md). */
#define CHD_V_IMAGE_TYPE 5001   /* DiskConfig.image_type; raw autodetect -> no sector 0 writes */
#define CHD_V_NET_IP_OPT 5300   /* NetConfig.ip/mask: Option, no 192.168.249.1 default */
#define CHD_V_404        5300   /* VmNotCreated / VmMissingConfig answer 404 */
#define CHD_V_SOCK_LOCK  5300   /* <socket>.lock taken; a stale socket is removed */

enum chd_after { CHD_CONTINUE, CHD_EXIT, CHD_HANG, CHD_CRASH };

/* Handle one request; *after tells the loop what to do once r is sent. */
void vmm_handle(const struct http_req *req, unsigned long nth, struct http_resp *r,
		enum chd_after *after);
void vmm_init(const struct chd_faults *f);
/* The "guest" reacting to a power button: true once it has powered off
 * (the loop then exits as CH does when its guest powers off). */
bool vmm_guest_powered_off(void);
bool vmm_power_pending(void);
/* Tear everything down as vmm.shutdown does (closes TAPs and consoles). */
void vmm_shutdown_all(void);
void vmm_write_state(const char *state);

/* main.c: sleep ms, returning early (true) when SIGTERM/SIGINT arrived. */
bool chd_sleep_ms(unsigned long ms);
/* CH's log levels and line format (src/main.rs, Logger):
 *   cloud-hypervisor: 1.234567ms: <vmm> WARN:vmm -- text\r\n
 * Warnings and errors by default, INFO with -v, DEBUG with -vv. */
enum chd_level { CHD_ERROR = 1, CHD_WARN, CHD_INFO, CHD_DEBUG };
void chd_log(enum chd_level lv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
unsigned chd_version(void);

#endif

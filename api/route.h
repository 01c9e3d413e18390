/* route.h — the control API's pure parts: which endpoint a request names,
 * what a POSTed fault says, and the JSON shapes of errors and diagnostics.
 *
 * Nothing here touches the system or the HTTP library, so every rule of the
 * API's surface (paths, methods, body checks, the fault's YAML text) is
 * tested without a server (tests/unit/test_api.c). api/server.c calls these
 * and does the work.
 *
 * A POSTed fault is one item of the topology language's `faults:` in JSON.
 * It is turned into YAML flow text ("partition": [["node1"], ["node2"]])
 * that runtime/adhoc.h puts into the recorded topology file as its only
 * fault, so the real decoder and validator check it with the messages a
 * fault written in the file gets. JSON is re-emitted, never pasted: strings
 * are written double-quoted with escapes, so no body can change the shape
 * of the document it is checked in. */
#ifndef ASPEN_API_ROUTE_H
#define ASPEN_API_ROUTE_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "compiler/diag.h"
#include "runtime/adhoc.h"
#include "runtime/err.h"
#include "runtime/paths.h"

#define API_SOCKET_NAME PATHS_API_SOCKET   /* in the topology's run dir */
#define API_MAX_BODY 65536

enum api_route {
	API_R_FAULTS,           /* /v1/faults */
	API_R_FAULT,            /* /v1/faults/{id} */
	API_R_NODE,             /* /v1/nodes/{node}/{action} */
	API_R_STATUS,           /* /v1/status */
	API_R_MATRIX,           /* /v1/matrix */
	API_R_EVENTS,           /* /v1/events */
};

struct api_match {
	enum api_route route;
	char arg[128];          /* {id} or {node} */
	char action[128];       /* {action} */
	const char *allow;      /* the methods the path takes ("GET, POST, DELETE") */
};

/* Match method and path (no query string). 0 when the endpoint exists and
 * takes the method; 404 for an unknown path (or node action), 405 when the
 * path exists but not for this method (m->allow says which); msg gets the
 * reason. */
int api_route_match(const char *method, const char *path, struct api_match *m, char *msg,
		    size_t msg_len);

/* A POSTed fault, checked for shape and turned into the adhoc form. */
struct api_fault {
	struct adhoc ah;        /* body: the entry's keys as YAML flow; prefix as adhoc.h */
	char for_s[64];         /* `for`, or "" */
	char kind[32];          /* the first key that is not `for` */
};

/* body (the request's text) -> f. 0, or an HTTP status with the reason in e:
 * 400 when it is not a JSON object; 422 when it names `at` (an API fault
 * fires when posted), `name` (the API names faults), a `for` that is not a
 * duration string, or no fault at all. Whether the fault itself is valid is
 * the validator's to say. */
int api_fault_parse(const char *body, size_t len, struct api_fault *f, struct rt_err *e);

/* The fault of f as JSON again (the "spec" kept in its journal record, and
 * what `aspen fault` POSTs): f->ah.body parsed back. NULL on a bad text. */
cJSON *api_flow_to_json(const char *flow, struct rt_err *e);

/* v as YAML flow text into buf. 0, or -1 when it does not fit. */
int api_json_to_flow(const cJSON *v, char *buf, size_t len);

/* The diagnostics of a fault checked against file (diag.h): the file's own
 * errors with file/line/col, and everything about the fault itself (lines
 * after file_lines) without; the file's own warnings are left out, as
 * `aspen apply` showed them. An array of
 *   {"severity":"error","message":"...","path":"faults[0].kill","hint":"...",
 *    "file":"c3.yaml","line":3,"col":5}  */
cJSON *api_diags_json(const struct diag_list *d, const char *file, unsigned file_lines);

/* Print api_diags_json's array as `aspen fault` always has:
 *   FILE:LINE:COL: error: MSG (PATH)       for the file's own lines
 *   PROG: error: MSG                       for the fault
 *       hint: HINT */
void api_diags_print(const cJSON *diags, FILE *out, const char *prog);

/* {"error": msg, "diagnostics": diags or []} (takes diags). malloc'd text. */
char *api_error_body(const char *msg, cJSON *diags);

#endif

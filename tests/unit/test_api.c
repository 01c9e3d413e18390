/* test_api.c — the control API's pure parts (api/route.h): which endpoint a
 * request names, what a POSTed body becomes (and what it may not say), the
 * JSON <-> YAML flow round trip, and the diagnostics and error shapes. The
 * fault text is then checked by the real validator (runtime/adhoc.h). */
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/route.h"
#include "compiler/compile.h"
#include "runtime/adhoc.h"

static void route_is(const char *method, const char *path, int want, enum api_route r,
		     const char *arg, const char *action)
{
	struct api_match m;
	char msg[256];
	int st = api_route_match(method, path, &m, msg, sizeof(msg));
	if (st != want)
		fail_msg("%s %s: %d, expected %d (%s)", method, path, st, want, msg);
	if (st != 0)
		return;
	assert_int_equal(m.route, r);
	assert_string_equal(m.arg, arg);
	assert_string_equal(m.action, action);
}

static void test_routes(void **state)
{
	(void)state;
	route_is("GET", "/v1/faults", 0, API_R_FAULTS, "", "");
	route_is("POST", "/v1/faults", 0, API_R_FAULTS, "", "");
	route_is("DELETE", "/v1/faults/", 0, API_R_FAULTS, "", "");
	route_is("DELETE", "/v1/faults/adhoc-3", 0, API_R_FAULT, "adhoc-3", "");
	route_is("POST", "/v1/nodes/node2/kill", 0, API_R_NODE, "node2", "kill");
	route_is("POST", "/v1/nodes/node2/reboot", 0, API_R_NODE, "node2", "reboot");
	route_is("GET", "/v1/status", 0, API_R_STATUS, "", "");
	route_is("HEAD", "/v1/status", 0, API_R_STATUS, "", "");
	route_is("GET", "/v1/matrix", 0, API_R_MATRIX, "", "");
	route_is("GET", "/v1/events", 0, API_R_EVENTS, "", "");
	/* 404: unknown paths, versions, actions; 405: a known path, wrong method. */
	route_is("GET", "/v2/faults", 404, 0, "", "");
	route_is("GET", "/v1", 404, 0, "", "");
	route_is("GET", "/v1/faultsx", 404, 0, "", "");
	route_is("GET", "/v1/faults/a/b", 404, 0, "", "");
	route_is("POST", "/v1/nodes/node2/explode", 404, 0, "", "");
	route_is("POST", "/v1/nodes/node2", 404, 0, "", "");
	route_is("GET", "//v1/faults", 404, 0, "", "");
	route_is("PUT", "/v1/faults", 405, 0, "", "");
	route_is("GET", "/v1/faults/adhoc-1", 405, 0, "", "");
	route_is("GET", "/v1/nodes/node1/kill", 405, 0, "", "");
	route_is("POST", "/v1/status", 405, 0, "", "");
	struct api_match m;
	char msg[256];
	assert_int_equal(api_route_match("PATCH", "/v1/faults", &m, msg, sizeof(msg)), 405);
	assert_string_equal(m.allow, "GET, POST, DELETE");
	assert_non_null(strstr(msg, "PATCH /v1/faults is not allowed"));
	assert_int_equal(api_route_match("POST", "/v1/nodes/n/explode", &m, msg, sizeof(msg)), 404);
	assert_non_null(strstr(msg, "no node action 'explode'"));
}

static void parse_ok(const char *body, const char *want_body, const char *want_prefix,
		     const char *want_for, const char *want_kind)
{
	static struct api_fault f;
	struct rt_err e = {0};
	int st = api_fault_parse(body, strlen(body), &f, &e);
	if (st)
		fail_msg("%s: %d %s", body, st, e.msg);
	assert_string_equal(f.ah.body, want_body);
	assert_string_equal(f.ah.prefix, want_prefix);
	assert_string_equal(f.for_s, want_for);
	assert_string_equal(f.kind, want_kind);
}

static void parse_fails(const char *body, int want, const char *want_msg)
{
	static struct api_fault f;
	struct rt_err e = {0};
	assert_int_equal(api_fault_parse(body, strlen(body), &f, &e), want);
	if (!strstr(e.msg, want_msg))
		fail_msg("'%s' lacks '%s'", e.msg, want_msg);
}

static void test_parse(void **state)
{
	(void)state;
	parse_ok("{\"partition\": [[\"node1\"], [\"node2\",\"node3\"]]}",
		 "\"partition\": [[\"node1\"], [\"node2\", \"node3\"]]", "", "", "partition");
	parse_ok("{\"for\": \"10s\", \"loss\": {\"nodes\": [\"n2\"], \"percent\": \"20%\"}}",
		 "\"loss\": {\"nodes\": [\"n2\"], \"percent\": \"20%\"}", "", "10s", "loss");
	parse_ok("{\"loss\": {\"nodes\": [\"n2\"], \"percent\": 20, \"x\": true, \"y\": null}}",
		 "\"loss\": {\"nodes\": [\"n2\"], \"percent\": 20, \"x\": true, \"y\": null}", "", "",
		 "loss");
	/* start and resume state what they need first, as adhoc.c does. */
	parse_ok("{\"start\": [\"n1\"]}", "\"start\": [\"n1\"]", "  - {at: 0s, kill: [\"n1\"]}\n", "",
		 "start");
	parse_ok("{\"resume\": \"n1\"}", "\"resume\": \"n1\"", "  - {at: 0s, pause: \"n1\"}\n", "",
		 "resume");
	/* Whatever a string holds stays one double-quoted scalar. */
	parse_ok("{\"kill\": \"a}, at: 5s, x: {\\\"\\n\"}",
		 "\"kill\": \"a}, at: 5s, x: {\\\"\\n\"", "", "", "kill");
	parse_fails("{\"partition\": ", 400, "JSON object");
	parse_fails("[1, 2]", 400, "JSON object");
	parse_fails("", 400, "JSON object");
	parse_fails("{\"at\": \"1s\", \"kill\": \"n1\"}", 422, "`at` is not allowed");
	parse_fails("{\"every\": \"5s\", \"until\": \"20s\", \"kill\": \"random\"}", 422,
		    "`every` is not allowed");
	parse_fails("{\"kill\": \"n1\", \"until\": \"20s\"}", 422, "`until` is not allowed");
	parse_fails("{\"name\": \"x\", \"kill\": \"n1\"}", 422, "`name` is not allowed");
	parse_fails("{\"for\": 10, \"kill\": \"n1\"}", 422, "`for` takes a duration");
	parse_fails("{\"for\": \"1s; rm\", \"kill\": \"n1\"}", 422, "`for` takes a duration");
	parse_fails("{\"for\": \"10s\"}", 422, "names no fault");
	parse_fails("{}", 422, "names no fault");
}

static void test_flow_round_trip(void **state)
{
	(void)state;
	struct rt_err e = {0};
	/* adhoc.c's words -> JSON (what `aspen fault` POSTs) -> YAML flow again. */
	cJSON *j = api_flow_to_json("partition: [[node1], [node2, node3]]", &e);
	assert_non_null(j);
	char *s = cJSON_PrintUnformatted(j);
	assert_string_equal(s, "{\"partition\":[[\"node1\"],[\"node2\",\"node3\"]]}");
	cJSON_free(s);
	cJSON_Delete(j);
	j = api_flow_to_json("loss: {nodes: [node2], percent: 20%, direction: egress}", &e);
	s = cJSON_PrintUnformatted(j);
	assert_string_equal(s, "{\"loss\":{\"nodes\":[\"node2\"],\"percent\":\"20%\",\"direction\":"
			       "\"egress\"}}");
	cJSON_free(s);
	char flow[256];
	assert_int_equal(api_json_to_flow(j, flow, sizeof(flow)), 0);
	assert_string_equal(flow, "{\"loss\": {\"nodes\": [\"node2\"], \"percent\": \"20%\", "
			    "\"direction\": \"egress\"}}");
	assert_int_equal(api_json_to_flow(j, flow, 10), -1);      /* does not fit */
	cJSON_Delete(j);
	j = api_flow_to_json("reorder: {nodes: [a], percent: 5, delay: 10ms}", &e);
	s = cJSON_PrintUnformatted(j);
	assert_string_equal(s, "{\"reorder\":{\"nodes\":[\"a\"],\"percent\":5,\"delay\":\"10ms\"}}");
	cJSON_free(s);
	cJSON_Delete(j);
	assert_null(api_flow_to_json("partition: [[", &e));
}

static const char FILE_TEXT[] =
	"apiVersion: aspen/v1\n"
	"name: apit\n"
	"defaults: {kind: netns}\n"
	"networks:\n"
	"  lan: {subnet: 10.9.0.0/24}\n"
	"nodes:\n"
	"  a: {interfaces: [{network: lan, ip: 10.9.0.2}]}\n"
	"  b: {interfaces: [{network: lan, ip: 10.9.0.3}]}\n"
	"faults:\n"
	"  - {at: 1s, kill: a}\n";

/* A POSTed body through the validator: valid, and the file's message when not. */
static void test_validated(void **state)
{
	(void)state;
	static struct api_fault f;
	struct rt_err e = {0};
	const char *good = "{\"partition\": {\"isolate\": [\"a\"]}, \"for\": \"2s\"}";
	assert_int_equal(api_fault_parse(good, strlen(good), &f, &e), 0);
	struct diag_list d;
	diag_init(&d, "apit.yaml");
	unsigned lines = 0;
	struct topology *t = adhoc_load("apit.yaml", FILE_TEXT, strlen(FILE_TEXT), &f.ah, "adhoc-1",
					f.for_s, &d, &lines, &e);
	if (!t)
		diag_print(&d, stderr, DIAG_TEXT, false);
	assert_non_null(t);
	assert_int_equal(t->faults[0].kind, FAULT_PARTITION);
	assert_int_equal(t->faults[0].for_us, 2000000);
	topo_free(t);
	diag_clear(&d);

	const char *bad = "{\"kill\": \"node9\"}";
	assert_int_equal(api_fault_parse(bad, strlen(bad), &f, &e), 0);
	diag_init(&d, "apit.yaml");
	assert_null(adhoc_load("apit.yaml", FILE_TEXT, strlen(FILE_TEXT), &f.ah, "adhoc-1", NULL, &d,
			       &lines, &e));
	diag_sort(&d);
	cJSON *arr = api_diags_json(&d, "apit.yaml", lines);
	char *s = cJSON_PrintUnformatted(arr);
	assert_non_null(strstr(s, "\"message\":\"node \\\"node9\\\" is not defined\""));
	assert_null(strstr(s, "\"file\""));        /* about the fault, not the file */
	cJSON_free(s);
	/* Printed as `aspen fault` prints it. */
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	api_diags_print(arr, m, "aspen fault");
	fclose(m);
	assert_non_null(strstr(out, "aspen fault: error: node \"node9\" is not defined\n"));
	free(out);
	char *body = api_error_body("the fault is not valid for this topology", arr);
	assert_non_null(strstr(body, "{\"error\":\"the fault is not valid for this topology\","
			       "\"diagnostics\":[{\"severity\":\"error\""));
	cJSON_free(body);
	diag_clear(&d);
	body = api_error_body("x", NULL);
	assert_string_equal(body, "{\"error\":\"x\",\"diagnostics\":[]}");
	cJSON_free(body);
}

/* Diagnostics in the file itself carry file:line:col and print that way. */
static void test_file_diags(void **state)
{
	(void)state;
	struct diag_list d;
	diag_init(&d, "c3.yaml");
	diag_error(&d, (struct pos){3, 5}, "nodes.a", "bad thing");
	diag_warn(&d, (struct pos){4, 1}, NULL, "a warning of the file: left out");
	diag_warn(&d, (struct pos){40, 7}, NULL, "a warning about the fault");
	cJSON *arr = api_diags_json(&d, "c3.yaml", 20);
	assert_int_equal(cJSON_GetArraySize(arr), 2);
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	api_diags_print(arr, m, "aspen fault");
	fclose(m);
	assert_string_equal(out, "c3.yaml:3:5: error: bad thing (nodes.a)\n"
			    "aspen fault: warning: a warning about the fault\n");
	free(out);
	cJSON_Delete(arr);
	diag_clear(&d);
}

/* schemas/aspen-api-v1.openapi.yaml and the router agree: every path and
 * method it documents is served, and it documents every endpoint. */
static void test_openapi_agrees(void **state)
{
	(void)state;
	const char *tests = getenv("ASPEN_TESTS");
	char path[4096];
	snprintf(path, sizeof(path), "%s/../schemas/aspen-api-v1.openapi.yaml", tests ? tests : "tests");
	FILE *f = fopen(path, "re");
	if (!f)
		fail_msg("%s: cannot open (run from the repo root or set ASPEN_TESTS)", path);
	char line[512], cur[256] = "";
	size_t n_paths = 0, n_ops = 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "  /v1/", 6)) {
			snprintf(cur, sizeof(cur), "%.*s", (int)strcspn(line + 2, ":"), line + 2);
			n_paths++;
			continue;
		}
		if (line[0] != ' ' || (line[1] == ' ' && line[2] != ' ' && line[2] != '\n'))
			cur[0] = '\0';      /* left the paths, or another path-level key */
		static const char *const methods[] = {"get", "post", "delete"};
		for (size_t i = 0; cur[0] && i < 3; i++) {
			char key[16];
			snprintf(key, sizeof(key), "    %s:", methods[i]);
			if (strncmp(line, key, strlen(key)))
				continue;
			/* {id}, {node}, {action} -> a real example of each */
			char url[256] = "";
			for (const char *p = cur; *p;) {
				const char *sub = !strncmp(p, "{id}", 4) ? "adhoc-1" : !strncmp(p, "{node}", 6) ?
						  "node1" : !strncmp(p, "{action}", 8) ? "pause" : NULL;
				size_t l = strlen(url);
				if (sub) {
					snprintf(url + l, sizeof(url) - l, "%s", sub);
					p = strchr(p, '}') + 1;
				} else {
					url[l] = *p++;
					url[l + 1] = '\0';
				}
			}
			char meth[8], msg[256];
			for (size_t k = 0; methods[i][k]; k++)
				meth[k] = (char)(methods[i][k] - 32);
			meth[strlen(methods[i])] = '\0';
			struct api_match m;
			if (api_route_match(meth, url, &m, msg, sizeof(msg)) != 0)
				fail_msg("the API description has %s %s, which is not served: %s", meth, url, msg);
			n_ops++;
		}
	}
	fclose(f);
	/* faults (3), faults/{id}, nodes, status, matrix, events */
	assert_int_equal(n_paths, 6);
	assert_int_equal(n_ops, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_flow_round_trip),
		cmocka_unit_test(test_validated),
		cmocka_unit_test(test_file_diags),
		cmocka_unit_test(test_openapi_agrees),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

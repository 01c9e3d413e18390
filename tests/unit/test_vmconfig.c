/* test_vmconfig.c — VmConfig bodies against Cloud Hypervisor v48's OpenAPI spec.
 *
 * The spec (tests/data/cloud-hypervisor-v48.0-openapi.yaml) is loaded with
 * libyaml and every generated config is checked against
 * components.schemas.VmConfig: $ref, required, properties, items, type,
 * enum, minimum and integer formats. The check is stricter than OpenAPI in
 * one way: a property the schema does not list is an error, so aspen never
 * sends a field v48 does not know. Negative controls prove the checker
 * rejects the old pre-v28 shape and a cpus without max_vcpus. */
#include "tests/testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <yaml.h>

#include "runtime/vmconfig.h"

/* ---------------- a small OpenAPI schema checker ---------------- */

static yaml_document_t spec;
static bool spec_loaded;

static yaml_node_t *y_get(yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&spec, p->key);
		if (k && k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(&spec, p->value);
	}
	return NULL;
}

static const char *y_str(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static yaml_node_t *y_schema(const char *name)
{
	yaml_node_t *root = yaml_document_get_root_node(&spec);
	return y_get(y_get(y_get(root, "components"), "schemas"), name);
}

static yaml_node_t *y_deref(yaml_node_t *s)
{
	const char *ref = y_str(y_get(s, "$ref"));
	const char *pre = "#/components/schemas/";
	if (ref && strncmp(ref, pre, strlen(pre)) == 0)
		return y_schema(ref + strlen(pre));
	return s;
}

static char why[512];

static bool schema_fail(const char *path, const char *msg)
{
	snprintf(why, sizeof(why), "%s: %s", path, msg);
	return false;
}

static bool check(yaml_node_t *s, const cJSON *v, const char *path);

static bool check_object(yaml_node_t *s, const cJSON *v, const char *path)
{
	if (!cJSON_IsObject(v))
		return schema_fail(path, "not an object");
	yaml_node_t *req = y_get(s, "required"), *props = y_get(s, "properties");
	if (req && req->type == YAML_SEQUENCE_NODE)
		for (yaml_node_item_t *i = req->data.sequence.items.start; i < req->data.sequence.items.top; i++) {
			const char *k = y_str(yaml_document_get_node(&spec, *i));
			if (k && !cJSON_GetObjectItemCaseSensitive(v, k)) {
				char m[128];
				snprintf(m, sizeof(m), "required property \"%s\" missing", k);
				return schema_fail(path, m);
			}
		}
	for (const cJSON *c = v->child; c; c = c->next) {
		char sub[256];
		snprintf(sub, sizeof(sub), "%s.%s", path, c->string);
		yaml_node_t *ps = y_get(props, c->string);
		if (!ps)
			ps = y_get(s, "additionalProperties");
		if (!ps)
			return schema_fail(sub, "property not in the schema");
		if (!check(ps, c, sub))
			return false;
	}
	return true;
}

static bool check_integer(yaml_node_t *s, const cJSON *v, const char *path)
{
	if (!cJSON_IsNumber(v) || floor(v->valuedouble) != v->valuedouble)
		return schema_fail(path, "not an integer");
	const char *min = y_str(y_get(s, "minimum")), *fmt = y_str(y_get(s, "format"));
	if (min && v->valuedouble < atof(min))
		return schema_fail(path, "below minimum");
	if (fmt && strcmp(fmt, "int16") == 0 && fabs(v->valuedouble) > 32767)
		return schema_fail(path, "out of int16 range");
	if (fmt && strcmp(fmt, "int64") == 0 && fabs(v->valuedouble) > 9.2e18)
		return schema_fail(path, "out of int64 range");
	return true;
}

static bool check_string(yaml_node_t *s, const cJSON *v, const char *path)
{
	if (!cJSON_IsString(v))
		return schema_fail(path, "not a string");
	yaml_node_t *en = y_get(s, "enum");
	if (!en || en->type != YAML_SEQUENCE_NODE)
		return true;
	for (yaml_node_item_t *i = en->data.sequence.items.start; i < en->data.sequence.items.top; i++) {
		const char *e = y_str(yaml_document_get_node(&spec, *i));
		if (e && strcmp(e, v->valuestring) == 0)
			return true;
	}
	return schema_fail(path, "not one of the enum values");
}

static bool check(yaml_node_t *s, const cJSON *v, const char *path)
{
	s = y_deref(s);
	if (!s)
		return schema_fail(path, "schema $ref does not resolve");
	const char *t = y_str(y_get(s, "type"));
	if (!t)
		return schema_fail(path, "schema without type");
	if (strcmp(t, "object") == 0)
		return check_object(s, v, path);
	if (strcmp(t, "array") == 0) {
		if (!cJSON_IsArray(v))
			return schema_fail(path, "not an array");
		int n = 0;
		for (const cJSON *c = v->child; c; c = c->next, n++) {
			char sub[256];
			snprintf(sub, sizeof(sub), "%s[%d]", path, n);
			if (!check(y_get(s, "items"), c, sub))
				return false;
		}
		return true;
	}
	if (strcmp(t, "string") == 0)
		return check_string(s, v, path);
	if (strcmp(t, "integer") == 0)
		return check_integer(s, v, path);
	if (strcmp(t, "boolean") == 0)
		return cJSON_IsBool(v) || schema_fail(path, "not a boolean");
	if (strcmp(t, "number") == 0)
		return cJSON_IsNumber(v) || schema_fail(path, "not a number");
	return schema_fail(path, "unknown schema type");
}

static bool valid_vmconfig(const cJSON *v)
{
	why[0] = '\0';
	return check(y_schema("VmConfig"), v, "VmConfig");
}

static int spec_setup(void **state)
{
	(void)state;
	const char *dir = getenv("ASPEN_TESTS");
	char path[1024];
	snprintf(path, sizeof(path), "%s/data/cloud-hypervisor-v48.0-openapi.yaml", dir ? dir : "tests");
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return -1;
	}
	yaml_parser_t p;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	int ok = yaml_parser_load(&p, &spec);
	yaml_parser_delete(&p);
	fclose(f);
	if (!ok || !y_schema("VmConfig")) {
		fprintf(stderr, "%s: no components.schemas.VmConfig\n", path);
		return -1;
	}
	spec_loaded = true;
	return 0;
}

static int spec_teardown(void **state)
{
	(void)state;
	if (spec_loaded)
		yaml_document_delete(&spec);
	return 0;
}

/* ---------------- helpers ---------------- */

static struct vmconfig_in minimal(void)
{
	struct vmconfig_in in = {
		.cpus = 2, .memory = 512ull << 20, .kernel = "/k/vmlinux",
		.cmdline = "console=hvc0 root=/dev/vda rw",
	};
	return in;
}

static cJSON *build_ok(const struct vmconfig_in *in)
{
	cJSON *j = NULL;
	struct rt_err e = {0};
	if (vmconfig_build(in, &j, &e) != 0)
		fail_msg("vmconfig_build: %s", e.msg);
	assert_non_null(j);
	if (!valid_vmconfig(j)) {
		char *s = cJSON_PrintUnformatted(j);
		fail_msg("not valid against the spec: %s\n%s", why, s);
	}
	return j;
}

static void build_err(const struct vmconfig_in *in, const char *want)
{
	cJSON *j = (cJSON *)1;
	struct rt_err e = {0};
	assert_int_equal(vmconfig_build(in, &j, &e), -1);
	assert_null(j);
	if (!strstr(e.msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, want);
}

static cJSON *parse(const char *s)
{
	cJSON *j = cJSON_Parse(s);
	assert_non_null(j);
	return j;
}

/* ---------------- tests ---------------- */

static void test_minimal_exact(void **state)
{
	(void)state;
	struct vmconfig_in in = minimal();
	cJSON *j = build_ok(&in);
	char *s = cJSON_PrintUnformatted(j);
	assert_string_equal(s,
		"{\"cpus\":{\"boot_vcpus\":2,\"max_vcpus\":2},\"memory\":{\"size\":536870912},"
		"\"payload\":{\"kernel\":\"/k/vmlinux\",\"cmdline\":\"console=hvc0 root=/dev/vda rw\"},"
		"\"serial\":{\"mode\":\"Off\"},\"console\":{\"mode\":\"Off\"}}");
	free(s);
	cJSON_Delete(j);
}

static void test_full(void **state)
{
	(void)state;
	struct vmconfig_disk disks[] = {{"/img/root.raw", false}, {"/img/seed.iso", true}};
	struct vmconfig_net nets[] = {{"as-c3-n1-0", "52:54:00:12:34:56"}, {"as-c3-n1-1", NULL}};
	struct vmconfig_in in = minimal();
	in.memory = 8ull << 30;         /* beyond INT_MAX: must print as an integer */
	in.initramfs = "/k/initrd";
	in.disks = disks, in.n_disks = 2;
	in.nets = nets, in.n_nets = 2;
	in.console = (struct vmconfig_out){VMCONFIG_OUT_FILE, "/run/aspen/c3/n1.console"};
	in.serial = (struct vmconfig_out){VMCONFIG_OUT_TTY, "/ignored"};
	cJSON *j = build_ok(&in);

	char *s = cJSON_PrintUnformatted(cJSON_GetObjectItem(j, "memory"));
	assert_string_equal(s, "{\"size\":8589934592}");
	free(s);
	s = cJSON_PrintUnformatted(cJSON_GetObjectItem(j, "disks"));
	assert_string_equal(s, "[{\"path\":\"/img/root.raw\",\"readonly\":false},"
			       "{\"path\":\"/img/seed.iso\",\"readonly\":true}]");
	free(s);
	s = cJSON_PrintUnformatted(cJSON_GetObjectItem(j, "net"));
	assert_string_equal(s, "[{\"tap\":\"as-c3-n1-0\",\"mac\":\"52:54:00:12:34:56\"},"
			       "{\"tap\":\"as-c3-n1-1\"}]");
	free(s);
	s = cJSON_PrintUnformatted(cJSON_GetObjectItem(j, "console"));
	assert_string_equal(s, "{\"mode\":\"File\",\"file\":\"/run/aspen/c3/n1.console\"}");
	free(s);
	s = cJSON_PrintUnformatted(cJSON_GetObjectItem(j, "serial"));
	assert_string_equal(s, "{\"mode\":\"Tty\"}");
	free(s);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "payload"), "initramfs")->valuestring,
			    "/k/initrd");
	cJSON_Delete(j);
}

static void test_firmware_and_modes(void **state)
{
	(void)state;
	enum vmconfig_out_mode modes[] = {VMCONFIG_OUT_OFF, VMCONFIG_OUT_NULL, VMCONFIG_OUT_TTY,
					  VMCONFIG_OUT_PTY};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct vmconfig_in in = {.cpus = 1, .memory = 1 << 30, .firmware = "/fw/hypervisor-fw"};
		in.console.mode = modes[i];
		in.serial.mode = modes[i];
		cJSON *j = build_ok(&in);
		char *s = cJSON_PrintUnformatted(cJSON_GetObjectItem(j, "payload"));
		assert_string_equal(s, "{\"firmware\":\"/fw/hypervisor-fw\"}");
		free(s);
		assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "console"), "mode")->valuestring,
				    vmconfig_out_mode_name(modes[i]));
		cJSON_Delete(j);
	}
}

static void test_refusals(void **state)
{
	(void)state;
	struct vmconfig_in in = minimal();
	in.cpus = 0;
	build_err(&in, "cpus: 0 is not in 1..8192");
	in = minimal(), in.cpus = 8193;
	build_err(&in, "cpus: 8193");
	in = minimal(), in.memory = 0;
	build_err(&in, "memory: 0 bytes");
	in = minimal(), in.memory = 1000;
	build_err(&in, "multiple of 4096");
	in = minimal(), in.firmware = "/fw";
	build_err(&in, "exactly one of kernel and firmware");
	in = minimal(), in.kernel = NULL;
	build_err(&in, "(neither is set)");
	in = minimal(), in.kernel = NULL, in.firmware = "/fw";
	build_err(&in, "cmdline and initramfs need a kernel");
	in = minimal(), in.console.mode = VMCONFIG_OUT_FILE;
	build_err(&in, "console: mode File needs a file path");
	in = minimal(), in.serial.mode = (enum vmconfig_out_mode)42;
	build_err(&in, "serial.mode: unknown mode 42");

	struct vmconfig_net long_tap = {"abcdefghijklmnop", NULL};
	in = minimal(), in.nets = &long_tap, in.n_nets = 1;
	build_err(&in, "net[0].tap: \"abcdefghijklmnop\" is longer than 15");
	struct vmconfig_net nets[] = {{"tap0", NULL}, {"tap1", "52:54:00:12:34"}};
	in = minimal(), in.nets = nets, in.n_nets = 2;
	build_err(&in, "net[1].mac: \"52:54:00:12:34\"");
	nets[1].mac = "52:54:00:12:34:5g";
	build_err(&in, "net[1].mac");
	struct vmconfig_disk d = {NULL, false};
	in = minimal(), in.disks = &d, in.n_disks = 1;
	build_err(&in, "disks[0].path: missing");
}

/* The checker itself must be able to fail, or the tests above prove nothing. */
static void test_checker_rejects(void **state)
{
	(void)state;
	static const char *bad[] = {
		/* the pre-v28 shape from the original harness notes */
		"{\"cpus\":{\"boot_vcpus\":2},\"kernel\":{\"path\":\"/k\"}}",
		"{\"payload\":{\"kernel\":\"/k\"},\"cpus\":{\"boot_vcpus\":2}}",
		"{\"payload\":{\"kernel\":\"/k\"},\"cpus\":{\"boot_vcpus\":0,\"max_vcpus\":2}}",
		"{\"payload\":{\"kernel\":\"/k\"},\"memory\":{\"size\":\"512M\"}}",
		"{\"payload\":{\"kernel\":\"/k\"},\"console\":{\"mode\":\"Log\"}}",
		"{\"payload\":{\"kernel\":\"/k\"},\"net\":{\"tap\":\"t\"}}",
		"{\"payload\":{\"kernel\":\"/k\"},\"disks\":[{\"path\":\"/d\",\"readonly\":\"yes\"}]}",
		"{\"memory\":{\"size\":1}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON *j = parse(bad[i]);
		if (valid_vmconfig(j))
			fail_msg("checker accepted %s", bad[i]);
		cJSON_Delete(j);
	}
	cJSON *j = parse("{\"payload\":{\"kernel\":\"/k\"},\"cpus\":{\"boot_vcpus\":1,\"max_vcpus\":4}}");
	assert_true(valid_vmconfig(j));
	cJSON_Delete(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_exact),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_firmware_and_modes),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_checker_rejects),
	};
	return cmocka_run_group_tests(tests, spec_setup, spec_teardown);
}

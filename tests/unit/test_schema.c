/* test_schema.c — the JSON Schema and the C field tables describe the same
 * language: for every object type the schema's property set equals the
 * table's keys (both directions), required keys agree, enum values agree,
 * node fields are documented with their kind, the fault's oneOf lists exactly
 * the actions, and the schema has no object definition the decoder lacks.
 * The subnet definition's patterns accept exactly the prefixes aspen
 * validate accepts (the dangerous-subnet rules of validate.c), checked on
 * every first octet at several second octets and prefix lengths.
 *
 * The schema is found through ASPEN_TESTS=<repo>/tests (set by
 * tests/run-tests.sh), or ./tests when run by hand from the repo root. */
#include "tests/testutil.h"

#include <cJSON.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compile.h"
#include "compiler/fields.h"
#include "compiler/topology.h"

static cJSON *schema;

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		fwrite(tmp, 1, n, m);
	fclose(m);
	fclose(f);
	return buf;
}

static int load_schema(void **state)
{
	(void)state;
	const char *tests = getenv("ASPEN_TESTS");
	char path[4096];
	snprintf(path, sizeof(path), "%s/../schemas/aspen-v1.schema.json", tests ? tests : "tests");
	char *text = read_all(path);
	if (!text) {
		fprintf(stderr, "cannot read %s\n", path);
		return -1;
	}
	schema = cJSON_Parse(text);
	free(text);
	if (!schema) {
		fprintf(stderr, "%s: not valid JSON near: %.40s\n", path, cJSON_GetErrorPtr());
		return -1;
	}
	return 0;
}

static int free_schema(void **state)
{
	(void)state;
	cJSON_Delete(schema);
	return 0;
}

/* The schema object describing table `name`. */
static cJSON *object_for(const char *name)
{
	if (strcmp(name, "topology") == 0)
		return schema;
	return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(schema, "definitions"),
						name);
}

/* Follow a local "$ref": "#/definitions/x". */
static cJSON *deref(cJSON *o)
{
	for (int i = 0; i < 8 && o; i++) {
		cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "$ref");
		if (!cJSON_IsString(r))
			return o;
		const char *pre = "#/definitions/";
		assert_true(strncmp(r->valuestring, pre, strlen(pre)) == 0);
		o = object_for(r->valuestring + strlen(pre));
	}
	return o;
}

static bool in_array(cJSON *arr, const char *s)
{
	cJSON *it;
	cJSON_ArrayForEach(it, arr)
		if (cJSON_IsString(it) && strcmp(it->valuestring, s) == 0)
			return true;
	return false;
}

static void test_properties_match_tables(void **state)
{
	(void)state;
	int problems = 0;
	for (size_t i = 0; i < fields_n_tables; i++) {
		const struct field_table *t = fields_tables[i];
		cJSON *o = object_for(t->name);
		if (!o) {
			fprintf(stderr, "schema has no definition \"%s\"\n", t->name);
			problems++;
			continue;
		}
		cJSON *props = cJSON_GetObjectItemCaseSensitive(o, "properties");
		cJSON *addl = cJSON_GetObjectItemCaseSensitive(o, "additionalProperties");
		if (!cJSON_IsObject(props) || !cJSON_IsFalse(addl)) {
			fprintf(stderr, "%s: needs properties and additionalProperties: false\n", t->name);
			problems++;
			continue;
		}
		for (size_t k = 0; k < t->n; k++) {
			if (!cJSON_GetObjectItemCaseSensitive(props, t->v[k].key)) {
				fprintf(stderr, "%s: key \"%s\" is in fields.c but not in the schema\n",
					t->name, t->v[k].key);
				problems++;
			}
		}
		cJSON *p;
		cJSON_ArrayForEach(p, props) {
			if (!fields_find(t, p->string)) {
				fprintf(stderr, "%s: key \"%s\" is in the schema but not in fields.c\n",
					t->name, p->string);
				problems++;
			}
		}
		/* Required keys agree. */
		cJSON *req = cJSON_GetObjectItemCaseSensitive(o, "required");
		for (size_t k = 0; k < t->n; k++) {
			bool want = t->v[k].flags & FF_REQUIRED;
			if (want != in_array(req, t->v[k].key)) {
				fprintf(stderr, "%s: \"%s\" is %srequired in fields.c but not in the schema\n",
					t->name, t->v[k].key, want ? "" : "not ");
				problems++;
			}
		}
	}
	assert_int_equal(problems, 0);
}

static void test_enums_and_kinds(void **state)
{
	(void)state;
	int problems = 0;
	for (size_t i = 0; i < fields_n_tables; i++) {
		const struct field_table *t = fields_tables[i];
		cJSON *props = cJSON_GetObjectItemCaseSensitive(object_for(t->name), "properties");
		for (size_t k = 0; k < t->n; k++) {
			const struct field *f = &t->v[k];
			cJSON *p = cJSON_GetObjectItemCaseSensitive(props, f->key);
			if (!p)
				continue;       /* reported by the other test */
			if (f->type == FT_ENUM) {
				cJSON *e = cJSON_GetObjectItemCaseSensitive(deref(p), "enum");
				size_t n = 0;
				for (; f->values[n]; n++)
					if (!in_array(e, f->values[n])) {
						fprintf(stderr, "%s.%s: value %s missing from the schema enum\n",
							t->name, f->key, f->values[n]);
						problems++;
					}
				if ((size_t)cJSON_GetArraySize(e) != n) {
					fprintf(stderr, "%s.%s: the schema enum has %d values, fields.c %zu\n",
						t->name, f->key, cJSON_GetArraySize(e), n);
					problems++;
				}
			}
			/* Kind-specific node fields say so first in their description. */
			if (f->kinds == KIND_VM || f->kinds == KIND_NETNS) {
				cJSON *d = cJSON_GetObjectItemCaseSensitive(p, "description");
				char pre[16];
				snprintf(pre, sizeof(pre), "%s:", fields_kind_name(f->kinds));
				if (!cJSON_IsString(d) || strncmp(d->valuestring, pre, strlen(pre)) != 0) {
					fprintf(stderr, "%s.%s: description should start with \"%s\"\n",
						t->name, f->key, pre);
					problems++;
				}
			}
			if (f->kinds == KIND_BOTH) {
				cJSON *d = cJSON_GetObjectItemCaseSensitive(p, "description");
				if (cJSON_IsString(d) && (strncmp(d->valuestring, "vm:", 3) == 0 ||
							  strncmp(d->valuestring, "netns:", 6) == 0)) {
					fprintf(stderr, "%s.%s: a field of both kinds is described as one kind\n",
						t->name, f->key);
					problems++;
				}
			}
		}
	}
	assert_int_equal(problems, 0);
}

static void test_fault_actions(void **state)
{
	(void)state;
	cJSON *fault = object_for("fault");
	cJSON *one = cJSON_GetObjectItemCaseSensitive(fault, "oneOf");
	assert_true(cJSON_IsArray(one));
	const struct field_table *t = fields_table("fault");
	size_t n_actions = 0;
	for (size_t k = 0; k < t->n; k++) {
		if (t->v[k].id != F_FAULT_ACTION)
			continue;
		n_actions++;
		/* fields.c's action keys are exactly topology.c's kind names. */
		assert_string_equal(t->v[k].key, fault_kind_names[t->v[k].action]);
		bool found = false;
		cJSON *alt;
		cJSON_ArrayForEach(alt, one) {
			cJSON *req = cJSON_GetObjectItemCaseSensitive(alt, "required");
			if (cJSON_GetArraySize(req) == 1 && in_array(req, t->v[k].key))
				found = true;
		}
		if (!found)
			fail_msg("fault.oneOf lacks {required: [%s]}", t->v[k].key);
	}
	assert_int_equal(n_actions, FAULT__COUNT);
	/* `isolate` is an action key too: partition's shorthand. */
	bool isolate = false;
	cJSON *alt;
	cJSON_ArrayForEach(alt, one)
		isolate = isolate || in_array(cJSON_GetObjectItemCaseSensitive(alt, "required"), "isolate");
	assert_true(isolate);
	assert_int_equal(cJSON_GetArraySize(one), FAULT__COUNT + 1);
}

static void test_no_orphan_definitions(void **state)
{
	(void)state;
	cJSON *defs = cJSON_GetObjectItemCaseSensitive(schema, "definitions");
	cJSON *d;
	int problems = 0;
	cJSON_ArrayForEach(d, defs) {
		if (cJSON_GetObjectItemCaseSensitive(d, "properties") && !fields_table(d->string)) {
			fprintf(stderr, "schema definition \"%s\" has properties but no fields.c table\n",
				d->string);
			problems++;
		}
	}
	assert_int_equal(problems, 0);
	cJSON *ver = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(schema, "properties"),
						 "apiVersion"),
		"const");
	assert_true(cJSON_IsString(ver));
	assert_string_equal(ver->valuestring, TOPO_API_VERSION);
	cJSON *draft = cJSON_GetObjectItemCaseSensitive(schema, "$schema");
	assert_string_equal(draft->valuestring, "http://json-schema.org/draft-07/schema#");
}

static void compile_pattern(regex_t *re, cJSON *o)
{
	cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "pattern");
	assert_true(cJSON_IsString(p));
	/* The patterns stay within what ECMA-262 and POSIX ERE read alike. */
	assert_int_equal(regcomp(re, p->valuestring, REG_EXTENDED | REG_NOSUB), 0);
}

/* Does aspen validate accept a network with this subnet? */
static bool aspen_accepts(const char *subnet)
{
	char yaml[256];
	int n = snprintf(yaml, sizeof yaml, "apiVersion: %s\nname: s\nnetworks:\n  lan: {subnet: %s}\n"
			 "nodes: {a: {kind: netns}}\n", TOPO_API_VERSION, subnet);
	struct diag_list d;
	diag_init(&d, "s.yaml");
	struct topology *t = topo_load_buffer("s.yaml", yaml, (size_t)n, &d);
	bool ok = t && !diag_failed(&d);
	topo_free(t);
	diag_clear(&d);
	return ok;
}

static void test_subnet_patterns_agree(void **state)
{
	(void)state;
	cJSON *def = object_for("subnet");
	assert_non_null(def);
	regex_t yes, no;
	compile_pattern(&yes, def);
	compile_pattern(&no, cJSON_GetObjectItemCaseSensitive(def, "not"));
	static const unsigned seconds[] = { 0, 1, 253, 254, 255 };
	static const unsigned lens[] = { 0, 1, 4, 7, 8, 9, 12, 16, 24, 31, 32 };
	int problems = 0, accepted = 0, checked = 0;
	for (unsigned a = 0; a < 256; a++) {
		for (size_t i = 0; i < sizeof seconds / sizeof seconds[0]; i++) {
			for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
				uint32_t ip = a << 24 | seconds[i] << 16 | 7u;
				uint32_t mask = lens[k] ? 0xffffffffu << (32 - lens[k]) : 0;
				ip &= mask;
				char s[32];
				snprintf(s, sizeof s, "%u.%u.%u.%u/%u", ip >> 24, ip >> 16 & 255,
					 ip >> 8 & 255, ip & 255, lens[k]);
				bool schema_ok = regexec(&yes, s, 0, NULL, 0) == 0 &&
						 regexec(&no, s, 0, NULL, 0) != 0;
				bool ok = aspen_accepts(s);
				checked++;
				accepted += ok;
				if (schema_ok != ok && problems++ < 10)
					fprintf(stderr, "subnet %s: the schema %s it, aspen validate %s it\n",
						s, schema_ok ? "accepts" : "refuses", ok ? "accepts" : "refuses");
			}
		}
	}
	regfree(&yes);
	regfree(&no);
	fprintf(stderr, "subnet patterns: %d prefixes checked, %d accepted\n", checked, accepted);
	/* Both answers occur, so the comparison means something. */
	assert_true(accepted > 0 && accepted < checked);
	assert_int_equal(problems, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_properties_match_tables),
		cmocka_unit_test(test_enums_and_kinds),
		cmocka_unit_test(test_fault_actions),
		cmocka_unit_test(test_no_orphan_definitions),
		cmocka_unit_test(test_subnet_patterns_agree),
	};
	return cmocka_run_group_tests(tests, load_schema, free_schema);
}

/* test_plan_print.c — golden text and JSON renderings of a plan that has
 * every kind of action, a fault schedule, colour, and the empty plan. */
#include "tests/testutil.h"

#include "tests/unit/fixture.h"

struct fx {
	struct topology *t;
	struct res_list des, obs;
	struct arena a;
	struct plan p;
	struct diag_list d;
};

static struct resource *add(struct res_list *l, struct arena *a, enum res_kind k,
			    const char *id, const char *const *kv, const char *const *deps)
{
	struct resource *r = res_list_add(l, a, k, id);
	for (; kv && kv[0]; kv += 2)
		res_set(a, r, kv[0], kv[1]);
	for (; deps && *deps; deps++)
		res_add_dep(a, r, *deps);
	return r;
}

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	arena_init(&f->a);
	f->t = fx_topology("t", 4);
	const uint64_t S = 1000000;
	struct topo_fault *fl = fx_fault(f->t, FAULT_PARTITION, 5 * S, 10 * S);
	fl->u.partition.groups = arena_array(&f->t->arena, 2, sizeof(struct target_list));
	fl->u.partition.groups[0] = fx_targets(f->t, KV("node1"));
	fl->u.partition.groups[1] = fx_targets(f->t, KV("node2", "node3"));
	fl->u.partition.n_groups = 2;
	fl = fx_fault(f->t, FAULT_KILL, 90 * S, 0);
	fl->u.node.targets = fx_targets(f->t, KV("node3"));
	fl->label = "boom";

	struct arena *a = &f->a;
	add(&f->des, a, RES_BRIDGE, "bridge/lan", KV("mtu", "9000", "name", "br-lan"), NULL);
	add(&f->des, a, RES_NETNS, "netns/n1", KV("name", "aspen-t-n1", "topology", "t"), NULL);
	add(&f->des, a, RES_VETH, "veth/n1.eth0",
	    KV("bridge", "br-lan", "mac", "02:00:00:00:00:02", "mtu", "9000", "name", "h-n1-0",
	       "netns", "aspen-t-n1", "peer", "eth0"),
	    KV("netns/n1", "bridge/lan"));
	add(&f->des, a, RES_ADDR, "addr/n1.eth0",
	    KV("address", "10.0.0.2/24", "dev", "eth0", "netns", "aspen-t-n1"), KV("veth/n1.eth0"));
	add(&f->des, a, RES_PROCESS, "process/n1",
	    KV("argv", "[\"sh\",\"-c\",\"sleep 1000; echo done now, really\"]", "env", "{\"A\":\"1\"}",
	       "netns", "aspen-t-n1", "workdir", "/"),
	    KV("netns/n1", "addr/n1.eth0"));

	add(&f->obs, a, RES_BRIDGE, "bridge/lan", KV("mtu", "1500", "name", "br-lan"), NULL);
	add(&f->obs, a, RES_NETNS, "netns/n1", KV("name", "aspen-t-n1", "topology", "t"), NULL);
	add(&f->obs, a, RES_VETH, "veth/n1.eth0",
	    KV("bridge", "br-lan", "mac", "02:00:00:00:00:01", "mtu", "1500", "name", "h-n1-0",
	       "netns", "aspen-t-n1", "peer", "eth0"),
	    KV("netns/n1", "bridge/lan"));
	add(&f->obs, a, RES_ADDR, "addr/n1.eth0",
	    KV("address", "10.0.0.2/24", "dev", "eth0", "netns", "aspen-t-n1"), KV("veth/n1.eth0"));
	add(&f->obs, a, RES_ROUTE, "route/n3",
	    KV("dev", "eth0", "gateway", "10.0.0.1", "netns", "aspen-t-n3"), KV("netns/n3"));
	add(&f->obs, a, RES_NETNS, "netns/n3", KV("name", "aspen-t-n3", "topology", "t"), NULL);

	diag_init(&f->d, NULL);
	if (plan_compute(&f->p, f->t, &f->des, &f->obs, &f->d) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	plan_free(&f->p);
	diag_clear(&f->d);
	arena_free(&f->a);
	topo_free(f->t);
	free(f);
	return 0;
}

static void assert_golden(const char *got, const char *want)
{
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "---- got:\n%s---- want:\n%s----\n", got, want);
		fail();
	}
}

static const char text_golden[] =
	"  - route/n3\n"
	"  - netns/n3\n"
	"  ~ bridge/lan               mtu: 1500 -> 9000\n"
	"-/+ veth/n1.eth0             mac: 02:00:00:00:00:01 -> 02:00:00:00:00:02 (forces replacement), mtu: 1500 -> 9000\n"
	"-/+ addr/n1.eth0             (depends on veth/n1.eth0, which is replaced)\n"
	"  + process/n1               argv=sh -c 'sleep 1000; echo done now, rea...\n"
	"\n"
	"Plan: 1 to create, 1 to update, 2 to replace, 2 to delete.\n"
	"\n"
	"Fault schedule (offsets from convergence):\n"
	"   +5.000s  apply   faults[0]  partition [node1] | [node2 node3]\n"
	"  +15.000s  revert  faults[0]  partition [node1] | [node2 node3]\n"
	"  +90.000s  apply   faults[1]  kill node3  (boom)\n";

static void test_text(void **state)
{
	struct fx *f = *state;
	char *got = NULL;
	FX_CAPTURE(got, plan_print_text(&f->p, out, false, false));
	assert_golden(got, text_golden);
	assert_null(strchr(got, '\033'));
	free(got);
}

static void test_text_color(void **state)
{
	struct fx *f = *state;
	char *got = NULL;
	FX_CAPTURE(got, plan_print_text(&f->p, out, true, false));
	assert_non_null(strstr(got, "  \033[31m-\033[0m route/n3\n"));
	assert_non_null(strstr(got, "  \033[33m~\033[0m bridge/lan "));
	assert_non_null(strstr(got, "\033[31m-\033[0m/\033[32m+\033[0m veth/n1.eth0 "));
	assert_non_null(strstr(got, "  \033[32m+\033[0m process/n1 "));
	free(got);
}

static const char json_golden[] =
	"{\n"
	"  \"format_version\": 1,\n"
	"  \"topology\": \"t\",\n"
	"  \"actions\": [\n"
	"    {\n"
	"      \"op\": \"delete\",\n"
	"      \"id\": \"route/n3\",\n"
	"      \"kind\": \"route\",\n"
	"      \"props\": {\n"
	"        \"dev\": \"eth0\",\n"
	"        \"gateway\": \"10.0.0.1\",\n"
	"        \"netns\": \"aspen-t-n3\"\n"
	"      },\n"
	"      \"changes\": [],\n"
	"      \"reason\": null,\n"
	"      \"depends_on\": [\n"
	"        \"netns/n3\"\n"
	"      ]\n"
	"    },\n"
	"    {\n"
	"      \"op\": \"delete\",\n"
	"      \"id\": \"netns/n3\",\n"
	"      \"kind\": \"netns\",\n"
	"      \"props\": {\n"
	"        \"name\": \"aspen-t-n3\",\n"
	"        \"topology\": \"t\"\n"
	"      },\n"
	"      \"changes\": [],\n"
	"      \"reason\": null,\n"
	"      \"depends_on\": []\n"
	"    },\n"
	"    {\n"
	"      \"op\": \"update\",\n"
	"      \"id\": \"bridge/lan\",\n"
	"      \"kind\": \"bridge\",\n"
	"      \"props\": {\n"
	"        \"mtu\": \"9000\",\n"
	"        \"name\": \"br-lan\"\n"
	"      },\n"
	"      \"changes\": [\n"
	"        {\n"
	"          \"key\": \"mtu\",\n"
	"          \"old\": \"1500\",\n"
	"          \"new\": \"9000\"\n"
	"        }\n"
	"      ],\n"
	"      \"reason\": null,\n"
	"      \"depends_on\": []\n"
	"    },\n"
	"    {\n"
	"      \"op\": \"replace\",\n"
	"      \"id\": \"veth/n1.eth0\",\n"
	"      \"kind\": \"veth\",\n"
	"      \"props\": {\n"
	"        \"bridge\": \"br-lan\",\n"
	"        \"mac\": \"02:00:00:00:00:02\",\n"
	"        \"mtu\": \"9000\",\n"
	"        \"name\": \"h-n1-0\",\n"
	"        \"netns\": \"aspen-t-n1\",\n"
	"        \"peer\": \"eth0\"\n"
	"      },\n"
	"      \"changes\": [\n"
	"        {\n"
	"          \"key\": \"mac\",\n"
	"          \"old\": \"02:00:00:00:00:01\",\n"
	"          \"new\": \"02:00:00:00:00:02\"\n"
	"        },\n"
	"        {\n"
	"          \"key\": \"mtu\",\n"
	"          \"old\": \"1500\",\n"
	"          \"new\": \"9000\"\n"
	"        }\n"
	"      ],\n"
	"      \"reason\": \"mac changed\",\n"
	"      \"depends_on\": [\n"
	"        \"netns/n1\",\n"
	"        \"bridge/lan\"\n"
	"      ]\n"
	"    },\n"
	"    {\n"
	"      \"op\": \"replace\",\n"
	"      \"id\": \"addr/n1.eth0\",\n"
	"      \"kind\": \"addr\",\n"
	"      \"props\": {\n"
	"        \"address\": \"10.0.0.2/24\",\n"
	"        \"dev\": \"eth0\",\n"
	"        \"netns\": \"aspen-t-n1\"\n"
	"      },\n"
	"      \"changes\": [],\n"
	"      \"reason\": \"depends on veth/n1.eth0, which is replaced\",\n"
	"      \"depends_on\": [\n"
	"        \"veth/n1.eth0\"\n"
	"      ]\n"
	"    },\n"
	"    {\n"
	"      \"op\": \"create\",\n"
	"      \"id\": \"process/n1\",\n"
	"      \"kind\": \"process\",\n"
	"      \"props\": {\n"
	"        \"argv\": \"[\\\"sh\\\",\\\"-c\\\",\\\"sleep 1000; echo done now, really\\\"]\",\n"
	"        \"env\": \"{\\\"A\\\":\\\"1\\\"}\",\n"
	"        \"netns\": \"aspen-t-n1\",\n"
	"        \"workdir\": \"/\"\n"
	"      },\n"
	"      \"changes\": [],\n"
	"      \"reason\": null,\n"
	"      \"depends_on\": [\n"
	"        \"netns/n1\",\n"
	"        \"addr/n1.eth0\"\n"
	"      ]\n"
	"    }\n"
	"  ],\n"
	"  \"summary\": {\n"
	"    \"create\": 1,\n"
	"    \"update\": 1,\n"
	"    \"replace\": 2,\n"
	"    \"delete\": 2\n"
	"  },\n"
	"  \"seed\": null,\n"
	"  \"schedule\": [\n"
	"    {\n"
	"      \"at_us\": 5000000,\n"
	"      \"at\": \"5s\",\n"
	"      \"event\": \"apply\",\n"
	"      \"fault\": 0,\n"
	"      \"instance\": 0,\n"
	"      \"label\": null,\n"
	"      \"kind\": \"partition\",\n"
	"      \"description\": \"partition [node1] | [node2 node3]\"\n"
	"    },\n"
	"    {\n"
	"      \"at_us\": 15000000,\n"
	"      \"at\": \"15s\",\n"
	"      \"event\": \"revert\",\n"
	"      \"fault\": 0,\n"
	"      \"instance\": 0,\n"
	"      \"label\": null,\n"
	"      \"kind\": \"partition\",\n"
	"      \"description\": \"partition [node1] | [node2 node3]\"\n"
	"    },\n"
	"    {\n"
	"      \"at_us\": 90000000,\n"
	"      \"at\": \"1m30s\",\n"
	"      \"event\": \"apply\",\n"
	"      \"fault\": 1,\n"
	"      \"instance\": 0,\n"
	"      \"label\": \"boom\",\n"
	"      \"kind\": \"kill\",\n"
	"      \"description\": \"kill node3\"\n"
	"    }\n"
	"  ]\n"
	"}\n";

static void test_json(void **state)
{
	struct fx *f = *state;
	char *got = NULL;
	FX_CAPTURE(got, plan_print_json(&f->p, out));
	assert_golden(got, json_golden);
	free(got);
}

/* The execution entries behind the display: replaces appear once per phase. */
static void test_phases(void **state)
{
	struct fx *f = *state;
	assert_int_equal(f->p.n_actions, 8);
	static const struct { enum action_op op; enum action_phase ph; const char *id; } want[] = {
		{ACT_DELETE, PHASE_DELETE, "route/n3"},
		{ACT_REPLACE, PHASE_DELETE, "addr/n1.eth0"},
		{ACT_DELETE, PHASE_DELETE, "netns/n3"},
		{ACT_REPLACE, PHASE_DELETE, "veth/n1.eth0"},
		{ACT_UPDATE, PHASE_CREATE, "bridge/lan"},
		{ACT_REPLACE, PHASE_CREATE, "veth/n1.eth0"},
		{ACT_REPLACE, PHASE_CREATE, "addr/n1.eth0"},
		{ACT_CREATE, PHASE_CREATE, "process/n1"},
	};
	for (size_t i = 0; i < 8; i++) {
		const struct action *a = &f->p.actions[i];
		assert_int_equal(a->op, want[i].op);
		assert_int_equal(a->phase, want[i].ph);
		const struct resource *r = a->phase == PHASE_DELETE ? a->observed : a->desired;
		assert_string_equal(r->id, want[i].id);
	}
}

static void test_empty(void **state)
{
	(void)state;
	struct plan p;
	struct res_list none = {0};
	struct diag_list d;
	diag_init(&d, NULL);
	assert_int_equal(plan_destroy(&p, &none, &d), 0);
	char *got = NULL;
	FX_CAPTURE(got, plan_print_text(&p, out, true, false));
	assert_string_equal(got, "No changes. The live system matches the topology.\n");
	free(got);
	FX_CAPTURE(got, plan_print_json(&p, out));
	assert_string_equal(got,
			    "{\n"
			    "  \"format_version\": 1,\n"
			    "  \"topology\": null,\n"
			    "  \"actions\": [],\n"
			    "  \"summary\": {\n"
			    "    \"create\": 0,\n"
			    "    \"update\": 0,\n"
			    "    \"replace\": 0,\n"
			    "    \"delete\": 0\n"
			    "  },\n"
			    "  \"seed\": null,\n"
			    "  \"schedule\": []\n"
			    "}\n");
	free(got);
	plan_free(&p);
	diag_clear(&d);
}

/* A long changed value shows what differs; -v shows it whole; argv reads
 * as a shell command line, its quoting the shell's. */
static void test_text_long_changes(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct res_list des = {0}, obs = {0};
	add(&des, &a, RES_PROCESS, "process/node1",
	    KV("argv", "[\"sh\",\"-c\",\"exec it's \\\"x\\\"\",\"\",\"a\\tb\"]",
	       "cluster", "node1=10.100.0.2 node2=10.100.0.3 node3=10.100.0.4 node4=10.100.0.5"),
	    NULL);
	add(&obs, &a, RES_PROCESS, "process/node1",
	    KV("argv", "[\"sh\",\"-c\",\"exec it's \\\"y\\\"\",\"\",\"a\\tb\"]",
	       "cluster", "node1=10.100.0.2 node2=10.100.0.3 node3=10.100.0.4"),
	    NULL);
	add(&des, &a, RES_VM, "vm/y", KV("cmdline", "console=hvc0 root=/dev/vda rw quiet ip=10.0.0.2"), NULL);
	add(&obs, &a, RES_VM, "vm/y", KV("cmdline", "console=hvc0 root=/dev/vda ro quiet ip=10.0.0.2"), NULL);
	struct plan p;
	struct diag_list d;
	diag_init(&d, NULL);
	assert_int_equal(plan_compute(&p, NULL, &des, &obs, &d), 0);
	char *got = NULL;
	FX_CAPTURE(got, plan_print_text(&p, out, false, false));
	assert_golden(got,
		      "-/+ process/node1            argv: sh -c 'exec it'\\''s \"y\"' '' $'a\\x09b' -> "
		      "sh -c 'exec it'\\''s \"x\"' '' $'a\\x09b' (forces replacement), "
		      "cluster: \"…node3=10.100.0.4\" -> \"…node3=10.100.0.4 node4=10.100.0.5\" "
		      "(forces replacement)\n"
		      "-/+ vm/y                     cmdline: \"…root=/dev/vda ro…\" -> \"…root=/dev/vda rw…\" "
		      "(forces replacement)\n"
		      "\n"
		      "Plan: 0 to create, 0 to update, 2 to replace, 0 to delete.\n"
		      "Restarts: node1 (its command changed)\n");
	free(got);
	FX_CAPTURE(got, plan_print_text(&p, out, false, true));
	assert_non_null(strstr(got, "cluster: \"node1=10.100.0.2 node2=10.100.0.3 node3=10.100.0.4\" -> "
				    "\"node1=10.100.0.2 node2=10.100.0.3 node3=10.100.0.4 node4=10.100.0.5\""));
	assert_non_null(strstr(got, "cmdline: \"console=hvc0 root=/dev/vda ro quiet ip=10.0.0.2\" -> "));
	assert_null(strstr(got, "…"));
	free(got);
	plan_free(&p);
	diag_clear(&d);
	arena_free(&a);
}

/* A node added: the default node restarts because its peers changed, the
 * one with restart_on=own is updated in place, and the plan says which. */
static void test_restart_policy(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct res_list des = {0}, obs = {0};
	const char *c2 = "n1=10.0.0.2 n2=10.0.0.3", *c3 = "n1=10.0.0.2 n2=10.0.0.3 n3=10.0.0.4";
	add(&des, &a, RES_PROCESS, "process/n1", KV("argv", "[\"srv\"]", "cluster", c3), NULL);
	add(&obs, &a, RES_PROCESS, "process/n1", KV("argv", "[\"srv\"]", "cluster", c2), NULL);
	add(&des, &a, RES_PROCESS, "process/n2",
	    KV("argv", "[\"srv\"]", "cluster", c3, "restart_on", "own"), NULL);
	add(&obs, &a, RES_PROCESS, "process/n2", KV("argv", "[\"srv\"]", "cluster", c2), NULL);
	/* restart_on=own does not cover a changed command */
	add(&des, &a, RES_PROCESS, "process/n4",
	    KV("argv", "[\"srv\",\"-v\"]", "cluster", c3, "restart_on", "own"), NULL);
	add(&obs, &a, RES_PROCESS, "process/n4",
	    KV("argv", "[\"srv\"]", "cluster", c2, "restart_on", "own"), NULL);
	add(&des, &a, RES_PROCESS, "process/n3",
	    KV("argv", "[\"srv\"]", "cluster", c3, "restart_on", "own"), NULL);
	struct plan p;
	struct diag_list d;
	diag_init(&d, NULL);
	assert_int_equal(plan_compute(&p, NULL, &des, &obs, &d), 0);
	char *got = NULL;
	FX_CAPTURE(got, plan_print_text(&p, out, false, false));
	assert_golden(got,
		      "-/+ process/n1               cluster: \"n1=10.0.0.2 n2=10.0.0.3\" -> \"n1=10.0.0.2 n2=10.0.0.3 "
		      "n3=10.0.0.4\" (forces replacement)\n"
		      "  ~ process/n2               cluster: \"n1=10.0.0.2 n2=10.0.0.3\" -> \"n1=10.0.0.2 n2=10.0.0.3 "
		      "n3=10.0.0.4\", restart_on: (none) -> own\n"
		      "-/+ process/n4               argv: srv -> srv -v (forces replacement), cluster: "
		      "\"n1=10.0.0.2 n2=10.0.0.3\" -> \"n1=10.0.0.2 n2=10.0.0.3 n3=10.0.0.4\"\n"
		      "  + process/n3               argv=srv\n"
		      "\n"
		      "Plan: 1 to create, 1 to update, 2 to replace, 0 to delete.\n"
		      "Restarts: n1 (its peers changed), n4 (its command changed)\n"
		      "Keeps running though its peers changed (restart_on: [own]): n2\n");
	free(got);
	plan_free(&p);
	diag_clear(&d);
	arena_free(&a);
}

/* Values that need quoting, and an id longer than the column. */
static void test_text_values(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct res_list des = {0}, obs = {0};
	add(&des, &a, RES_VM, "vm/a-very-long-node-name-indeed",
	    KV("cpus", "2", "memory", "536870912"), NULL);
	add(&des, &a, RES_VMM, "vmm/x", KV("socket", ""), NULL);
	add(&des, &a, RES_VM, "vm/y", KV("memory", "1024", "cmdline", "a\tb"), NULL);
	add(&obs, &a, RES_VM, "vm/y", KV("cpus", "1", "memory", "1024", "cmdline", "a b"), NULL);
	struct plan p;
	struct diag_list d;
	diag_init(&d, NULL);
	assert_int_equal(plan_compute(&p, NULL, &des, &obs, &d), 0);
	char *got = NULL;
	FX_CAPTURE(got, plan_print_text(&p, out, false, false));
	assert_golden(got,
		      "  + vm/a-very-long-node-name-indeed cpus=2 memory=536870912\n"
		      "  + vmm/x                           socket=\"\"\n"
		      "-/+ vm/y                            cmdline: \"a b\" -> \"a\\x09b\" (forces replacement), "
		      "cpus: 1 -> (none) (forces replacement)\n"
		      "\n"
		      "Plan: 2 to create, 0 to update, 1 to replace, 0 to delete.\n");
	free(got);
	plan_free(&p);
	diag_clear(&d);
	arena_free(&a);
}

/* JSON strings: every escape, a control byte, UTF-8 passed through, and
 * escapes at the start, the end and next to each other (json_escape writes
 * the runs between escapes in one piece). */
static void test_json_escapes(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct res_list des = {0}, obs = {0};
	add(&des, &a, RES_VMM, "vmm/x",
	    KV("a", "\"q\" \\ \b\f\n\r\t\x01\x1f end", "b", "\"", "c", "caf\xc3\xa9\"\"", "d", ""),
	    NULL);
	struct plan p;
	struct diag_list d;
	diag_init(&d, NULL);
	assert_int_equal(plan_compute(&p, NULL, &des, &obs, &d), 0);
	char *got = NULL;
	FX_CAPTURE(got, plan_print_json(&p, out));
	assert_non_null(strstr(got,
		"      \"props\": {\n"
		"        \"a\": \"\\\"q\\\" \\\\ \\b\\f\\n\\r\\t\\u0001\\u001f end\",\n"
		"        \"b\": \"\\\"\",\n"
		"        \"c\": \"caf\xc3\xa9\\\"\\\"\",\n"
		"        \"d\": \"\"\n"
		"      },\n"));
	free(got);
	plan_free(&p);
	diag_clear(&d);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_color, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_phases, setup, teardown),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_text_values),
		cmocka_unit_test(test_json_escapes),
		cmocka_unit_test(test_text_long_changes),
		cmocka_unit_test(test_restart_policy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

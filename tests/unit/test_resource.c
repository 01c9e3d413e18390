/* test_resource.c — the resource kind table, property and dependency
 * builders, and the id map the planner relies on. */
#include "tests/testutil.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "compiler/resource.h"
#include "compiler/strmap.h"

static void test_kind_names(void **state)
{
	static const char *const names[] = {"netns", "bridge", "addr", "veth", "tap",
					    "route", "process", "vmm", "vm", "vxlan"};
	(void)state;
	assert_int_equal(RES__COUNT, 10);
	for (int k = 0; k < RES__COUNT; k++) {
		assert_string_equal(res_kinds[k].name, names[k]);
		assert_int_equal(res_kind_from_name(names[k]), k);
	}
	assert_int_equal(res_kind_from_name("nft"), -1);
	assert_int_equal(res_kind_from_name(""), -1);
	assert_int_equal(res_kind_from_name("vmmm"), -1);
}

static void test_updatable(void **state)
{
	(void)state;
	assert_true(res_prop_updatable(RES_BRIDGE, "mtu"));
	assert_true(res_prop_updatable(RES_VETH, "mtu"));
	assert_true(res_prop_updatable(RES_TAP, "mtu"));
	assert_false(res_prop_updatable(RES_BRIDGE, "name"));
	assert_false(res_prop_updatable(RES_VETH, "mac"));
	assert_false(res_prop_updatable(RES_ADDR, "mtu"));
	assert_false(res_prop_updatable(RES_NETNS, "name"));
	assert_false(res_prop_updatable(RES_PROCESS, "env"));
	assert_false(res_prop_updatable(RES_VM, "cpus"));
	/* A VXLAN port's table changes entry by entry; its VNI, address and
	 * port only with a new link. */
	assert_true(res_prop_updatable(RES_VXLAN, "mtu"));
	assert_true(res_prop_updatable(RES_VXLAN, "remotes"));
	assert_true(res_prop_updatable(RES_VXLAN, "fdb"));
	assert_true(res_prop_updatable(RES_VXLAN, "state"));
	assert_false(res_prop_updatable(RES_VXLAN, "vni"));
	assert_false(res_prop_updatable(RES_VXLAN, "local"));
	assert_false(res_prop_updatable(RES_VXLAN, "port"));
	assert_false(res_prop_updatable(RES_VXLAN, "bridge"));
	assert_false(res_prop_updatable((enum res_kind)99, "mtu"));
	/* The probe-only "state" (a half-made object) is finished in place. */
	assert_true(res_prop_updatable(RES_NETNS, "state"));
	assert_true(res_prop_updatable(RES_BRIDGE, "state"));
	assert_true(res_prop_updatable(RES_VETH, "state"));
	assert_true(res_prop_updatable(RES_TAP, "state"));
	assert_false(res_prop_updatable(RES_ADDR, "state"));
}

static void test_props_sorted_unique(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct res_list l = {0};
	struct resource *r = res_list_add(&l, &a, RES_VETH, "veth/n1.eth0");
	assert_string_equal(r->id, "veth/n1.eth0");
	assert_int_equal(r->kind, RES_VETH);
	res_set(&a, r, "peer", "eth0");
	res_set(&a, r, "name", "h-n1-0");
	res_set(&a, r, "mtu", "1500");
	res_set(&a, r, "bridge", "br-lan");
	res_setf(&a, r, "mac", "02:00:00:00:%02x:%02x", 1, 0);
	res_set(&a, r, "mtu", "9000");          /* replaces */
	assert_int_equal(r->n_props, 5);
	const char *keys[] = {"bridge", "mac", "mtu", "name", "peer"};
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(r->props[i].key, keys[i]);
	assert_string_equal(res_get(r, "mtu"), "9000");
	assert_string_equal(res_get(r, "mac"), "02:00:00:00:01:00");
	assert_null(res_get(r, "netns"));
	assert_null(res_get(r, ""));
	arena_free(&a);
}

static void test_values_copied(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct res_list l = {0};
	struct resource *r = res_list_add(&l, &a, RES_NETNS, "netns/x");
	char key[16] = "name", val[16] = "first";
	res_set(&a, r, key, val);
	strcpy(key, "zzzz");
	strcpy(val, "changed");
	assert_string_equal(res_get(r, "name"), "first");
	res_add_dep(&a, r, val);
	strcpy(val, "again");
	assert_string_equal(r->deps[0], "changed");
	arena_free(&a);
}

static void test_deps_dedup(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct res_list l = {0};
	struct resource *r = res_list_add(&l, &a, RES_PROCESS, "process/n1");
	res_add_dep(&a, r, "netns/n1");
	res_add_dep(&a, r, "addr/n1.eth0");
	res_add_dep(&a, r, "netns/n1");
	for (int i = 0; i < 20; i++) {
		char id[32];
		snprintf(id, sizeof(id), "addr/n1.eth%d", i);
		res_add_dep(&a, r, id);
	}
	assert_int_equal(r->n_deps, 21);        /* netns + eth0..eth19 */
	assert_string_equal(r->deps[0], "netns/n1");
	assert_string_equal(r->deps[1], "addr/n1.eth0");
	assert_string_equal(r->deps[20], "addr/n1.eth19");
	arena_free(&a);
}

static void test_many_props(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct res_list l = {0};
	struct resource *r = res_list_add(&l, &a, RES_VM, "vm/x");
	/* Insert in a scrambled order; read back sorted. */
	for (int i = 0; i < 200; i++) {
		char k[16];
		snprintf(k, sizeof(k), "k%03d", (i * 37) % 200);
		res_setf(&a, r, k, "%d", i);
	}
	assert_int_equal(r->n_props, 200);
	for (size_t i = 1; i < r->n_props; i++)
		assert_true(strcmp(r->props[i - 1].key, r->props[i].key) < 0);
	assert_string_equal(res_get(r, "k037"), "1");
	arena_free(&a);
}

/* A resource built by hand (static arrays, cap 0) is copied, not written. */
static void test_foreign_arrays(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct prop props[] = {{"a", "1"}, {"c", "3"}};
	const char *deps[] = {"x/1"};
	struct resource r = {RES_ADDR, "addr/x", props, 2, deps, 1, 0, 0};
	res_set(&a, &r, "b", "2");
	res_add_dep(&a, &r, "x/2");
	assert_int_equal(r.n_props, 3);
	assert_string_equal(r.props[1].key, "b");
	assert_string_equal(props[1].key, "c");         /* original untouched */
	assert_string_equal(r.deps[1], "x/2");
	assert_ptr_not_equal(r.props, props);
	arena_free(&a);
}

static void test_list_growth(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct res_list l = {0};
	for (int i = 0; i < 5000; i++) {
		char id[32];
		snprintf(id, sizeof(id), "netns/n%d", i);
		struct resource *r = res_list_add(&l, &a, RES_NETNS, id);
		res_setf(&a, r, "name", "ns%d", i);
	}
	assert_int_equal(l.n, 5000);
	assert_true(l.cap >= 5000);
	assert_string_equal(l.v[0].id, "netns/n0");
	assert_string_equal(l.v[4999].id, "netns/n4999");
	assert_string_equal(res_get(&l.v[1234], "name"), "ns1234");
	arena_free(&a);
}

static void test_strmap(void **state)
{
	(void)state;
	struct strmap m;
	strmap_init(&m, 0);
	static char keys[3000][16];
	for (size_t i = 0; i < 3000; i++) {
		snprintf(keys[i], sizeof(keys[i]), "veth/n%zu", i);
		assert_true(strmap_put(&m, keys[i], i, NULL));
	}
	assert_int_equal(m.n, 3000);
	size_t v = 0, old = 0;
	for (size_t i = 0; i < 3000; i++) {
		char probe[16];
		snprintf(probe, sizeof(probe), "veth/n%zu", i);     /* a different pointer */
		assert_true(strmap_get(&m, probe, &v));
		assert_int_equal(v, i);
	}
	assert_false(strmap_get(&m, "veth/n3000", &v));
	assert_false(strmap_get(&m, "", &v));
	assert_false(strmap_put(&m, "veth/n7", 99, &old));
	assert_int_equal(old, 7);
	assert_true(strmap_get(&m, "veth/n7", &v));
	assert_int_equal(v, 7);                 /* unchanged */
	/* Delete every third key: the others stay reachable past the holes. */
	for (size_t i = 0; i < 3000; i += 3)
		assert_true(strmap_del(&m, keys[i]));
	assert_false(strmap_del(&m, "veth/n0"));
	assert_int_equal(m.n, 2000);
	for (size_t i = 0; i < 3000; i++) {
		bool there = strmap_get(&m, keys[i], &v);
		assert_int_equal(there, i % 3 != 0);
		if (there)
			assert_int_equal(v, i);
	}
	for (size_t i = 0; i < 3000; i += 3)
		assert_true(strmap_put(&m, keys[i], i + 1, NULL));
	assert_true(strmap_get(&m, "veth/n3", &v));
	assert_int_equal(v, 4);
	strmap_free(&m);
	strmap_free(&m);                        /* idempotent */
	struct strmap z = {0};
	assert_false(strmap_get(&z, "x", &v));
	assert_true(strmap_put(&z, "x", 1, NULL));  /* a zeroed map grows on first put */
	assert_true(strmap_get(&z, "x", &v));
	strmap_free(&z);
}

/* arena_alloc's memory is zero although it no longer clears each
 * allocation: across chunk boundaries, for one-off big chunks, and after an
 * arena is freed and its (dirtied) memory comes back from malloc. */
static void test_arena_zeroed(void **state)
{
	(void)state;
	for (int round = 0; round < 3; round++) {
		struct arena a;
		arena_init(&a);
		static const size_t sizes[] = {1, 16, 100, 4096, 70000, 200000, 3 << 20, 9 << 20, 24};
		for (int rep = 0; rep < 4; rep++)
			for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
				size_t n = sizes[i] + (size_t)rep;
				unsigned char *p = arena_alloc(&a, n);
				assert_true(((uintptr_t)p & 15u) == 0);
				for (size_t j = 0; j < n; j += 61)
					assert_int_equal(p[j], 0);
				assert_int_equal(p[n - 1], 0);
				memset(p, 0xa5, n);     /* dirty it for the next round's malloc */
			}
		arena_free(&a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_arena_zeroed),
		cmocka_unit_test(test_updatable),
		cmocka_unit_test(test_props_sorted_unique),
		cmocka_unit_test(test_values_copied),
		cmocka_unit_test(test_deps_dedup),
		cmocka_unit_test(test_many_props),
		cmocka_unit_test(test_foreign_arrays),
		cmocka_unit_test(test_list_growth),
		cmocka_unit_test(test_strmap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

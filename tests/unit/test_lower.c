/* test_lower.c — topology -> desired resources: exact ids, properties and
 * dependencies (the contract in docs/resources.md) for a netns cluster and a
 * VM cluster, the process environment, the guest ip= argument, and
 * determinism. Topologies are hand-built with derived names filled in. */
#include "tests/testutil.h"

#include "tests/unit/fixture.h"

/* Canonical text of a resource list: id [kind], props, deps. */
static char *dump(const struct res_list *l)
{
	char *s = NULL;
	FX_CAPTURE(s, {
		for (size_t i = 0; i < l->n; i++) {
			const struct resource *r = &l->v[i];
			fprintf(out, "%s [%s]\n", r->id, res_kinds[r->kind].name);
			for (size_t k = 0; k < r->n_props; k++)
				fprintf(out, "  %s=%s\n", r->props[k].key, r->props[k].value);
			for (size_t k = 0; k < r->n_deps; k++)
				fprintf(out, "  <- %s\n", r->deps[k]);
		}
	});
	return s;
}

static void assert_text(const char *got, const char *want)
{
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "---- got:\n%s---- want:\n%s----\n", got, want);
		fail();
	}
}

/* ---------------- a netns cluster ---------------- */

static struct topology *netns_cluster(void)
{
	struct topology *t = fx_topology("c3", 8);
	fx_network(t, "lan", "10.100.0.0/24", "10.100.0.1", 0);
	fx_network(t, "back", "10.200.0.0/16", NULL, 9000);

	struct topo_node *n1 = fx_node(t, "n1", NODE_NETNS);
	fx_iface(t, n1, "lan", "10.100.0.2");
	fx_iface(t, n1, "back", "10.200.0.2");
	fx_command(t, n1, (const char *const[]){"app", "--id", "1", NULL});
	fx_env(t, n1, "FOO", "a \"b\"");

	struct topo_node *n2 = fx_node(t, "n-2", NODE_NETNS);
	fx_iface(t, n2, "back", "10.200.0.3");  /* no gateway here: route via eth1 */
	fx_iface(t, n2, "lan", "10.100.0.3");
	fx_command(t, n2, (const char *const[]){"sleep", "infinity", NULL});
	fx_env(t, n2, "ASPEN_TOPOLOGY", "custom");  /* the user's value wins */
	n2->workdir = "/srv";

	struct topo_node *n3 = fx_node(t, "n3", NODE_NETNS);
	fx_iface(t, n3, "lan", NULL);           /* no ip: no addr, no route */

	struct topo_node *v4 = fx_node(t, "vm-4", NODE_VM);
	fx_iface(t, v4, "lan", "10.100.0.5");
	return t;
}

static const char netns_expected[] =
	"bridge/lan [bridge]\n"
	"  name=br-lan\n"
	"addr/lan [addr]\n"
	"  address=10.100.0.1/24\n"
	"  dev=br-lan\n"
	"  <- bridge/lan\n"
	"bridge/back [bridge]\n"
	"  mtu=9000\n"
	"  name=br-back\n"
	"netns/n1 [netns]\n"
	"  name=aspen-c3-n1\n"
	"  topology=c3\n"
	"veth/n1.eth0 [veth]\n"
	"  bridge=br-lan\n"
	"  mac=02:00:00:00:01:00\n"
	"  name=h-n1-0\n"
	"  netns=aspen-c3-n1\n"
	"  peer=eth0\n"
	"  <- netns/n1\n"
	"  <- bridge/lan\n"
	"addr/n1.eth0 [addr]\n"
	"  address=10.100.0.2/24\n"
	"  dev=eth0\n"
	"  netns=aspen-c3-n1\n"
	"  <- veth/n1.eth0\n"
	"veth/n1.eth1 [veth]\n"
	"  bridge=br-back\n"
	"  mac=02:00:00:00:01:01\n"
	"  mtu=9000\n"
	"  name=h-n1-1\n"
	"  netns=aspen-c3-n1\n"
	"  peer=eth1\n"
	"  <- netns/n1\n"
	"  <- bridge/back\n"
	"addr/n1.eth1 [addr]\n"
	"  address=10.200.0.2/16\n"
	"  dev=eth1\n"
	"  netns=aspen-c3-n1\n"
	"  <- veth/n1.eth1\n"
	"route/n1 [route]\n"
	"  dev=eth0\n"
	"  gateway=10.100.0.1\n"
	"  netns=aspen-c3-n1\n"
	"  <- addr/n1.eth0\n"
	"process/n1 [process]\n"
	"  argv=[\"app\",\"--id\",\"1\"]\n"
	"  cluster=n1=10.100.0.2 n-2=10.200.0.3 n3 vm-4=10.100.0.5\n"
	"  env={\"ASPEN_NODE\":\"n1\",\"ASPEN_NODE_IP\":\"10.100.0.2\","
	"\"ASPEN_TOPOLOGY\":\"c3\",\"FOO\":\"a \\\"b\\\"\"}\n"
	"  netns=aspen-c3-n1\n"
	"  workdir=/\n"
	"  <- netns/n1\n"
	"  <- veth/n1.eth0\n"
	"  <- addr/n1.eth0\n"
	"  <- veth/n1.eth1\n"
	"  <- addr/n1.eth1\n"
	"  <- route/n1\n"
	"netns/n-2 [netns]\n"
	"  name=aspen-c3-n-2\n"
	"  topology=c3\n"
	"veth/n-2.eth0 [veth]\n"
	"  bridge=br-back\n"
	"  mac=02:00:00:00:02:00\n"
	"  mtu=9000\n"
	"  name=h-n-2-0\n"
	"  netns=aspen-c3-n-2\n"
	"  peer=eth0\n"
	"  <- netns/n-2\n"
	"  <- bridge/back\n"
	"addr/n-2.eth0 [addr]\n"
	"  address=10.200.0.3/16\n"
	"  dev=eth0\n"
	"  netns=aspen-c3-n-2\n"
	"  <- veth/n-2.eth0\n"
	"veth/n-2.eth1 [veth]\n"
	"  bridge=br-lan\n"
	"  mac=02:00:00:00:02:01\n"
	"  name=h-n-2-1\n"
	"  netns=aspen-c3-n-2\n"
	"  peer=eth1\n"
	"  <- netns/n-2\n"
	"  <- bridge/lan\n"
	"addr/n-2.eth1 [addr]\n"
	"  address=10.100.0.3/24\n"
	"  dev=eth1\n"
	"  netns=aspen-c3-n-2\n"
	"  <- veth/n-2.eth1\n"
	"route/n-2 [route]\n"
	"  dev=eth1\n"
	"  gateway=10.100.0.1\n"
	"  netns=aspen-c3-n-2\n"
	"  <- addr/n-2.eth1\n"
	"process/n-2 [process]\n"
	"  argv=[\"sleep\",\"infinity\"]\n"
	"  cluster=n1=10.100.0.2 n-2=10.200.0.3 n3 vm-4=10.100.0.5\n"
	"  env={\"ASPEN_NODE\":\"n-2\",\"ASPEN_NODE_IP\":\"10.200.0.3\","
	"\"ASPEN_TOPOLOGY\":\"custom\"}\n"
	"  netns=aspen-c3-n-2\n"
	"  workdir=/srv\n"
	"  <- netns/n-2\n"
	"  <- veth/n-2.eth0\n"
	"  <- addr/n-2.eth0\n"
	"  <- veth/n-2.eth1\n"
	"  <- addr/n-2.eth1\n"
	"  <- route/n-2\n"
	"netns/n3 [netns]\n"
	"  name=aspen-c3-n3\n"
	"  topology=c3\n"
	"veth/n3.eth0 [veth]\n"
	"  bridge=br-lan\n"
	"  mac=02:00:00:00:03:00\n"
	"  name=h-n3-0\n"
	"  netns=aspen-c3-n3\n"
	"  peer=eth0\n"
	"  <- netns/n3\n"
	"  <- bridge/lan\n"
	"tap/vm-4.eth0 [tap]\n"
	"  bridge=br-lan\n"
	"  name=h-vm-4-0\n"
	"  <- bridge/lan\n"
	"vmm/vm-4 [vmm]\n"
	"  binary=\n"
	"  socket=/run/aspen/c3/vm-4.sock\n"
	"  <- tap/vm-4.eth0\n"
	"vm/vm-4 [vm]\n"
	"  cpus=1\n"
	"  memory=536870912\n"
	"  net=[{\"tap\":\"h-vm-4-0\",\"mac\":\"02:00:00:00:04:00\"}]\n"
	"  <- vmm/vm-4\n";

static void test_netns_cluster(void **state)
{
	(void)state;
	struct topology *t = netns_cluster();
	struct res_list l = {0};
	topo_lower(t, &l);
	char *got = dump(&l);
	assert_text(got, netns_expected);
	free(got);
	topo_free(t);
}

/* ---------------- a VM cluster ---------------- */

static struct topology *vm_cluster(void)
{
	struct topology *t = fx_topology("vmc", 8);
	fx_network(t, "lan", "10.0.0.0/24", "10.0.0.1", 1400);
	fx_network(t, "net2", "192.168.5.0/23", NULL, 0);

	struct topo_node *v1 = fx_node(t, "vm1", NODE_VM);
	v1->binary = "/opt/ch/cloud-hypervisor";
	v1->cpus = 2;
	v1->memory = 1ull << 30;
	v1->kernel = "/k/vmlinux";
	v1->initramfs = "/k/initrd";
	v1->cmdline = "console=hvc0 root=/dev/vda";
	v1->guest_ip = true;
	v1->console = "log";
	v1->serial = "off";
	v1->disks = arena_array(&t->arena, 2, sizeof(*v1->disks));
	v1->disks[0] = (struct topo_disk){.path = "/img/a.raw"};
	v1->disks[1] = (struct topo_disk){.path = "/img/b \"x\".raw", .readonly = true};
	v1->n_disks = 2;
	fx_iface(t, v1, "lan", "10.0.0.2");
	fx_iface(t, v1, "net2", "192.168.5.2");

	struct topo_node *v2 = fx_node(t, "vm2", NODE_VM);
	v2->firmware = "/fw/hypervisor-fw";
	v2->guest_ip = true;                    /* no cmdline, no gateway */
	fx_iface(t, v2, "net2", "192.168.5.3");

	struct topo_node *v3 = fx_node(t, "vm3", NODE_VM);
	v3->kernel = "/k/vmlinux";
	v3->guest_ip = true;                    /* but eth0 has no ip: nothing appended */
	fx_iface(t, v3, "lan", NULL);
	fx_iface(t, v3, "net2", "192.168.5.4");

	struct topo_node *v4 = fx_node(t, "vm4", NODE_VM);
	v4->kernel = "/k/vmlinux";
	v4->cmdline = "quiet";                  /* no guest_ip, no interfaces */
	return t;
}

static const char vm_expected[] =
	"bridge/lan [bridge]\n"
	"  mtu=1400\n"
	"  name=br-lan\n"
	"addr/lan [addr]\n"
	"  address=10.0.0.1/24\n"
	"  dev=br-lan\n"
	"  <- bridge/lan\n"
	"bridge/net2 [bridge]\n"
	"  name=br-net2\n"
	"tap/vm1.eth0 [tap]\n"
	"  bridge=br-lan\n"
	"  mtu=1400\n"
	"  name=h-vm1-0\n"
	"  <- bridge/lan\n"
	"tap/vm1.eth1 [tap]\n"
	"  bridge=br-net2\n"
	"  name=h-vm1-1\n"
	"  <- bridge/net2\n"
	"vmm/vm1 [vmm]\n"
	"  binary=/opt/ch/cloud-hypervisor\n"
	"  socket=/run/aspen/vmc/vm1.sock\n"
	"  <- tap/vm1.eth0\n"
	"  <- tap/vm1.eth1\n"
	"vm/vm1 [vm]\n"
	"  cmdline=console=hvc0 root=/dev/vda ip=10.0.0.2::10.0.0.1:255.255.255.0:vm1:eth0:off\n"
	"  console=log\n"
	"  cpus=2\n"
	"  disks=[{\"path\":\"/img/a.raw\",\"readonly\":false},"
	"{\"path\":\"/img/b \\\"x\\\".raw\",\"readonly\":true}]\n"
	"  initramfs=/k/initrd\n"
	"  kernel=/k/vmlinux\n"
	"  memory=1073741824\n"
	"  net=[{\"tap\":\"h-vm1-0\",\"mac\":\"02:00:00:00:01:00\"},"
	"{\"tap\":\"h-vm1-1\",\"mac\":\"02:00:00:00:01:01\"}]\n"
	"  serial=off\n"
	"  <- vmm/vm1\n"
	"tap/vm2.eth0 [tap]\n"
	"  bridge=br-net2\n"
	"  name=h-vm2-0\n"
	"  <- bridge/net2\n"
	"vmm/vm2 [vmm]\n"
	"  binary=\n"
	"  socket=/run/aspen/vmc/vm2.sock\n"
	"  <- tap/vm2.eth0\n"
	"vm/vm2 [vm]\n"
	"  cmdline=ip=192.168.5.3:::255.255.254.0:vm2:eth0:off\n"
	"  cpus=1\n"
	"  firmware=/fw/hypervisor-fw\n"
	"  memory=536870912\n"
	"  net=[{\"tap\":\"h-vm2-0\",\"mac\":\"02:00:00:00:02:00\"}]\n"
	"  <- vmm/vm2\n"
	"tap/vm3.eth0 [tap]\n"
	"  bridge=br-lan\n"
	"  mtu=1400\n"
	"  name=h-vm3-0\n"
	"  <- bridge/lan\n"
	"tap/vm3.eth1 [tap]\n"
	"  bridge=br-net2\n"
	"  name=h-vm3-1\n"
	"  <- bridge/net2\n"
	"vmm/vm3 [vmm]\n"
	"  binary=\n"
	"  socket=/run/aspen/vmc/vm3.sock\n"
	"  <- tap/vm3.eth0\n"
	"  <- tap/vm3.eth1\n"
	"vm/vm3 [vm]\n"
	"  cpus=1\n"
	"  kernel=/k/vmlinux\n"
	"  memory=536870912\n"
	"  net=[{\"tap\":\"h-vm3-0\",\"mac\":\"02:00:00:00:03:00\"},"
	"{\"tap\":\"h-vm3-1\",\"mac\":\"02:00:00:00:03:01\"}]\n"
	"  <- vmm/vm3\n"
	"vmm/vm4 [vmm]\n"
	"  binary=\n"
	"  socket=/run/aspen/vmc/vm4.sock\n"
	"vm/vm4 [vm]\n"
	"  cmdline=quiet\n"
	"  cpus=1\n"
	"  kernel=/k/vmlinux\n"
	"  memory=536870912\n"
	"  <- vmm/vm4\n";

static void test_vm_cluster(void **state)
{
	(void)state;
	struct topology *t = vm_cluster();
	struct res_list l = {0};
	topo_lower(t, &l);
	char *got = dump(&l);
	assert_text(got, vm_expected);
	free(got);
	topo_free(t);
}

/* ---------------- environment details ---------------- */

/* Control characters in user values are escaped; keys stay sorted; a user
 * key wins over a generated one. (What the process driver derives from the
 * cluster string is tested in test_nodeenv.c.) */
static void test_env_edge_cases(void **state)
{
	(void)state;
	struct topology *t = fx_topology("e", 4);
	fx_network(t, "n", "10.9.0.0/24", NULL, 0);
	struct topo_node *a = fx_node(t, "a-b", NODE_NETNS);
	fx_iface(t, a, "n", "10.9.0.2");
	fx_command(t, a, (const char *const[]){"x", NULL});
	fx_env(t, a, "Z", "tab\there\nnl\\");
	fx_env(t, a, "A", "");
	fx_env(t, a, "ASPEN_IP_A_B", "override");      /* a shared key, overridden */
	struct topo_node *b = fx_node(t, "a_b", NODE_NETNS);
	fx_iface(t, b, "n", "10.9.0.3");
	struct res_list l = {0};
	topo_lower(t, &l);
	const struct resource *p = fx_find(&l, "process/a-b");
	assert_non_null(p);
	assert_string_equal(res_get(p, "env"),
			    "{\"A\":\"\",\"ASPEN_IP_A_B\":\"override\",\"ASPEN_NODE\":\"a-b\","
			    "\"ASPEN_NODE_IP\":\"10.9.0.2\",\"ASPEN_TOPOLOGY\":\"e\","
			    "\"Z\":\"tab\\there\\nnl\\\\\"}");
	assert_string_equal(res_get(p, "cluster"), "a-b=10.9.0.2 a_b=10.9.0.3");
	/* No gateway anywhere: no route, and the process does not wait for one. */
	assert_null(fx_find(&l, "route/a-b"));
	assert_int_equal(p->n_deps, 3);         /* netns, veth, addr */
	assert_null(fx_find(&l, "process/a_b"));   /* no command */
	topo_free(t);
}

/* A node without any address gets no ASPEN_NODE_IP and is not a peer. */
static void test_env_without_ip(void **state)
{
	(void)state;
	struct topology *t = fx_topology("e", 4);
	fx_network(t, "n", "10.9.0.0/24", "10.9.0.1", 0);
	struct topo_node *a = fx_node(t, "solo", NODE_NETNS);
	fx_iface(t, a, "n", NULL);
	fx_command(t, a, (const char *const[]){"sh", "-c", "echo \"$ASPEN_NODE\"", NULL});
	struct res_list l = {0};
	topo_lower(t, &l);
	const struct resource *p = fx_find(&l, "process/solo");
	assert_non_null(p);
	assert_string_equal(res_get(p, "argv"), "[\"sh\",\"-c\",\"echo \\\"$ASPEN_NODE\\\"\"]");
	assert_string_equal(res_get(p, "env"), "{\"ASPEN_NODE\":\"solo\",\"ASPEN_TOPOLOGY\":\"e\"}");
	assert_string_equal(res_get(p, "cluster"), "solo");
	assert_null(fx_find(&l, "route/solo"));     /* the gateway is unusable without an address */
	topo_free(t);
}

/* The same topology lowers to the same bytes, and every dependency names a
 * resource that appears earlier in the list. */
static void test_deterministic_and_ordered(void **state)
{
	(void)state;
	struct topology *t1 = netns_cluster(), *t2 = netns_cluster();
	struct res_list l1 = {0}, l2 = {0};
	topo_lower(t1, &l1);
	topo_lower(t2, &l2);
	char *a = dump(&l1), *b = dump(&l2);
	assert_string_equal(a, b);
	for (size_t i = 0; i < l1.n; i++)
		for (size_t k = 0; k < l1.v[i].n_deps; k++) {
			bool seen = false;
			for (size_t j = 0; j < i && !seen; j++)
				seen = strcmp(l1.v[j].id, l1.v[i].deps[k]) == 0;
			assert_true(seen);
		}
	free(a);
	free(b);
	topo_free(t1);
	topo_free(t2);
}

/* Many nodes: the cluster string lists every node once, and every process
 * resource shares that one string (lowering stays linear). */
static void test_large_cluster(void **state)
{
	(void)state;
	enum { N = 300 };
	struct topology *t = fx_big_cluster(N);
	struct res_list l = {0};
	topo_lower(t, &l);
	assert_int_equal(l.n, 2 + (size_t)N * 5);
	const char *c7 = res_get(fx_find(&l, "process/node7"), "cluster");
	const char *c0 = res_get(fx_find(&l, "process/node0"), "cluster");
	assert_ptr_equal(c7, c0);
	assert_true(strncmp(c0, "node0=10.0.0.2 node1=10.0.0.3 ", 30) == 0);
	assert_non_null(strstr(c0, " node6=10.0.0.8 node7=10.0.0.9 node8=10.0.0.10 "));
	assert_non_null(strstr(c0, " node299=10.0.1.45"));
	assert_string_equal(res_get(fx_find(&l, "process/node7"), "env"),
			    "{\"ASPEN_NODE\":\"node7\",\"ASPEN_NODE_IP\":\"10.0.0.9\",\"ASPEN_TOPOLOGY\":\"big\"}");
	topo_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netns_cluster),
		cmocka_unit_test(test_vm_cluster),
		cmocka_unit_test(test_env_edge_cases),
		cmocka_unit_test(test_env_without_ip),
		cmocka_unit_test(test_deterministic_and_ordered),
		cmocka_unit_test(test_large_cluster),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_decode.c — the decoder: good files give the expected struct values,
 * defaults merge by kind, relative paths resolve against the file's folder,
 * and every error class is reported at its exact line:column while decoding
 * goes on. */
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compiler/compile.h"

#define SEC 1000000ull
#define MS 1000ull

static struct diag_list dl;

static struct topology *load(const char *path, const char *src)
{
	diag_init(&dl, path);
	return topo_decode_buffer(path, src, strlen(src), &dl);
}

static void dump_diags(void)
{
	diag_print(&dl, stderr, DIAG_TEXT, false);
}

static void done(struct topology *t)
{
	topo_free(t);
	diag_clear(&dl);
}

static char *cwd_join(const char *rel)
{
	char *cwd = getcwd(NULL, 0);
	assert_non_null(cwd);
	char *s = NULL;
	assert_true(asprintf(&s, "%s%s%s", cwd, *rel ? "/" : "", rel) > 0);
	free(cwd);
	return s;
}

static const char example[] =
	"# yaml-language-server: $schema=../schemas/aspen-v1.schema.json\n"  /* 1 */
	"apiVersion: aspen/v1\n"                                              /* 2 */
	"name: cluster3\n"                                                    /* 3 */
	"defaults:\n"                                                         /* 4 */
	"  kind: vm\n"                                                        /* 5 */
	"  cpus: 2\n"                                                         /* 6 */
	"  memory: 512M\n"                                                    /* 7 */
	"  kernel: ./vmlinux\n"                                               /* 8 */
	"  cmdline: \"console=hvc0 root=/dev/vda rw\"\n"                      /* 9 */
	"networks:\n"                                                         /* 10 */
	"  lan: {subnet: 10.100.0.0/24, gateway: 10.100.0.1}\n"               /* 11 */
	"nodes:\n"                                                            /* 12 */
	"  node1:\n"                                                          /* 13 */
	"    interfaces: [{network: lan, ip: 10.100.0.2}]\n"                  /* 14 */
	"    disks: [{path: ./images/node1.raw}]\n"                           /* 15 */
	"    health: {tcp: 10.100.0.2:7000, timeout: 30s}\n"                  /* 16 */
	"  node2: {interfaces: [{network: lan, ip: 10.100.0.3}]}\n"           /* 17 */
	"faults:\n"                                                           /* 18 */
	"  - {at: 5s, for: 10s, partition: [[node1], [node2]]}\n"             /* 19 */
	"  - {at: 20s, for: 5s, latency: {nodes: [node2], delay: 100ms, jitter: 10ms}}\n"
	"  - {at: 30s, kill: node2}\n"                                        /* 21 */
	"  - {at: 35s, start: node2}\n";                                      /* 22 */

static void test_language_example(void **state)
{
	(void)state;
	struct topology *t = load("topo/cluster3.yaml", example);
	assert_non_null(t);
	if (dl.n)
		dump_diags();
	assert_int_equal(dl.n, 0);
	assert_string_equal(t->api_version, "aspen/v1");
	assert_string_equal(t->name, "cluster3");
	assert_int_equal(t->name_pos.line, 3);
	assert_int_equal(t->name_pos.col, 7);
	assert_string_equal(t->file, "topo/cluster3.yaml");
	char *dir = cwd_join("topo");
	assert_string_equal(t->dir, dir);

	assert_int_equal(t->n_networks, 1);
	struct topo_network *lan = &t->networks[0];
	assert_string_equal(lan->name, "lan");
	assert_int_equal(lan->pos.line, 11);
	assert_int_equal(lan->pos.col, 3);
	assert_int_equal(lan->subnet.addr, 0x0a640000u);
	assert_int_equal(lan->subnet.len, 24);
	assert_int_equal(lan->subnet_pos.col, 17);
	assert_true(lan->has_gateway);
	assert_int_equal(lan->gateway, 0x0a640001u);
	assert_null(lan->bridge);
	assert_int_equal(lan->mtu, 0);

	assert_int_equal(t->n_nodes, 2);
	struct topo_node *n1 = &t->nodes[0], *n2 = &t->nodes[1];
	assert_string_equal(n1->name, "node1");
	assert_string_equal(n2->name, "node2");
	assert_int_equal(n1->pos.line, 13);
	assert_int_equal(n1->pos.col, 3);
	for (int i = 0; i < 2; i++) {
		struct topo_node *n = &t->nodes[i];
		assert_int_equal(n->kind, NODE_VM);
		assert_int_equal(n->cpus, 2);
		assert_int_equal(n->memory, 512ull << 20);
		char *k = NULL;
		assert_true(asprintf(&k, "%s/vmlinux", dir) > 0);
		assert_string_equal(n->kernel, k);
		free(k);
		assert_string_equal(n->cmdline, "console=hvc0 root=/dev/vda rw");
		assert_string_equal(n->console, "log");
		assert_string_equal(n->serial, "off");
		assert_false(n->guest_ip);
		assert_null(n->initramfs);
		assert_null(n->firmware);
		assert_null(n->binary);
		assert_int_equal(n->command.n, 0);
		assert_int_equal(n->n_ifaces, 1);
		assert_string_equal(n->ifaces[0].network, "lan");
		assert_true(n->ifaces[0].has_ip);
		assert_false(n->ifaces[0].has_mac);
	}
	assert_int_equal(n1->ifaces[0].ip, 0x0a640002u);
	assert_int_equal(n1->ifaces[0].pos.line, 14);
	assert_int_equal(n1->ifaces[0].pos.col, 18);
	assert_int_equal(n1->ifaces[0].ip_pos.col, 37);
	assert_int_equal(n2->ifaces[0].ip, 0x0a640003u);
	assert_int_equal(n1->n_disks, 1);
	char *disk = NULL;
	assert_true(asprintf(&disk, "%s/images/node1.raw", dir) > 0);
	assert_string_equal(n1->disks[0].path, disk);
	free(disk);
	assert_false(n1->disks[0].readonly);
	assert_int_equal(n2->n_disks, 0);
	assert_true(n1->health.set);
	assert_true(n1->health.has_tcp);
	assert_int_equal(n1->health.tcp_ip, 0x0a640002u);
	assert_int_equal(n1->health.tcp_port, 7000);
	assert_int_equal(n1->health.timeout_us, 30 * SEC);
	assert_int_equal(n1->health.interval_us, 200 * MS);
	assert_false(n2->health.set);
	assert_int_equal(n2->health.timeout_us, 30 * SEC);

	assert_int_equal(t->n_faults, 4);
	struct topo_fault *f = t->faults;
	assert_int_equal(f[0].kind, FAULT_PARTITION);
	assert_int_equal(f[0].at_us, 5 * SEC);
	assert_true(f[0].has_for);
	assert_int_equal(f[0].for_us, 10 * SEC);
	assert_int_equal(f[0].pos.line, 19);
	assert_int_equal(f[0].kind_pos.line, 19);
	assert_int_equal(f[0].kind_pos.col, 24);
	assert_int_equal(f[0].u.partition.mode, PART_GROUPS);
	assert_int_equal(f[0].u.partition.n_groups, 2);
	assert_int_equal(f[0].u.partition.groups[0].n, 1);
	assert_string_equal(f[0].u.partition.groups[0].v[0].node, "node1");
	assert_null(f[0].u.partition.groups[0].v[0].iface);
	assert_string_equal(f[0].u.partition.groups[1].v[0].node, "node2");
	assert_int_equal(f[1].kind, FAULT_LATENCY);
	assert_int_equal(f[1].u.impair.delay_us, 100 * MS);
	assert_int_equal(f[1].u.impair.jitter_us, 10 * MS);
	assert_int_equal(f[1].u.impair.direction, DIR_EGRESS);
	assert_int_equal(f[1].u.impair.targets.n, 1);
	assert_string_equal(f[1].u.impair.targets.v[0].node, "node2");
	assert_int_equal(f[2].kind, FAULT_KILL);
	assert_false(f[2].has_for);
	assert_int_equal(f[2].u.node.targets.n, 1);
	assert_string_equal(f[2].u.node.targets.v[0].node, "node2");
	assert_int_equal(f[2].u.node.targets.v[0].pos.line, 21);
	assert_int_equal(f[2].u.node.targets.v[0].pos.col, 21);
	assert_int_equal(f[3].kind, FAULT_START);
	assert_int_equal(f[3].at_us, 35 * SEC);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(f[i].index, i);
	free(dir);
	done(t);
}

static void test_defaults_by_kind(void **state)
{
	(void)state;
	const char *src =
		"apiVersion: aspen/v1\n"
		"name: mix\n"
		"nodes:\n"
		"  v1: {}\n"
		"  n1: {kind: netns}\n"
		"  n2: {kind: netns, command: [echo, hi], env: {B: '2'}}\n"
		"  v2: {cpus: 8, memory: 1G, console: tty, guest_ip: true}\n"
		"defaults:\n"               /* after nodes: order in the file does not matter */
		"  cpus: 4\n"
		"  serial: log\n"
		"  command: sleep 100\n"
		"  env: {A: '1', N: 5}\n"
		"  workdir: work\n"
		"  firmware: /fw/hypervisor-fw\n"
		"  health: {ping: 10.0.0.1, interval: 1s}\n";
	struct topology *t = load("/srv/t.yaml", src);
	assert_non_null(t);
	if (dl.n)
		dump_diags();
	assert_int_equal(dl.n, 0);
	assert_string_equal(t->dir, "/srv");
	assert_int_equal(t->n_nodes, 4);
	struct topo_node *v1 = &t->nodes[0], *n1 = &t->nodes[1], *n2 = &t->nodes[2],
			 *v2 = &t->nodes[3];
	assert_string_equal(v1->name, "v1");
	assert_string_equal(n1->name, "n1");
	assert_string_equal(v2->name, "v2");

	assert_int_equal(v1->kind, NODE_VM);
	assert_int_equal(v1->cpus, 4);
	assert_int_equal(v1->memory, 512ull << 20);
	assert_string_equal(v1->serial, "log");
	assert_string_equal(v1->console, "log");
	assert_string_equal(v1->firmware, "/fw/hypervisor-fw");
	assert_int_equal(v1->command.n, 0);     /* netns field: not for vm nodes */
	assert_int_equal(v1->n_env, 0);
	assert_null(v1->workdir);
	assert_true(v1->health.set);            /* both kinds */
	assert_true(v1->health.has_ping);
	assert_int_equal(v1->health.interval_us, 1 * SEC);
	assert_int_equal(v1->health.timeout_us, 30 * SEC);

	assert_int_equal(n1->kind, NODE_NETNS);
	assert_int_equal(n1->cpus, 0);          /* vm field: not for netns nodes */
	assert_null(n1->firmware);
	assert_null(n1->serial);
	assert_int_equal(n1->command.n, 2);
	assert_string_equal(n1->command.v[0], "sleep");
	assert_string_equal(n1->command.v[1], "100");
	assert_int_equal(n1->n_env, 2);
	assert_string_equal(n1->env[0].key, "A");
	assert_string_equal(n1->env[0].value, "1");
	assert_string_equal(n1->env[1].value, "5");
	assert_string_equal(n1->workdir, "/srv/work");
	assert_true(n1->health.has_ping);

	assert_int_equal(n2->command.n, 2);     /* its own wins */
	assert_string_equal(n2->command.v[0], "echo");
	assert_int_equal(n2->n_env, 1);         /* field-level: env replaced, not merged */
	assert_string_equal(n2->env[0].key, "B");

	assert_int_equal(v2->cpus, 8);
	assert_int_equal(v2->memory, 1ull << 30);
	assert_string_equal(v2->console, "tty");
	assert_true(v2->guest_ip);
	done(t);

	/* defaults.kind makes nodes netns unless they say otherwise. */
	t = load("k.yaml", "apiVersion: aspen/v1\nname: k\ndefaults: {kind: netns, command: 'a b'}\n"
			   "nodes: {a: {}, b: {kind: vm, kernel: /k}}\n");
	assert_int_equal(dl.n, 0);
	assert_int_equal(t->nodes[0].kind, NODE_NETNS);
	assert_int_equal(t->nodes[0].command.n, 2);
	assert_int_equal(t->nodes[1].kind, NODE_VM);
	assert_int_equal(t->nodes[1].command.n, 0);
	assert_int_equal(t->nodes[1].cpus, 1);
	done(t);
}

static void test_paths(void **state)
{
	(void)state;
	const char *src =
		"apiVersion: aspen/v1\nname: p\nnodes:\n"
		"  a:\n"
		"    kernel: vmlinux\n"
		"    initramfs: ../initrd.img\n"
		"    firmware: /abs/fw\n"
		"    binary: cloud-hypervisor\n"
		"    disks: [{path: ./d/x.raw, readonly: true}, {path: /x.raw}]\n"
		"  b: {binary: ./bin/ch, kernel: '././k'}\n"
		"  c: {kind: netns, workdir: ., command: x}\n";
	struct topology *t = load("./sub//dir/./t.yaml", src);
	if (dl.n)
		dump_diags();
	assert_int_equal(dl.n, 0);
	char *dir = cwd_join("sub/dir");
	assert_string_equal(t->dir, dir);
	char buf[4096];
	struct topo_node *a = &t->nodes[0], *b = &t->nodes[1], *c = &t->nodes[2];
	snprintf(buf, sizeof(buf), "%s/vmlinux", dir);
	assert_string_equal(a->kernel, buf);
	snprintf(buf, sizeof(buf), "%s/../initrd.img", dir);
	assert_string_equal(a->initramfs, buf);
	assert_string_equal(a->firmware, "/abs/fw");
	assert_string_equal(a->binary, "cloud-hypervisor");   /* looked up on PATH */
	snprintf(buf, sizeof(buf), "%s/d/x.raw", dir);
	assert_string_equal(a->disks[0].path, buf);
	assert_true(a->disks[0].readonly);
	assert_string_equal(a->disks[1].path, "/x.raw");
	assert_false(a->disks[1].readonly);
	snprintf(buf, sizeof(buf), "%s/bin/ch", dir);
	assert_string_equal(b->binary, buf);
	snprintf(buf, sizeof(buf), "%s/k", dir);
	assert_string_equal(b->kernel, buf);
	assert_string_equal(c->workdir, dir);
	free(dir);
	done(t);

	t = load("t.yaml", "apiVersion: aspen/v1\nname: p\nnodes: {a: {kernel: k}}\n");
	dir = cwd_join("");
	assert_string_equal(t->dir, dir);
	free(dir);
	done(t);
	t = load("/t.yaml", "apiVersion: aspen/v1\nname: p\nnodes: {a: {kernel: k}}\n");
	assert_string_equal(t->dir, "/");
	assert_string_equal(t->nodes[0].kernel, "/k");
	done(t);
}

/* restart_on: the node's own changes always restart it; peers may not. */
static void test_restart_on(void **state)
{
	(void)state;
	struct topology *t = load("r.yaml",
		"apiVersion: aspen/v1\nname: r\ndefaults: {kind: netns, restart_on: [own]}\n"
		"nodes: {a: {}, b: {restart_on: [own, peers]}, c: {restart_on: own}}\n");
	if (dl.n)
		dump_diags();
	assert_int_equal(dl.n, 0);
	assert_true(t->nodes[0].keep_on_peers);
	assert_false(t->nodes[1].keep_on_peers);
	assert_true(t->nodes[2].keep_on_peers);
	done(t);
	t = load("r.yaml",
		 "apiVersion: aspen/v1\nname: r\ndefaults: {kind: netns}\n"
		 "nodes:\n"
		 "  a: {restart_on: [peers]}\n"          /* 5 */
		 "  b: {restart_on: [own, peer]}\n"      /* 6 */
		 "  c: {restart_on: []}\n");             /* 7 */
	assert_int_equal(dl.n_errors, 3);
	assert_int_equal(dl.v[0].pos.line, 5);
	assert_int_equal(dl.v[0].pos.col, 19);
	assert_non_null(strstr(dl.v[0].msg, "restart_on needs `own`"));
	assert_non_null(strstr(dl.v[0].hint, "`restart_on: [own]`"));
	assert_int_equal(dl.v[1].pos.line, 6);
	assert_int_equal(dl.v[1].pos.col, 25);
	assert_string_equal(dl.v[1].msg, "expected own or peers, got \"peer\"");
	assert_string_equal(dl.v[1].hint, "did you mean \"peers\"?");
	assert_int_equal(dl.v[2].pos.line, 7);
	done(t);
}

static void test_fault_forms(void **state)
{
	(void)state;
	const char *src =
		"apiVersion: aspen/v1\nname: f\nnodes: {a: {}, b: {}, c: {}}\n"
		"faults:\n"
		"  - {at: 0, partition: {from: [a, b.eth1], to: c}}\n"
		"  - {at: 1s, partition: {isolate: a}, name: cut-a}\n"
		"  - {at: 2s, partition: [a, [b, c]]}\n"
		"  - {at: 3s, loss: {targets: a.eth0, percent: 5%, correlation: 25}}\n"
		"  - {at: 4s, loss: {nodes: a, percent: 0.5, direction: ingress}}\n"
		"  - {at: 5s, reorder: {nodes: [a], percent: 10%}}\n"
		"  - {at: 6s, rate: {nodes: [a], rate: 1mbps, burst: 32K}}\n"
		"  - {at: 7s, for: 1m30s, link-down: [a.eth0, b]}\n"
		"  - {at: 8s, link-down: {nodes: c}}\n"
		"  - {at: 9s, duplicate: {nodes: a, percent: 1%}}\n"
		"  - {at: 10s, corrupt: {nodes: a, percent: 2%}}\n"
		"  - {at: 11s, pause: [a, b], for: 2s}\n"
		"  - {at: 12s, resume: a}\n"
		"  - {at: 13s, restart: a}\n"
		"  - {at: 14s, reboot: [c]}\n";
	struct topology *t = load("f.yaml", src);
	if (dl.n)
		dump_diags();
	assert_int_equal(dl.n, 0);
	assert_int_equal(t->n_faults, 15);
	struct topo_fault *f = t->faults;
	assert_int_equal(f[0].at_us, 0);
	assert_int_equal(f[0].u.partition.mode, PART_ONEWAY);
	assert_int_equal(f[0].u.partition.n_groups, 2);
	assert_int_equal(f[0].u.partition.groups[0].n, 2);
	assert_string_equal(f[0].u.partition.groups[0].v[1].node, "b");
	assert_string_equal(f[0].u.partition.groups[0].v[1].iface, "eth1");
	assert_string_equal(f[0].u.partition.groups[1].v[0].node, "c");
	assert_int_equal(f[1].u.partition.mode, PART_ISOLATE);
	assert_int_equal(f[1].u.partition.n_groups, 1);
	assert_string_equal(f[1].u.partition.groups[0].v[0].node, "a");
	assert_string_equal(f[1].label, "cut-a");
	assert_int_equal(f[2].u.partition.mode, PART_GROUPS);
	assert_int_equal(f[2].u.partition.n_groups, 2);
	assert_int_equal(f[2].u.partition.groups[0].n, 1);
	assert_int_equal(f[2].u.partition.groups[1].n, 2);
	assert_int_equal(f[3].kind, FAULT_LOSS);
	assert_string_equal(f[3].u.impair.targets.v[0].iface, "eth0");
	assert_true(f[3].u.impair.percent == 5.0);
	assert_true(f[3].u.impair.correlation == 25.0);
	assert_int_equal(f[3].u.impair.direction, DIR_BOTH);
	assert_int_equal(f[4].u.impair.direction, DIR_INGRESS);
	assert_true(f[4].u.impair.percent == 0.5);
	assert_int_equal(f[5].kind, FAULT_REORDER);
	assert_int_equal(f[5].u.impair.delay_us, 10 * MS);     /* default */
	assert_int_equal(f[6].kind, FAULT_RATE);
	assert_int_equal(f[6].u.impair.rate_bps, 8000000);
	assert_int_equal(f[6].u.impair.burst_bytes, 32768);
	assert_int_equal(f[7].kind, FAULT_LINK_DOWN);
	assert_int_equal(f[7].for_us, 90 * SEC);
	assert_int_equal(f[7].u.link.targets.n, 2);
	assert_string_equal(f[7].u.link.targets.v[0].iface, "eth0");
	assert_null(f[7].u.link.targets.v[1].iface);
	assert_int_equal(f[8].u.link.targets.n, 1);
	assert_int_equal(f[9].kind, FAULT_DUPLICATE);
	assert_int_equal(f[10].kind, FAULT_CORRUPT);
	assert_int_equal(f[11].kind, FAULT_PAUSE);
	assert_int_equal(f[11].u.node.targets.n, 2);
	assert_int_equal(f[12].kind, FAULT_RESUME);
	assert_int_equal(f[13].kind, FAULT_RESTART);
	assert_int_equal(f[14].kind, FAULT_REBOOT);
	done(t);
}

static void test_misc_values(void **state)
{
	(void)state;
	const char *src =
		"apiVersion: aspen/v1\nname: m\n"
		"networks:\n"
		"  n1: {subnet: 10.1.0.0/16, bridge: br-test, mtu: 9000}\n"
		"  n0: {subnet: 10.0.0.0/8}\n"
		"nodes:\n"
		"  x:\n"
		"    kind: netns\n"
		"    command: \"sh -c 'echo $A'\"\n"
		"    interfaces:\n"
		"      - {network: n1, mac: 02:00:00:00:00:0A}\n"
		"      - network: n0\n"
		"        ip: 10.0.0.9\n"
		"    health:\n"
		"      exec: [test, -f, /tmp/ok]\n"
		"      tcp: 10.1.0.2:80\n";
	struct topology *t = load("m.yaml", src);
	if (dl.n)
		dump_diags();
	assert_int_equal(dl.n, 0);
	assert_string_equal(t->networks[0].name, "n1");        /* file order */
	assert_string_equal(t->networks[1].name, "n0");
	assert_string_equal(t->networks[0].bridge, "br-test");
	assert_int_equal(t->networks[0].mtu, 9000);
	assert_false(t->networks[1].has_gateway);
	struct topo_node *x = &t->nodes[0];
	assert_int_equal(x->command.n, 3);
	assert_string_equal(x->command.v[2], "echo $A");
	assert_int_equal(x->command.pos.line, 9);
	assert_int_equal(x->n_ifaces, 2);
	assert_true(x->ifaces[0].has_mac);
	assert_int_equal(x->ifaces[0].mac[5], 0x0a);
	assert_false(x->ifaces[0].has_ip);
	assert_int_equal(x->ifaces[1].pos.line, 12);
	assert_int_equal(x->ifaces[1].pos.col, 9);
	assert_int_equal(x->ifaces[1].ip, 0x0a000009u);
	assert_int_equal(x->health.exec.n, 3);
	assert_string_equal(x->health.exec.v[2], "/tmp/ok");
	assert_int_equal(x->health.tcp_port, 80);
	done(t);

	/* Aliases share a subtree; each use decodes on its own. */
	t = load("a.yaml", "apiVersion: aspen/v1\nname: a\n"
			   "nodes:\n  a: &n {cpus: 3, kernel: /k}\n  b: *n\n  c:\n");
	assert_int_equal(dl.n, 0);
	assert_int_equal(t->n_nodes, 3);
	assert_int_equal(t->nodes[1].cpus, 3);
	assert_string_equal(t->nodes[1].name, "b");
	assert_int_equal(t->nodes[2].cpus, 1);  /* a null node is an empty one */
	done(t);
}

/* Load src and require exactly the listed diagnostics, in order after
 * sorting: "LINE:COL: substring". */
static void expect_errors(const char *src, const char *const *want, size_t n)
{
	struct topology *t = load("e.yaml", src);
	diag_sort(&dl);
	bool ok = dl.n == n;
	for (size_t i = 0; ok && i < n; i++) {
		unsigned line, col;
		int off = 0;
		assert_true(sscanf(want[i], "%u:%u: %n", &line, &col, &off) == 2);
		const struct diag *g = &dl.v[i];
		if (g->pos.line != line || g->pos.col != col || !strstr(g->msg, want[i] + off))
			ok = false;
	}
	if (!ok) {
		fprintf(stderr, "--- source:\n%s--- want:\n", src);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "%s\n", want[i]);
		fprintf(stderr, "--- got:\n");
		dump_diags();
		fail();
	}
	done(t);
}
#define EXPECT(src, ...)                                                                   \
	do {                                                                               \
		const char *const w_[] = {__VA_ARGS__};                                    \
		expect_errors(src, w_, sizeof(w_) / sizeof(w_[0]));                        \
	} while (0)

#define HEAD "apiVersion: aspen/v1\nname: e\n"   /* lines 1-2 */

static void test_error_positions(void **state)
{
	(void)state;
	/* Unknown key: at the key, with a hint. */
	EXPECT(HEAD "nodes:\n  a:\n    memroy: 1G\n", "5:5: unknown key \"memroy\"");
	EXPECT(HEAD "nodes: {a: {}}\nnodez: {}\n", "4:1: unknown key \"nodez\"");
	/* Missing required keys: at the key of the enclosing mapping. */
	EXPECT("name: e\nnodes: {a: {}}\n", "1:1: missing required key \"apiVersion\"");
	EXPECT(HEAD "networks:\n  lan: {gateway: 10.0.0.1}\nnodes: {a: {}}\n",
	       "4:3: missing required key \"subnet\"");
	EXPECT(HEAD "networks:\n  lan:\nnodes: {a: {}}\n", "4:3: missing required key \"subnet\"");
	EXPECT(HEAD "nodes:\n  a:\n    interfaces:\n      - ip: 10.0.0.2\n",
	       "6:9: missing required key \"network\"");
	EXPECT(HEAD "nodes:\n  a:\n    disks: [{readonly: true}]\n",
	       "5:13: missing required key \"path\"");
	EXPECT(HEAD, "1:1: missing required key \"nodes\"");
	EXPECT(HEAD "nodes: {}\n", "3:8: at least one node");
	/* Bad values: at the value. */
	EXPECT(HEAD "nodes: {a: {cpus: 0}}\n", "3:19: expected a whole number from 1 to 255");
	EXPECT(HEAD "nodes: {a: {cpus: [1]}}\n", "3:19: got a list");
	EXPECT(HEAD "nodes: {a: {memory: 512MB}}\n", "3:21: expected a size");
	EXPECT(HEAD "nodes: {a: {console: file}}\n", "3:22: expected one of off, log, tty");
	EXPECT(HEAD "nodes: {a: {guest_ip: yes}}\n", "3:23: expected true or false, got \"yes\"");
	EXPECT(HEAD "nodes: {a: {kind: container}}\n", "3:19: expected one of vm, netns");
	EXPECT(HEAD "nodes: {a: {health: {timeout: 5 seconds}}}\n",
	       "3:31: expected a duration like 250ms, 5s or 1m30s, got \"5 seconds\"");
	EXPECT(HEAD "nodes: {a: {health: {tcp: 10.0.0.1}}}\n", "3:27: expected an address and port");
	EXPECT(HEAD "nodes: {a: {kind: netns, command: \"a 'b\"}}\n",
	       "3:35: unterminated single quote");
	EXPECT(HEAD "nodes: {a: {kind: netns, command: []}}\n", "3:35: got an empty list");
	EXPECT(HEAD "nodes: {a: {kind: netns, command: [a, {b: c}]}}\n",
	       "3:39: expected a string (one argument)");
	EXPECT(HEAD "nodes: {a: {kind: netns, env: {A: }}}\n", "3:35: expected a string");
	EXPECT(HEAD "networks: {n: {subnet: 10.0.0.0/33}}\nnodes: {a: {}}\n",
	       "3:24: expected a subnet like 10.0.0.0/24");
	EXPECT(HEAD "networks: {n: {subnet: 10.0.0.0/8, mtu: 10}}\nnodes: {a: {}}\n",
	       "3:41: expected a whole number from 68 to 65535");
	EXPECT(HEAD "nodes: {a: {interfaces: [{network: n, ip: 10.0.0.256}]}}\n",
	       "3:43: expected an IPv4 address");
	EXPECT(HEAD "nodes: {a: {interfaces: [{network: n, mac: 02:00}]}}\n",
	       "3:44: expected a MAC address");
	EXPECT(HEAD "nodes: {a: {interfaces: {network: n}}}\n", "3:25: expected a list of interfaces, got a mapping");
	EXPECT(HEAD "nodes: {a: {interfaces: [lan]}}\n", "3:26: expected a mapping (interface)");
	EXPECT(HEAD "nodes: [a, b]\n", "3:8: expected a mapping from names to nodes, got a list");
	EXPECT(HEAD "nodes: {a: 5}\n", "3:12: expected a mapping of node fields, got \"5\"");
	EXPECT("apiVersion: aspen/v2\nname: e\nnodes: {a: {}}\n",
	       "1:13: unsupported apiVersion \"aspen/v2\"");
	EXPECT("apiVersion: [aspen/v1]\nname: e\nnodes: {a: {}}\n", "1:13: expected a string");
	EXPECT("apiVersion: aspen/v1\nname:\nnodes: {a: {}}\n", "2:6: expected a name, got nothing");
	/* Wrong kind: at the key. */
	EXPECT(HEAD "nodes:\n  a:\n    command: x\n",
	       "5:5: \"command\" is a netns field, but node \"a\" is kind vm");
	EXPECT(HEAD "nodes:\n  a:\n    cpus: 2\n    kind: netns\n",
	       "5:5: \"cpus\" is a vm field, but node \"a\" is kind netns");
	EXPECT(HEAD "defaults: {kind: netns}\nnodes:\n  a: {kernel: /k}\n",
	       "5:7: \"kernel\" is a vm field, but node \"a\" is kind netns");
	EXPECT(HEAD "defaults: {interfaces: []}\nnodes: {a: {}}\n",
	       "3:12: \"interfaces\" cannot be given in defaults");
	/* Faults. */
	EXPECT(HEAD "nodes: {a: {}}\nfaults:\n  - at: 1s\n    for: 2s\n",
	       "5:5: the fault has no action");
	EXPECT(HEAD "nodes: {a: {}}\nfaults:\n  - {at: 1s, kill: a, start: a}\n",
	       "5:23: exactly one action, but this one has \"kill\" and \"start\"");
	EXPECT(HEAD "nodes: {a: {}}\nfaults:\n  - {kill: a}\n", "5:5: missing required key \"at\"");
	EXPECT(HEAD "nodes: {a: {}}\nfaults:\n  - {at: 5, kill: a}\n",
	       "5:10: expected a duration like 250ms, 5s or 1m30s, got \"5\" (missing unit");
	EXPECT(HEAD "nodes: {a: {}}\nfaults:\n  - {at: 1s, kill: a.eth0}\n",
	       "5:20: \"kill\" acts on whole nodes");
	EXPECT(HEAD "nodes: {a: {}}\nfaults:\n  - {at: 1s, kill: []}\n", "5:20: got an empty list");
	EXPECT(HEAD "nodes: {a: {}}\nfaults:\n  - {at: 1s, kill: .eth0}\n",
	       "5:20: expected a node or node.interface");
	EXPECT(HEAD "nodes: {a: {}}\nfaults:\n  - {at: 1s, latency: {nodes: a}}\n",
	       "5:14: missing required key \"delay\" in latency");
	EXPECT(HEAD "nodes: {a: {}}\nfaults:\n  - {at: 1s, loss: {percent: 5%}}\n",
	       "5:14: missing required key \"nodes\"");
	EXPECT(HEAD "nodes: {a: {}}\nfaults:\n  - {at: 1s, loss: {nodes: a, targets: a, percent: 1}}\n",
	       "5:31: both \"nodes\" and \"targets\" given");
	EXPECT(HEAD "nodes: {a: {}}\nfaults:\n  - {at: 1s, loss: {nodes: a, percent: 150%}}\n",
	       "5:40: a percentage is at most 100");
	EXPECT(HEAD "nodes: {a: {}}\nfaults:\n  - {at: 1s, loss: {nodes: a, percent: 1, direction: up}}\n",
	       "5:54: expected one of both, egress, ingress");
	EXPECT(HEAD "nodes: {a: {}}\nfaults:\n  - {at: 1s, rate: {nodes: a, rate: 10}}\n",
	       "5:37: expected a rate");
	EXPECT(HEAD "nodes: {a: {}}\nfaults:\n  - {at: 1s, latency: [a]}\n",
	       "5:23: expected a mapping of parameters");
	EXPECT(HEAD "nodes: {a: {}}\nfaults:\n  - {at: 1s, partition: {from: a}}\n",
	       "5:14: missing required key \"to\"");
	EXPECT(HEAD "nodes: {a: {}}\nfaults:\n  - {at: 1s, partition: {isolate: a, to: b}}\n",
	       "5:38: \"to\" cannot be combined with \"isolate\"");
	EXPECT(HEAD "nodes: {a: {}}\nfaults:\n  - {at: 1s, latency: {nodes: a, delay: 1s, jiter: 1ms}}\n",
	       "5:45: unknown key \"jiter\"");
	EXPECT(HEAD "nodes: {a: {}}\nfaults:\n  - kill a\n", "5:5: expected a fault like");
	EXPECT(HEAD "nodes: {a: {}}\nfaults: {at: 1s}\n", "4:9: expected a list of faults");
	/* YAML-level problems. */
	EXPECT(HEAD "nodes:\n  a: {}\n  a: {}\n", "5:3: duplicate key \"a\" (first given at line 4)");
	EXPECT(HEAD "nodes:\n  a:\n    <<: {cpus: 1}\n", "5:5: YAML merge keys (<<) are not supported");
	EXPECT(HEAD "nodes:\n  a:\n\tcpus: 1\n", "5:1: invalid YAML");
	EXPECT(HEAD "nodes: {a: {}\n", "4:1: invalid YAML");
	EXPECT(HEAD "nodes: {a: {}}\n---\nname: x\n", "4:1: a second YAML document");
	EXPECT(HEAD "nodes: {a: *x}\n", "3:12: unknown anchor");
	EXPECT(HEAD "nodes: {? [a] : {}}\n", "3:8: at least one node",
	       "3:11: a key must be a plain string, not a list");
}

static void test_all_errors_reported(void **state)
{
	(void)state;
	/* One file, many problems: all reported, in one run. */
	const char *src =
		"apiVersion: aspen/v9\n"                                /* 1 */
		"name: many\n"                                          /* 2 */
		"networks:\n"                                           /* 3 */
		"  lan: {subnet: 10.0.0.0/24, gatway: 10.0.0.1}\n"      /* 4 */
		"nodes:\n"                                              /* 5 */
		"  a:\n"                                                /* 6 */
		"    cpus: many\n"                                      /* 7 */
		"    memory: lots\n"                                    /* 8 */
		"    interfaces: [{network: lan, ip: 10.0.0.300}]\n"    /* 9 */
		"  b: {kind: netns, command: \"x 'y\", kernel: /k}\n"    /* 10 */
		"faults:\n"                                             /* 11 */
		"  - {at: soon, kill: a}\n"                             /* 12 */
		"  - {at: 1s}\n";                                       /* 13 */
	EXPECT(src, "1:13: unsupported apiVersion", "4:30: unknown key \"gatway\"",
	       "7:11: expected a whole number", "8:13: expected a size",
	       "9:37: expected an IPv4 address", "10:29: unterminated single quote",
	       "10:37: \"kernel\" is a vm field", "12:10: expected a duration",
	       "13:5: the fault has no action");
}

static void test_load_file(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/aspen-decode-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	char path[256];
	snprintf(path, sizeof(path), "%s/t.yaml", tmpl);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("apiVersion: aspen/v1\nname: f\nnodes: {a: {kernel: vmlinux}}\n", f);
	fclose(f);
	diag_init(&dl, NULL);
	struct topology *t = topo_load(path, &dl);
	assert_non_null(t);
	assert_int_equal(dl.n, 0);
	assert_string_equal(dl.file, path);     /* topo_load names the file */
	assert_string_equal(t->dir, tmpl);
	char want[300];
	snprintf(want, sizeof(want), "%s/vmlinux", tmpl);
	assert_string_equal(t->nodes[0].kernel, want);
	done(t);

	diag_init(&dl, NULL);
	assert_null(topo_load(tmpl, &dl));      /* a directory */
	assert_int_equal(dl.n_errors, 1);
	assert_non_null(strstr(dl.v[0].msg, "Is a directory"));
	diag_clear(&dl);
	unlink(path);
	rmdir(tmpl);

	diag_init(&dl, NULL);
	assert_null(topo_load(path, &dl));      /* gone */
	assert_int_equal(dl.n_errors, 1);
	assert_non_null(strstr(dl.v[0].msg, "No such file"));
	diag_clear(&dl);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_thousand_nodes(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	fputs("apiVersion: aspen/v1\nname: big\ndefaults: {kind: netns, command: [sleep, '1000']}\n"
	      "networks:\n", m);
	for (int i = 0; i < 4; i++)
		fprintf(m, "  net%d: {subnet: 10.%d.0.0/16, gateway: 10.%d.0.1}\n", i, i, i);
	fputs("nodes:\n", m);
	for (int i = 0; i < 1000; i++)
		fprintf(m, "  node%d:\n    interfaces: [{network: net%d, ip: 10.%d.%d.%d}]\n"
			   "    health: {tcp: 10.%d.%d.%d:7000}\n",
			i, i % 4, i % 4, i / 200, i % 200 + 2, i % 4, i / 200, i % 200 + 2);
	fputs("faults:\n", m);
	for (int i = 0; i < 500; i++)
		fprintf(m, "  - {at: %ds, for: 1s, loss: {nodes: node%d, percent: 5%%}}\n", i, i);
	fclose(m);

	double best = 1e9;
	for (int r = 0; r < 5; r++) {
		diag_init(&dl, "big.yaml");
		double t0 = now();
		struct topology *t = topo_load_buffer("big.yaml", buf, len, &dl);
		double dt = now() - t0;
		best = dt < best ? dt : best;
		assert_int_equal(dl.n, 0);
		assert_int_equal(t->n_nodes, 1000);
		assert_int_equal(t->n_faults, 500);
		assert_string_equal(t->nodes[999].name, "node999");
		done(t);
	}
	/* Printed, not asserted: speed belongs to `make bench`. */
	fprintf(stderr, "1000 nodes, 500 faults, %zu bytes: %.2f ms per load\n", len, best * 1e3);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_language_example),
		cmocka_unit_test(test_defaults_by_kind),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_fault_forms),
		cmocka_unit_test(test_misc_values),
		cmocka_unit_test(test_error_positions),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_restart_on),
		cmocka_unit_test(test_thousand_nodes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

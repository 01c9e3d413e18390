/* test_envsub.c — ${VAR} in node commands and health exec: what validation
 * accepts, and each unknown or malformed variable reported at its argument's
 * FILE:LINE:COL with the names that exist. (The substitution itself is
 * tested through the runtime's entry, tests/unit/test_nodeenv.c.) */
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compile.h"
#include "compiler/envsub.h"

static struct diag_list dl;

static struct topology *load(const char *src)
{
	diag_init(&dl, "t.yaml");
	return topo_load_buffer("t.yaml", src, strlen(src), &dl);
}

static char *render(void)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	assert_non_null(f);
	diag_print(&dl, f, DIAG_TEXT, false);
	fclose(f);
	return s;
}

static const char good[] =
	"apiVersion: aspen/v1\n"
	"name: subst\n"
	"networks:\n"
	"  lan: {subnet: 10.150.0.0/24, gateway: 10.150.0.1}\n"
	"nodes:\n"
	"  node-1:\n"
	"    kind: netns\n"
	"    interfaces: [{network: lan, ip: 10.150.0.2}]\n"
	"    env: {PORT: \"7000\"}\n"
	"    command: [srv, \"--listen=${ASPEN_NODE_IP}:${PORT}\", $ASPEN_OTHERS, \"--cluster=${ASPEN_PEERS}\",\n"
	"              \"--topo=${ASPEN_TOPOLOGY}/${ASPEN_NODE}\", \"${ASPEN_NODES}\", \"$$HOME\", \"${ASPEN_IP_NODE_2}\",\n"
	"              sh, -c, 'echo $1 $HOME $? $x']\n"
	"    health: {exec: \"check ${ASPEN_NODE_IP} ${PORT}\"}\n"
	"  node-2:\n"
	"    kind: netns\n"
	"    interfaces: [{network: lan, ip: 10.150.0.3}]\n"
	"    command: srv --peers=${ASPEN_OTHERS}\n";

static void test_known_names_pass(void **state)
{
	(void)state;
	struct topology *t = load(good);
	char *out = render();
	if (!t || diag_failed(&dl))
		fail_msg("%s", out);
	free(out);
	topo_free(t);
	diag_clear(&dl);
}

static const char bad[] =
	"apiVersion: aspen/v1\n"                                                  /* 1 */
	"name: subst\n"                                                           /* 2 */
	"networks:\n"                                                             /* 3 */
	"  lan: {subnet: 10.150.0.0/24, gateway: 10.150.0.1}\n"                   /* 4 */
	"nodes:\n"                                                                /* 5 */
	"  node1:\n"                                                              /* 6 */
	"    kind: netns\n"                                                       /* 7 */
	"    interfaces: [{network: lan, ip: 10.150.0.2}]\n"                      /* 8 */
	"    env: {PORT: \"7000\"}\n"                                             /* 9 */
	"    command: [srv, \"--port=${PROT}\", $HOME, \"${1}\"]\n"               /* 10 */
	"    health: {exec: \"check ${ASPEN_IP_NODE3}\"}\n"                       /* 11 */
	"  node2:\n"                                                              /* 12 */
	"    kind: netns\n"                                                       /* 13 */
	"    command: [srv, \"${ASPEN_NODE_IP}\"]\n";                             /* 14 */

static void test_unknown_reported(void **state)
{
	(void)state;
	struct topology *t = load(bad);
	assert_true(diag_failed(&dl));
	topo_free(t);
	char *out = render();
	const char *want[] = {
		"t.yaml:10:20: error: unknown variable ${PROT} in command of node node1 "
		"(nodes.node1.command[1])\n"
		"    hint: known here: ASPEN_TOPOLOGY, ASPEN_NODE, ASPEN_NODES, ASPEN_PEERS, "
		"ASPEN_OTHERS, ASPEN_NODE_IP, ASPEN_IP_NODE1; from env: PORT; write $$ for a literal $\n",
		"t.yaml:10:38: error: unknown variable $HOME in command of node node1 "
		"(nodes.node1.command[2])\n",
		"t.yaml:10:45: error: not a variable name: \"${1}\" in command of node node1 "
		"(nodes.node1.command[3])\n"
		"    hint: write ${NAME} with NAME made of letters, digits and _, or $$ for a literal $\n",
		"t.yaml:11:20: error: unknown variable ${ASPEN_IP_NODE3} in health.exec of node node1 "
		"(nodes.node1.health.exec[1])\n",
		/* node2 has no address: no ASPEN_NODE_IP */
		"t.yaml:14:20: error: unknown variable ${ASPEN_NODE_IP} in command of node node2 "
		"(nodes.node2.command[1])\n"
		"    hint: known here: ASPEN_TOPOLOGY, ASPEN_NODE, ASPEN_NODES, ASPEN_PEERS, "
		"ASPEN_OTHERS, ASPEN_IP_NODE1; write $$ for a literal $\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(out, want[i]))
			fail_msg("lacks:\n%s\ngot:\n%s", want[i], out);
	assert_int_equal(dl.n_errors, 5);
	free(out);
	diag_clear(&dl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_names_pass),
		cmocka_unit_test(test_unknown_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

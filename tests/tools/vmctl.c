/* vmctl.c — drive a VM node through runtime/vm.h, as the fault engine will.
 *
 *   vmctl TOPOLOGY NODE pause|resume|reboot|kill|state|check
 *
 * Opens the topology's runtime context (taking its lock, as a fault run
 * inside apply holds it), calls rt_vm_<verb> and prints the result: the
 * state for `state`, nothing else on success; the runtime's message and
 * exit 1 on failure. For tests/e2e/vm_lifecycle.sh. */
#include <stdio.h>
#include <string.h>

#include "runtime/runtime.h"
#include "runtime/vm.h"

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: vmctl TOPOLOGY NODE pause|resume|reboot|kill|state|check\n");
		return 64;
	}
	const char *verb = argv[3], *node = argv[2];
	struct rt_ctx c;
	struct rt_err e = {0};
	char state[16];
	int rc = -1;
	if (rt_open(&c, argv[1], (const char *const *)argv, 0, &e) == 0) {
		if (!strcmp(verb, "pause"))
			rc = rt_vm_pause(&c, node, &e);
		else if (!strcmp(verb, "resume"))
			rc = rt_vm_resume(&c, node, &e);
		else if (!strcmp(verb, "reboot"))
			rc = rt_vm_reboot(&c, node, &e);
		else if (!strcmp(verb, "kill"))
			rc = rt_vm_kill(&c, node, &e);
		else if (!strcmp(verb, "check"))
			rc = rt_vm_check(&c, node, &e);
		else if (!strcmp(verb, "state") && (rc = rt_vm_state(&c, node, state, &e)) == 0)
			printf("%s\n", state);
		else if (strcmp(verb, "state") != 0)
			snprintf(e.msg, sizeof(e.msg), "unknown verb %s", verb);
	}
	rt_close(&c);
	if (rc < 0)
		fprintf(stderr, "vmctl: %s\n", e.msg);
	return rc < 0 ? 1 : 0;
}

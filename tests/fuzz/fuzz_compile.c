/* fuzz_compile.c — libFuzzer target: any bytes through the whole front end
 * (limits, YAML tree, decoder, validation) and the diagnostic renderers,
 * and each host's lowering of a valid multi-host file.
 * The only acceptable outcomes are a topology or diagnostics; a crash, a
 * sanitizer report, a leak, a timeout or a memory blow-up is a bug.
 *
 * Built and run by tests/cli/fuzz.sh; reproduce a crash with
 *   ./fuzz_compile crash-<sha1>                                      */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "compiler/compile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	if (!sink)
		sink = fopen("/dev/null", "w");
	struct diag_list d;
	diag_init(&d, "fuzz.yaml");
	struct topology *t = topo_load_buffer("/fuzz/fuzz.yaml", (const char *)data, size, &d);
	diag_sort(&d);
	if (sink) {
		diag_print(&d, sink, DIAG_TEXT, true);
		diag_print(&d, sink, DIAG_GITHUB, false);
		diag_print(&d, sink, DIAG_JSON, false);
	}
	/* A valid multi-host file: each host's share lowers (lower.c's host
	 * filter, the vxlan props) without a crash. */
	if (t && !diag_failed(&d))
		for (size_t h = 0; h < t->n_hosts; h++) {
			struct res_list l = {0};
			topo_lower_host(t, h, &l);
		}
	topo_free(t);
	diag_clear(&d);
	return 0;
}

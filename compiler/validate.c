/* validate.c — semantic checks. Scaffold: replaced by the real checks. */
#include "compiler/compile.h"

void topo_validate(struct topology *t, struct diag_list *d)
{
	(void)t;
	(void)d;
}

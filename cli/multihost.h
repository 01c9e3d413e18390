/* multihost.h — the controller of a topology placed on several hosts
 * (docs/multihost.md).
 *
 * The controller changes nothing itself: it sends each host its part
 * through the transport, in parallel, streams what the hosts say, and keeps
 * `hosts.json` in the topology's state dir (which hosts hold a part and how
 * to reach them) so destroy, status and heal find them without the file. */
#ifndef ASPEN_MULTIHOST_H
#define ASPEN_MULTIHOST_H

#include <stdbool.h>

#include "cli/apply.h"
#include "compiler/topology.h"

/* `aspen apply FILE` of a topology with hosts (t loaded by apply_run).
 * schedule: run the file's fault schedule from the controller once every
 * host is up. Returns an exit status. */
int mh_apply(const struct topology *t, const struct apply_opts *o, bool schedule);

/* `aspen destroy|status|heal NAME` on the controller: when NAME has a
 * hosts.json here, run `aspen CMD NAME --this-host` (plus extra, NULL
 * terminated) on every host it lists and merge what they say; *handled is
 * false (and nothing done) when NAME is not a multi-host topology here. */
int mh_destroy(const char *name, bool json, bool *handled);
int mh_status(const char *name, bool json, bool matrix, bool *handled);
int mh_heal(const char *name, const char *key, bool *handled);
/* `aspen plan FILE` of a topology applied from here (its hosts.json): every
 * host plans its part against its live state (`plan --part`); *handled
 * false when it was never applied from here (plan from scratch then). */
int mh_plan(const struct topology *t, bool json, bool detailed, bool *handled);   /* key NULL: all */
/* `aspen fault NAME KIND ...` (argv as cmd_fault got it): every host
 * applies its share at once (`--this-host`); with for_s, the controller
 * waits and heals that key on every host. */
int mh_fault(const char *name, int argc, char **argv, const char *for_s, bool json, bool *handled);

/* The part file a host saved when it applied its part (<state>/part.json),
 * for status and heal on that host; 0 when loaded or absent (-1 printed). */
int mh_load_saved_part(const char *cmd, const char *name);
/* Save the current part (cli_part) for name; remove it (after a destroy). */
int mh_save_part(const char *name);
void mh_forget_part(const char *name);

#endif

/* Shared by the lifecycle files (create.c, lifecycle.c, run.c): loading a
   container from its state directory, observing its status, tearing it
   down.  Not for cli/. */
#ifndef HULL_LIFECYCLE_H
#define HULL_LIFECYCLE_H

#include "runtime/backend.h"
#include "runtime/container.h"
#include "runtime/status.h"

/* Open <root>/<id> with `lock`, read state.json, load the cgroup. */
int hull_container_load (const struct hull_context *ctx, const char *id, enum hull_lock lock,
                         struct hull_container *c, hull_err *err);
void hull_container_release (struct hull_container *c);
enum hull_state hull_container_observe (struct hull_container *c);

/* Whether spec gives the container a new pid namespace of its own. */
bool hull_spec_own_pid_ns (const struct oci_spec *spec);

/* The OCI state document for hooks and `state` (malloc'd JSON). */
char *hull_container_state_json (const struct hull_status *st, const char *status);

/* Kill what is left (SIGKILL to the init and the cgroup), wait for it,
   let the backend clean up, remove the cgroup, run poststop hooks when
   `spec` has them, remove the state directory.  `own_child`: the init is
   our child (run), so reap it. */
int hull_container_destroy (struct hull_container *c, const struct hull_backend *backend,
                            const struct oci_spec *spec, bool own_child, hull_err *err);

/* create's work, with the run-only bits: `terminal_fd` receives the pty
   master when `own_terminal` (run without --detach and terminal:true). */
struct hull_create_extra
{
  bool own_terminal;
  int terminal_fd;     /* out: pty master, or -1 */
  pid_t pid;           /* out: the init */
};
int hull_create_container (const struct hull_context *ctx, const char *id, const struct hull_create_opts *opts,
                           struct hull_create_extra *extra, hull_err *err);

#endif

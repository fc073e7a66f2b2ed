/* OCI hooks (runtime-spec config.md "POSIX-platform Hooks").
 *
 * Each hook is run with its path, args and env (nothing else inherited),
 * the container state JSON on stdin, stdout/stderr shared with hull, and
 * killed when its timeout expires.  The hooks of one kind run in order and
 * the first failure stops them; the caller applies the spec's semantics
 * (prestart, createRuntime, createContainer, startContainer: the container
 * is destroyed and the command fails; poststart, poststop: a warning).
 */
#ifndef HULL_HOOKS_H
#define HULL_HOOKS_H

#include "oci-spec/oci_spec.h"
#include "runtime/error.h"

/* kind: "prestart", "createRuntime", ... (used in messages). */
int hull_hooks_run (const char *kind, const struct oci_hook_list *hooks, const char *state_json, hull_err *err);
/* Like hull_hooks_run, but every hook runs and failures become warnings. */
void hull_hooks_run_warn (const char *kind, const struct oci_hook_list *hooks, const char *state_json);

#endif

/* `hull exec`: another process in a running container, as runc runs it.
 *
 * Without --process the process is the container's own process.* (env,
 * cwd, user, capabilities, rlimits...) with the given args and the flags
 * applied on top; with --process FILE it is that file as is (the flags do
 * not apply, as with runc).  The process joins every namespace and cgroup
 * of the container.  Without --detach hull stays its parent: it forwards
 * signals, proxies a terminal it allocated, and reports the exit status
 * (128+N for signal N).  The pid written to --pid-file is the process
 * itself, which containerd's shim waits on.
 */
#ifndef HULL_EXEC_H
#define HULL_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/backend.h"
#include "runtime/container.h"

struct hull_exec_opts
{
  const char *process_file;     /* --process FILE ("-": stdin); NULL: args */
  char *const *args;            /* CMD ARGS... */
  size_t n_args;
  bool detach;
  bool tty;                     /* --tty */
  const char *console_socket;
  const char *pid_file;
  const char *cwd;
  char *const *env;             /* --env KEY=VALUE, appended (a later value wins) */
  size_t n_env;
  const char *user;             /* --user uid[:gid] */
  const uint32_t *additional_gids;
  size_t n_additional_gids;
  char *const *caps;            /* --cap, added to every set */
  size_t n_caps;
  bool no_new_privs;
  const char *apparmor;         /* --apparmor PROFILE */
  const char *process_label;    /* --process-label LABEL (SELinux) */
  int preserve_fds;
};

/* *exit_code is the process's status without --detach (0 with it). */
int hull_exec (const struct hull_context *ctx, const char *id, const struct hull_exec_opts *opts, int *exit_code,
               hull_err *err);

/* The process exec runs: `p` (the container's process.*, owned) with the
   flags of `o` applied.  Pure, for the unit tests. */
int hull_exec_apply_flags (struct oci_process *p, const struct hull_exec_opts *o, hull_err *err);

/* The container backend's exec (runtime/exec_container.c). */
int hull_backend_container_exec (struct hull_container *c, const struct hull_exec_request *req, pid_t *pid,
                                 hull_err *err);

#endif

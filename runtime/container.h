/* The control plane's entry points, one per CLI command.  cli/ parses argv
 * and prints; everything that touches the system happens behind these.
 * Errors follow runtime/error.h and carry the texts containerd matches:
 * "does not exist", "container not running", "no such process".
 */
#ifndef HULL_CONTAINER_H
#define HULL_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "oci-spec/hull_status.h"
#include "runtime/error.h"

#define HULL_VERSION "0.1.0"
#define HULL_OCI_VERSION "1.2.0"
#define HULL_DEFAULT_ROOT "/run/hull"

/* Global options, the same for every command. */
struct hull_context
{
  const char *root;           /* state root */
  const char *isolation;      /* --isolation; NULL when not given */
  const char *vmm;            /* --vmm (microVMs): builtin | qemu; NULL when not given */
  bool invoked_as_vm;         /* argv[0] is hull-vm */
  bool systemd_cgroup;
};

struct hull_create_opts
{
  const char *bundle;          /* NULL: the current directory */
  const char *pid_file;
  const char *console_socket;
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds;
};

/* What state and list report. */
struct hull_info
{
  struct hull_status st;
  const char *status;          /* "created", "running", ... */
  char owner_name[64];         /* user owning the state directory (list's OWNER) */
};
void hull_info_clear (struct hull_info *info);

int hull_create (const struct hull_context *ctx, const char *id, const struct hull_create_opts *opts,
                 hull_err *err);
int hull_start (const struct hull_context *ctx, const char *id, hull_err *err);
/* run: create + start; without detach, wait as the container's parent
   (forwarding signals, proxying a terminal), delete it, and set *exit_code
   to its status (128+n for a signal). */
int hull_run (const struct hull_context *ctx, const char *id, const struct hull_create_opts *opts, bool detach,
              int *exit_code, hull_err *err);
int hull_state (const struct hull_context *ctx, const char *id, struct hull_info *out, hull_err *err);
int hull_list (const struct hull_context *ctx, struct hull_info **out, size_t *n, hull_err *err);
/* signal: "KILL", "SIGKILL", "9"; NULL means SIGTERM. */
int hull_kill (const struct hull_context *ctx, const char *id, const char *signal, bool all, hull_err *err);
int hull_delete (const struct hull_context *ctx, const char *id, bool force, hull_err *err);

/* Signal name or number to its number, or an "invalid signal" error. */
int hull_signal_parse (const char *name, int *sig, hull_err *err);

#endif

/* The container backend: turning a parsed OCI spec into a process living in
 * its own namespaces, with its rootfs, devices, capabilities, seccomp
 * filter... and blocked just before execve() until `start`.
 *
 * The runtime (control plane) calls ns_spawn() from `create`.  The child is
 * a direct child of the calling process (so `run` can wait for it; after
 * `create` exits it is reparented to the caller's subreaper, e.g. the
 * containerd shim).  The returned pid is the container's init as seen from
 * the caller's pid namespace: that is the pid in --pid-file and state.
 *
 * Order of events (OCI runtime-spec "Lifecycle"):
 *   parent: clone -> cb.on_clone(pid)            (cgroup placement)
 *   child : namespaces, user maps (parent writes them), mounts prepared
 *   parent: cb.on_runtime_ready(pid)             (prestart + createRuntime hooks)
 *   child : cb.in_container_before_pivot(pid)    (createContainer hooks)
 *   child : pivot_root / chroot, devices, masked & readonly paths, sysctl,
 *           hostname, console, rlimits, cwd, executable lookup, seccomp
 *           compiled (every check that can fail is done by now)
 *   parent: ns_spawn() returns: container is "created"
 *   child : blocks on exec.fifo
 *   -- `start` opens the fifo for reading and reads one byte --
 *   child : fds >= 3 + preserve_fds marked close-on-exec, bounding set,
 *           user, caps, no_new_privs, cb.in_container_before_exec(pid)
 *           (startContainer hooks), seccomp (before the credentials when
 *           no_new_privs is off), execve(process.args)
 *           (or opts.payload() instead of execve: the microVM backend)
 *
 * Any failure in the child before the fifo is reported back to ns_spawn()
 * as a hull_err with the child's message; the child is then killed and
 * reaped.  Nothing is left behind by ns_spawn() on failure (mounts live in
 * the child's mount namespace and die with it).
 */
#ifndef HULL_NAMESPACES_H
#define HULL_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>

#include "oci-spec/oci_spec.h"
#include "runtime/error.h"

struct ns_callbacks
{
  void *ctx;
  /* Parent, right after clone(), before the child proceeds. */
  int (*on_clone) (void *ctx, pid_t pid, hull_err *err);
  /* Parent, namespaces exist, before pivot_root: prestart, createRuntime. */
  int (*on_runtime_ready) (void *ctx, pid_t pid, hull_err *err);
  /* Child, in the container's namespaces, before pivot_root: createContainer. */
  int (*in_container_before_pivot) (void *ctx, pid_t pid, hull_err *err);
  /* Child, after start, right before execve: startContainer. */
  int (*in_container_before_exec) (void *ctx, pid_t pid, hull_err *err);
};

struct ns_spawn_opts
{
  const struct oci_spec *spec;
  const char *bundle;          /* absolute */
  const char *rootfs;          /* absolute, resolved from spec->root->path */
  const char *exec_fifo;       /* absolute path of <state dir>/exec.fifo */
  int console_socket_fd;       /* connected AF_UNIX socket, or -1 */
  int preserve_fds;            /* extra fds 3..3+n-1 kept for the process */
  bool no_pivot;
  bool no_new_keyring;
  const struct ns_callbacks *cb;
  /* When set, called in the child instead of execve(process.args), after the
     fifo and startContainer hooks.  Must not return on success. */
  int (*payload) (void *ctx, hull_err *err);
  void *payload_ctx;
  /* The container id, for the state sent to a seccomp listenerPath (NULL:
     sent as ""). */
  const char *id;
};

/* Returns 0 and sets *pid, or fills err. */
int ns_spawn (const struct ns_spawn_opts *opts, pid_t *pid, hull_err *err);

/* Release a created container: opens the fifo for reading and consumes the
   child's byte.  Fails with "container not running"-style errors when the
   init died before start. */
int ns_start (const char *exec_fifo, pid_t pid, hull_err *err);

/* exec: run `process` inside the namespaces of `init_pid` (setns), as a
   direct child of the caller.  Returns 0 and sets *pid. */
struct ns_exec_opts
{
  pid_t init_pid;
  const struct oci_spec *spec;     /* the container's config (for defaults) */
  const struct oci_process *process;
  int console_socket_fd;
  int preserve_fds;
  const char *cgroup_procs_path;   /* NULL: inherit */
  /* For the state sent to a seccomp listenerPath (NULL: ""). */
  const char *id;
  const char *bundle;
};
int ns_exec (const struct ns_exec_opts *opts, pid_t *pid, hull_err *err);

/* An OCI namespace type's CLONE_NEW* flag (0 when unknown), and a
   namespace path opened and checked to be of that type (returns the fd);
   the VM monitor enters the container's namespaces with them (microvm/). */
int ns_clone_flag (enum oci_namespace_type type);
int ns_open_path (enum oci_namespace_type type, const char *path, hull_err *err);

/* The OCI seccomp profile compiled to a classic BPF program, for a microVM
   guest that loads it itself (microvm/).  *prog is malloc'd (NULL and 0 for
   no profile); *flags holds SECCOMP_FILTER_FLAG_*. */
int ns_seccomp_bpf (const struct oci_seccomp *s, void **prog, size_t *len, unsigned long *flags, hull_err *err);

/* The OCI names of personality, ioPriority and scheduler as the kernel's
   values, for a microVM guest that applies them itself (microvm/).
   personality_from_name: -1 when unknown.  scheduler_from_spec fills a
   struct sched_attr of SCHED_ATTR_SIZE_VER1 (48) bytes. */
int personality_from_name (const char *name);
int ioprio_from_spec (const struct oci_io_priority *io, int *value, hull_err *err);
int scheduler_from_spec (const struct oci_scheduler *s, void *out_attr, hull_err *err);

#endif

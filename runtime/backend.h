/* Isolation backends: what runs as the container's init and how lifecycle
 * operations reach it.
 *
 * The lifecycle (runtime/lifecycle*.c) owns everything both levels share:
 * the state directory and its lock, exec.fifo, cgroup placement, hooks, the
 * pid file, the console socket.  A backend only decides what the init is:
 *   - "container": the process itself, in its namespaces (namespaces/);
 *   - "microvm": the VMM, spawned through the same namespaces/cgroup path
 *     (ns_spawn with a payload instead of execve), so it is jailed by them.
 *
 * The choice comes from --isolation, the binary name hull-vm, or the
 * annotation io.hull.isolation (in that order; a contradiction is an error;
 * a Kubernetes sandbox stays a container) and is written to the state, so
 * later commands dispatch on hull_status.isolation without the bundle.
 */
#ifndef HULL_BACKEND_H
#define HULL_BACKEND_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroups/cgroups.h"
#include "namespaces/namespaces.h"
#include "oci-spec/hull_status.h"
#include "runtime/error.h"
#include "runtime/state_dir.h"

#define HULL_ISOLATION_ANNOTATION "io.hull.isolation"
#define HULL_ISOLATION_CONTAINER "container"
#define HULL_ISOLATION_MICROVM "microvm"

/* One container as the lifecycle holds it during a command. */
struct hull_container
{
  struct hull_state_dir *sd;
  struct hull_status st;        /* state.json; backends may add st.extra keys */
  const struct oci_spec *spec;  /* create only; NULL afterwards */
  struct hull_cgroup *cgroup;   /* NULL: not placed or not loaded */
  /* The init is alone in a new pid namespace: killing it kills the rest,
     so teardown never signals the whole cgroup (which cgroupsPath may
     share with processes that are not the container's). */
  bool own_pid_ns;
};

/* What exec hands a backend. */
struct hull_exec_request
{
  const struct oci_spec *spec;         /* the config stored at create, or NULL */
  const struct oci_process *process;
  int console_socket_fd;               /* -1: none */
  int preserve_fds;                    /* fds 3..3+n-1 of the caller */
};

struct hull_backend
{
  const char *name;
  /* Spawn the init, blocked before the workload until start.  `opts` is
     filled by the lifecycle (spec, fifo, console, callbacks placing the
     cgroup and running hooks); a backend may set opts->payload. */
  int (*create) (struct hull_container *c, struct ns_spawn_opts *opts, pid_t *pid, hull_err *err);
  /* Release the workload (exec.fifo). */
  int (*start) (struct hull_container *c, hull_err *err);
  /* Deliver a signal to the init, or with `all` to every process of the
     container. */
  int (*kill) (struct hull_container *c, int sig, bool all, hull_err *err);
  /* Backend-private cleanup once the init is dead (taps, images); the
     lifecycle then removes the cgroup and the state directory. */
  int (*delete) (struct hull_container *c, hull_err *err);
  /* Start req->process in the running container (runtime/exec.c).  *pid:
     a child of the caller whose exit status is the process's: the process
     itself, or a proxy standing for it.  NULL: the level has no exec. */
  int (*exec) (struct hull_container *c, const struct hull_exec_request *req, pid_t *pid, hull_err *err);
  /* Devices the level's own processes open (the VMM's /dev/kvm), allowed
     in the device cgroup as linux.devices entries are: fills at most max
     entries of out and returns how many.  NULL: none. */
  size_t (*cgroup_devices) (const struct oci_spec *spec, struct oci_device *out, size_t max);
  /* pause/resume, update and ps act on the cgroup, the same for both
     levels (the VMM lives in the container's cgroup). */
};

extern const struct hull_backend hull_backend_container;

/* start and kill as every level does them: the init (a container's
   process, or the VM monitor standing for it) waits on exec.fifo and takes
   signals for the workload. */
int hull_backend_start_fifo (struct hull_container *c, hull_err *err);
int hull_backend_kill_init (struct hull_container *c, int sig, bool all, hull_err *err);

/* The isolation level for a new container.  `flag` is --isolation (or
   NULL), argv0_vm whether hull was invoked as hull-vm. */
int hull_isolation_select (const struct oci_spec *spec, const char *flag, bool argv0_vm, const char **isolation,
                           hull_err *err);
/* The microVM's VMM: --vmm (`flag`, or NULL) or the annotation
   io.hull.vmm, builtin or qemu; a contradiction is an error.  *vmm is NULL
   when neither says (the microvm level then picks its default). */
#define HULL_BACKEND_MAX_DEVICES 4
#define HULL_VMM_ANNOTATION "io.hull.vmm"
int hull_vmm_select (const struct oci_spec *spec, const char *flag, const char **vmm, hull_err *err);
/* The backend for a level: "isolation microvm is not available yet" while
   it is not built in. */
int hull_backend_find (const char *isolation, const struct hull_backend **out, hull_err *err);

#endif

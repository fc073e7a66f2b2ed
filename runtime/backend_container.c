/* The "container" isolation level: the init is the workload itself, in
   the namespaces namespaces/ builds. */
#include "runtime/backend.h"

#include <errno.h>
#include <signal.h>

#include "runtime/exec.h"
#include "runtime/util.h"

static int
container_create (struct hull_container *c, struct ns_spawn_opts *opts, pid_t *pid, hull_err *err)
{
  return ns_spawn (opts, pid, err);
}

int
hull_backend_start_fifo (struct hull_container *c, hull_err *err)
{
  cleanup_free char *fifo = hull_state_path (c->sd, HULL_EXEC_FIFO);
  return ns_start (fifo, c->st.pid, err);
}

int
hull_backend_kill_init (struct hull_container *c, int sig, bool all, hull_err *err)
{
  if (all && c->cgroup != NULL)
    return cgroup_kill_all (c->cgroup, sig, err);
  if (kill (c->st.pid, sig) < 0)
    {
      if (errno == ESRCH)
        return hull_error (err, 0, "container %s: no such process", c->st.id);
      return hull_error (err, errno, "kill container %s", c->st.id);
    }
  return 0;
}

static int
container_delete (struct hull_container *c, hull_err *err)
{
  return 0;
}

const struct hull_backend hull_backend_container = {
  .name = HULL_ISOLATION_CONTAINER,
  .create = container_create,
  .start = hull_backend_start_fifo,
  .kill = hull_backend_kill_init,
  .delete = container_delete,
  .exec = hull_backend_container_exec,
};

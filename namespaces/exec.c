#include "namespaces/ns_internal.h"

int
ns_exec (const struct ns_exec_opts *opts, pid_t *pid, hull_err *err)
{
  return hull_error (err, 0, "exec: not implemented yet");
}

/* ps: the processes of a container (every pid in its cgroup), as a pid
   list or as the host's ps(1) output filtered to them, as runc does. */
#ifndef HULL_PS_H
#define HULL_PS_H

#include <stddef.h>
#include <sys/types.h>

#include "runtime/container.h"

/* Host pids, ascending.  "container not running" once it stopped. */
int hull_ps_pids (const struct hull_context *ctx, const char *id, pid_t **pids, size_t *n, hull_err *err);

/* Runs `ps ARGS` (default -ef) and keeps the header and the lines whose PID
   column is one of the container's.  *out is malloc'd text. */
int hull_ps_table (const struct hull_context *ctx, const char *id, char *const *ps_args, size_t n_args, char **out,
                   hull_err *err);

/* The filter alone (pure): the header line, then each line whose PID
   column (found in the header) holds one of `pids`. */
int hull_ps_filter (const char *ps_output, const pid_t *pids, size_t n, char **out, hull_err *err);

#endif

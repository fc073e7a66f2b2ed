/* The cgroup of a loaded container, for the commands that act on it
   (exec, pause, resume, ps, update, events). */
#ifndef HULL_CGROUP_OF_H
#define HULL_CGROUP_OF_H

#include "runtime/backend.h"
#include "runtime/container.h"

/* Loads c->cgroup if needed; "container X has no cgroup" otherwise. */
int hull_container_cgroup (struct hull_container *c, hull_err *err);

/* Loads container `id` without a lock, refuses it unless it has processes
   (created, running or paused), and loads its cgroup: what ps and events
   read.  On failure nothing is held; on success release with
   hull_container_release(). */
int hull_container_load_live (const struct hull_context *ctx, const char *id, struct hull_container *c,
                              hull_err *err);

#endif

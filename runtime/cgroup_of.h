/* The cgroup of a loaded container, for the commands that act on it
   (exec, pause, resume, ps, update, events). */
#ifndef HULL_CGROUP_OF_H
#define HULL_CGROUP_OF_H

#include "runtime/backend.h"

/* Loads c->cgroup if needed; "container X has no cgroup" otherwise. */
int hull_container_cgroup (struct hull_container *c, hull_err *err);

#endif

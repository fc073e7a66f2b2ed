/* pause and resume: the container's cgroup frozen and thawed (the v1
   freezer, or cgroup.freeze on cgroup2).  `state` then says "paused". */
#ifndef HULL_PAUSE_H
#define HULL_PAUSE_H

#include "runtime/container.h"

/* "container not running" unless it is running. */
int hull_pause (const struct hull_context *ctx, const char *id, hull_err *err);
/* "container not paused" unless it is paused. */
int hull_resume (const struct hull_context *ctx, const char *id, hull_err *err);

#endif

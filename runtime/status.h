/* The OCI status of a container, from what can be observed (runtime-spec
   "State"): pure, so every transition is unit-tested. */
#ifndef HULL_STATUS_RULES_H
#define HULL_STATUS_RULES_H

#include <stdbool.h>

enum hull_state { HULL_CREATING, HULL_CREATED, HULL_RUNNING, HULL_PAUSED, HULL_STOPPED };

struct hull_observation
{
  int pid;               /* 0 while create has not spawned the init yet */
  bool create_busy;      /* another process holds the exclusive lock */
  bool init_alive;       /* alive, not a zombie, same start time */
  bool exec_fifo;        /* exec.fifo still exists: start not done */
  bool frozen;           /* the cgroup is frozen */
};

enum hull_state hull_state_compute (const struct hull_observation *o);
const char *hull_state_name (enum hull_state s);

#endif

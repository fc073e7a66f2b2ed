#include "runtime/status.h"

enum hull_state
hull_state_compute (const struct hull_observation *o)
{
  if (o->pid <= 0)
    /* No init yet: being created, or a create that died half-way, which
       only delete can clean up. */
    return o->create_busy ? HULL_CREATING : HULL_STOPPED;
  if (!o->init_alive)
    return HULL_STOPPED;
  if (o->exec_fifo)
    return HULL_CREATED;
  if (o->frozen)
    return HULL_PAUSED;
  return HULL_RUNNING;
}

const char *
hull_state_name (enum hull_state s)
{
  switch (s)
    {
    case HULL_CREATING: return "creating";
    case HULL_CREATED: return "created";
    case HULL_RUNNING: return "running";
    case HULL_PAUSED: return "paused";
    case HULL_STOPPED: return "stopped";
    }
  return "unknown";
}

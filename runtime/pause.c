#include "runtime/pause.h"

#include "runtime/cgroup_of.h"
#include "runtime/lifecycle.h"
#include "runtime/log.h"

static int
set_frozen (const struct hull_context *ctx, const char *id, bool frozen, hull_err *err)
{
  struct hull_container c;
  enum hull_state s;
  int ret = -1;

  /* Exclusive: an exec or another pause waits, so nothing joins the
     cgroup half-way through a freeze. */
  if (hull_container_load (ctx, id, HULL_LOCK_EXCLUSIVE, &c, err) < 0)
    return -1;
  s = hull_container_observe (&c);
  if (frozen && s != HULL_RUNNING)
    {
      hull_error (err, 0, "container %s: container not running (%s)", id, hull_state_name (s));
      goto out;
    }
  if (!frozen && s != HULL_PAUSED)
    {
      hull_error (err, 0, "container %s: container not paused (%s)", id, hull_state_name (s));
      goto out;
    }
  if (hull_container_cgroup (&c, err) < 0 || cgroup_freeze (c.cgroup, frozen, err) < 0)
    {
      hull_error_wrap (err, "%s container %s", frozen ? "pause" : "resume", id);
      goto out;
    }
  hull_log_debug ("container %s: %s", id, frozen ? "paused" : "resumed");
  ret = 0;
out:
  hull_container_release (&c);
  return ret;
}

int
hull_pause (const struct hull_context *ctx, const char *id, hull_err *err)
{
  return set_frozen (ctx, id, true, err);
}

int
hull_resume (const struct hull_context *ctx, const char *id, hull_err *err)
{
  return set_frozen (ctx, id, false, err);
}

#include "runtime/cgroup_of.h"

#include "runtime/lifecycle.h"

int
hull_container_cgroup (struct hull_container *c, hull_err *err)
{
  if (c->cgroup != NULL)
    return 0;
  if (c->st.cgroup_path == NULL)
    return hull_error (err, 0, "container %s has no cgroup", c->st.id);
  if (cgroup_load (c->st.cgroup_path, &c->cgroup, err) < 0)
    return hull_error_wrap (err, "container %s", c->st.id);
  return 0;
}

int
hull_container_load_live (const struct hull_context *ctx, const char *id, struct hull_container *c,
                          hull_err *err)
{
  enum hull_state s;

  if (hull_container_load (ctx, id, HULL_LOCK_NONE, c, err) < 0)
    return -1;
  s = hull_container_observe (c);
  if (s == HULL_STOPPED || s == HULL_CREATING)
    hull_error (err, 0, "container %s: container not running (%s)", id, hull_state_name (s));
  else if (hull_container_cgroup (c, err) == 0)
    return 0;
  hull_container_release (c);
  return -1;
}

#include "runtime/cgroup_of.h"

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

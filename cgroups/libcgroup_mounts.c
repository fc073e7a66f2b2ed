#include "cgroups/libcgroup_mounts.h"

#include <libcgroup.h>

int
cg_libcgroup_mounts (cg_mount_fn fn, void *data)
{
  struct cgroup_mount_point mp;
  void *handle = NULL;

  if (cgroup_init () != 0)
    return -1;
  for (int r = cgroup_get_controller_begin (&handle, &mp); r == 0; r = cgroup_get_controller_next (&handle, &mp))
    fn (data, mp.name, mp.path);
  cgroup_get_controller_end (&handle);
  return 0;
}

/* The one use of libcgroup: the v1 controller -> mount point table.  Kept
   apart from cgroups.h, whose cgroup_free shares its C name with
   libcgroup's. */
#ifndef HULL_CGROUPS_LIBCGROUP_MOUNTS_H
#define HULL_CGROUPS_LIBCGROUP_MOUNTS_H

typedef void (*cg_mount_fn) (void *data, const char *controller, const char *mount);
/* Calls fn for every controller libcgroup finds mounted; -1 when libcgroup
   cannot initialise (no v1 controllers, say). */
int cg_libcgroup_mounts (cg_mount_fn fn, void *data);

#endif

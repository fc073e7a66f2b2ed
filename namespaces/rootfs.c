/* The rootfs as a mount point, pivot_root (or MS_MOVE + chroot with
   --no-pivot), the read-only root and rootfsPropagation. */
#include "namespaces/ns_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "namespaces/mountinfo.h"
#include "runtime/util.h"

/* pivot_root(2) refuses a shared parent mount; make the mount the rootfs
   lives on private in our namespace (runc's rootfsParentMountPrivate). */
static int
make_parent_mount_private (const char *rootfs, hull_err *err)
{
  struct mountinfo mi;
  const struct mountinfo_entry *e;
  int ret = 0;

  if (mountinfo_read (&mi, err) < 0)
    return -1;
  e = mountinfo_find_mount_of (&mi, rootfs);
  if (e != NULL && e->optional != NULL && strstr (e->optional, "shared:") != NULL
      && mount (NULL, e->mount_point, NULL, MS_PRIVATE, NULL) < 0)
    ret = hull_error (err, errno, "make `%s` private", e->mount_point);
  mountinfo_free (&mi);
  return ret;
}

int
rootfs_prepare (struct ns_init *in, hull_err *err)
{
  const struct oci_linux *l = in->spec->linux_;
  long prop = mount_propagation_from_name (l ? l->rootfs_propagation : NULL);
  unsigned long initial = MS_SLAVE | MS_REC;
  char real[PATH_MAX];

  if (prop < 0)
    return hull_error (err, 0, "invalid rootfsPropagation `%s`", l->rootfs_propagation);
  if (realpath (in->opts->rootfs, real) == NULL)
    return hull_error (err, errno, "rootfs `%s`", in->opts->rootfs);

  /* Host mount events still reach the container by default (MS_SLAVE);
     nothing flows back.  A shared or unbindable rootfsPropagation is
     applied to the container's / after pivot_root: done here it would make
     the rootfs unbindable (runc fails so) or leak its mounts to the host. */
  if (prop & MS_PRIVATE)
    initial = (unsigned long) prop;
  if (mount (NULL, "/", NULL, initial, NULL) < 0)
    return hull_error (err, errno, "set the propagation of `/`");
  if (make_parent_mount_private (real, err) < 0)
    return -1;
  if (mount (real, real, NULL, MS_BIND | MS_REC, NULL) < 0)
    return hull_error (err, errno, "bind mount the rootfs `%s`", real);
  in->rootfd = open (real, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (in->rootfd < 0)
    return hull_error (err, errno, "open rootfs `%s`", real);
  return 0;
}

static int
do_pivot (struct ns_init *in, hull_err *err)
{
  cleanup_close int oldroot = open ("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0)
    return hull_error (err, errno, "open /");
  if (fchdir (in->rootfd) < 0)
    return hull_error (err, errno, "chdir to the rootfs");
  /* pivot_root(".", ".") stacks the old root on top of the new one; it is
     then detached from here without a directory to hold it. */
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return hull_error (err, errno, "pivot_root");
  if (fchdir (oldroot) < 0)
    return hull_error (err, errno, "chdir to the old root");
  /* Never let the unmount propagate to the host. */
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return hull_error (err, errno, "make the old root rslave");
  if (umount2 (".", MNT_DETACH) < 0)
    return hull_error (err, errno, "unmount the old root");
  if (chdir ("/") < 0)
    return hull_error (err, errno, "chdir /");
  return 0;
}

static int
do_move_chroot (struct ns_init *in, hull_err *err)
{
  if (fchdir (in->rootfd) < 0)
    return hull_error (err, errno, "chdir to the rootfs");
  if (mount (".", "/", NULL, MS_MOVE, NULL) < 0)
    return hull_error (err, errno, "move the rootfs to /");
  if (chroot (".") < 0)
    return hull_error (err, errno, "chroot");
  if (chdir ("/") < 0)
    return hull_error (err, errno, "chdir /");
  return 0;
}

static int
do_chroot (struct ns_init *in, hull_err *err)
{
  if (fchdir (in->rootfd) < 0 || chroot (".") < 0 || chdir ("/") < 0)
    return hull_error (err, errno, "chroot to the rootfs");
  return 0;
}

int
rootfs_pivot (struct ns_init *in, hull_err *err)
{
  int ret = !in->has_mntns ? do_chroot (in, err) : in->opts->no_pivot ? do_move_chroot (in, err) : do_pivot (in, err);
  if (ret < 0)
    return ret;
  close (in->rootfd);
  in->rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (in->rootfd < 0)
    return hull_error (err, errno, "open the new /");
  return 0;
}

int
rootfs_finalize (struct ns_init *in, hull_err *err)
{
  const struct oci_linux *l = in->spec->linux_;
  long prop = mount_propagation_from_name (l ? l->rootfs_propagation : NULL);

  if (in->spec->root != NULL && in->spec->root->readonly
      && remount_bind (-1, "/", MS_RDONLY, err) < 0)
    return -1;
  if (prop > 0 && mount (NULL, "/", NULL, (unsigned long) prop, NULL) < 0)
    return hull_error (err, errno, "set rootfsPropagation `%s`", l->rootfs_propagation);
  return 0;
}

/* linux.maskedPaths and linux.readonlyPaths, after pivot_root.  A masked
   file gets /dev/null bound over it, a masked directory an empty read-only
   tmpfs; a read-only path is bound onto itself and remounted read-only.
   Paths missing from the image are skipped, as runc does. */
#include "namespaces/ns_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "runtime/util.h"

static int
mask_path (struct ns_init *in, const char *path, hull_err *err)
{
  cleanup_close int fd = -1;
  char p[FD_PATH_MAX];
  struct stat st;
  hull_err e = NULL;

  fd = open_in_root (in->rootfd, path, IN_ROOT_NO_CREATE, 0, &e);
  if (fd < 0)
    {
      int errnum = e ? e->errnum : 0;
      if (errnum == ENOENT)
        {
          hull_error_release (&e);
          return 0;
        }
      *err = e;
      return hull_error_wrap (err, "maskedPaths");
    }
  if (fstat (fd, &st) < 0)
    return hull_error (err, errno, "maskedPaths: stat `%s`", path);
  fd_path (fd, p);
  if (S_ISDIR (st.st_mode))
    {
      if (mount ("tmpfs", p, "tmpfs", MS_RDONLY, "size=0k,mode=755") < 0)
        return hull_error (err, errno, "maskedPaths: mount tmpfs on `%s`", path);
    }
  else if (mount ("/dev/null", p, NULL, MS_BIND, NULL) < 0)
    return hull_error (err, errno, "maskedPaths: bind /dev/null on `%s`", path);
  return 0;
}

static int
readonly_path (struct ns_init *in, const char *path, hull_err *err)
{
  cleanup_close int fd = -1;
  cleanup_close int mounted = -1;
  char p[FD_PATH_MAX];
  struct statvfs sv;
  hull_err e = NULL;

  fd = open_in_root (in->rootfd, path, IN_ROOT_NO_CREATE, 0, &e);
  if (fd < 0)
    {
      if (e && e->errnum == ENOENT)
        {
          hull_error_release (&e);
          return 0;
        }
      *err = e;
      return hull_error_wrap (err, "readonlyPaths");
    }
  fd_path (fd, p);
  if (mount (p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
    return hull_error (err, errno, "readonlyPaths: bind `%s`", path);
  mounted = open_in_root (in->rootfd, path, IN_ROOT_NO_CREATE, 0, err);
  if (mounted < 0)
    return -1;
  if (fstatvfs (mounted, &sv) < 0)
    return hull_error (err, errno, "readonlyPaths: statvfs `%s`", path);
  if (remount_bind (mounted, path, MS_RDONLY | mount_flags_from_statvfs (sv.f_flag, true), err) < 0)
    return hull_error_wrap (err, "readonlyPaths");
  return 0;
}

int
paths_mask_and_readonly (struct ns_init *in, hull_err *err)
{
  const struct oci_linux *l = in->spec->linux_;
  if (l == NULL)
    return 0;
  for (size_t i = 0; i < l->readonly_paths.len; i++)
    if (readonly_path (in, l->readonly_paths.items[i], err) < 0)
      return -1;
  for (size_t i = 0; i < l->masked_paths.len; i++)
    if (mask_path (in, l->masked_paths.items[i], err) < 0)
      return -1;
  return 0;
}

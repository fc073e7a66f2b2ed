/* Paths inside the container's rootfs.  An image is hostile: a symlink such
   as rootfs/dev -> /etc must not make us mount or mknod on the host
   (runc CVE-2021-30465 and friends).  Every lookup goes through
   openat2(RESOLVE_IN_ROOT) from an fd of the rootfs, and mounts target the
   resulting O_PATH fd through /proc/self/fd/N. */
#include "namespaces/ns_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/util.h"

/* The part of `buf` before `name` (which points into it), without the
   trailing slash; "/" when empty. */
static char *
xstrndup_prefix (const char *buf, const char *name)
{
  size_t n = (size_t) (name - buf);
  while (n > 0 && buf[n - 1] == '/')
    n--;
  if (n == 0)
    return xstrdup ("/");
  char *r = xmalloc (n + 1);
  memcpy (r, buf, n);
  r[n] = '\0';
  return r;
}

void
fd_path (int fd, char buf[FD_PATH_MAX])
{
  snprintf (buf, FD_PATH_MAX, "/proc/self/fd/%d", fd);
}

static int
openat2_in_root (int rootfd, const char *path, int flags)
{
  struct open_how how = {
    .flags = flags | O_CLOEXEC,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  int fd;

  while (*path == '/')
    path++;
  if (*path == '\0')
    path = ".";
  do
    fd = syscall (SYS_openat2, rootfd, path, &how, sizeof how);
  while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  return fd;
}

/* Create the missing components of `path` below rootfd one by one, each
   lookup starting again from the root so symlinks stay inside it. */
static int open_in_root_depth (int rootfd, const char *path, enum in_root_create create, int mode, int depth,
                               hull_err *err);

/* `name` in `parent` is a dangling symlink: create what it points to (the
   lookup stays inside the root), followed by the rest of the path. */
static int
follow_dangling (int rootfd, int parent, const char *prefix_dir, const char *name, const char *rest,
                 enum in_root_create create, int mode, int depth, hull_err *err)
{
  char target[PATH_MAX];
  ssize_t n = readlinkat (parent, name, target, sizeof target - 1);
  cleanup_free char *next = NULL;

  if (n < 0)
    return -1;
  target[n] = '\0';
  if (depth >= 40)
    return hull_error (err, ELOOP, "too many levels of symbolic links below `%s`", prefix_dir);
  if (target[0] == '/')
    next = xasprintf ("%s%s%s", target, rest ? "/" : "", rest ? rest : "");
  else
    next = xasprintf ("%s/%s%s%s", prefix_dir, target, rest ? "/" : "", rest ? rest : "");
  return open_in_root_depth (rootfd, next, create, mode, depth + 1, err);
}

static int
create_in_root (int rootfd, const char *path, enum in_root_create create, int mode, int depth, hull_err *err)
{
  cleanup_free char *buf = xstrdup (path);
  size_t n = strlen (buf);
  char *p = buf;

  while (n > 1 && buf[n - 1] == '/')
    buf[--n] = '\0';
  while (*p == '/')
    p++;

  for (;;)
    {
      char *slash = strchr (p, '/');
      bool last = slash == NULL;
      cleanup_close int parent = -1;
      int fd;

      if (!last)
        *slash = '\0';
      fd = openat2_in_root (rootfd, buf, O_PATH);
      if (fd >= 0 && !last)
        {
          close (fd);
          *slash = '/';
          p = slash + 1;
          while (*p == '/')
            p++;
          if (*p == '\0')
            return openat2_in_root (rootfd, buf, O_PATH);
          continue;
        }
      if (fd >= 0)
        return fd;
      if (errno != ENOENT)
        return hull_error (err, errno, "open `%s` in the rootfs", buf);

      /* buf = ".../name": open the parent (exists by now) and create name. */
      char *name = strrchr (buf, '/');
      if (name != NULL)
        {
          *name = '\0';
          parent = openat2_in_root (rootfd, buf, O_PATH | O_DIRECTORY);
          *name = '/';
          name++;
        }
      else
        {
          parent = openat2_in_root (rootfd, ".", O_PATH | O_DIRECTORY);
          name = buf;
        }
      if (parent < 0)
        return hull_error (err, errno, "open the parent of `%s` in the rootfs", buf);
      if (strcmp (name, "..") == 0 || strcmp (name, ".") == 0)
        return hull_error (err, 0, "invalid path `%s`", path);

      if (last && create == IN_ROOT_MKFILE)
        {
          int f = openat (parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
          if (f < 0 && errno != EEXIST)
            return hull_error (err, errno, "create `%s` in the rootfs", buf);
          if (f >= 0)
            close (f);
        }
      else if (mkdirat (parent, name, last ? mode : 0755) < 0 && errno != EEXIST)
        return hull_error (err, errno, "mkdir `%s` in the rootfs", buf);

      fd = openat2_in_root (rootfd, buf, O_PATH);
      if (fd < 0 && errno == ENOENT)
        {
          /* EEXIST above on a dangling symlink: create its target. */
          struct stat st;
          if (fstatat (parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK (st.st_mode))
            {
              cleanup_free char *dir = xstrndup_prefix (buf, name);
              int r = follow_dangling (rootfd, parent, dir, name, last ? NULL : slash + 1, create, mode, depth, err);
              if (r >= 0 || (err != NULL && *err != NULL))
                return r;
            }
          errno = ENOENT;
        }
      if (fd < 0)
        return hull_error (err, errno, "open `%s` in the rootfs", buf);
      if (last)
        return fd;
      close (fd);
      *slash = '/';
      p = slash + 1;
      while (*p == '/')
        p++;
      if (*p == '\0')
        return openat2_in_root (rootfd, buf, O_PATH);
    }
}

static int
open_in_root_depth (int rootfd, const char *path, enum in_root_create create, int mode, int depth, hull_err *err)
{
  int fd = openat2_in_root (rootfd, path, O_PATH);
  if (fd >= 0)
    return fd;
  if (errno != ENOENT || create == IN_ROOT_NO_CREATE)
    return hull_error (err, errno, "open `%s` in the rootfs", path);
  return create_in_root (rootfd, path, create, mode, depth, err);
}

int
open_in_root (int rootfd, const char *path, enum in_root_create create, int mode, hull_err *err)
{
  return open_in_root_depth (rootfd, path, create, mode, 0, err);
}

int
open_parent_in_root (int rootfd, const char *path, const char **base, hull_err *err)
{
  cleanup_free char *dir = xstrdup (path);
  size_t n = strlen (dir);
  char *slash;

  while (n > 1 && dir[n - 1] == '/')
    dir[--n] = '\0';
  slash = strrchr (dir, '/');
  *base = path + (slash != NULL ? (size_t) (slash - dir) + 1 : 0);
  if (**base == '\0' || strncmp (*base, "..", 2) == 0 || strcmp (*base, ".") == 0
      || strchr (*base, '/') != NULL)
    return hull_error (err, 0, "invalid path `%s`", path);
  if (slash == NULL)
    return openat2_in_root (rootfd, ".", O_PATH | O_DIRECTORY);
  *slash = '\0';
  return open_in_root (rootfd, *dir ? dir : "/", IN_ROOT_MKDIR, 0755, err);
}

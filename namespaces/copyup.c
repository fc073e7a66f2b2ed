/* "tmpcopyup" (a runc extension): a tmpfs mounted over a directory of the
   image starts with a copy of what it hides.  The copy walks fds only
   (O_NOFOLLOW everywhere), so symlinks are copied, never followed. */
#include "namespaces/ns_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/util.h"

static int
copy_data (int in, int out, const char *name, hull_err *err)
{
  char buf[65536];
  for (;;)
    {
      ssize_t n = read (in, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return hull_error (err, errno, "tmpcopyup: read `%s`", name);
      if (n == 0)
        return 0;
      if (write_all (out, buf, n) < 0)
        return hull_error (err, errno, "tmpcopyup: write `%s`", name);
    }
}

static int copy_tree (int src, int dst, int depth, hull_err *err);

static int
copy_entry (int src, int dst, const char *name, const struct stat *st, int depth, hull_err *err)
{
  mode_t perm = st->st_mode & 07777;

  if (S_ISDIR (st->st_mode))
    {
      cleanup_close int s = -1, d = -1;
      if (mkdirat (dst, name, perm) < 0 && errno != EEXIST)
        return hull_error (err, errno, "tmpcopyup: mkdir `%s`", name);
      s = openat (src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      d = openat (dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (s < 0 || d < 0)
        return hull_error (err, errno, "tmpcopyup: open `%s`", name);
      if (copy_tree (s, d, depth + 1, err) < 0)
        return -1;
      if (fchmod (d, perm) < 0)
        return hull_error (err, errno, "tmpcopyup: chmod `%s`", name);
    }
  else if (S_ISREG (st->st_mode))
    {
      cleanup_close int s = openat (src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      cleanup_close int d = -1;
      if (s < 0)
        return hull_error (err, errno, "tmpcopyup: open `%s`", name);
      d = openat (dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, perm);
      if (d < 0)
        return hull_error (err, errno, "tmpcopyup: create `%s`", name);
      if (copy_data (s, d, name, err) < 0)
        return -1;
      if (fchmod (d, perm) < 0)
        return hull_error (err, errno, "tmpcopyup: chmod `%s`", name);
    }
  else if (S_ISLNK (st->st_mode))
    {
      char target[PATH_MAX];
      ssize_t n = readlinkat (src, name, target, sizeof target - 1);
      if (n < 0)
        return hull_error (err, errno, "tmpcopyup: readlink `%s`", name);
      target[n] = '\0';
      if (symlinkat (target, dst, name) < 0)
        return hull_error (err, errno, "tmpcopyup: symlink `%s`", name);
    }
  else if (mknodat (dst, name, st->st_mode, st->st_rdev) < 0)
    return hull_error (err, errno, "tmpcopyup: mknod `%s`", name);

  if (fchownat (dst, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EPERM && errno != EINVAL)
    return hull_error (err, errno, "tmpcopyup: chown `%s`", name);
  return 0;
}

static int
copy_tree (int src, int dst, int depth, hull_err *err)
{
  DIR *d;
  struct dirent *de;
  int ret = 0;
  int fd;

  if (depth > 64)
    return hull_error (err, ELOOP, "tmpcopyup: directory tree too deep");
  fd = dup (src);
  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return hull_error (err, errno, "tmpcopyup: opendir");
    }
  while (ret == 0 && (de = readdir (d)) != NULL)
    {
      struct stat st;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (fstatat (src, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        ret = hull_error (err, errno, "tmpcopyup: stat `%s`", de->d_name);
      else
        ret = copy_entry (src, dst, de->d_name, &st, depth, err);
    }
  closedir (d);
  return ret;
}

int
copyup_dir (int src_dir, int dst_dir, hull_err *err)
{
  struct stat st;
  if (copy_tree (src_dir, dst_dir, 0, err) < 0)
    return -1;
  /* The tmpfs root takes the mode and owner of the directory it hides. */
  if (fstat (src_dir, &st) == 0)
    {
      if (fchmod (dst_dir, st.st_mode & 07777) < 0)
        return hull_error (err, errno, "tmpcopyup: chmod");
      if (fchown (dst_dir, st.st_uid, st.st_gid) < 0 && errno != EPERM && errno != EINVAL)
        return hull_error (err, errno, "tmpcopyup: chown");
    }
  return 0;
}

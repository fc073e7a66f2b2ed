/* /dev: the default devices every container gets (runtime-spec
   "Default Devices"), linux.devices, and the /dev symlinks.  Nodes are
   made with mknod, or bind-mounted from the host inside a user namespace
   where mknod is not allowed.  Paths are resolved inside the rootfs. */
#include "namespaces/ns_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/util.h"

struct default_device
{
  const char *path;
  unsigned major, minor;
};

static const struct default_device default_devices[] = {
  { "/dev/null", 1, 3 },   { "/dev/zero", 1, 5 },    { "/dev/full", 1, 7 },
  { "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

static const char *const dev_symlinks[][2] = {
  { "/proc/self/fd", "/dev/fd" },
  { "/proc/self/fd/0", "/dev/stdin" },
  { "/proc/self/fd/1", "/dev/stdout" },
  { "/proc/self/fd/2", "/dev/stderr" },
  { "pts/ptmx", "/dev/ptmx" },
};

static int
bind_host_device (struct ns_init *in, const char *path, hull_err *err)
{
  cleanup_close int target = open_in_root (in->rootfd, path, IN_ROOT_MKFILE, 0644, err);
  char p[FD_PATH_MAX];
  if (target < 0)
    return -1;
  fd_path (target, p);
  if (mount (path, p, NULL, MS_BIND, NULL) < 0)
    return hull_error (err, errno, "bind mount device `%s`", path);
  return 0;
}

static int
make_device (struct ns_init *in, const char *path, mode_t type, unsigned major, unsigned minor, mode_t perm,
             uid_t uid, gid_t gid, hull_err *err)
{
  cleanup_close int dir = -1;
  const char *base;

  if (in->in_userns)
    return bind_host_device (in, path, err);

  dir = open_parent_in_root (in->rootfd, path, &base, err);
  if (dir < 0)
    return hull_error_wrap (err, "device `%s`", path);
  /* Whatever the image has there (file, symlink, old node) is replaced. */
  if (unlinkat (dir, base, 0) < 0 && errno != ENOENT)
    {
      if (errno == EISDIR)
        return hull_error (err, EISDIR, "device `%s`", path);
      return hull_error (err, errno, "remove `%s`", path);
    }
  if (mknodat (dir, base, type | perm, type == S_IFIFO ? 0 : makedev (major, minor)) < 0)
    return hull_error (err, errno, "mknod `%s`", path);
  /* The umask trimmed the mode: set it exactly. */
  cleanup_close int node = openat (dir, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  char p[FD_PATH_MAX];
  if (node < 0)
    return hull_error (err, errno, "open `%s`", path);
  fd_path (node, p);
  if (chmod (p, perm) < 0)
    return hull_error (err, errno, "chmod `%s`", path);
  if (fchownat (node, "", uid, gid, AT_EMPTY_PATH) < 0)
    return hull_error (err, errno, "chown `%s`", path);
  return 0;
}

static int
spec_device (struct ns_init *in, const struct oci_device *d, hull_err *err)
{
  mode_t type;
  mode_t perm = d->file_mode.set ? (mode_t) (d->file_mode.v & 07777) : 0666;

  if (d->path == NULL || d->type == NULL)
    return hull_error (err, 0, "linux.devices: device without path or type");
  if (strcmp (d->type, "c") == 0 || strcmp (d->type, "u") == 0)
    type = S_IFCHR;
  else if (strcmp (d->type, "b") == 0)
    type = S_IFBLK;
  else if (strcmp (d->type, "p") == 0)
    type = S_IFIFO;
  else
    return hull_error (err, 0, "linux.devices: `%s`: invalid type `%s`", d->path, d->type);
  if (strncmp (d->path, "/dev/", 5) != 0)
    return hull_error (err, 0, "linux.devices: `%s`: the path must be under /dev", d->path);
  if (d->major < 0 || d->minor < 0 || d->major > 0xfffff || d->minor > 0xfffff)
    return hull_error (err, 0, "linux.devices: `%s`: invalid major/minor", d->path);
  return make_device (in, d->path, type, (unsigned) d->major, (unsigned) d->minor, perm,
                      d->uid.set ? (uid_t) d->uid.v : 0, d->gid.set ? (gid_t) d->gid.v : 0, err);
}

static bool
dev_is_bind_mounted (const struct oci_spec *spec)
{
  for (size_t i = 0; i < spec->mounts_len; i++)
    {
      const struct oci_mount *m = &spec->mounts[i];
      if (m->destination == NULL || strcmp (m->destination, "/dev") != 0)
        continue;
      if (m->type != NULL && strcmp (m->type, "bind") == 0)
        return true;
      for (size_t j = 0; j < m->options.len; j++)
        if (strcmp (m->options.items[j], "bind") == 0 || strcmp (m->options.items[j], "rbind") == 0)
          return true;
    }
  return false;
}

int
devices_create (struct ns_init *in, hull_err *err)
{
  const struct oci_linux *l = in->spec->linux_;
  bool setup_dev = !dev_is_bind_mounted (in->spec);
  mode_t old_umask = umask (0);
  int ret = 0;

  for (size_t i = 0; setup_dev && ret == 0 && i < ARRAY_SIZE (default_devices); i++)
    {
      const struct default_device *d = &default_devices[i];
      bool overridden = false;
      for (size_t j = 0; l && j < l->devices_len; j++)
        if (l->devices[j].path && strcmp (l->devices[j].path, d->path) == 0)
          overridden = true;
      if (!overridden)
        ret = make_device (in, d->path, S_IFCHR, d->major, d->minor, 0666, 0, 0, err);
    }
  for (size_t i = 0; ret == 0 && l && i < l->devices_len; i++)
    ret = spec_device (in, &l->devices[i], err);
  umask (old_umask);
  if (ret < 0 || !setup_dev)
    return ret;

  for (size_t i = 0; i < ARRAY_SIZE (dev_symlinks); i++)
    {
      cleanup_close int dir = -1;
      const char *base;
      dir = open_parent_in_root (in->rootfd, dev_symlinks[i][1], &base, err);
      if (dir < 0)
        return -1;
      if (symlinkat (dev_symlinks[i][0], dir, base) < 0 && errno != EEXIST)
        return hull_error (err, errno, "symlink `%s`", dev_symlinks[i][1]);
    }
  if (access ("/proc/kcore", F_OK) == 0)
    {
      cleanup_close int dir = -1;
      const char *base;
      dir = open_parent_in_root (in->rootfd, "/dev/core", &base, err);
      if (dir < 0)
        return -1;
      if (symlinkat ("/proc/kcore", dir, base) < 0 && errno != EEXIST)
        return hull_error (err, errno, "symlink `/dev/core`");
    }
  return 0;
}

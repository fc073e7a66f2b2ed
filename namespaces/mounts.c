/* mounts[] of the spec, performed below the rootfs before pivot_root.
   Targets are resolved inside the rootfs (paths.c) and mounted through
   /proc/self/fd/N so a symlink in the image cannot redirect them. */
#include "namespaces/ns_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "runtime/util.h"

unsigned long
mount_flags_from_statvfs (unsigned long f_flag, bool with_atime)
{
  unsigned long flags = 0;
  if (f_flag & ST_NOSUID)
    flags |= MS_NOSUID;
  if (f_flag & ST_NODEV)
    flags |= MS_NODEV;
  if (f_flag & ST_NOEXEC)
    flags |= MS_NOEXEC;
  if (f_flag & ST_RDONLY)
    flags |= MS_RDONLY;
  if (f_flag & ST_NODIRATIME)
    flags |= MS_NODIRATIME;
  if (with_atime && (f_flag & ST_NOATIME))
    flags |= MS_NOATIME;
  else if (with_atime && (f_flag & ST_RELATIME))
    flags |= MS_RELATIME;
  return flags;
}

int
remount_bind (int fd, const char *what, unsigned long flags, hull_err *err)
{
  char buf[FD_PATH_MAX];
  const char *p = what;
  struct statvfs sv;

  if (fd >= 0)
    {
      fd_path (fd, buf);
      p = buf;
    }
  flags &= ~(MS_BIND | MS_REC | MS_REMOUNT);
  if (mount (NULL, p, NULL, MS_REMOUNT | MS_BIND | flags, NULL) == 0)
    return 0;
  if (errno != EPERM || (fd >= 0 ? fstatvfs (fd, &sv) : statvfs (p, &sv)) < 0)
    return hull_error (err, errno, "remount `%s`", what);

  /* In a user namespace the kernel locks the flags a mount came with: keep
     them, as runc does, and only add ours. */
  flags |= mount_flags_from_statvfs (sv.f_flag, !(flags & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)));
  if (mount (NULL, p, NULL, MS_REMOUNT | MS_BIND | flags, NULL) < 0)
    return hull_error (err, errno, "remount `%s`", what);
  return 0;
}

static bool
mount_is_bind (const struct oci_mount *m, const struct mount_opts *o)
{
  return (m->type != NULL && strcmp (m->type, "bind") == 0) || (o->flags & MS_BIND);
}

/* After the mount itself: propagation and the recursive attributes. */
static int
mount_finish (struct ns_init *in, const struct oci_mount *m, const struct mount_opts *o, hull_err *err)
{
  cleanup_close int fd = -1;
  char p[FD_PATH_MAX];

  if (o->propagation == 0 && o->attr_set == 0 && o->attr_clr == 0)
    return 0;
  fd = open_in_root (in->rootfd, m->destination, IN_ROOT_NO_CREATE, 0, err);
  if (fd < 0)
    return fd;
  fd_path (fd, p);
  if (o->propagation && mount (NULL, p, NULL, o->propagation, NULL) < 0)
    return hull_error (err, errno, "set propagation of `%s`", m->destination);
  if (o->attr_set || o->attr_clr)
    {
      struct mount_attr attr = { .attr_set = o->attr_set, .attr_clr = o->attr_clr };
      if (mount_setattr (fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
        return hull_error (err, errno, "mount_setattr `%s`", m->destination);
    }
  return 0;
}

static int
mount_bind (struct ns_init *in, const struct oci_mount *m, const char *source, const struct mount_opts *o,
            hull_err *err)
{
  cleanup_free char *src = NULL;
  cleanup_close int target = -1;
  cleanup_close int mounted = -1;
  char p[FD_PATH_MAX];
  struct stat st;

  if (source == NULL)
    return hull_error (err, 0, "mount `%s`: bind mount without a source", m->destination);
  src = source[0] == '/' ? xstrdup (source) : xasprintf ("%s/%s", in->opts->bundle, source);
  if (stat (src, &st) < 0)
    return hull_error (err, errno, "mount `%s`: stat source `%s`", m->destination, src);

  target = open_in_root (in->rootfd, m->destination, S_ISDIR (st.st_mode) ? IN_ROOT_MKDIR : IN_ROOT_MKFILE,
                         S_ISDIR (st.st_mode) ? 0755 : 0644, err);
  if (target < 0)
    return hull_error_wrap (err, "mount `%s`", m->destination);
  fd_path (target, p);
  if (o->idmap && o->idmap_fd >= 0)
    {
      if (idmap_mount (o->idmap_fd, target, src, err) < 0)
        return hull_error_wrap (err, "mount `%s`", m->destination);
    }
  else if (mount (src, p, NULL, MS_BIND | (o->flags & MS_REC), NULL) < 0)
    return hull_error (err, errno, "bind mount `%s` on `%s`", src, m->destination);

  if (o->flags & ~(MS_BIND | MS_REC | MS_REMOUNT | MS_SILENT))
    {
      mounted = open_in_root (in->rootfd, m->destination, IN_ROOT_NO_CREATE, 0, err);
      if (mounted < 0)
        return mounted;
      if (remount_bind (mounted, m->destination, o->flags, err) < 0)
        return -1;
    }
  return mount_finish (in, m, o, err);
}

static int
copyup_into_mount (struct ns_init *in, const struct oci_mount *m, int hidden, bool ro, unsigned long flags,
                   hull_err *err)
{
  cleanup_close int mounted = open_in_root (in->rootfd, m->destination, IN_ROOT_NO_CREATE, 0, err);
  cleanup_close int dir = -1;
  char p[FD_PATH_MAX];

  if (mounted < 0)
    return -1;
  fd_path (mounted, p);
  dir = open (p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return hull_error (err, errno, "mount `%s`: tmpcopyup", m->destination);
  if (copyup_dir (hidden, dir, err) < 0)
    return hull_error_wrap (err, "mount `%s`", m->destination);
  if (ro && remount_bind (mounted, m->destination, flags | MS_RDONLY, err) < 0)
    return -1;
  return 0;
}

static int
mount_fs (struct ns_init *in, const struct oci_mount *m, const struct mount_opts *o, hull_err *err)
{
  cleanup_close int hidden = -1;
  bool copyup_ro = false;
  cleanup_close int target = -1;
  char p[FD_PATH_MAX];
  unsigned long flags = o->flags & ~(MS_REMOUNT | MS_BIND | MS_REC);

  target = open_in_root (in->rootfd, m->destination, IN_ROOT_MKDIR, 0755, err);
  if (target < 0)
    return hull_error_wrap (err, "mount `%s`", m->destination);
  fd_path (target, p);
  if (o->tmpcopyup)
    {
      if (strcmp (m->type, "tmpfs") != 0)
        return hull_error (err, 0, "mount `%s`: tmpcopyup needs a tmpfs", m->destination);
      /* Readable fd of what the tmpfs is about to hide. */
      hidden = open (p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (hidden < 0)
        return hull_error (err, errno, "mount `%s`: tmpcopyup", m->destination);
      /* Copy into a writable tmpfs, then apply the read-only flag. */
      if (flags & MS_RDONLY)
        {
          copyup_ro = true;
          flags &= ~MS_RDONLY;
        }
    }
  if (mount (m->source != NULL ? m->source : m->type, p, m->type, flags, o->data) < 0)
    {
      int e = errno;
      /* Some filesystems refuse flags at mount time in a user namespace:
         mount without, then remount with them. */
      if ((e == EPERM || e == EINVAL) && (flags & MS_RDONLY)
          && mount (m->source != NULL ? m->source : m->type, p, m->type, flags & ~MS_RDONLY, o->data) == 0)
        {
          cleanup_close int mounted = open_in_root (in->rootfd, m->destination, IN_ROOT_NO_CREATE, 0, err);
          if (mounted < 0 || remount_bind (mounted, m->destination, flags, err) < 0)
            return -1;
        }
      else
        return hull_error (err, e, "mount `%s` (type %s) on `%s`", m->source ? m->source : "none",
                           m->type, m->destination);
    }
  if (hidden >= 0 && copyup_into_mount (in, m, hidden, copyup_ro, flags, err) < 0)
    return -1;
  return mount_finish (in, m, o, err);
}

static int
mount_one (struct ns_init *in, const struct oci_mount *m, size_t index, hull_err *err)
{
  struct mount_opts o;
  int ret;

  if (m->destination == NULL || m->destination[0] == '\0')
    return hull_error (err, 0, "mount: empty destination");
  if (mount_opts_parse (&m->options, &o, err) < 0)
    return hull_error_wrap (err, "mount `%s`", m->destination);
  o.idmap_fd = in->idmap_fds != NULL ? in->idmap_fds[index] : -1;

  if (mount_is_bind (m, &o))
    {
      o.flags |= MS_BIND;
      ret = mount_bind (in, m, m->source, &o, err);
    }
  else if (m->type == NULL)
    ret = hull_error (err, 0, "mount `%s`: no type and not a bind mount", m->destination);
  else if (strcmp (m->type, "cgroup") == 0 || strcmp (m->type, "cgroup2") == 0)
    ret = cgroup_mount (in, m, &o, err);
  else if (strcmp (m->type, "sysfs") == 0 && !in->has_netns)
    {
      /* A sysfs mount shows the network devices of the mounting process's
         netns and is refused outside one we own: bind the host's, as runc. */
      o.flags |= MS_BIND | MS_REC;
      ret = mount_bind (in, m, "/sys", &o, err);
    }
  else if (strcmp (m->type, "mqueue") == 0 && !in->has_ipcns)
    {
      o.flags |= MS_BIND | MS_REC;
      ret = mount_bind (in, m, "/dev/mqueue", &o, err);
    }
  else
    ret = mount_fs (in, m, &o, err);
  mount_opts_free (&o);
  return ret;
}

int
mounts_apply (struct ns_init *in, hull_err *err)
{
  for (size_t i = 0; i < in->spec->mounts_len; i++)
    if (mount_one (in, &in->spec->mounts[i], i, err) < 0)
      return -1;
  return 0;
}

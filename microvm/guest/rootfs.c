/* Guest mounts: the init's own /proc, /sys, /dev, then the container rootfs
   (ext4 on /dev/vda) with the OCI mounts the host passed, made the root by
   moving it over / (the initramfs cannot be pivot_root'ed away). */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "microvm/guest/guest.h"

#define NEWROOT "/newroot"
#define ROOT_DEVICE "/dev/vda"

static int
say (char *why, size_t len, const char *what, const char *path)
{
  snprintf (why, len, "%s `%s`: %s", what, path, strerror (errno));
  return -1;
}

static int
mount_one (const char *src, const char *dst, const char *type, unsigned long flags, const char *data, char *why,
           size_t len)
{
  mkdir (dst, 0755);
  if (mount (src, dst, type, flags, data) < 0)
    return say (why, len, "mount", dst);
  return 0;
}

int
guest_early_mounts (char *why, size_t len)
{
  if (mount_one ("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", why, len) < 0 && errno != EBUSY)
    return -1;
  if (mount_one ("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, why, len) < 0)
    return -1;
  if (mount_one ("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, why, len) < 0)
    return -1;
  return 0;
}

/* mkdir -p inside the new root; path is absolute within it. */
static int
mkdir_under (const char *root, const char *path, mode_t mode, char *why, size_t len)
{
  char buf[4096];
  if (snprintf (buf, sizeof buf, "%s%s", root, path) >= (int) sizeof buf)
    return errno = ENAMETOOLONG, say (why, len, "mkdir", path);
  for (char *p = buf + strlen (root) + 1; *p; p++)
    if (*p == '/')
      {
        *p = 0;
        if (mkdir (buf, mode) < 0 && errno != EEXIST)
          return say (why, len, "mkdir", buf + strlen (root));
        *p = '/';
      }
  if (mkdir (buf, mode) < 0 && errno != EEXIST)
    return say (why, len, "mkdir", path);
  return 0;
}

/* The devices every container expects in a tmpfs /dev (the OCI default
   devices), since the guest's devtmpfs would expose the VM's own disks and
   control port. */
static int
populate_dev (const char *dev, char *why, size_t len)
{
  static const struct { const char *name; unsigned maj, min; } nodes[] = {
    { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
  };
  static const struct { const char *name, *target; } links[] = {
    { "ptmx", "pts/ptmx" }, { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
    { "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
  };
  char path[4300];

  for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++)
    {
      snprintf (path, sizeof path, "%s/%s", dev, nodes[i].name);
      if (mknod (path, S_IFCHR | 0666, makedev (nodes[i].maj, nodes[i].min)) < 0 && errno != EEXIST)
        return say (why, len, "mknod", path);
      chmod (path, 0666);   /* umask */
    }
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
    {
      snprintf (path, sizeof path, "%s/%s", dev, links[i].name);
      if (symlink (links[i].target, path) < 0 && errno != EEXIST)
        return say (why, len, "symlink", path);
    }
  return 0;
}

/* tmpcopyup: copies the tree under the directory fd `from` (the one the
   tmpfs now hides) into `to`, keeping modes, owners and symlinks.  The
   guest is the container's alone, so what the rootfs holds is copied as is. */
static int
copy_tree (int from, int to)
{
  int dup_fd = dup (from);
  DIR *d = dup_fd >= 0 ? fdopendir (dup_fd) : NULL;
  struct dirent *e;
  int ret = 0;

  if (d == NULL)
    return dup_fd >= 0 ? close (dup_fd), -1 : -1;
  while (ret == 0 && (e = readdir (d)) != NULL)
    {
      struct stat st;
      if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      if (fstatat (from, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        ret = -1;
      else if (S_ISDIR (st.st_mode))
        {
          int s = -1, t = -1;
          if (mkdirat (to, e->d_name, st.st_mode & 07777) < 0
              || (s = openat (from, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0
              || (t = openat (to, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0
              || copy_tree (s, t) < 0)
            ret = -1;
          if (t >= 0)
            fchmod (t, st.st_mode & 07777);
          if (s >= 0)
            close (s);
          if (t >= 0)
            close (t);
        }
      else if (S_ISLNK (st.st_mode))
        {
          char target[4096];
          ssize_t n = readlinkat (from, e->d_name, target, sizeof target - 1);
          if (n < 0)
            ret = -1;
          else
            {
              target[n] = 0;
              ret = symlinkat (target, to, e->d_name);
            }
        }
      else if (S_ISREG (st.st_mode))
        {
          int s = openat (from, e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
          int t = s < 0 ? -1 : openat (to, e->d_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777);
          char buf[65536];
          ssize_t n = 0;
          while (t >= 0 && (n = read (s, buf, sizeof buf)) > 0)
            if (write (t, buf, (size_t) n) != n)
              {
                n = -1;
                break;
              }
          if (s < 0 || t < 0 || n < 0 || fchmod (t, st.st_mode & 07777) < 0)
            ret = -1;
          if (s >= 0)
            close (s);
          if (t >= 0)
            close (t);
        }
      else
        ret = mknodat (to, e->d_name, st.st_mode, st.st_rdev);
      if (ret == 0)
        fchownat (to, e->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
    }
  closedir (d);
  return ret;
}

static int
oci_mount (const struct hull_mount *m, char *why, size_t len)
{
  char target[4200];
  const char *type = m->type;

  /* The guest kernel is cgroup v2 only. */
  if (strcmp (type, "cgroup") == 0)
    type = "cgroup2";
  if (mkdir_under (NEWROOT, m->destination, 0755, why, len) < 0)
    return -1;
  snprintf (target, sizeof target, "%s%s", NEWROOT, m->destination);
  unsigned long flags = (unsigned long) (m->flags & ~HULL_MOUNT_TMPCOPYUP);
  bool copyup = (m->flags & HULL_MOUNT_TMPCOPYUP) && strcmp (type, "tmpfs") == 0;
  int hidden = copyup ? open (target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
  /* Read-only is applied by a remount, as for binds on the host, so that
     the mount points beneath can still be created. */
  if (mount (m->source[0] ? m->source : type, target, type, flags & ~MS_RDONLY, m->data[0] ? m->data : NULL) < 0)
    {
      if (hidden >= 0)
        close (hidden);
      return say (why, len, "mount", m->destination);
    }
  if (hidden >= 0)
    {
      int top = open (target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      int ret = top < 0 ? -1 : copy_tree (hidden, top);
      struct stat st;
      /* The tmpfs root takes the hidden directory's owner (mode stays as
         the options say, as in container isolation). */
      if (ret == 0 && fstat (hidden, &st) == 0)
        ret = fchown (top, st.st_uid, st.st_gid);
      close (hidden);
      if (top >= 0)
        close (top);
      if (ret < 0)
        return say (why, len, "tmpcopyup into", m->destination);
    }
  if (strcmp (m->destination, "/dev") == 0 && strcmp (type, "tmpfs") == 0 && populate_dev (target, why, len) < 0)
    return -1;
  return 0;
}

static int
remount_readonly (const struct hull_process *cfg, char *why, size_t len)
{
  char target[4200];
  for (size_t i = cfg->n_mounts; i-- > 0;)
    {
      const struct hull_mount *m = &cfg->mounts[i];
      if (! (m->flags & MS_RDONLY))
        continue;
      snprintf (target, sizeof target, "%s%s", NEWROOT, m->destination);
      if (mount (NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | (m->flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC)),
                 NULL) < 0)
        return say (why, len, "remount read-only", m->destination);
    }
  return 0;
}

static int
wait_for_device (const char *path)
{
  struct stat st;
  for (int i = 0; i < 1500; i++)   /* 30 s */
    {
      if (stat (path, &st) == 0)
        return 0;
      struct timespec ts = { 0, 20 * 1000000L };
      nanosleep (&ts, NULL);
    }
  return -1;
}

/* linux.sysctl, through the init's own /proc: the guest kernel is the
   container's alone. */
static int
apply_sysctls (const struct hull_process *cfg, char *why, size_t len)
{
  for (size_t i = 0; i < cfg->n_sysctl; i++)
    {
      char path[4200];
      const char *eq = strchr (cfg->sysctl[i], '=');
      int n = snprintf (path, sizeof path, "/proc/sys/%.*s", (int) (eq - cfg->sysctl[i]), cfg->sysctl[i]);
      if (n < 0 || (size_t) n >= sizeof path)
        continue;
      for (char *p = path + 10; *p; p++)
        if (*p == '.')
          *p = '/';
      int fd = open (path, O_WRONLY | O_CLOEXEC);
      if (fd < 0 || write (fd, eq + 1, strlen (eq + 1)) < 0)
        {
          say (why, len, "sysctl", cfg->sysctl[i]);
          if (fd >= 0)
            close (fd);
          return -1;
        }
      close (fd);
    }
  return 0;
}

/* linux.maskedPaths and readonlyPaths, as runc does: /dev/null over files,
   an empty read-only tmpfs over directories; read-only binds.  Paths that
   do not exist are skipped. */
static int
mask_and_protect (const struct hull_process *cfg, char *why, size_t len)
{
  char target[4200];
  struct stat st;
  for (size_t i = 0; i < cfg->n_masked; i++)
    {
      snprintf (target, sizeof target, "%s%s", NEWROOT, cfg->masked[i]);
      if (lstat (target, &st) < 0)
        continue;
      int ret = S_ISDIR (st.st_mode) ? mount ("tmpfs", target, "tmpfs", MS_RDONLY, "size=0")
                                     : mount ("/dev/null", target, NULL, MS_BIND, NULL);
      if (ret < 0)
        return say (why, len, "mask", cfg->masked[i]);
    }
  for (size_t i = 0; i < cfg->n_readonly; i++)
    {
      snprintf (target, sizeof target, "%s%s", NEWROOT, cfg->readonly[i]);
      if (lstat (target, &st) < 0)
        continue;
      if (mount (target, target, NULL, MS_BIND | MS_REC, NULL) < 0
          || mount (NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return say (why, len, "make read-only", cfg->readonly[i]);
    }
  return 0;
}

int
guest_enter_rootfs (const struct hull_process *cfg, char *why, size_t len)
{
  if (apply_sysctls (cfg, why, len) < 0)
    return -1;
  if (wait_for_device (ROOT_DEVICE) < 0)
    return say (why, len, "no root disk", ROOT_DEVICE);
  if (mount_one (ROOT_DEVICE, NEWROOT, "ext4", 0, NULL, why, len) < 0)
    return -1;
  for (size_t i = 0; i < cfg->n_mounts; i++)
    if (oci_mount (&cfg->mounts[i], why, len) < 0)
      return -1;
  /* As runc: a missing cwd is created (before the root turns read-only). */
  if (cfg->cwd && cfg->cwd[0] == '/' && mkdir_under (NEWROOT, cfg->cwd, 0755, why, len) < 0)
    return -1;
  if (remount_readonly (cfg, why, len) < 0 || mask_and_protect (cfg, why, len) < 0)
    return -1;
  if (cfg->root_readonly && mount (NULL, NEWROOT, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
    return say (why, len, "remount read-only", "/");

  /* The init's /dev, /proc and /sys are not the container's business. */
  umount2 ("/dev", MNT_DETACH);
  umount2 ("/proc", MNT_DETACH);
  umount2 ("/sys", MNT_DETACH);
  if (chdir (NEWROOT) < 0)
    return say (why, len, "chdir", NEWROOT);
  if (mount (".", "/", NULL, MS_MOVE, NULL) < 0)
    return say (why, len, "move rootfs to", "/");
  if (chroot (".") < 0 || chdir ("/") < 0)
    return say (why, len, "chroot", NEWROOT);
  /* linux.rootfsPropagation, as seen from inside (the guest has no other
     side to propagate to). */
  if (cfg->root_propagation && mount (NULL, "/", NULL, (unsigned long) cfg->root_propagation, NULL) < 0)
    return say (why, len, "set the propagation of", "/");
  return 0;
}

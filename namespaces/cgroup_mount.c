/* A "cgroup" mount.  On a cgroup v2 host it is cgroup2.  On v1 and hybrid
   hosts it is runc's layout: a tmpfs with one directory per hierarchy
   (cpu, memory, name=systemd as "systemd", cgroup2 as "unified"), symlinks
   for co-mounted controllers ("cpu" -> "cpu,cpuacct").  In a new cgroup
   namespace each hierarchy is mounted afresh (the kernel shows the
   namespace root); without one, the container's own cgroup directory of
   each hierarchy is bind-mounted. */
#include "namespaces/ns_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "namespaces/mountinfo.h"
#include "runtime/util.h"

#define HOST_CGROUP_ROOT "/sys/fs/cgroup"
#define CGROUP_FLAGS_MASK (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME | MS_NOATIME | MS_STRICTATIME)

/* The controllers of a v1 hierarchy, as mount(2) data: "cpu,cpuacct",
   "name=systemd" (plus "xattr" and the like, which must match the host). */
static char *
v1_mount_data (const char *super_options)
{
  cleanup_free char *copy = xstrdup (super_options);
  char *out = NULL, *save = NULL;
  for (char *t = strtok_r (copy, ",", &save); t; t = strtok_r (NULL, ",", &save))
    {
      if (strcmp (t, "rw") == 0 || strcmp (t, "ro") == 0)
        continue;
      char *n = out ? xasprintf ("%s,%s", out, t) : xstrdup (t);
      free (out);
      out = n;
    }
  return out ? out : xstrdup ("");
}

static bool
option_in (const char *list, const char *opt)
{
  size_t l = strlen (opt);
  for (const char *p = list; p && *p;)
    {
      if (strncmp (p, opt, l) == 0 && (p[l] == ',' || p[l] == '\0'))
        return true;
      p = strchr (p, ',');
      if (p)
        p++;
    }
  return false;
}

/* Our cgroup in the hierarchy mounted with `super_options` (v1) or the
   unified one, from /proc/self/cgroup. */
static char *
own_cgroup_path (const char *super_options, bool unified)
{
  cleanup_fclose FILE *f = fopen ("/proc/self/cgroup", "re");
  char *line = NULL, *res = NULL;
  size_t cap = 0;

  if (f == NULL)
    return NULL;
  while (res == NULL && getline (&line, &cap, f) > 0)
    {
      char *c1 = strchr (line, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL)
        continue;
      *c2 = '\0';
      c2[1 + strcspn (c2 + 1, "\n")] = '\0';
      const char *ctrls = c1 + 1;
      if (unified)
        {
          if (*ctrls == '\0')
            res = xstrdup (c2 + 1);
          continue;
        }
      if (*ctrls == '\0')
        continue;
      bool all = true;
      cleanup_free char *copy = xstrdup (ctrls);
      char *save = NULL;
      for (char *t = strtok_r (copy, ",", &save); t && all; t = strtok_r (NULL, ",", &save))
        all = option_in (super_options, t);
      if (all)
        res = xstrdup (c2 + 1);
    }
  free (line);
  return res;
}

static int
mount_hierarchy (struct ns_init *in, const char *dest, const struct mountinfo_entry *e, unsigned long flags,
                 hull_err *err)
{
  const char *name = e->mount_point + strlen (HOST_CGROUP_ROOT "/");
  bool unified = strcmp (e->fstype, "cgroup2") == 0;
  cleanup_free char *target_path = xasprintf ("%s/%s", dest, name);
  cleanup_close int target = open_in_root (in->rootfd, target_path, IN_ROOT_MKDIR, 0755, err);
  char p[FD_PATH_MAX];

  if (target < 0)
    return -1;
  fd_path (target, p);
  if (in->new_cgroupns)
    {
      cleanup_free char *data = unified ? NULL : v1_mount_data (e->super_options);
      if (mount ("cgroup", p, unified ? "cgroup2" : "cgroup", flags, data) < 0)
        return hull_error (err, errno, "mount cgroup hierarchy `%s` on `%s`", name, target_path);
    }
  else
    {
      cleanup_free char *own = own_cgroup_path (e->super_options, unified);
      cleanup_free char *src = NULL;
      size_t rl = strlen (e->root);
      const char *rel = own ? own : "/";
      if (strcmp (e->root, "/") != 0 && strncmp (rel, e->root, rl) == 0)
        rel += rl;
      src = xasprintf ("%s%s", e->mount_point, rel);
      if (mount (src, p, NULL, MS_BIND | MS_REC, NULL) < 0)
        return hull_error (err, errno, "bind mount cgroup `%s` on `%s`", src, target_path);
      cleanup_close int mounted = open_in_root (in->rootfd, target_path, IN_ROOT_NO_CREATE, 0, err);
      if (mounted < 0 || remount_bind (mounted, target_path, flags, err) < 0)
        return -1;
    }

  /* Co-mounted controllers get a symlink each, as on the host. */
  if (!unified && strchr (name, ',') != NULL)
    {
      cleanup_close int dir = open_in_root (in->rootfd, dest, IN_ROOT_NO_CREATE, 0, err);
      cleanup_free char *copy = xstrdup (name);
      char *save = NULL;
      if (dir < 0)
        return -1;
      for (char *t = strtok_r (copy, ",", &save); t; t = strtok_r (NULL, ",", &save))
        if (symlinkat (name, dir, t) < 0 && errno != EEXIST)
          return hull_error (err, errno, "symlink cgroup `%s/%s`", dest, t);
    }
  return 0;
}

static int
mount_v1_layout (struct ns_init *in, const struct oci_mount *m, unsigned long flags, hull_err *err)
{
  struct mountinfo mi;
  cleanup_close int target = -1;
  cleanup_close int mounted = -1;
  char p[FD_PATH_MAX];
  int ret = 0;

  if (mountinfo_read (&mi, err) < 0)
    return -1;
  target = open_in_root (in->rootfd, m->destination, IN_ROOT_MKDIR, 0755, err);
  if (target < 0)
    {
      mountinfo_free (&mi);
      return -1;
    }
  fd_path (target, p);
  if (mount ("tmpfs", p, "tmpfs", (flags & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
    ret = hull_error (err, errno, "mount tmpfs on `%s`", m->destination);

  for (size_t i = 0; ret == 0 && i < mi.len; i++)
    {
      const struct mountinfo_entry *e = &mi.entries[i];
      if (strncmp (e->mount_point, HOST_CGROUP_ROOT "/", strlen (HOST_CGROUP_ROOT "/")) != 0
          || strchr (e->mount_point + strlen (HOST_CGROUP_ROOT "/"), '/') != NULL)
        continue;
      if (strcmp (e->fstype, "cgroup") != 0 && strcmp (e->fstype, "cgroup2") != 0)
        continue;
      ret = mount_hierarchy (in, m->destination, e, flags, err);
    }
  mountinfo_free (&mi);
  if (ret < 0)
    return ret;

  if (flags & MS_RDONLY)
    {
      mounted = open_in_root (in->rootfd, m->destination, IN_ROOT_NO_CREATE, 0, err);
      if (mounted < 0)
        return -1;
      return remount_bind (mounted, m->destination, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, err);
    }
  return 0;
}

static int
mount_cgroup2 (struct ns_init *in, const struct oci_mount *m, unsigned long flags, hull_err *err)
{
  cleanup_close int target = open_in_root (in->rootfd, m->destination, IN_ROOT_MKDIR, 0755, err);
  char p[FD_PATH_MAX];

  if (target < 0)
    return -1;
  fd_path (target, p);
  if (mount ("cgroup2", p, "cgroup2", flags, NULL) == 0)
    return 0;
  if (errno != EPERM && errno != EBUSY)
    return hull_error (err, errno, "mount cgroup2 on `%s`", m->destination);
  /* Not allowed in this user namespace without a cgroup namespace: bind the
     host's, as runc does. */
  if (mount (HOST_CGROUP_ROOT, p, NULL, MS_BIND | MS_REC, NULL) < 0)
    return hull_error (err, errno, "bind mount cgroup2 on `%s`", m->destination);
  cleanup_close int mounted = open_in_root (in->rootfd, m->destination, IN_ROOT_NO_CREATE, 0, err);
  if (mounted < 0)
    return -1;
  return remount_bind (mounted, m->destination, flags, err);
}

int
cgroup_mount (struct ns_init *in, const struct oci_mount *m, const struct mount_opts *o, hull_err *err)
{
  unsigned long flags = o->flags & CGROUP_FLAGS_MASK;
  struct statfs sfs;

  if (strcmp (m->type, "cgroup2") == 0)
    return mount_cgroup2 (in, m, flags, err);
  if (statfs (HOST_CGROUP_ROOT, &sfs) < 0)
    return hull_error (err, errno, "statfs %s", HOST_CGROUP_ROOT);
  if (sfs.f_type == CGROUP2_SUPER_MAGIC)
    return mount_cgroup2 (in, m, flags, err);
  return mount_v1_layout (in, m, flags, err);
}

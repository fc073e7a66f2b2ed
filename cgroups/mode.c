/* Which cgroup layout the host has: v1, v2 or hybrid (v1 controllers plus a
   cgroup2 mount, usually /sys/fs/cgroup/unified, that may hold controllers
   of its own).  The controller -> mount table comes from mountinfo (from
   libcgroup where mountinfo cannot be read); statfs tells each mount's
   version, which libcgroup 2.0.2 does not. */
#include "cgroups/internal.h"

#include <dirent.h>
#include <errno.h>
#include <linux/magic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>

#include "cgroups/libcgroup_mounts.h"
#include "runtime/util.h"

static long
fs_magic (const char *path)
{
  struct statfs sfs;
  if (statfs (path, &sfs) < 0)
    return -1;
  return (long) sfs.f_type;
}

bool
cg_hierarchy_has (const struct cg_hierarchy *h, const char *controller)
{
  size_t len = strlen (controller);
  const char *p = h->controllers;
  char sep = h->v2 ? ' ' : ',';

  while (p != NULL && *p != '\0')
    {
      const char *end = strchr (p, sep);
      size_t n = end ? (size_t) (end - p) : strlen (p);
      if (n == len && strncmp (p, controller, len) == 0)
        return true;
      p = end ? end + 1 : NULL;
    }
  return false;
}

const char *
cg_hierarchy_key (const struct cg_hierarchy *h)
{
  static __thread char key[64];
  const char *comma;
  size_t n;

  if (h->v2)
    return "";
  comma = strchr (h->controllers, ',');
  n = comma ? (size_t) (comma - h->controllers) : strlen (h->controllers);
  if (n >= sizeof key)
    n = sizeof key - 1;
  memcpy (key, h->controllers, n);
  key[n] = '\0';
  return key;
}

static char *
read_controllers (const char *mount)
{
  cleanup_free char *file = xasprintf ("%s/cgroup.controllers", mount);
  hull_err err = NULL;
  char *text = NULL;
  size_t len;

  if (read_file (file, &text, &len, &err) < 0)
    {
      hull_error_release (&err);
      return xstrdup ("");
    }
  while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
    text[--len] = '\0';
  return text;
}

static struct cg_hierarchy *
find_mount (struct cg_layout *l, const char *mount)
{
  for (size_t i = 0; i < l->n; i++)
    if (strcmp (l->h[i].mount, mount) == 0)
      return &l->h[i];
  return NULL;
}

static void
add_v1 (struct cg_layout *l, const char *controller, const char *mount)
{
  struct cg_hierarchy *h = find_mount (l, mount);
  if (h != NULL)
    {
      if (!cg_hierarchy_has (h, controller))
        {
          char *joined = xasprintf ("%s,%s", h->controllers, controller);
          free (h->controllers);
          h->controllers = joined;
        }
      return;
    }
  if (l->n == CG_MAX_HIER)
    return;
  l->h[l->n].controllers = xstrdup (controller);
  l->h[l->n].mount = xstrdup (mount);
  l->h[l->n].v2 = false;
  l->n++;
}

static void
add_libcgroup_mount (void *data, const char *controller, const char *mount)
{
  /* libcgroup also lists cgroup2 mounts; those are handled apart */
  if (fs_magic (mount) == CGROUP_SUPER_MAGIC)
    add_v1 (data, controller, mount);
}

static bool
layout_has (const struct cg_layout *l, const char *controller)
{
  for (size_t i = 0; i < l->n; i++)
    if (cg_hierarchy_has (&l->h[i], controller))
      return true;
  return false;
}

/* Super options of a v1 cgroup mount that are not controllers. */
static bool
is_controller_option (const char *opt)
{
  static const char *const flags[] = { "rw", "ro", "none", "xattr", "noprefix", "clone_children",
                                       "cpuset_v2_mode", "favordynmods", "nofavordynmods" };
  if (strchr (opt, '=') != NULL)
    return strncmp (opt, "name=", 5) == 0;
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
    if (strcmp (opt, flags[i]) == 0)
      return false;
  return *opt != '\0';
}

/* The controller -> mount table libcgroup builds from /proc/mounts, read
   from /proc/self/mountinfo: cgroup_init() zeroes some 800 KB of tables,
   a page fault per page in every create, run, exec, state and list, when
   only the v1 mounts directly under the root are needed.  Controllers come
   in the kernel's order, as libcgroup lists them.  -1: mountinfo cannot be
   read (libcgroup is asked instead). */
static int
add_mountinfo_mounts (struct cg_layout *l, const char *root)
{
  cleanup_fclose FILE *f = fopen ("/proc/self/mountinfo", "re");
  cleanup_free char *line = NULL;
  size_t cap = 0, rootlen = strlen (root);

  if (f == NULL)
    return -1;
  /* "36 25 0:31 / /sys/fs/cgroup/cpu rw,nosuid shared:15 - cgroup cgroup rw,cpu,cpuacct" */
  while (getline (&line, &cap, f) > 0)
    {
      char *sep = strstr (line, " - "), *save = NULL, *fstype, *super, *mount, *opt;

      if (sep == NULL)
        continue;
      *sep = '\0';
      fstype = strtok_r (sep + 3, " \n", &save);
      if (fstype == NULL || strcmp (fstype, "cgroup") != 0 || strtok_r (NULL, " \n", &save) == NULL
          || (super = strtok_r (NULL, " \n", &save)) == NULL)
        continue;
      save = NULL;
      mount = strtok_r (line, " ", &save);
      for (int field = 1; field < 5 && mount != NULL; field++)
        mount = strtok_r (NULL, " ", &save);
      /* Directly under the root, and no escaped characters (libcgroup's
         fallback below still sees such mounts by their directory). */
      if (mount == NULL || strncmp (mount, root, rootlen) != 0 || mount[rootlen] != '/'
          || strchr (mount + rootlen + 1, '/') != NULL || strchr (mount, '\\') != NULL
          || fs_magic (mount) != CGROUP_SUPER_MAGIC)
        continue;
      save = NULL;
      for (opt = strtok_r (super, ",", &save); opt != NULL; opt = strtok_r (NULL, ",", &save))
        if (is_controller_option (opt) && !layout_has (l, opt))
          add_v1 (l, opt, mount);
    }
  return 0;
}

/* Named hierarchies (name=systemd) and anything libcgroup did not report:
   every cgroup v1 mount directly under the root. */
static void
add_remaining_mounts (struct cg_layout *l, const char *root)
{
  DIR *dir = opendir (root);
  struct dirent *de;

  if (dir == NULL)
    return;
  while ((de = readdir (dir)) != NULL)
    {
      cleanup_free char *mount = NULL;
      if (de->d_name[0] == '.')
        continue;
      mount = xasprintf ("%s/%s", root, de->d_name);
      if (fs_magic (mount) != CGROUP_SUPER_MAGIC || find_mount (l, mount) != NULL)
        continue;
      if (strcmp (de->d_name, "systemd") == 0)
        add_v1 (l, "name=systemd", mount);
      else if (strchr (de->d_name, ',') == NULL)
        add_v1 (l, de->d_name, mount);
      else
        {
          /* "cpu,cpuacct" */
          cleanup_free char *names = xstrdup (de->d_name);
          char *save = NULL;
          for (char *t = strtok_r (names, ",", &save); t; t = strtok_r (NULL, ",", &save))
            add_v1 (l, t, mount);
        }
    }
  closedir (dir);
}

/* Controllers the kernel has that no hierarchy here carries. */
static char *
unmounted_controllers (const struct cg_layout *l)
{
  cleanup_fclose FILE *f = fopen ("/proc/cgroups", "re");
  char line[256], name[64];
  int hier, num, enabled;
  char *out = xstrdup ("");

  if (f == NULL)
    return out;
  while (fgets (line, sizeof line, f))
    {
      bool found = false;
      if (line[0] == '#' || sscanf (line, "%63s %d %d %d", name, &hier, &num, &enabled) != 4 || !enabled)
        continue;
      for (size_t i = 0; i < l->n && !found; i++)
        found = cg_hierarchy_has (&l->h[i], name);
      if (!found)
        {
          char *n = xasprintf ("%s%s%s", out, *out ? "," : "", name);
          free (out);
          out = n;
        }
    }
  return out;
}

static void
describe (struct cg_layout *l)
{
  cleanup_free char *v1 = xstrdup ("");
  cleanup_free char *missing = unmounted_controllers (l);
  const char *mode = l->mode == CGROUP_MODE_V2 ? "v2" : l->mode == CGROUP_MODE_HYBRID ? "hybrid" : "v1";

  for (size_t i = 0; i < l->n; i++)
    if (!l->h[i].v2)
      {
        char *n = xasprintf ("%s%s%s", v1, *v1 ? "," : "", l->h[i].controllers);
        free (v1);
        v1 = n;
      }
  if (l->mode == CGROUP_MODE_V2)
    l->why = xasprintf ("v2: cgroup2 at %s with %s", l->unified->mount,
                        *l->unified->controllers ? l->unified->controllers : "no controllers");
  else if (l->mode == CGROUP_MODE_HYBRID)
    l->why = xasprintf ("%s: v1 %s; cgroup2 at %s with %s; not mounted: %s", mode, v1, l->unified->mount,
                        *l->unified->controllers ? l->unified->controllers : "no controllers",
                        *missing ? missing : "none");
  else
    l->why = xasprintf ("v1: %s; not mounted: %s", v1, *missing ? missing : "none");
}

int
cg_layout_detect (const char *root, struct cg_layout *l, hull_err *err)
{
  long magic = fs_magic (root);
  cleanup_free char *unified = NULL;

  memset (l, 0, sizeof *l);
  if (magic < 0)
    return hull_error (err, errno, "cgroups: statfs `%s`", root);
  if (magic == CGROUP2_SUPER_MAGIC)
    {
      l->mode = CGROUP_MODE_V2;
      l->h[0].mount = xstrdup (root);
      l->h[0].controllers = read_controllers (root);
      l->h[0].v2 = true;
      l->n = 1;
      l->unified = &l->h[0];
      describe (l);
      return 0;
    }
  if (strcmp (root, "/sys/fs/cgroup") == 0 && add_mountinfo_mounts (l, root) < 0)
    cg_libcgroup_mounts (add_libcgroup_mount, l);
  add_remaining_mounts (l, root);

  unified = xasprintf ("%s/unified", root);
  if (fs_magic (unified) == CGROUP2_SUPER_MAGIC && l->n < CG_MAX_HIER)
    {
      l->h[l->n].mount = xstrdup (unified);
      l->h[l->n].controllers = read_controllers (unified);
      l->h[l->n].v2 = true;
      l->unified = &l->h[l->n];
      l->n++;
    }
  if (l->n == 0)
    return hull_error (err, 0, "cgroups: no cgroup hierarchy is mounted under `%s`", root);
  l->mode = l->unified ? CGROUP_MODE_HYBRID : CGROUP_MODE_V1;
  describe (l);
  return 0;
}

void
cg_layout_clear (struct cg_layout *l)
{
  for (size_t i = 0; i < l->n; i++)
    {
      free (l->h[i].controllers);
      free (l->h[i].mount);
    }
  free (l->why);
  memset (l, 0, sizeof *l);
}

static struct cg_layout host_layout;
static int host_layout_state; /* 0 unknown, 1 ok, -1 failed */
static char *host_layout_error;
static pthread_mutex_t host_layout_lock = PTHREAD_MUTEX_INITIALIZER;

const struct cg_layout *
cg_layout_get (hull_err *err)
{
  pthread_mutex_lock (&host_layout_lock);
  if (host_layout_state == 0)
    {
      hull_err e = NULL;
      if (cg_layout_detect ("/sys/fs/cgroup", &host_layout, &e) < 0)
        {
          host_layout_state = -1;
          host_layout_error = xstrdup (e->msg);
          hull_error_release (&e);
        }
      else
        host_layout_state = 1;
    }
  pthread_mutex_unlock (&host_layout_lock);
  if (host_layout_state < 0)
    {
      hull_error (err, 0, "%s", host_layout_error);
      return NULL;
    }
  return &host_layout;
}

enum cgroup_mode
cgroup_detect_mode (char **why)
{
  hull_err err = NULL;
  const struct cg_layout *l = cg_layout_get (&err);

  if (l == NULL)
    {
      if (why)
        *why = xstrdup (err->msg);
      hull_error_release (&err);
      return CGROUP_MODE_V1;
    }
  if (why)
    *why = xstrdup (l->why);
  return l->mode;
}

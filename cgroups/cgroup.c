/* The life of one container cgroup: create (every mounted hierarchy), load
   from the stored path, enter, list, signal and destroy. */
#include "cgroups/internal.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/util.h"

void
cgroup_free (struct hull_cgroup *cg)
{
  if (cg == NULL)
    return;
  for (size_t i = 0; i < cg->n; i++)
    {
      free (cg->d[i].rel);
      free (cg->d[i].abs);
    }
  free (cg->path);
  free (cg);
}

static void
cgroup_freep (struct hull_cgroup **cg)
{
  cgroup_free (*cg);
}
#define cleanup_cgroup __attribute__ ((cleanup (cgroup_freep)))

const char *
cgroup_path (const struct hull_cgroup *cg)
{
  return cg->path;
}

const struct cg_dir *
cg_dir_for (const struct hull_cgroup *cg, const char *controller)
{
  for (size_t i = 0; i < cg->n; i++)
    if (cg_hierarchy_has (cg->d[i].h, controller))
      return &cg->d[i];
  return NULL;
}

const struct cg_dir *
cg_dir_unified (const struct hull_cgroup *cg)
{
  for (size_t i = 0; i < cg->n; i++)
    if (cg->d[i].h->v2)
      return &cg->d[i];
  return NULL;
}

const struct cg_dir *
cg_dir_primary (const struct hull_cgroup *cg)
{
  static const char *const prefer[] = { "freezer", "pids", "memory", "cpu", "devices" };
  const struct cg_dir *d;

  if (cg->layout->mode == CGROUP_MODE_V2)
    return cg_dir_unified (cg);
  for (size_t i = 0; i < ARRAY_SIZE (prefer); i++)
    if ((d = cg_dir_for (cg, prefer[i])) != NULL)
      return d;
  return cg->n ? &cg->d[0] : NULL;
}

static char *
abs_dir (const struct cg_hierarchy *h, const char *rel)
{
  return xasprintf ("%s%s", h->mount, strcmp (rel, "/") == 0 ? "" : rel);
}

static void
store_path (struct hull_cgroup *cg)
{
  const char *keys[CG_MAX_HIER], *rels[CG_MAX_HIER];
  cleanup_free char *key_store = xcalloc (cg->n, 64);

  for (size_t i = 0; i < cg->n; i++)
    {
      /* cg_hierarchy_key returns a per-thread buffer: copy it */
      char *k = key_store + i * 64;
      strncpy (k, cg_hierarchy_key (cg->d[i].h), 63);
      keys[i] = k;
      rels[i] = cg->d[i].rel;
    }
  cg->path = cg_path_encode (keys, rels, cg->n);
}

/* ---- creation ---- */

/* An empty cpuset.cpus/mems in a new v1 cpuset cgroup refuses every task:
   copy the parent's, level by level from the top. */
static int
init_cpuset_level (const char *dir, hull_err *err)
{
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
  cleanup_free char *parent = xstrdup (dir);
  char *slash = strrchr (parent, '/');

  if (slash == NULL)
    return 0;
  *slash = '\0';
  for (size_t i = 0; i < ARRAY_SIZE (files); i++)
    {
      cleanup_free char *cur = NULL, *up = NULL;
      if (cg_read (dir, files[i], &cur, err) < 0)
        return -1;
      if (strspn (cur, " \n") != strlen (cur))
        continue;
      if (cg_read (parent, files[i], &up, err) < 0)
        return -1;
      if (strspn (up, " \n") == strlen (up))
        continue;
      if (cg_write (dir, files[i], up, err) < 0)
        return -1;
    }
  return 0;
}

/* mkdir every missing level below the hierarchy root; remember the highest
   one created so a failure removes exactly what this call made. */
static int
make_dirs (const struct cg_dir *d, char **first_created, hull_err *err)
{
  size_t mlen = strlen (d->h->mount);
  cleanup_free char *path = xstrdup (d->abs);
  bool cpuset = !d->h->v2 && cg_hierarchy_has (d->h, "cpuset");

  for (char *p = path + mlen + 1; p != NULL;)
    {
      char *slash = strchr (p, '/');
      if (slash)
        *slash = '\0';
      if (mkdir (path, 0755) == 0)
        {
          if (*first_created == NULL)
            *first_created = xstrdup (path);
        }
      else if (errno != EEXIST)
        return hull_error (err, errno, "cgroup: mkdir `%s`", path);
      if (cpuset && init_cpuset_level (path, err) < 0)
        return -1;
      if (slash)
        *slash = '/';
      p = slash ? slash + 1 : NULL;
    }
  return 0;
}

/* On pure v2, make the controllers available down to the new cgroup, as
   runc and crun do; a controller that cannot be enabled shows up later as a
   missing file for the resource that needs it. */
static void
enable_v2_controllers (const struct cg_dir *d)
{
  cleanup_free char *path = xstrdup (d->abs);
  size_t mlen = strlen (d->h->mount);

  for (char *p = path + mlen; p != NULL;)
    {
      char *slash = strchr (p + 1, '/');
      cleanup_free char *avail = NULL;
      hull_err err = NULL;

      if (slash == NULL)
        break; /* the leaf itself will hold processes */
      *slash = '\0';
      if (cg_read (path, "cgroup.controllers", &avail, &err) == 0)
        {
          char *save = NULL;
          for (char *t = strtok_r (avail, " \n", &save); t; t = strtok_r (NULL, " \n", &save))
            {
              cleanup_free char *v = xasprintf ("+%s", t);
              if (cg_write (path, "cgroup.subtree_control", v, &err) < 0)
                hull_error_release (&err);
            }
        }
      hull_error_release (&err);
      *slash = '/';
      p = slash;
    }
}

static void
rmdir_up_to (const char *leaf, const char *top)
{
  cleanup_free char *path = xstrdup (leaf);
  size_t tlen = strlen (top);

  for (;;)
    {
      char *slash;
      rmdir (path);
      if (strlen (path) <= tlen)
        break;
      slash = strrchr (path, '/');
      if (slash == NULL)
        break;
      *slash = '\0';
    }
}

static int
read_own_cgroup (char **out, hull_err *err)
{
  return read_file ("/proc/self/cgroup", out, NULL, err);
}

/* A new container never shares a cgroup that already holds processes (in
   it or below it), as runc refuses it: the limits would be shared, and
   kill --all or delete would reach the strangers. */
static int
check_empty (const struct hull_cgroup *cg, hull_err *err)
{
  for (size_t i = 0; i < cg->n; i++)
    {
      cleanup_free pid_t *pids = NULL;
      size_t n = 0, cap = 0;

      if (access (cg->d[i].abs, F_OK) < 0)
        continue;
      if (cg_collect_pids (cg->d[i].abs, &pids, &n, &cap, err) < 0)
        {
          /* Removed meanwhile: empty. */
          if ((*err)->errnum != ENOENT && (*err)->errnum != ENODEV)
            return -1;
          hull_error_release (err);
          continue;
        }
      if (n > 0)
        return hull_error (err, 0, "container's cgroup is not empty: %zu process(es) found in `%s`", n,
                           cg->d[i].abs);
    }
  return 0;
}

/* In a frozen cgroup (its own, or its parent's, which a new child takes)
   the init would stop before it could say anything and create would wait
   for ever: refused, in runc's words. */
static int
check_not_frozen (struct hull_cgroup *cg, hull_err *err)
{
  bool frozen = false;
  hull_err ignored = NULL;

  if (cgroup_is_frozen (cg, &frozen, &ignored) < 0)
    {
      hull_error_release (&ignored);   /* no freezer: nothing can be frozen */
      return 0;
    }
  if (frozen)
    return hull_error (err, 0, "container's cgroup unexpectedly frozen");
  return 0;
}

int
cgroup_create (const char *cgroups_path, const char *id, const struct oci_resources *res,
               struct hull_cgroup **out, hull_err *err)
{
  return cgroup_create_with_devices (cgroups_path, id, res, NULL, 0, out, err);
}

int
cgroup_create_with_devices (const char *cgroups_path, const char *id, const struct oci_resources *res,
                            const struct oci_device *devices, size_t n_devices, struct hull_cgroup **out,
                            hull_err *err)
{
  const struct cg_layout *l = cg_layout_get (err);
  cleanup_free char *own = NULL;

  if (l == NULL || read_own_cgroup (&own, err) < 0)
    return -1;
  return cg_create_in (l, own, cgroups_path, id, res, devices, n_devices, out, err);
}

int
cg_create_in (const struct cg_layout *l, const char *own, const char *cgroups_path, const char *id,
              const struct oci_resources *res, const struct oci_device *devices, size_t n_devices,
              struct hull_cgroup **out, hull_err *err)
{
  cleanup_cgroup struct hull_cgroup *cg = NULL;
  char *created[CG_MAX_HIER] = { 0 };
  int ret = -1;

  cg = xcalloc (1, sizeof *cg);
  cg->layout = l;
  for (size_t i = 0; i < l->n; i++)
    {
      cleanup_free char *own_rel = cg_proc_cgroup_lookup (own, cg_hierarchy_key (&l->h[i]));
      cleanup_free char *base = cg_relative_base (l->mode, l->h[i].v2, own_rel);
      char *rel = NULL;
      if (cg_compute_path (cgroups_path, id, base, &rel, err) < 0)
        return -1;
      cg->d[i].h = &l->h[i];
      cg->d[i].rel = rel;
      cg->d[i].abs = abs_dir (&l->h[i], rel);
      cg->n++;
    }
  store_path (cg);
  /* Bad values are refused before anything exists. */
  if (res != NULL && cg_validate_resources (res, err) < 0)
    return -1;
  if (check_empty (cg, err) < 0)
    return -1;

  for (size_t i = 0; i < cg->n; i++)
    if (make_dirs (&cg->d[i], &created[i], err) < 0)
      goto fail;
  if (l->mode == CGROUP_MODE_V2)
    enable_v2_controllers (cg_dir_unified (cg));
  if (check_not_frozen (cg, err) < 0)
    goto fail;
  if (res != NULL && cg_apply_resources (cg, res, devices, n_devices, false, err) < 0)
    goto fail;

  ret = 0;
  *out = steal_ptr (&cg);
fail:
  for (size_t i = 0; i < CG_MAX_HIER; i++)
    {
      if (ret < 0 && created[i] != NULL)
        rmdir_up_to (cg->d[i].abs, created[i]);
      free (created[i]);
    }
  return ret;
}

int
cgroup_load (const char *path, struct hull_cgroup **out, hull_err *err)
{
  const struct cg_layout *l = cg_layout_get (err);
  cleanup_cgroup struct hull_cgroup *cg = NULL;
  bool any = false;

  if (l == NULL)
    return -1;
  if (path == NULL || path[0] != '/')
    return hull_error (err, 0, "cgroup: invalid stored cgroup path `%s`", path ? path : "");
  cg = xcalloc (1, sizeof *cg);
  cg->layout = l;
  cg->path = xstrdup (path);
  for (size_t i = 0; i < l->n; i++)
    {
      char *rel = cg_path_decode (path, cg_hierarchy_key (&l->h[i]), err);
      char *abs;
      if (rel == NULL)
        return -1;
      abs = abs_dir (&l->h[i], rel);
      /* A hierarchy mounted after the container was created has no
         directory for it: leave it out. */
      if (access (abs, F_OK) < 0)
        {
          free (rel);
          free (abs);
          continue;
        }
      cg->d[cg->n].h = &l->h[i];
      cg->d[cg->n].rel = rel;
      cg->d[cg->n].abs = abs;
      cg->n++;
      any = true;
    }
  if (!any)
    return hull_error (err, ENOENT, "cgroup `%s` does not exist", path);
  *out = steal_ptr (&cg);
  return 0;
}

int
cgroup_enter (struct hull_cgroup *cg, pid_t pid, hull_err *err)
{
  for (size_t i = 0; i < cg->n; i++)
    if (cg_writef (cg->d[i].abs, "cgroup.procs", err, "%d", (int) pid) < 0)
      return -1;
  return 0;
}

int
cgroup_pids (struct hull_cgroup *cg, pid_t **pids, size_t *n, hull_err *err)
{
  const struct cg_dir *d = cg_dir_primary (cg);
  size_t cap = 0;

  *pids = NULL;
  *n = 0;
  if (d == NULL)
    return 0;
  if (cg_collect_pids (d->abs, pids, n, &cap, err) < 0)
    {
      free (*pids);
      *pids = NULL;
      *n = 0;
      return -1;
    }
  return 0;
}

int
cgroup_kill_all (struct hull_cgroup *cg, int sig, hull_err *err)
{
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  bool was_frozen = false;
  hull_err ignored = NULL;
  int ret = 0;

  /* Freeze first so nothing forks away from the signal, then thaw so the
     signal is delivered (as runc does for kill --all). */
  if (cgroup_is_frozen (cg, &was_frozen, &ignored) < 0)
    hull_error_release (&ignored);
  if (!was_frozen && cgroup_freeze (cg, true, &ignored) < 0)
    hull_error_release (&ignored);
  if (cgroup_pids (cg, &pids, &n, err) < 0)
    ret = -1;
  for (size_t i = 0; ret == 0 && i < n; i++)
    if (kill (pids[i], sig) < 0 && errno != ESRCH)
      ret = hull_error (err, errno, "cgroup: kill %d", (int) pids[i]);
  /* A paused container stays paused, except that SIGKILL cannot take
     effect on frozen tasks. */
  if ((!was_frozen || sig == SIGKILL) && cgroup_freeze (cg, false, &ignored) < 0)
    hull_error_release (&ignored);
  return ret;
}

/* ---- destruction ---- */

static void
sleep_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

static void
kill_procs_in (const char *dir)
{
  cleanup_free pid_t *pids = NULL;
  size_t n = 0, cap = 0;
  hull_err err = NULL;

  if (cg_collect_pids (dir, &pids, &n, &cap, &err) < 0)
    hull_error_release (&err);
  for (size_t i = 0; i < n; i++)
    kill (pids[i], SIGKILL);
}

/* Depth first: sub-cgroups the workload made, then the directory itself. */
static int
remove_tree (const char *dir, hull_err *err)
{
  DIR *d = opendir (dir);
  struct dirent *de;

  if (d == NULL)
    {
      if (errno == ENOENT)
        return 0;
      return hull_error (err, errno, "cgroup: opendir `%s`", dir);
    }
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *sub = NULL;
      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      sub = xasprintf ("%s/%s", dir, de->d_name);
      if (remove_tree (sub, err) < 0)
        {
          closedir (d);
          return -1;
        }
    }
  closedir (d);

  /* EBUSY: tasks still there (or exiting); kill them and retry for ~5s. */
  for (int attempt = 0;; attempt++)
    {
      if (rmdir (dir) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY || attempt == 100)
        return hull_error (err, errno, "cgroup: rmdir `%s`", dir);
      kill_procs_in (dir);
      sleep_ms (attempt < 10 ? 10 : 50);
    }
}

int
cgroup_destroy (struct hull_cgroup *cg, hull_err *err)
{
  hull_err ignored = NULL;
  bool frozen = false;
  int ret = 0;

  /* A frozen task cannot die: thaw before the killing in remove_tree. */
  if (cgroup_is_frozen (cg, &frozen, &ignored) < 0)
    hull_error_release (&ignored);
  else if (frozen)
    {
      kill_procs_in (cg_dir_primary (cg)->abs);
      if (cgroup_freeze (cg, false, &ignored) < 0)
        hull_error_release (&ignored);
    }
  for (size_t i = 0; i < cg->n; i++)
    {
      if (ret == 0)
        {
          if (remove_tree (cg->d[i].abs, err) < 0)
            ret = -1;
        }
      else if (remove_tree (cg->d[i].abs, &ignored) < 0)
        hull_error_release (&ignored);
    }
  return ret;
}

/* Applying linux.resources: validation first, then each controller in an
   order that the kernel accepts, on whichever hierarchy holds it (v1, or
   cgroup2 on v2 and for controllers a hybrid host put there). */
#include "cgroups/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/util.h"

int
cg_set (struct cg_apply *a, const char *dir, const char *file, const char *value, hull_err *err)
{
  if (a->update)
    {
      cleanup_free char *old = NULL;
      hull_err ignored = NULL;
      /* Multi-line files (io.max, ifpriomap...) cannot be written back in one go. */
      if (cg_read (dir, file, &old, &ignored) < 0)
        hull_error_release (&ignored);
      else if (strchr (old, '\n') == NULL || strchr (old, '\n')[1] == '\0')
        {
          if (a->n_undo == a->cap_undo)
            {
              a->cap_undo = a->cap_undo ? a->cap_undo * 2 : 8;
              a->undo = xrealloc (a->undo, a->cap_undo * sizeof *a->undo);
            }
          a->undo[a->n_undo].dir = xstrdup (dir);
          a->undo[a->n_undo].file = xstrdup (file);
          a->undo[a->n_undo].old = steal_ptr (&old);
          a->n_undo++;
        }
    }
  return cg_write (dir, file, value, err);
}

int
cg_setf (struct cg_apply *a, const char *dir, const char *file, hull_err *err, const char *fmt, ...)
{
  cleanup_free char *value = NULL;
  va_list ap;

  va_start (ap, fmt);
  value = cg_vformat (file, err, fmt, ap);
  va_end (ap);
  return value == NULL ? -1 : cg_set (a, dir, file, value, err);
}

static void
undo_all (struct cg_apply *a)
{
  /* Newest first; a value that cannot go back (ordering) is tried again
     once the others are restored. */
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = a->n_undo; i-- > 0;)
      {
        hull_err ignored = NULL;
        if (a->undo[i].old == NULL)
          continue;
        if (cg_write (a->undo[i].dir, a->undo[i].file, a->undo[i].old, &ignored) == 0)
          {
            free (a->undo[i].old);
            a->undo[i].old = NULL;
          }
        else
          hull_error_release (&ignored);
      }
}

static void
free_undo (struct cg_apply *a)
{
  for (size_t i = 0; i < a->n_undo; i++)
    {
      free (a->undo[i].dir);
      free (a->undo[i].file);
      free (a->undo[i].old);
    }
  free (a->undo);
  a->undo = NULL;
  a->n_undo = a->cap_undo = 0;
}

static bool
in_list (const char *list, const char *word)
{
  size_t len = strlen (word);
  for (const char *p = list; p && *p;)
    {
      p += strspn (p, " \n");
      if (strncmp (p, word, len) == 0 && (p[len] == ' ' || p[len] == '\n' || p[len] == '\0'))
        return true;
      p += strcspn (p, " \n");
    }
  return false;
}

int
cg_unified_enable (const struct cg_dir *d, const char *controller, hull_err *err)
{
  cleanup_free char *path = xstrdup (d->abs);
  size_t mlen = strlen (d->h->mount);

  for (char *p = path + mlen; p != NULL;)
    {
      char *slash = strchr (p + 1, '/');
      cleanup_free char *enabled = NULL;
      if (slash == NULL)
        break;
      *slash = '\0';
      if (cg_read (path, "cgroup.subtree_control", &enabled, err) < 0)
        return -1;
      if (!in_list (enabled, controller))
        {
          cleanup_free char *v = xasprintf ("+%s", controller);
          if (cg_write (path, "cgroup.subtree_control", v, err) < 0)
            return hull_error_wrap (err, "enable the %s controller", controller);
        }
      *slash = '/';
      p = slash;
    }
  return 0;
}

const struct cg_dir *
cg_need (struct cg_apply *a, const char *controller, const char *what, hull_err *err)
{
  const struct cg_dir *d = cg_dir_for (a->cg, controller);
  cleanup_free char *check = NULL;

  if (d == NULL)
    {
      hull_error (err, ENOTSUP, "%s: the %s cgroup controller is not available on this host (%s)", what, controller,
                  a->cg->layout->why);
      return NULL;
    }
  if (d->h->v2 && cg_unified_enable (d, controller, err) < 0)
    {
      hull_error_wrap (err, "%s", what);
      return NULL;
    }
  return d;
}

static int
apply_all (struct cg_apply *a, const struct oci_resources *res, const struct oci_device *devices, size_t n_devices,
           hull_err *err)
{
  if ((res->devices_len > 0 || n_devices > 0) && !a->update)
    {
      cleanup_free struct cg_device_rule *rules = NULL;
      size_t n = 0;
      const struct cg_dir *d = cg_dir_for (a->cg, "devices");

      if (cg_device_rules (res->devices, res->devices_len, devices, n_devices, &rules, &n, err) < 0)
        return -1;
      if (d != NULL && !d->h->v2)
        {
          if (cg_devices_v1_apply (a, d->abs, rules, n, err) < 0)
            return -1;
        }
      else if ((d = cg_dir_unified (a->cg)) != NULL)
        {
          if (cg_devices_ebpf_attach (d->abs, rules, n, err) < 0)
            return hull_error_wrap (err, "linux.resources.devices");
        }
      else
        return hull_error (err, ENOTSUP, "linux.resources.devices: no devices cgroup controller and no cgroup2");
    }
  if (res->memory && cg_apply_memory (a, res->memory, err) < 0)
    return -1;
  if (res->cpu && cg_apply_cpu (a, res->cpu, err) < 0)
    return -1;
  if (res->pids_limit.set && cg_apply_pids (a, res->pids_limit.v, err) < 0)
    return -1;
  if (res->block_io && cg_apply_blkio (a, res->block_io, err) < 0)
    return -1;
  if (res->hugepage_limits_len > 0 && cg_apply_hugetlb (a, res->hugepage_limits, res->hugepage_limits_len, err) < 0)
    return -1;
  if (res->network && cg_apply_network (a, res->network, err) < 0)
    return -1;
  if (res->rdma_len > 0 && cg_apply_rdma (a, res->rdma, res->rdma_len, err) < 0)
    return -1;
  if (res->unified.len > 0 && cg_apply_unified (a, &res->unified, err) < 0)
    return -1;
  return 0;
}

int
cg_apply_resources (struct hull_cgroup *cg, const struct oci_resources *res, const struct oci_device *devices,
                    size_t n_devices, bool update, hull_err *err)
{
  struct cg_apply a = { .cg = cg, .update = update };
  int ret;

  if (cg_validate_resources (res, err) < 0)
    return -1;
  ret = apply_all (&a, res, devices, n_devices, err);
  if (ret < 0 && update)
    undo_all (&a);
  free_undo (&a);
  return ret;
}

int
cgroup_update (struct hull_cgroup *cg, const struct oci_resources *res, hull_err *err)
{
  if (res == NULL)
    return 0;
  return cg_apply_resources (cg, res, NULL, 0, true, err);
}

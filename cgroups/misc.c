/* The small controllers: pids, hugetlb, net_cls/net_prio, rdma, and the
   `unified` key/values written as they are into cgroup2 files. */
#include "cgroups/internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtime/util.h"

int
cg_apply_pids (struct cg_apply *a, int64_t limit, hull_err *err)
{
  const struct cg_dir *d;

  if (limit == 0)
    return 0;
  if ((d = cg_need (a, "pids", "linux.resources.pids", err)) == NULL)
    return -1;
  /* runc: zero means unset, a negative value unlimited */
  if (limit < 0)
    return cg_set (a, d->abs, "pids.max", "max", err) < 0 ? hull_error_wrap (err, "linux.resources.pids.limit") : 0;
  if (cg_setf (a, d->abs, "pids.max", err, "%lld", (long long) limit) < 0)
    return hull_error_wrap (err, "linux.resources.pids.limit");
  return 0;
}

int
cg_apply_hugetlb (struct cg_apply *a, const struct oci_hugepage_limit *h, size_t n, hull_err *err)
{
  const struct cg_dir *d = cg_need (a, "hugetlb", "linux.resources.hugepageLimits", err);

  if (d == NULL)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *file
          = xasprintf ("hugetlb.%s.%s", h[i].page_size, d->h->v2 ? "max" : "limit_in_bytes");
      if (!cg_file_exists (d->abs, file))
        return hull_error (err, ENOTSUP, "linux.resources.hugepageLimits[%zu]: no `%s` in `%s`", i, file, d->abs);
      if (cg_setf (a, d->abs, file, err, "%llu", (unsigned long long) h[i].limit) < 0)
        return hull_error_wrap (err, "linux.resources.hugepageLimits[%zu]", i);
    }
  return 0;
}

int
cg_apply_network (struct cg_apply *a, const struct oci_network *net, hull_err *err)
{
  const struct cg_dir *d;

  if (net->class_id.set)
    {
      if ((d = cg_need (a, "net_cls", "linux.resources.network.classID", err)) == NULL)
        return -1;
      if (cg_setf (a, d->abs, "net_cls.classid", err, "%llu", (unsigned long long) net->class_id.v) < 0)
        return hull_error_wrap (err, "linux.resources.network.classID");
    }
  if (net->priorities_len == 0)
    return 0;
  if ((d = cg_need (a, "net_prio", "linux.resources.network.priorities", err)) == NULL)
    return -1;
  for (size_t i = 0; i < net->priorities_len; i++)
    if (cg_setf (a, d->abs, "net_prio.ifpriomap", err, "%s %u", net->priorities[i].name,
                 net->priorities[i].priority)
        < 0)
      return hull_error_wrap (err, "linux.resources.network.priorities[%zu]", i);
  return 0;
}

int
cg_apply_rdma (struct cg_apply *a, const struct oci_rdma_entry *r, size_t n, hull_err *err)
{
  const struct cg_dir *d = cg_need (a, "rdma", "linux.resources.rdma", err);

  if (d == NULL)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      char handles[32] = "max", objects[32] = "max";
      if (!r[i].hca_handles.set && !r[i].hca_objects.set)
        continue;
      if (r[i].hca_handles.set)
        snprintf (handles, sizeof handles, "%llu", (unsigned long long) r[i].hca_handles.v);
      if (r[i].hca_objects.set)
        snprintf (objects, sizeof objects, "%llu", (unsigned long long) r[i].hca_objects.v);
      if (cg_setf (a, d->abs, "rdma.max", err, "%s hca_handle=%s hca_object=%s", r[i].device, handles, objects) < 0)
        return hull_error_wrap (err, "linux.resources.rdma[%s]", r[i].device);
    }
  return 0;
}

int
cg_apply_unified (struct cg_apply *a, const struct oci_map *unified, hull_err *err)
{
  const struct cg_dir *d = cg_dir_unified (a->cg);

  if (d == NULL)
    return hull_error (err, ENOTSUP, "linux.resources.unified: needs cgroup v2 (this host: %s)", a->cg->layout->why);
  for (size_t i = 0; i < unified->len; i++)
    {
      const char *key = unified->items[i].key;
      cleanup_free char *controller = xasprintf ("%.*s", (int) strcspn (key, "."), key);

      if (strcmp (controller, "cgroup") != 0)
        {
          if (!cg_hierarchy_has (d->h, controller))
            {
              const struct cg_dir *v1 = cg_dir_for (a->cg, controller);
              if (v1 != NULL && !v1->h->v2)
                return hull_error (err, ENOTSUP,
                                   "linux.resources.unified: `%s`: the %s controller is on cgroup v1 on this host", key,
                                   controller);
              return hull_error (err, ENOTSUP, "linux.resources.unified: `%s`: no %s controller in cgroup v2", key,
                                 controller);
            }
          if (cg_unified_enable (d, controller, err) < 0)
            return hull_error_wrap (err, "linux.resources.unified");
        }
      if (!cg_file_exists (d->abs, key))
        return hull_error (err, ENOENT, "linux.resources.unified: `%s` does not exist in `%s`", key, d->abs);
      if (cg_set (a, d->abs, key, unified->items[i].value, err) < 0)
        return hull_error_wrap (err, "linux.resources.unified");
    }
  return 0;
}

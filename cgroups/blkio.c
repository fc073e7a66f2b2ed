/* linux.resources.blockIO: blkio on v1 (CFQ or BFQ file names, whichever
   the kernel has), io on v2 (io.bfq.weight or io.weight, io.max). */
#include "cgroups/internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtime/util.h"

#define WHAT "linux.resources.blockIO"

/* The first of `names` that exists in dir, or NULL. */
static const char *
pick (const char *dir, const char *a, const char *b)
{
  if (cg_file_exists (dir, a))
    return a;
  if (b && cg_file_exists (dir, b))
    return b;
  return NULL;
}

static int
missing (const char *field, const char *file, hull_err *err)
{
  return hull_error (err, ENOTSUP, WHAT ".%s: this kernel has no `%s` (no I/O scheduler with weights)", field, file);
}

static int
throttle_v1 (struct cg_apply *a, const char *dir, const char *file, const struct oci_throttle_device *t, size_t n,
             const char *field, hull_err *err)
{
  for (size_t i = 0; i < n; i++)
    if (cg_setf (a, dir, file, err, "%lld:%lld %llu", (long long) t[i].major, (long long) t[i].minor,
                 (unsigned long long) t[i].rate)
        < 0)
      return hull_error_wrap (err, WHAT ".%s[%zu]", field, i);
  return 0;
}

static int
apply_v1 (struct cg_apply *a, const char *dir, const struct oci_block_io *b, hull_err *err)
{
  const char *file;

  if (b->weight.set && b->weight.v != 0)
    {
      if ((file = pick (dir, "blkio.weight", "blkio.bfq.weight")) == NULL)
        return missing ("weight", "blkio.weight", err);
      if (cg_setf (a, dir, file, err, "%llu", (unsigned long long) b->weight.v) < 0)
        return hull_error_wrap (err, WHAT ".weight");
    }
  if (b->leaf_weight.set && b->leaf_weight.v != 0)
    {
      if ((file = pick (dir, "blkio.leaf_weight", NULL)) == NULL)
        return missing ("leafWeight", "blkio.leaf_weight", err);
      if (cg_setf (a, dir, file, err, "%llu", (unsigned long long) b->leaf_weight.v) < 0)
        return hull_error_wrap (err, WHAT ".leafWeight");
    }
  for (size_t i = 0; i < b->weight_device_len; i++)
    {
      const struct oci_weight_device *w = &b->weight_device[i];
      if (w->weight.set && w->weight.v != 0)
        {
          if ((file = pick (dir, "blkio.weight_device", "blkio.bfq.weight_device")) == NULL)
            return missing ("weightDevice", "blkio.weight_device", err);
          if (cg_setf (a, dir, file, err, "%lld:%lld %llu", (long long) w->major, (long long) w->minor,
                       (unsigned long long) w->weight.v)
              < 0)
            return hull_error_wrap (err, WHAT ".weightDevice[%zu]", i);
        }
      if (w->leaf_weight.set && w->leaf_weight.v != 0)
        {
          if ((file = pick (dir, "blkio.leaf_weight_device", NULL)) == NULL)
            return missing ("weightDevice.leafWeight", "blkio.leaf_weight_device", err);
          if (cg_setf (a, dir, file, err, "%lld:%lld %llu", (long long) w->major, (long long) w->minor,
                       (unsigned long long) w->leaf_weight.v)
              < 0)
            return hull_error_wrap (err, WHAT ".weightDevice[%zu].leafWeight", i);
        }
    }
  if (throttle_v1 (a, dir, "blkio.throttle.read_bps_device", b->throttle_read_bps, b->throttle_read_bps_len,
                   "throttleReadBpsDevice", err) < 0
      || throttle_v1 (a, dir, "blkio.throttle.write_bps_device", b->throttle_write_bps, b->throttle_write_bps_len,
                      "throttleWriteBpsDevice", err) < 0
      || throttle_v1 (a, dir, "blkio.throttle.read_iops_device", b->throttle_read_iops, b->throttle_read_iops_len,
                      "throttleReadIOPSDevice", err) < 0
      || throttle_v1 (a, dir, "blkio.throttle.write_iops_device", b->throttle_write_iops, b->throttle_write_iops_len,
                      "throttleWriteIOPSDevice", err) < 0)
    return -1;
  return 0;
}

static int
throttle_v2 (struct cg_apply *a, const char *dir, const char *key, const struct oci_throttle_device *t, size_t n,
             const char *field, hull_err *err)
{
  for (size_t i = 0; i < n; i++)
    if (cg_setf (a, dir, "io.max", err, "%lld:%lld %s=%llu", (long long) t[i].major, (long long) t[i].minor, key,
                 (unsigned long long) t[i].rate)
        < 0)
      return hull_error_wrap (err, WHAT ".%s[%zu]", field, i);
  return 0;
}

static int
apply_v2 (struct cg_apply *a, const char *dir, const struct oci_block_io *b, hull_err *err)
{
  /* io.bfq.weight takes blkio's 10..1000 as is; io.weight is 1..10000. */
  const char *file = pick (dir, "io.bfq.weight", "io.weight");
  bool bfq = file && strcmp (file, "io.bfq.weight") == 0;

  if (b->leaf_weight.set && b->leaf_weight.v != 0)
    return hull_error (err, ENOTSUP, WHAT ".leafWeight: not supported on cgroup v2");
  if (b->weight.set && b->weight.v != 0)
    {
      if (file == NULL)
        return missing ("weight", "io.weight", err);
      if (cg_setf (a, dir, file, err, "%llu",
                   (unsigned long long) (bfq ? b->weight.v : cg_blkio_weight_to_io_weight (b->weight.v)))
          < 0)
        return hull_error_wrap (err, WHAT ".weight");
    }
  for (size_t i = 0; i < b->weight_device_len; i++)
    {
      const struct oci_weight_device *w = &b->weight_device[i];
      if (w->leaf_weight.set && w->leaf_weight.v != 0)
        return hull_error (err, ENOTSUP, WHAT ".weightDevice[%zu].leafWeight: not supported on cgroup v2", i);
      if (!w->weight.set || w->weight.v == 0)
        continue;
      if (file == NULL)
        return missing ("weightDevice", "io.weight", err);
      if (cg_setf (a, dir, file, err, "%lld:%lld %llu", (long long) w->major, (long long) w->minor,
                   (unsigned long long) (bfq ? w->weight.v : cg_blkio_weight_to_io_weight (w->weight.v)))
          < 0)
        return hull_error_wrap (err, WHAT ".weightDevice[%zu]", i);
    }
  if (throttle_v2 (a, dir, "rbps", b->throttle_read_bps, b->throttle_read_bps_len, "throttleReadBpsDevice", err) < 0
      || throttle_v2 (a, dir, "wbps", b->throttle_write_bps, b->throttle_write_bps_len, "throttleWriteBpsDevice", err)
             < 0
      || throttle_v2 (a, dir, "riops", b->throttle_read_iops, b->throttle_read_iops_len, "throttleReadIOPSDevice",
                      err) < 0
      || throttle_v2 (a, dir, "wiops", b->throttle_write_iops, b->throttle_write_iops_len, "throttleWriteIOPSDevice",
                      err) < 0)
    return -1;
  return 0;
}

int
cg_apply_blkio (struct cg_apply *a, const struct oci_block_io *b, hull_err *err)
{
  const struct cg_dir *d;
  bool any = (b->weight.set && b->weight.v) || (b->leaf_weight.set && b->leaf_weight.v) || b->weight_device_len
             || b->throttle_read_bps_len || b->throttle_write_bps_len || b->throttle_read_iops_len
             || b->throttle_write_iops_len;

  if (!any)
    return 0;
  d = cg_dir_for (a->cg, "blkio");
  if (d == NULL || d->h->v2)
    d = cg_need (a, "io", WHAT, err);
  if (d == NULL)
    return -1;
  return d->h->v2 ? apply_v2 (a, d->abs, b, err) : apply_v1 (a, d->abs, b, err);
}

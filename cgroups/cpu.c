/* linux.resources.cpu: the cpu controller (shares/weight, CFS bandwidth,
   burst, idle, realtime) and cpuset (cpus, mems). */
#include "cgroups/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/util.h"

#define WHAT "linux.resources.cpu"

static int
wrap (hull_err *err, const char *field)
{
  return hull_error_wrap (err, WHAT ".%s", field);
}

static int
need_file (const char *dir, const char *file, const char *field, hull_err *err)
{
  if (cg_file_exists (dir, file))
    return 0;
  return hull_error (err, ENOTSUP, WHAT ".%s: this kernel has no `%s`", field, file);
}

/* A knob that older kernels lack (burst, idle): a clear error there rather
   than the write's ENOENT. */
static int
set_newer_knob (struct cg_apply *a, const char *dir, const char *file, const char *field, long long v, hull_err *err)
{
  if (need_file (dir, file, field, err) < 0)
    return -1;
  if (cg_setf (a, dir, file, err, "%lld", v) < 0)
    return wrap (err, field);
  return 0;
}

static bool
realtime_given (const struct oci_cpu *c)
{
  return (c->realtime_period.set && c->realtime_period.v != 0) || (c->realtime_runtime.set && c->realtime_runtime.v != 0);
}

static int
apply_v1 (struct cg_apply *a, const char *dir, const struct oci_cpu *c, hull_err *err)
{
  bool period_pending = false;

  if (c->shares.set && c->shares.v != 0
      && cg_setf (a, dir, "cpu.shares", err, "%llu", (unsigned long long) c->shares.v) < 0)
    return wrap (err, "shares");
  /* A smaller period can be refused while the old quota is in place (the
     parent's bandwidth); then it is written again after the quota. */
  if (c->period.set && c->period.v != 0
      && cg_setf (a, dir, "cpu.cfs_period_us", err, "%llu", (unsigned long long) c->period.v) < 0)
    {
      if ((*err)->errnum != EINVAL || !c->quota.set || c->quota.v == 0)
        return wrap (err, "period");
      hull_error_release (err);
      period_pending = true;
    }
  if (c->quota.set && c->quota.v != 0)
    {
      if (cg_setf (a, dir, "cpu.cfs_quota_us", err, "%lld", (long long) c->quota.v) < 0)
        return wrap (err, "quota");
      if (period_pending && cg_setf (a, dir, "cpu.cfs_period_us", err, "%llu", (unsigned long long) c->period.v) < 0)
        return wrap (err, "period");
    }
  if (c->burst.set && set_newer_knob (a, dir, "cpu.cfs_burst_us", "burst", c->burst.v, err) < 0)
    return -1;
  if (c->idle.set && set_newer_knob (a, dir, "cpu.idle", "idle", c->idle.v, err) < 0)
    return -1;
  /* Realtime period before runtime, as runc: the runtime must fit the period. */
  if (realtime_given (c))
    if (need_file (dir, "cpu.rt_runtime_us", "realtimeRuntime", err) < 0)
      return -1;
  if (c->realtime_period.set && c->realtime_period.v != 0
      && cg_setf (a, dir, "cpu.rt_period_us", err, "%llu", (unsigned long long) c->realtime_period.v) < 0)
    return wrap (err, "realtimePeriod");
  if (c->realtime_runtime.set && c->realtime_runtime.v != 0
      && cg_setf (a, dir, "cpu.rt_runtime_us", err, "%lld", (long long) c->realtime_runtime.v) < 0)
    return hull_error_wrap (err, WHAT ".realtimeRuntime (the parent cgroup must have a realtime budget)");
  return 0;
}

static int
apply_v2 (struct cg_apply *a, const char *dir, const struct oci_cpu *c, hull_err *err)
{
  if (realtime_given (c))
    return hull_error (err, ENOTSUP, WHAT ".realtimeRuntime/realtimePeriod: not supported on cgroup v2");
  if (c->shares.set && c->shares.v != 0
      && cg_setf (a, dir, "cpu.weight", err, "%llu", (unsigned long long) cg_shares_to_weight (c->shares.v)) < 0)
    return wrap (err, "shares");
  if ((c->quota.set && c->quota.v != 0) || (c->period.set && c->period.v != 0))
    {
      char quota[32] = "max";
      uint64_t period = c->period.set && c->period.v ? c->period.v : 0;

      if (c->quota.set && c->quota.v > 0)
        snprintf (quota, sizeof quota, "%lld", (long long) c->quota.v);
      if (period == 0)
        {
          /* keep the period in place: cpu.max is "quota period" */
          cleanup_free char *cur = NULL;
          if (cg_read (dir, "cpu.max", &cur, err) < 0)
            return wrap (err, "quota");
          period = strtoull (strchr (cur, ' ') ? strchr (cur, ' ') + 1 : "100000", NULL, 10);
        }
      if (cg_setf (a, dir, "cpu.max", err, "%s %llu", quota, (unsigned long long) period) < 0)
        return wrap (err, "quota");
    }
  if (c->burst.set && set_newer_knob (a, dir, "cpu.max.burst", "burst", c->burst.v, err) < 0)
    return -1;
  if (c->idle.set && set_newer_knob (a, dir, "cpu.idle", "idle", c->idle.v, err) < 0)
    return -1;
  return 0;
}

static int
apply_cpuset (struct cg_apply *a, const struct oci_cpu *c, hull_err *err)
{
  const struct cg_dir *d;

  if ((c->cpus == NULL || *c->cpus == '\0') && (c->mems == NULL || *c->mems == '\0'))
    return 0;
  if ((d = cg_need (a, "cpuset", WHAT ".cpus/mems", err)) == NULL)
    return -1;
  if (c->cpus && *c->cpus && cg_set (a, d->abs, "cpuset.cpus", c->cpus, err) < 0)
    return wrap (err, "cpus");
  if (c->mems && *c->mems && cg_set (a, d->abs, "cpuset.mems", c->mems, err) < 0)
    return wrap (err, "mems");
  return 0;
}

int
cg_apply_cpu (struct cg_apply *a, const struct oci_cpu *c, hull_err *err)
{
  bool any = (c->shares.set && c->shares.v) || (c->quota.set && c->quota.v) || (c->period.set && c->period.v)
             || c->burst.set || c->idle.set || realtime_given (c);
  const struct cg_dir *d;

  if (any)
    {
      if ((d = cg_need (a, "cpu", WHAT, err)) == NULL)
        return -1;
      if ((d->h->v2 ? apply_v2 (a, d->abs, c, err) : apply_v1 (a, d->abs, c, err)) < 0)
        return -1;
    }
  return apply_cpuset (a, c, err);
}

/* linux.resources.memory on v1 (memory.*_in_bytes, memsw) and v2
   (memory.max/low/swap.max). */
#include "cgroups/internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtime/util.h"

#define WHAT "linux.resources.memory"

static int
wrap (hull_err *err, const char *field)
{
  return hull_error_wrap (err, WHAT ".%s", field);
}

static void
fmt_limit (char *buf, size_t len, int64_t v, bool v2)
{
  if (v == -1)
    snprintf (buf, len, "%s", v2 ? "max" : "-1");
  else
    snprintf (buf, len, "%lld", (long long) v);
}

/* The kernel (6.x) accepts memory.kmem.limit_in_bytes writes and ignores
   them; write, and treat a value that did not stick as unsupported. */
static int
set_kmem (struct cg_apply *a, const char *dir, const char *file, int64_t v, const char *field, hull_err *err)
{
  char buf[32];
  if (!cg_file_exists (dir, file))
    return 0; /* gone from the kernel: nothing to limit, as runc */
  fmt_limit (buf, sizeof buf, v, false);
  if (cg_set (a, dir, file, buf, err) < 0)
    {
      if ((*err)->errnum == EOPNOTSUPP || (*err)->errnum == ENOTSUP || (*err)->errnum == EINVAL)
        {
          /* deprecated and refused by this kernel */
          hull_error_release (err);
          return 0;
        }
      return wrap (err, field);
    }
  return 0;
}

static int
v1_limit_and_swap (struct cg_apply *a, const char *dir, const struct oci_memory *m, hull_err *err)
{
  char limit[32], swap[32];
  bool has_memsw = cg_file_exists (dir, "memory.memsw.limit_in_bytes");
  bool set_swap = m->swap.set && m->swap.v != 0;
  bool set_limit = m->limit.set && m->limit.v != 0;

  if (set_swap && !has_memsw && m->swap.v != -1)
    return hull_error (err, ENOTSUP, WHAT ".swap: the kernel has no swap accounting (memory.memsw.limit_in_bytes)");
  if (!has_memsw)
    set_swap = false;
  /* An unlimited memory limit lifts memory+swap too, or the write fails. */
  if (set_limit && m->limit.v == -1 && !m->swap.set && has_memsw)
    {
      set_swap = true;
      snprintf (swap, sizeof swap, "-1");
    }
  else if (set_swap)
    fmt_limit (swap, sizeof swap, m->swap.v, false);
  if (set_limit)
    fmt_limit (limit, sizeof limit, m->limit.v, false);

  if (set_limit && set_swap)
    {
      /* memsw must stay >= limit at every step: raising both means memsw
         first, lowering both means the limit first. */
      uint64_t cur = 0;
      hull_err ignored = NULL;
      if (cg_read_u64 (dir, "memory.limit_in_bytes", &cur, &ignored) < 0)
        hull_error_release (&ignored);
      if (m->swap.v == -1 || m->limit.v == -1 || (m->swap.v > 0 && cur < (uint64_t) m->swap.v))
        {
          if (cg_set (a, dir, "memory.memsw.limit_in_bytes", swap, err) < 0)
            return wrap (err, "swap");
          if (cg_set (a, dir, "memory.limit_in_bytes", limit, err) < 0)
            return wrap (err, "limit");
          return 0;
        }
    }
  if (set_limit && cg_set (a, dir, "memory.limit_in_bytes", limit, err) < 0)
    return wrap (err, "limit");
  if (set_swap && cg_set (a, dir, "memory.memsw.limit_in_bytes", swap, err) < 0)
    return wrap (err, "swap");
  return 0;
}

static int
apply_v1 (struct cg_apply *a, const char *dir, const struct oci_memory *m, hull_err *err)
{
  char buf[32];

  if (a->update && m->check_before_update.set && m->check_before_update.v && m->limit.set && m->limit.v > 0)
    {
      uint64_t usage = 0;
      if (cg_read_u64 (dir, "memory.usage_in_bytes", &usage, err) < 0)
        return wrap (err, "limit");
      if (usage > (uint64_t) m->limit.v)
        return hull_error (err, EBUSY, WHAT ".limit: %lld is below the current usage %llu (checkBeforeUpdate)",
                           (long long) m->limit.v, (unsigned long long) usage);
    }
  if (v1_limit_and_swap (a, dir, m, err) < 0)
    return -1;
  if (m->reservation.set && m->reservation.v != 0)
    {
      fmt_limit (buf, sizeof buf, m->reservation.v, false);
      if (cg_set (a, dir, "memory.soft_limit_in_bytes", buf, err) < 0)
        return wrap (err, "reservation");
    }
  if (m->swappiness.set && cg_setf (a, dir, "memory.swappiness", err, "%llu", (unsigned long long) m->swappiness.v) < 0)
    return wrap (err, "swappiness");
  if (m->disable_oom_killer.set && (m->disable_oom_killer.v || a->update)
      && cg_set (a, dir, "memory.oom_control", m->disable_oom_killer.v ? "1" : "0", err) < 0)
    return wrap (err, "disableOOMKiller");
  if (m->kernel.set && m->kernel.v != 0 && set_kmem (a, dir, "memory.kmem.limit_in_bytes", m->kernel.v, "kernel", err) < 0)
    return -1;
  if (m->kernel_tcp.set && m->kernel_tcp.v != 0
      && set_kmem (a, dir, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp.v, "kernelTCP", err) < 0)
    return -1;
  if (m->use_hierarchy.set && m->use_hierarchy.v && cg_file_exists (dir, "memory.use_hierarchy"))
    {
      uint64_t cur = 1;
      hull_err ignored = NULL;
      if (cg_read_u64 (dir, "memory.use_hierarchy", &cur, &ignored) < 0)
        hull_error_release (&ignored);
      if (cur != 1 && cg_set (a, dir, "memory.use_hierarchy", "1", err) < 0)
        return wrap (err, "useHierarchy");
    }
  return 0;
}

static int
apply_v2 (struct cg_apply *a, const char *dir, const struct oci_memory *m, hull_err *err)
{
  char buf[32];
  int64_t swap = 0;
  bool set_swap = false;

  if (cg_swap_to_v2 (m, &swap, &set_swap, err) < 0)
    return -1;
  if (m->swappiness.set)
    return hull_error (err, ENOTSUP, WHAT ".swappiness: not supported on cgroup v2");
  if (m->disable_oom_killer.set && m->disable_oom_killer.v)
    return hull_error (err, ENOTSUP, WHAT ".disableOOMKiller: not supported on cgroup v2");
  if (a->update && m->check_before_update.set && m->check_before_update.v && m->limit.set && m->limit.v > 0)
    {
      uint64_t usage = 0;
      if (cg_read_u64 (dir, "memory.current", &usage, err) < 0)
        return wrap (err, "limit");
      if (usage > (uint64_t) m->limit.v)
        return hull_error (err, EBUSY, WHAT ".limit: %lld is below the current usage %llu (checkBeforeUpdate)",
                           (long long) m->limit.v, (unsigned long long) usage);
    }
  if (set_swap)
    {
      if (!cg_file_exists (dir, "memory.swap.max"))
        {
          if (swap != -1)
            return hull_error (err, ENOTSUP, WHAT ".swap: the kernel has no swap accounting (memory.swap.max)");
        }
      else
        {
          fmt_limit (buf, sizeof buf, swap, true);
          if (cg_set (a, dir, "memory.swap.max", buf, err) < 0)
            return wrap (err, "swap");
        }
    }
  if (m->limit.set && m->limit.v != 0)
    {
      fmt_limit (buf, sizeof buf, m->limit.v, true);
      if (cg_set (a, dir, "memory.max", buf, err) < 0)
        return wrap (err, "limit");
    }
  if (m->reservation.set && m->reservation.v != 0)
    {
      fmt_limit (buf, sizeof buf, m->reservation.v, true);
      if (cg_set (a, dir, "memory.low", buf, err) < 0)
        return wrap (err, "reservation");
    }
  /* kernel and kernelTCP have no cgroup2 files: ignored, as runc and crun do */
  return 0;
}

int
cg_apply_memory (struct cg_apply *a, const struct oci_memory *m, hull_err *err)
{
  const struct cg_dir *d;
  bool any = (m->limit.set && m->limit.v != 0) || (m->swap.set && m->swap.v != 0)
             || (m->reservation.set && m->reservation.v != 0) || m->swappiness.set
             || (m->disable_oom_killer.set && m->disable_oom_killer.v) || (m->kernel.set && m->kernel.v != 0)
             || (m->kernel_tcp.set && m->kernel_tcp.v != 0);

  if (!any)
    return 0;
  if ((d = cg_need (a, "memory", WHAT, err)) == NULL)
    return -1;
  return d->h->v2 ? apply_v2 (a, d->abs, m, err) : apply_v1 (a, d->abs, m, err);
}

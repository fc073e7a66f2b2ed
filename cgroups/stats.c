/* cgroup_stats (events --stats) and cgroup_oom_eventfd (OOM notices). */
#include "cgroups/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "runtime/util.h"

static uint64_t
read_or_zero (const char *dir, const char *file)
{
  uint64_t v = 0;
  hull_err err = NULL;
  if (cg_read_u64 (dir, file, &v, &err) < 0)
    {
      hull_error_release (&err);
      return 0;
    }
  return v;
}

static void
memory_stats (const struct cg_dir *d, struct cgroup_stats *st)
{
  if (!d->h->v2)
    {
      uint64_t memsw = read_or_zero (d->abs, "memory.memsw.usage_in_bytes");
      st->memory_usage = read_or_zero (d->abs, "memory.usage_in_bytes");
      st->memory_limit = read_or_zero (d->abs, "memory.limit_in_bytes");
      st->memory_max_usage = read_or_zero (d->abs, "memory.max_usage_in_bytes");
      st->memory_swap_usage = memsw > st->memory_usage ? memsw - st->memory_usage : 0;
      cg_read_keyed (d->abs, "memory.oom_control", "oom_kill", &st->oom_kill_count);
      return;
    }
  st->memory_usage = read_or_zero (d->abs, "memory.current");
  st->memory_limit = read_or_zero (d->abs, "memory.max");
  st->memory_max_usage = read_or_zero (d->abs, "memory.peak");
  st->memory_swap_usage = read_or_zero (d->abs, "memory.swap.current");
  cg_read_keyed (d->abs, "memory.events", "oom_kill", &st->oom_kill_count);
}

static void
cpu_stats (struct hull_cgroup *cg, struct cgroup_stats *st)
{
  const struct cg_dir *acct = cg_dir_for (cg, "cpuacct");
  const struct cg_dir *cpu = cg_dir_for (cg, "cpu");
  const struct cg_dir *u = cg_dir_unified (cg);

  if (acct != NULL && !acct->h->v2)
    {
      long hz = sysconf (_SC_CLK_TCK);
      uint64_t ticks;
      st->cpu_usage_ns = read_or_zero (acct->abs, "cpuacct.usage");
      if (hz <= 0)
        hz = 100;
      if (cg_read_keyed (acct->abs, "cpuacct.stat", "user", &ticks))
        st->cpu_user_ns = ticks * (1000000000ull / (uint64_t) hz);
      if (cg_read_keyed (acct->abs, "cpuacct.stat", "system", &ticks))
        st->cpu_system_ns = ticks * (1000000000ull / (uint64_t) hz);
    }
  else if (u != NULL)
    {
      /* cgroup2's cpu.stat has usage even without the cpu controller */
      uint64_t us;
      if (cg_read_keyed (u->abs, "cpu.stat", "usage_usec", &us))
        st->cpu_usage_ns = us * 1000;
      if (cg_read_keyed (u->abs, "cpu.stat", "user_usec", &us))
        st->cpu_user_ns = us * 1000;
      if (cg_read_keyed (u->abs, "cpu.stat", "system_usec", &us))
        st->cpu_system_ns = us * 1000;
    }
  if (cpu != NULL && !cpu->h->v2)
    {
      cg_read_keyed (cpu->abs, "cpu.stat", "nr_throttled", &st->cpu_throttled_periods);
      cg_read_keyed (cpu->abs, "cpu.stat", "throttled_time", &st->cpu_throttled_ns);
    }
  else if (cpu != NULL)
    {
      uint64_t us = 0;
      cg_read_keyed (cpu->abs, "cpu.stat", "nr_throttled", &st->cpu_throttled_periods);
      if (cg_read_keyed (cpu->abs, "cpu.stat", "throttled_usec", &us))
        st->cpu_throttled_ns = us * 1000;
    }
}

int
cgroup_stats (struct hull_cgroup *cg, struct cgroup_stats *st, hull_err *err)
{
  const struct cg_dir *d;

  memset (st, 0, sizeof *st);
  if ((d = cg_dir_primary (cg)) == NULL || access (d->abs, F_OK) < 0)
    return hull_error (err, ENOENT, "cgroup `%s` does not exist", cg->path);
  if ((d = cg_dir_for (cg, "memory")) != NULL)
    memory_stats (d, st);
  cpu_stats (cg, st);
  if ((d = cg_dir_for (cg, "pids")) != NULL)
    {
      st->pids_current = read_or_zero (d->abs, "pids.current");
      st->pids_limit = read_or_zero (d->abs, "pids.max");
    }
  return 0;
}

int
cgroup_oom_eventfd (struct hull_cgroup *cg, hull_err *err)
{
  const struct cg_dir *d = cg_dir_for (cg, "memory");
  cleanup_close int efd = -1;
  cleanup_close int control = -1;
  cleanup_free char *path = NULL;

  if (d == NULL)
    return hull_error (err, ENOTSUP, "cgroup: OOM events need the memory controller (%s)", cg->layout->why);
  if (d->h->v2)
    {
      int wd;
      efd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
      if (efd < 0)
        return hull_error (err, errno, "cgroup: inotify_init1");
      path = xasprintf ("%s/memory.events", d->abs);
      wd = inotify_add_watch (efd, path, IN_MODIFY);
      if (wd < 0)
        return hull_error (err, errno, "cgroup: watch `%s`", path);
      return steal_fd (&efd);
    }
  /* v1: register an eventfd for memory.oom_control in cgroup.event_control */
  efd = eventfd (0, EFD_CLOEXEC);
  if (efd < 0)
    return hull_error (err, errno, "cgroup: eventfd");
  path = xasprintf ("%s/memory.oom_control", d->abs);
  control = open (path, O_RDONLY | O_CLOEXEC);
  if (control < 0)
    return hull_error (err, errno, "cgroup: open `%s`", path);
  if (cg_writef (d->abs, "cgroup.event_control", err, "%d %d", efd, control) < 0)
    return -1;
  return steal_fd (&efd);
}

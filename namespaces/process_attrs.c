/* Process attributes set while still privileged: oomScoreAdj, umask,
   personality, ioPriority, scheduler, execCPUAffinity, session keyring. */
#include "namespaces/ns_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/util.h"

static int
set_oom_score_adj (int64_t v, hull_err *err)
{
  char buf[32];
  cleanup_close int fd = -1;
  int n;

  if (v < -1000 || v > 1000)
    return hull_error (err, 0, "process.oomScoreAdj: %lld is out of range [-1000, 1000]", (long long) v);
  fd = open ("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return hull_error (err, errno, "open /proc/self/oom_score_adj");
  n = snprintf (buf, sizeof buf, "%lld", (long long) v);
  if (write (fd, buf, n) != n)
    {
      if (errno == EACCES)
        return hull_error (err, errno, "process.oomScoreAdj: %lld: lowering the score needs CAP_SYS_RESOURCE",
                           (long long) v);
      return hull_error (err, errno, "process.oomScoreAdj: write %lld", (long long) v);
    }
  return 0;
}

int
process_apply_before_user (struct ns_init *in, hull_err *err)
{
  const struct oci_process *p = in->process;

  if (p->oom_score_adj.set && set_oom_score_adj (p->oom_score_adj.v, err) < 0)
    return -1;
  if (p->user.umask.set)
    umask ((mode_t) (p->user.umask.v & 0777));
  else
    umask (022);
  if (process_apply_personality (in->spec->linux_ ? in->spec->linux_->personality : NULL, err) < 0)
    return -1;
  if (process_apply_sched_io (p, err) < 0)
    return -1;
  return process_join_keyring (in->opts->no_new_keyring, err);
}

/* "0-3,7" -> set.  Pure, for the unit tests too. */
int
cpu_list_parse (const char *list, cpu_set_t *set, hull_err *err)
{
  const char *p = list;

  CPU_ZERO (set);
  if (list == NULL || *list == '\0')
    return hull_error (err, 0, "empty CPU list");
  while (*p)
    {
      char *end;
      unsigned long a, b;
      if (*p < '0' || *p > '9')
        return hull_error (err, 0, "invalid CPU list `%s`", list);
      a = strtoul (p, &end, 10);
      b = a;
      if (*end == '-')
        {
          if (end[1] < '0' || end[1] > '9')
            return hull_error (err, 0, "invalid CPU list `%s`", list);
          b = strtoul (end + 1, &end, 10);
        }
      if (b < a || b >= CPU_SETSIZE)
        return hull_error (err, 0, "invalid CPU range in `%s`", list);
      for (unsigned long c = a; c <= b; c++)
        CPU_SET (c, set);
      if (*end == ',')
        end++;
      else if (*end != '\0')
        return hull_error (err, 0, "invalid CPU list `%s`", list);
      p = end;
    }
  return 0;
}

int
process_set_cpu_affinity (const char *list, const char *what, hull_err *err)
{
  cpu_set_t set;
  if (list == NULL || *list == '\0')
    return 0;
  if (cpu_list_parse (list, &set, err) < 0)
    return hull_error_wrap (err, "process.execCPUAffinity.%s", what);
  if (sched_setaffinity (0, sizeof set, &set) < 0)
    return hull_error (err, errno, "process.execCPUAffinity.%s `%s`", what, list);
  return 0;
}

static const struct
{
  const char *name;
  unsigned long persona;
} personas[] = { { "LINUX", PER_LINUX }, { "LINUX32", PER_LINUX32 } };

int
personality_from_name (const char *name)
{
  for (size_t i = 0; name && i < ARRAY_SIZE (personas); i++)
    if (strcmp (personas[i].name, name) == 0)
      return (int) personas[i].persona;
  return -1;
}

static const struct
{
  const char *name;
  int klass;
} ioprio_classes[] = { { "IOPRIO_CLASS_RT", 1 }, { "IOPRIO_CLASS_BE", 2 }, { "IOPRIO_CLASS_IDLE", 3 } };

int
ioprio_from_spec (const struct oci_io_priority *io, int *value, hull_err *err)
{
  for (size_t i = 0; io->klass && i < ARRAY_SIZE (ioprio_classes); i++)
    if (strcmp (ioprio_classes[i].name, io->klass) == 0)
      {
        if (io->priority < 0 || io->priority > 7)
          return hull_error (err, 0, "process.ioPriority.priority %d: must be in [0, 7]", (int) io->priority);
        *value = (ioprio_classes[i].klass << 13) | io->priority;
        return 0;
      }
  return hull_error (err, 0, "process.ioPriority.class `%s`: unknown", io->klass ? io->klass : "");
}

static const struct
{
  const char *name;
  unsigned value;
} sched_policies[] = {
  { "SCHED_OTHER", 0 }, { "SCHED_FIFO", 1 }, { "SCHED_RR", 2 },       { "SCHED_BATCH", 3 },
  { "SCHED_ISO", 4 },   { "SCHED_IDLE", 5 }, { "SCHED_DEADLINE", 6 },
}, sched_flags[] = {
  { "SCHED_FLAG_RESET_ON_FORK", 0x01 }, { "SCHED_FLAG_RECLAIM", 0x02 },     { "SCHED_FLAG_DL_OVERRUN", 0x04 },
  { "SCHED_FLAG_KEEP_POLICY", 0x08 },   { "SCHED_FLAG_KEEP_PARAMS", 0x10 }, { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};

struct sched_attr_v1
{
  uint32_t size, sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
};

int
scheduler_from_spec (const struct oci_scheduler *s, void *out_attr, hull_err *err)
{
  struct sched_attr_v1 *a = out_attr;
  bool found = false;

  memset (a, 0, sizeof *a);
  a->size = sizeof *a;
  for (size_t i = 0; s->policy && i < ARRAY_SIZE (sched_policies); i++)
    if (strcmp (sched_policies[i].name, s->policy) == 0)
      {
        a->sched_policy = sched_policies[i].value;
        found = true;
      }
  if (!found)
    return hull_error (err, 0, "process.scheduler.policy `%s`: unknown", s->policy ? s->policy : "");
  for (size_t i = 0; i < s->flags.len; i++)
    {
      found = false;
      for (size_t j = 0; j < ARRAY_SIZE (sched_flags); j++)
        if (strcmp (sched_flags[j].name, s->flags.items[i]) == 0)
          {
            a->sched_flags |= sched_flags[j].value;
            found = true;
          }
      if (!found)
        return hull_error (err, 0, "process.scheduler.flags: unknown flag `%s`", s->flags.items[i]);
    }
  if (s->nice.set && (s->nice.v < -20 || s->nice.v > 19))
    return hull_error (err, 0, "process.scheduler.nice %lld: must be in [-20, 19]", (long long) s->nice.v);
  a->sched_nice = s->nice.set ? (int32_t) s->nice.v : 0;
  a->sched_priority = s->priority.set ? (uint32_t) s->priority.v : 0;
  a->sched_runtime = s->runtime.set ? s->runtime.v : 0;
  a->sched_deadline = s->deadline.set ? s->deadline.v : 0;
  a->sched_period = s->period.set ? s->period.v : 0;
  return 0;
}

int
process_apply_sched_io (const struct oci_process *p, hull_err *err)
{
  if (p->io_priority != NULL)
    {
      int v;
      if (ioprio_from_spec (p->io_priority, &v, err) < 0)
        return -1;
      if (syscall (SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, v) < 0)
        return hull_error (err, errno, "process.ioPriority: ioprio_set");
    }
  if (p->scheduler != NULL)
    {
      struct sched_attr_v1 a;
      if (scheduler_from_spec (p->scheduler, &a, err) < 0)
        return -1;
      if (syscall (SYS_sched_setattr, 0, &a, 0) < 0)
        return hull_error (err, errno, "process.scheduler: sched_setattr %s", p->scheduler->policy);
    }
  return 0;
}

int
process_apply_personality (const struct oci_personality *pers, hull_err *err)
{
  int v;
  if (pers == NULL)
    return 0;
  v = personality_from_name (pers->domain);
  if (v < 0)
    return hull_error (err, 0, "linux.personality.domain `%s`: unknown", pers->domain ? pers->domain : "");
  if (personality ((unsigned long) v) < 0)
    return hull_error (err, errno, "personality %s", pers->domain);
  return 0;
}

/* A session keyring of its own, as runc; --no-new-keyring keeps ours.
   Kernels without keys, or namespaces that refuse, are not fatal. */
int
process_join_keyring (bool no_new_keyring, hull_err *err)
{
  if (no_new_keyring)
    return 0;
  if (syscall (SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, NULL) < 0 && errno != ENOSYS && errno != EPERM
      && errno != EACCES && errno != EDQUOT)
    return hull_error (err, errno, "join a new session keyring");
  return 0;
}

#include "runtime/events.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "oci-spec/events_json.h"
#include "runtime/cgroup_of.h"
#include "runtime/lifecycle.h"
#include "runtime/log.h"
#include "runtime/process.h"
#include "runtime/util.h"

int
hull_parse_duration_ms (const char *s, long *ms, hull_err *err)
{
  static const struct
  {
    const char *unit;
    double ms;
  } units[] = { { "ns", 1e-6 }, { "us", 1e-3 }, { "µs", 1e-3 }, { "ms", 1 }, { "s", 1e3 }, { "m", 60e3 }, { "h", 3600e3 } };
  const char *p = s;
  double total = 0;

  if (strcmp (s, "0") == 0)
    return hull_error (err, 0, "invalid duration `%s`: must be positive", s);
  if (*p == '\0')
    return hull_error (err, 0, "invalid duration ``");
  while (*p != '\0')
    {
      char *end;
      double v;
      size_t best = 0, best_len = 0;
      if (!isdigit ((unsigned char) *p) && *p != '.')
        return hull_error (err, 0, "invalid duration `%s`", s);
      errno = 0;
      v = strtod (p, &end);
      if (errno != 0 || end == p)
        return hull_error (err, 0, "invalid duration `%s`", s);
      p = end;
      /* the longest unit that matches ("ms" before "m") */
      for (size_t i = 0; i < ARRAY_SIZE (units); i++)
        {
          size_t l = strlen (units[i].unit);
          if (strncmp (p, units[i].unit, l) == 0 && l > best_len)
            {
              best = i;
              best_len = l;
            }
        }
      if (best_len == 0)
        return hull_error (err, 0, "invalid duration `%s`: missing unit (ms, s, m, h)", s);
      total += v * units[best].ms;
      p += best_len;
    }
  if (total < 1 || total > (double) (24L * 3600 * 1000))
    return hull_error (err, 0, "invalid duration `%s`: use 1ms to 24h", s);
  *ms = (long) (total + 0.5);
  return 0;
}

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
read_stats (struct hull_cgroup *cg, struct oci_event_stats *out, hull_err *err)
{
  struct cgroup_stats st;
  if (cgroup_stats (cg, &st, err) < 0)
    return -1;
  *out = (struct oci_event_stats) {
    .cpu_total_ns = st.cpu_usage_ns,
    .cpu_kernel_ns = st.cpu_system_ns,
    .cpu_user_ns = st.cpu_user_ns,
    .cpu_throttled_periods = st.cpu_throttled_periods,
    .cpu_throttled_ns = st.cpu_throttled_ns,
    .memory_usage = st.memory_usage,
    .memory_limit = st.memory_limit,
    .memory_max_usage = st.memory_max_usage,
    .swap_usage = st.memory_swap_usage,
    .oom_kill_count = st.oom_kill_count,
    .pids_current = st.pids_current,
    .pids_limit = st.pids_limit,
  };
  return 0;
}

static int
emit (hull_event_sink sink, void *arg, const char *type, const char *id, const struct oci_event_stats *st)
{
  cleanup_free char *json = oci_event_json (type, id, st);
  return sink (json, arg);
}

/* The OOM fd fired: how many oom events to report.  A v1 eventfd (an
   8-byte counter) fires once per OOM, and also when the cgroup goes away;
   cgroup2's inotify on memory.events fires on any change, so compare the
   oom_kill count. */
static int
oom_events (int fd, struct hull_cgroup *cg, uint64_t *last_kills)
{
  char buf[4096];
  struct oci_event_stats st;
  hull_err err = NULL;
  ssize_t n = read (fd, buf, sizeof buf);

  if (n < 0)
    return 0;
  if (read_stats (cg, &st, &err) < 0)
    {
      hull_error_release (&err);
      return 0;   /* the cgroup is gone */
    }
  if (n == 8)
    {
      uint64_t count;
      memcpy (&count, buf, sizeof count);
      *last_kills = st.oom_kill_count;
      return count > 16 ? 16 : (int) count;
    }
  if (st.oom_kill_count > *last_kills)
    {
      uint64_t d = st.oom_kill_count - *last_kills;
      *last_kills = st.oom_kill_count;
      return d > 16 ? 16 : (int) d;
    }
  return 0;
}

static int
stream (struct hull_container *c, long interval_ms, hull_event_sink sink, void *arg, hull_err *err)
{
  cleanup_close int oom_fd = -1;
  struct oci_event_stats st;
  uint64_t kills = 0;
  long long next = now_ms ();

  oom_fd = cgroup_oom_eventfd (c->cgroup, err);
  if (oom_fd < 0)
    {
      hull_log_warning ("container %s: no OOM notices: %s", c->st.id, (*err)->msg);
      hull_error_release (err);
    }
  if (read_stats (c->cgroup, &st, err) < 0)
    return -1;
  kills = st.oom_kill_count;
  for (;;)
    {
      struct pollfd pfd = { .fd = oom_fd, .events = POLLIN };
      long long wait = next - now_ms ();
      int r;

      if (wait <= 0)
        {
          if (!hull_process_alive (c->st.pid, c->st.pid_start_time))
            return 0;
          if (read_stats (c->cgroup, &st, err) < 0)
            {
              /* Stopped between the check and the read. */
              if (!hull_process_alive (c->st.pid, c->st.pid_start_time))
                {
                  hull_error_release (err);
                  return 0;
                }
              return -1;
            }
          if (emit (sink, arg, "stats", c->st.id, &st) != 0)
            return 0;
          next += interval_ms;
          continue;
        }
      r = poll (&pfd, oom_fd >= 0 ? 1 : 0, wait > 1000 ? 1000 : (int) wait);
      if (r < 0 && errno != EINTR)
        return hull_error (err, errno, "events: poll");
      if (r > 0 && (pfd.revents & POLLIN))
        for (int n = oom_events (oom_fd, c->cgroup, &kills); n > 0; n--)
          if (emit (sink, arg, "oom", c->st.id, NULL) != 0)
            return 0;
      if (!hull_process_alive (c->st.pid, c->st.pid_start_time))
        return 0;
    }
}

int
hull_events (const struct hull_context *ctx, const char *id, bool stats_once, long interval_ms,
             hull_event_sink sink, void *arg, hull_err *err)
{
  struct hull_container c;
  int ret = -1;

  if (hull_container_load_live (ctx, id, &c, err) < 0)
    return -1;
  if (stats_once)
    {
      struct oci_event_stats st;
      if (read_stats (c.cgroup, &st, err) < 0)
        goto out;
      emit (sink, arg, "stats", id, &st);
      ret = 0;
      goto out;
    }
  ret = stream (&c, interval_ms, sink, arg, err);
out:
  hull_container_release (&c);
  return ret;
}

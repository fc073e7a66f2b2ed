#include "oci-spec/events_json.h"

#include "oci-spec/json_write.h"

static void
write_stats (yajl_gen g, const struct oci_event_stats *s)
{
  jw_str (g, "data");
  jw_open (g);

  jw_str (g, "cpu");
  jw_open (g);
  jw_str (g, "usage");
  jw_open (g);
  jw_kv_u64 (g, "total", s->cpu_total_ns);
  jw_kv_u64 (g, "kernel", s->cpu_kernel_ns);
  jw_kv_u64 (g, "user", s->cpu_user_ns);
  jw_close (g);
  jw_str (g, "throttling");
  jw_open (g);
  jw_kv_u64 (g, "throttledPeriods", s->cpu_throttled_periods);
  jw_kv_u64 (g, "throttledTime", s->cpu_throttled_ns);
  jw_close (g);
  jw_close (g);

  jw_str (g, "memory");
  jw_open (g);
  jw_str (g, "usage");
  jw_open (g);
  jw_kv_u64 (g, "limit", s->memory_limit);
  jw_kv_u64 (g, "usage", s->memory_usage);
  jw_kv_u64 (g, "max", s->memory_max_usage);
  jw_kv_u64 (g, "failcnt", 0);
  jw_close (g);
  jw_str (g, "swap");
  jw_open (g);
  jw_kv_u64 (g, "limit", 0);
  jw_kv_u64 (g, "usage", s->swap_usage);
  jw_kv_u64 (g, "failcnt", 0);
  jw_close (g);
  jw_str (g, "raw");
  jw_open (g);
  jw_kv_u64 (g, "oom_kill", s->oom_kill_count);
  jw_close (g);
  jw_close (g);

  jw_str (g, "pids");
  jw_open (g);
  jw_kv_u64 (g, "current", s->pids_current);
  jw_kv_u64 (g, "limit", s->pids_limit);
  jw_close (g);

  jw_close (g);
}

char *
oci_event_json (const char *type, const char *id, const struct oci_event_stats *stats)
{
  yajl_gen g = jw_new (false);

  jw_open (g);
  jw_kv_str (g, "type", type);
  jw_kv_str (g, "id", id);
  if (stats != NULL)
    write_stats (g, stats);
  jw_close (g);
  return jw_finish (g);
}

/* `events` output, runc's types.Event: one JSON object per line,
   {"type":"stats","id":ID,"data":{...}} or {"type":"oom","id":ID}. */
#ifndef HULL_OCI_EVENTS_JSON_H
#define HULL_OCI_EVENTS_JSON_H

#include <stdint.h>

/* What a stats event carries (runc's field names in comments). */
struct oci_event_stats
{
  uint64_t cpu_total_ns, cpu_kernel_ns, cpu_user_ns;      /* cpu.usage.total, kernel, user */
  uint64_t cpu_throttled_periods, cpu_throttled_ns;       /* cpu.throttling.throttledPeriods, throttledTime */
  uint64_t memory_usage, memory_limit, memory_max_usage;  /* memory.usage.usage, limit, max */
  uint64_t swap_usage;                                    /* memory.swap.usage */
  uint64_t oom_kill_count;                                /* memory.raw.oom_kill */
  uint64_t pids_current, pids_limit;                      /* pids.current, limit */
};

/* `stats` may be NULL (an event without data, such as "oom"). */
char *oci_event_json (const char *type, const char *id, const struct oci_event_stats *stats);

#endif

/* events: a container's resource usage and OOM notices, as `runc events`:
   one stats event with --stats, else a stats event every interval and an
   oom event whenever the kernel's OOM killer acts in the container, until
   the container stops. */
#ifndef HULL_EVENTS_H
#define HULL_EVENTS_H

#include <stdbool.h>

#include "runtime/container.h"

/* Called with each event's JSON line (no newline); non-zero stops. */
typedef int (*hull_event_sink) (const char *json, void *arg);

int hull_events (const struct hull_context *ctx, const char *id, bool stats_once, long interval_ms,
                 hull_event_sink sink, void *arg, hull_err *err);

/* A Go duration as runc's --interval takes it ("5s", "100ms", "1m30s",
   "1.5s"), in milliseconds (pure). */
int hull_parse_duration_ms (const char *s, long *ms, hull_err *err);

#endif

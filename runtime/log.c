#include "runtime/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "oci-spec/hull_status.h"
#include "runtime/util.h"

static int log_fd = -1;
static enum hull_log_format log_format = HULL_LOG_TEXT;
static bool log_debug;

int
hull_log_parse_format (const char *name, enum hull_log_format *out, hull_err *err)
{
  if (strcmp (name, "text") == 0)
    *out = HULL_LOG_TEXT;
  else if (strcmp (name, "json") == 0)
    *out = HULL_LOG_JSON;
  else
    return hull_error (err, 0, "invalid --log-format `%s`: use text or json", name);
  return 0;
}

int
hull_log_setup (const char *path, enum hull_log_format format, bool debug, hull_err *err)
{
  log_format = format;
  log_debug = debug;
  if (path == NULL || *path == '\0')
    return 0;
  int fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    return hull_error (err, errno, "open log file `%s`", path);
  /* Out of the range --preserve-fds hands on (3, 4, ...): there the log
     would pass for a caller's fd.  Where the fd limit is lower, the
     preserve-fds checks still tell them apart (hull_log_owns_fd). */
  {
    int high = fcntl (fd, F_DUPFD_CLOEXEC, HULL_LOG_FD_FLOOR);
    if (high >= 0)
      {
        close (fd);
        fd = high;
      }
  }
  if (log_fd >= 0)
    close (log_fd);
  log_fd = fd;
  return 0;
}

bool
hull_log_owns_fd (int fd)
{
  return fd >= 0 && fd == log_fd;
}

bool
hull_log_debug_enabled (void)
{
  return log_debug;
}

/* logfmt quoting for --log-format text. */
static char *
text_escape (const char *s)
{
  size_t n = strlen (s);
  char *out = xmalloc (n * 6 + 1);
  char *o = out;

  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    {
      switch (*p)
        {
        case '"': *o++ = '\\'; *o++ = '"'; break;
        case '\\': *o++ = '\\'; *o++ = '\\'; break;
        case '\n': *o++ = '\\'; *o++ = 'n'; break;
        case '\r': *o++ = '\\'; *o++ = 'r'; break;
        case '\t': *o++ = '\\'; *o++ = 't'; break;
        default:
          if (*p < 0x20 || *p == 0x7f)
            o += sprintf (o, "\\u%04x", *p);
          else
            *o++ = (char) *p;
        }
    }
  *o = '\0';
  return out;
}

static void
timestamp (char *buf, size_t len)
{
  struct timespec ts;
  struct tm tm;
  char base[32];

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf, len, "%s.%09ldZ", base, ts.tv_nsec);
}

static void
log_line (const char *level, const char *msg)
{
  cleanup_free char *line = NULL;
  cleanup_free char *escaped = NULL;
  char ts[64];

  if (log_fd < 0)
    return;
  timestamp (ts, sizeof ts);
  if (log_format == HULL_LOG_JSON)
    {
      escaped = hull_log_json_line (level, msg, ts);
      line = xasprintf ("%s\n", escaped);
    }
  else
    {
      escaped = text_escape (msg);
      line = xasprintf ("time=\"%s\" level=%s msg=\"%s\"\n", ts, level, escaped);
    }
  /* One write() per line: O_APPEND keeps concurrent writers' lines whole. */
  if (write_all (log_fd, line, strlen (line)) < 0)
    return;
}

void
hull_log_error (const char *msg)
{
  /* One line, whatever a config or a child put in the message. */
  cleanup_free char *line = xstrdup (msg);
  for (char *p = line; *p; p++)
    if ((unsigned char) *p < 0x20)
      *p = ' ';
  fprintf (stderr, "hull: %s\n", line);
  fflush (stderr);
  log_line ("error", msg);
}

static void
log_v (const char *level, bool to_stderr, const char *fmt, va_list ap)
{
  cleanup_free char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) < 0)
    return;
  if (to_stderr)
    {
      fprintf (stderr, "hull: %s: %s\n", level, msg);
      fflush (stderr);
    }
  log_line (level, msg);
}

void
hull_log_warning (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  log_v ("warning", true, fmt, ap);
  va_end (ap);
}

void
hull_log_debug (const char *fmt, ...)
{
  va_list ap;
  if (!log_debug)
    return;
  va_start (ap, fmt);
  /* With a log file, debug goes there only (stderr may be the container's). */
  log_v ("debug", log_fd < 0, fmt, ap);
  va_end (ap);
}

void
hull_report_error (hull_err *err)
{
  if (err == NULL || *err == NULL)
    return;
  hull_log_error ((*err)->msg);
  hull_error_release (err);
}

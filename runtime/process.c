#include "runtime/process.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/util.h"

int
hull_process_stat_parse (const char *text, unsigned long long *start_time, char *state)
{
  /* "pid (comm) S ppid ...": comm may contain anything, so start after the
     last ')'.  Field 3 is the state; field 22 the start time. */
  const char *p = strrchr (text, ')');
  int field = 2;

  if (p == NULL)
    return -1;
  p++;
  while (*p != '\0')
    {
      while (*p == ' ')
        p++;
      if (*p == '\0')
        break;
      field++;
      if (field == 3 && state != NULL)
        *state = *p;
      if (field == 22)
        {
          char *end;
          errno = 0;
          unsigned long long v = strtoull (p, &end, 10);
          if (errno != 0 || end == p)
            return -1;
          if (start_time != NULL)
            *start_time = v;
          return 0;
        }
      while (*p != ' ' && *p != '\0')
        p++;
    }
  return -1;
}

int
hull_process_stat (pid_t pid, unsigned long long *start_time, char *state, hull_err *err)
{
  cleanup_free char *text = NULL;
  char path[64];
  size_t len;

  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  if (read_file (path, &text, &len, err) < 0)
    return -1;
  if (hull_process_stat_parse (text, start_time, state) < 0)
    return hull_error (err, 0, "cannot parse `%s`", path);
  return 0;
}

bool
hull_process_alive (pid_t pid, unsigned long long start_time)
{
  hull_err err = NULL;
  unsigned long long t = 0;
  char state = 0;

  if (pid <= 0)
    return false;
  if (hull_process_stat (pid, &t, &state, &err) < 0)
    {
      hull_error_release (&err);
      return false;
    }
  if (state == 'Z' || state == 'X')
    return false;
  return start_time == 0 || t == start_time;
}

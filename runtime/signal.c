/* kill's signal argument, as runc reads it: a name with or without "SIG"
   (any case), RTMIN+n / RTMAX-n, or a number. */
#include <ctype.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "runtime/container.h"

static int
parse_number (const char *s, int *out)
{
  char *end;
  long v;

  if (!isdigit ((unsigned char) *s))
    return -1;
  v = strtol (s, &end, 10);
  if (*end != '\0' || v > 1000)
    return -1;
  *out = (int) v;
  return 0;
}

static int
parse_rt (const char *name, int *sig)
{
  int off = 0;

  if (strncasecmp (name, "RTMIN", 5) == 0)
    {
      if (name[5] == '\0')
        off = 0;
      else if (name[5] != '+' || parse_number (name + 6, &off) < 0)
        return -1;
      *sig = SIGRTMIN + off;
    }
  else if (strncasecmp (name, "RTMAX", 5) == 0)
    {
      if (name[5] == '\0')
        off = 0;
      else if (name[5] != '-' || parse_number (name + 6, &off) < 0)
        return -1;
      *sig = SIGRTMAX - off;
    }
  else
    return -1;
  return *sig >= SIGRTMIN && *sig <= SIGRTMAX ? 0 : -1;
}

int
hull_signal_parse (const char *name, int *sig, hull_err *err)
{
  const char *bare = name;
  int n;

  if (name == NULL || *name == '\0')
    return hull_error (err, 0, "invalid signal ``");
  if (parse_number (name, &n) == 0)
    {
      if (n < 1 || n > SIGRTMAX)
        return hull_error (err, 0, "invalid signal `%s`", name);
      *sig = n;
      return 0;
    }
  if (strncasecmp (bare, "SIG", 3) == 0)
    bare += 3;
  if (parse_rt (bare, sig) == 0)
    return 0;
  for (n = 1; n < SIGRTMIN; n++)
    {
      const char *abbrev = sigabbrev_np (n);
      if (abbrev != NULL && strcasecmp (abbrev, bare) == 0)
        {
          *sig = n;
          return 0;
        }
    }
  return hull_error (err, 0, "invalid signal `%s`", name);
}

#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/log.h"
#include "runtime/util.h"

int
cli_fail (hull_err *err)
{
  hull_report_error (err);
  return 1;
}

int
cli_failf (const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  hull_log_error (msg != NULL ? msg : fmt);
  return 1;
}

void
cli_getopt_reset (void)
{
  optind = 0;   /* GNU getopt: full reinitialisation */
  opterr = 0;
}

int
cli_getopt (const char *command, int argc, char **argv, const char *shortopts, const struct option *longopts)
{
  int c = getopt_long (argc, argv, shortopts, longopts, NULL);
  if (c == '?' || c == ':')
    {
      /* NULL command: a global option, reported as "hull: unknown option". */
      cleanup_free char *cmd = command != NULL ? xasprintf ("%s: ", command) : xstrdup ("");
      const char *bad = argv[optind - 1];
      if (optopt != 0 && c == ':')
        cli_failf ("%soption `%s` needs a value", cmd, bad);
      else if (optopt != 0 && bad[0] == '-' && bad[1] != '-')
        cli_failf ("%sunknown option `-%c`", cmd, optopt);
      else
        {
          /* A known long option without its value also lands here. */
          for (const struct option *o = longopts; o != NULL && o->name != NULL; o++)
            if (o->has_arg == required_argument && strncmp (bad + 2, o->name, strlen (o->name)) == 0
                && bad[2 + strlen (o->name)] == '\0')
              {
                cli_failf ("%soption `%s` needs a value", cmd, bad);
                return '?';
              }
          cli_failf ("%sunknown option `%s`", cmd, bad);
        }
      return '?';
    }
  return c;
}

bool
cli_nargs (const char *cmd, int n, int min, int max, const char *what)
{
  if (n >= min && (max < 0 || n <= max))
    return true;
  if (min == max)
    cli_failf ("%s: requires exactly %d argument%s: %s", cmd, min, min == 1 ? "" : "s", what);
  else if (n < min)
    cli_failf ("%s: requires at least %d argument%s: %s", cmd, min, min == 1 ? "" : "s", what);
  else
    cli_failf ("%s: too many arguments: %s", cmd, what);
  return false;
}

int
cli_help (const char *text)
{
  fputs (text, stdout);
  return 0;
}

bool
cli_parse_uint (const char *cmd, const char *opt, const char *value, int *out)
{
  char *end;
  long v;
  errno = 0;
  v = strtol (value, &end, 10);
  if (errno != 0 || end == value || *end != '\0' || v < 0 || v > INT_MAX)
    {
      cli_failf ("%s: %s: `%s` is not a non-negative number", cmd, opt, value);
      return false;
    }
  *out = (int) v;
  return true;
}

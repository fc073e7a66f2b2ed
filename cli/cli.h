/* cli/: argv in, text out.  Each command lives in cli/cmd_<name>.c and is
   one line of the table in cli/commands.c.  A command gets the global
   context and its own argv (argv[0] is the command name); it returns the
   process exit status. */
#ifndef HULL_CLI_H
#define HULL_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "runtime/container.h"
#include "runtime/error.h"

struct cli_command
{
  const char *name;
  const char *summary;
  int (*run) (const struct hull_context *ctx, int argc, char **argv);
  /* Starts container processes: re-exec from a sealed copy first. */
  bool sealed_exec;
};

extern const struct cli_command cli_commands[];   /* ends with { NULL } */

/* Report an error (stderr "hull: msg", and the --log file); returns 1. */
int cli_fail (hull_err *err);
int cli_failf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* getopt_long over a command's argv, with -h/--help and one-line errors
   for unknown options and missing values.  Returns the option, -1 at the
   end, '?' after reporting an error.  `cmd` NULL: the global options. */
int cli_getopt (const char *cmd, int argc, char **argv, const char *shortopts, const struct option *longopts);
/* Start a new getopt pass (getopt keeps global state). */
void cli_getopt_reset (void);

/* Checks the number of positional arguments; reports "hull: CMD: ..." */
bool cli_nargs (const char *cmd, int n, int min, int max, const char *what);

/* Prints the usage text of a command to stdout. */
int cli_help (const char *text);

/* Non-negative int option value, or an error. */
bool cli_parse_uint (const char *cmd, const char *opt, const char *value, int *out);

#endif

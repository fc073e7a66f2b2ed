#include "cli/cli.h"
#include "runtime/pause.h"

static const char pause_usage[] = "Usage: hull pause CONTAINER-ID\n"
                                  "\n"
                                  "Suspend every process of a running container (cgroup freezer).\n"
                                  "\n"
                                  "Options:\n"
                                  "  -h, --help   this help\n";

static const char resume_usage[] = "Usage: hull resume CONTAINER-ID\n"
                                   "\n"
                                   "Resume every process of a paused container.\n"
                                   "\n"
                                   "Options:\n"
                                   "  -h, --help   this help\n";

static int
freeze_command (const struct hull_context *ctx, int argc, char **argv, const char *name, const char *usage,
                int (*op) (const struct hull_context *, const char *, hull_err *))
{
  static const struct option longopts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  hull_err err = NULL;
  int c;

  cli_getopt_reset ();
  while ((c = cli_getopt (name, argc, argv, ":h", longopts)) != -1)
    {
      if (c == 'h')
        return cli_help (usage);
      return 1;
    }
  if (!cli_nargs (name, argc - optind, 1, 1, "CONTAINER-ID"))
    return 1;
  if (op (ctx, argv[optind], &err) < 0)
    return cli_fail (&err);
  return 0;
}

int
cli_pause (const struct hull_context *ctx, int argc, char **argv)
{
  return freeze_command (ctx, argc, argv, "pause", pause_usage, hull_pause);
}

int
cli_resume (const struct hull_context *ctx, int argc, char **argv)
{
  return freeze_command (ctx, argc, argv, "resume", resume_usage, hull_resume);
}

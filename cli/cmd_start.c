#include "cli/cli.h"

static const char usage[] = "Usage: hull start CONTAINER-ID\n"
                            "\n"
                            "Start the process of a created container.\n"
                            "\n"
                            "Options:\n"
                            "  -h, --help   this help\n";

int
cli_start (const struct hull_context *ctx, int argc, char **argv)
{
  static const struct option longopts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  hull_err err = NULL;
  int c;

  cli_getopt_reset ();
  while ((c = cli_getopt ("start", argc, argv, ":h", longopts)) != -1)
    {
      if (c == 'h')
        return cli_help (usage);
      return 1;
    }
  if (!cli_nargs ("start", argc - optind, 1, 1, "CONTAINER-ID"))
    return 1;
  if (hull_start (ctx, argv[optind], &err) < 0)
    return cli_fail (&err);
  return 0;
}

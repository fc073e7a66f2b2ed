#include <string.h>

#include "cli/cli.h"

static const char usage[] = "Usage: hull kill [OPTIONS] CONTAINER-ID [SIGNAL]\n"
                            "\n"
                            "Send a signal (default SIGTERM) to the container's init.  SIGNAL is a\n"
                            "name with or without SIG (KILL, SIGKILL) or a number (9).\n"
                            "\n"
                            "Options:\n"
                            "  -a, --all    signal every process of the container\n"
                            "  -h, --help   this help\n";

int
cli_kill (const struct hull_context *ctx, int argc, char **argv)
{
  static const struct option longopts[] = { { "all", no_argument, NULL, 'a' },
                                             { "help", no_argument, NULL, 'h' },
                                             { NULL, 0, NULL, 0 } };
  hull_err err = NULL;
  bool all = false;
  int c;

  /* "+": a signal such as "-9" after the id is not an option. */
  cli_getopt_reset ();
  while ((c = cli_getopt ("kill", argc, argv, "+:ah", longopts)) != -1)
    {
      if (c == 'h')
        return cli_help (usage);
      if (c != 'a')
        return 1;
      all = true;
    }
  /* runc also accepts --all after the id. */
  while (argc - optind > 1 && (strcmp (argv[argc - 1], "--all") == 0 || strcmp (argv[argc - 1], "-a") == 0))
    {
      all = true;
      argc--;
    }
  if (!cli_nargs ("kill", argc - optind, 1, 2, "CONTAINER-ID [SIGNAL]"))
    return 1;
  if (hull_kill (ctx, argv[optind], argc - optind == 2 ? argv[optind + 1] : NULL, all, &err) < 0)
    return cli_fail (&err);
  return 0;
}

#include "cli/cli.h"

static const char usage[] = "Usage: hull delete [OPTIONS] CONTAINER-ID...\n"
                            "\n"
                            "Delete stopped (or created) containers: their cgroups, state and poststop hooks.\n"
                            "\n"
                            "Options:\n"
                            "  -f, --force   kill a container that is still running first\n"
                            "  -h, --help    this help\n";

int
cli_delete (const struct hull_context *ctx, int argc, char **argv)
{
  static const struct option longopts[] = { { "force", no_argument, NULL, 'f' },
                                             { "help", no_argument, NULL, 'h' },
                                             { NULL, 0, NULL, 0 } };
  bool force = false;
  int status = 0;
  int c;

  cli_getopt_reset ();
  while ((c = cli_getopt ("delete", argc, argv, ":fh", longopts)) != -1)
    {
      if (c == 'h')
        return cli_help (usage);
      if (c != 'f')
        return 1;
      force = true;
    }
  if (!cli_nargs ("delete", argc - optind, 1, -1, "CONTAINER-ID..."))
    return 1;
  for (int i = optind; i < argc; i++)
    {
      hull_err err = NULL;
      if (hull_delete (ctx, argv[i], force, &err) < 0)
        status = cli_fail (&err);
    }
  return status;
}

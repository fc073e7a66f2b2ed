#include "cli/create_opts.h"

static const char usage[] = "Usage: hull run [OPTIONS] CONTAINER-ID\n"
                            "\n"
                            "Create and start a container.  Without --detach, hull stays its parent:\n"
                            "it forwards signals, exits with the container's status (128+N for signal N)\n"
                            "and deletes the container.\n"
                            "\n"
                            "Options:\n"
                            "  -d, --detach              return once the container is started\n"
                            "      --no-subreaper        accepted for runc compatibility\n" CLI_CREATE_OPTIONS_HELP;

int
cli_run (const struct hull_context *ctx, int argc, char **argv)
{
  static const struct option longopts[] = { CLI_CREATE_LONGOPTS,
                                             { "detach", no_argument, NULL, 'd' },
                                             { "no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER },
                                             { NULL, 0, NULL, 0 } };
  struct hull_create_opts opts = { 0 };
  hull_err err = NULL;
  bool detach = false;
  int exit_code = 0;
  int c;

  cli_getopt_reset ();
  while ((c = cli_getopt ("run", argc, argv, ":b:dh", longopts)) != -1)
    {
      if (c == 'h')
        return cli_help (usage);
      if (c == 'd')
        detach = true;
      else if (c == OPT_NO_SUBREAPER)
        continue;
      else if (c == '?' || !cli_create_option ("run", c, optarg, &opts))
        return 1;
    }
  if (!cli_nargs ("run", argc - optind, 1, 1, "CONTAINER-ID"))
    return 1;
  if (hull_run (ctx, argv[optind], &opts, detach, &exit_code, &err) < 0)
    {
      cli_fail (&err);
      return exit_code != 0 ? exit_code : 1;
    }
  return exit_code;
}

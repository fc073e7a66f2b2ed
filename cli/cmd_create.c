#include "cli/create_opts.h"

static const char usage[] = "Usage: hull create [OPTIONS] CONTAINER-ID\n"
                            "\n"
                            "Create a container from a bundle; its process waits for `hull start`.\n"
                            "\n"
                            "Options:\n" CLI_CREATE_OPTIONS_HELP;

int
cli_create (const struct hull_context *ctx, int argc, char **argv)
{
  static const struct option longopts[] = { CLI_CREATE_LONGOPTS, { NULL, 0, NULL, 0 } };
  struct hull_create_opts opts = { 0 };
  hull_err err = NULL;
  int c;

  cli_getopt_reset ();
  while ((c = cli_getopt ("create", argc, argv, ":b:h", longopts)) != -1)
    {
      if (c == 'h')
        return cli_help (usage);
      if (c == '?' || !cli_create_option ("create", c, optarg, &opts))
        return 1;
    }
  if (!cli_nargs ("create", argc - optind, 1, 1, "CONTAINER-ID"))
    return 1;
  if (hull_create (ctx, argv[optind], &opts, &err) < 0)
    return cli_fail (&err);
  return 0;
}

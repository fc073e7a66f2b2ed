#include "cli/cli.h"
#include "runtime/about.h"

static const char usage[] = "Usage: hull spec [OPTIONS]\n"
                            "\n"
                            "Write a default config.json into the bundle directory.\n"
                            "\n"
                            "Options:\n"
                            "  -b, --bundle DIR   bundle directory (default: the current directory)\n"
                            "      --rootless     a spec for a rootless container\n"
                            "  -h, --help         this help\n";

int
cli_spec (const struct hull_context *ctx, int argc, char **argv)
{
  static const struct option longopts[] = { { "bundle", required_argument, NULL, 'b' },
                                             { "rootless", no_argument, NULL, 'r' },
                                             { "help", no_argument, NULL, 'h' },
                                             { NULL, 0, NULL, 0 } };
  const char *bundle = NULL;
  bool rootless = false;
  hull_err err = NULL;
  int c;

  cli_getopt_reset ();
  while ((c = cli_getopt ("spec", argc, argv, ":b:h", longopts)) != -1)
    {
      switch (c)
        {
        case 'h': return cli_help (usage);
        case 'b': bundle = optarg; break;
        case 'r': rootless = true; break;
        default: return 1;
        }
    }
  if (!cli_nargs ("spec", argc - optind, 0, 0, "spec takes no arguments"))
    return 1;
  if (hull_spec_write (bundle, rootless, &err) < 0)
    return cli_fail (&err);
  return 0;
}

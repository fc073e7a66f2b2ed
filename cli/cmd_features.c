#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "oci-spec/hull_status.h"
#include "runtime/about.h"

static const char usage[] = "Usage: hull features\n"
                            "\n"
                            "Print the OCI features document (runtime-spec features.md) as JSON.\n"
                            "\n"
                            "Options:\n"
                            "  -h, --help   this help\n";

int
cli_features (const struct hull_context *ctx, int argc, char **argv)
{
  static const struct option longopts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  char *version, *json;
  int c;

  cli_getopt_reset ();
  while ((c = cli_getopt ("features", argc, argv, ":h", longopts)) != -1)
    {
      if (c == 'h')
        return cli_help (usage);
      return 1;
    }
  if (!cli_nargs ("features", argc - optind, 0, 0, "features takes no arguments"))
    return 1;
  version = hull_libseccomp_version ();
  json = oci_features_json_ex (version);
  free (version);
  if (json == NULL)
    return cli_failf ("features: cannot generate the document");
  puts (json);
  free (json);
  return 0;
}

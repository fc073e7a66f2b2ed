#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

static const char usage[] = "Usage: hull state CONTAINER-ID\n"
                            "\n"
                            "Print the state of a container as JSON (runtime-spec \"State\").\n"
                            "\n"
                            "Options:\n"
                            "  -h, --help   this help\n";

int
cli_state (const struct hull_context *ctx, int argc, char **argv)
{
  static const struct option longopts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  struct hull_info info;
  hull_err err = NULL;
  char *json;
  int c;

  cli_getopt_reset ();
  while ((c = cli_getopt ("state", argc, argv, ":h", longopts)) != -1)
    {
      if (c == 'h')
        return cli_help (usage);
      return 1;
    }
  if (!cli_nargs ("state", argc - optind, 1, 1, "CONTAINER-ID"))
    return 1;
  if (hull_state (ctx, argv[optind], &info, &err) < 0)
    return cli_fail (&err);
  {
    struct oci_state os = {
      .oci_version = HULL_OCI_VERSION,
      .id = info.st.id,
      .status = info.status,
      .pid = info.st.pid,
      .bundle = info.st.bundle,
      .annotations = &info.st.annotations,
      .rootfs = info.st.rootfs,
      .created = info.st.created,
      .owner = info.st.owner,
    };
    /* A stopped container has no pid any more (runc prints 0). */
    if (info.status[0] == 's')
      os.pid = 0;
    json = oci_state_json (&os, true);
  }
  puts (json);
  free (json);
  hull_info_clear (&info);
  return 0;
}

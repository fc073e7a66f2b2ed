#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "runtime/ps.h"

static const char usage[] = "Usage: hull ps [OPTIONS] CONTAINER-ID [PS OPTIONS...]\n"
                            "\n"
                            "List the processes of a container: the output of ps(1) with PS OPTIONS\n"
                            "(default -ef) filtered to the container's processes, or their pids as JSON.\n"
                            "\n"
                            "Options:\n"
                            "  -f, --format table|json   output format (default: table)\n"
                            "  -h, --help                this help\n";

int
cli_ps (const struct hull_context *ctx, int argc, char **argv)
{
  static const struct option longopts[] = { { "format", required_argument, NULL, 'f' },
                                             { "help", no_argument, NULL, 'h' },
                                             { NULL, 0, NULL, 0 } };
  const char *format = "table";
  hull_err err = NULL;
  int c;

  /* "+": options after the id belong to ps(1). */
  cli_getopt_reset ();
  while ((c = cli_getopt ("ps", argc, argv, "+:f:h", longopts)) != -1)
    {
      if (c == 'h')
        return cli_help (usage);
      if (c != 'f')
        return 1;
      format = optarg;
    }
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return cli_failf ("ps: invalid --format `%s`: use table or json", format);
  if (!cli_nargs ("ps", argc - optind, 1, -1, "CONTAINER-ID [PS OPTIONS...]"))
    return 1;
  if (strcmp (format, "json") == 0)
    {
      pid_t *pids = NULL;
      size_t n = 0;
      char *json;
      if (hull_ps_pids (ctx, argv[optind], &pids, &n, &err) < 0)
        return cli_fail (&err);
      json = oci_pids_json (pids, n);
      puts (json);
      free (json);
      free (pids);
      return 0;
    }
  {
    char *text = NULL;
    if (hull_ps_table (ctx, argv[optind], argv + optind + 1, (size_t) (argc - optind - 1), &text, &err) < 0)
      return cli_fail (&err);
    fputs (text, stdout);
    free (text);
  }
  return 0;
}

#include <stdio.h>

#include "cli/cli.h"
#include "runtime/events.h"

static const char usage[] = "Usage: hull events [OPTIONS] CONTAINER-ID\n"
                            "\n"
                            "Print the container's resource usage as JSON lines: once with --stats,\n"
                            "else every --interval, with an \"oom\" event whenever the OOM killer acts\n"
                            "in the container, until it stops.\n"
                            "\n"
                            "Options:\n"
                            "      --stats           print the statistics once and exit\n"
                            "      --interval DUR    time between statistics (default 5s; 500ms, 1m...)\n"
                            "  -h, --help            this help\n";

enum
{
  OPT_STATS = 1000,
  OPT_INTERVAL,
};

static int
print_event (const char *json, void *arg)
{
  (void) arg;
  if (puts (json) < 0 || fflush (stdout) != 0)
    return 1;   /* the reader went away */
  return 0;
}

int
cli_events (const struct hull_context *ctx, int argc, char **argv)
{
  static const struct option longopts[] = { { "stats", no_argument, NULL, OPT_STATS },
                                             { "interval", required_argument, NULL, OPT_INTERVAL },
                                             { "help", no_argument, NULL, 'h' },
                                             { NULL, 0, NULL, 0 } };
  const char *interval = "5s";
  bool stats = false;
  hull_err err = NULL;
  long interval_ms;
  int c;

  cli_getopt_reset ();
  while ((c = cli_getopt ("events", argc, argv, ":h", longopts)) != -1)
    {
      switch (c)
        {
        case 'h': return cli_help (usage);
        case OPT_STATS: stats = true; break;
        case OPT_INTERVAL: interval = optarg; break;
        default: return 1;
        }
    }
  if (!cli_nargs ("events", argc - optind, 1, 1, "CONTAINER-ID"))
    return 1;
  if (hull_parse_duration_ms (interval, &interval_ms, &err) < 0)
    {
      hull_error_wrap (&err, "events: --interval");
      return cli_fail (&err);
    }
  if (hull_events (ctx, argv[optind], stats, interval_ms, print_event, NULL, &err) < 0)
    return cli_fail (&err);
  return 0;
}

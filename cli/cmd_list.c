#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] = "Usage: hull list [OPTIONS]\n"
                            "\n"
                            "List the containers under the state root.\n"
                            "\n"
                            "Options:\n"
                            "  -f, --format table|json   output format (default: table)\n"
                            "  -q, --quiet               print only the ids\n"
                            "  -h, --help                this help\n";

/* The layout of runc's tabwriter (minimum width 12, padding 3). */
static int
column_width (size_t longest)
{
  return longest + 3 > 12 ? (int) longest + 3 : 12;
}

static void
print_table (const struct hull_info *infos, size_t n)
{
  const char *head[] = { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" };
  size_t longest[6];
  char pid[16];

  for (int k = 0; k < 6; k++)
    longest[k] = strlen (head[k]);
  for (size_t i = 0; i < n; i++)
    {
      const char *cells[] = { infos[i].st.id, "", infos[i].status, infos[i].st.bundle, infos[i].st.created, "" };
      snprintf (pid, sizeof pid, "%d", infos[i].st.pid);
      cells[1] = pid;
      for (int k = 0; k < 5; k++)
        if (cells[k] != NULL && strlen (cells[k]) > longest[k])
          longest[k] = strlen (cells[k]);
    }
  for (int k = 0; k < 6; k++)
    if (k < 5)
      printf ("%-*s", column_width (longest[k]), head[k]);
    else
      printf ("%s\n", head[k]);
  for (size_t i = 0; i < n; i++)
    {
      const struct hull_info *in = &infos[i];
      const char *owner = in->owner_name;
      int p = in->status[0] == 's' ? 0 : in->st.pid;
      snprintf (pid, sizeof pid, "%d", p);
      printf ("%-*s%-*s%-*s%-*s%-*s%s\n", column_width (longest[0]), in->st.id, column_width (longest[1]), pid,
              column_width (longest[2]), in->status, column_width (longest[3]), in->st.bundle ? in->st.bundle : "",
              column_width (longest[4]), in->st.created ? in->st.created : "", owner);
    }
}

static void
print_json (const struct hull_info *infos, size_t n)
{
  struct oci_state *states = calloc (n + 1, sizeof *states);
  char *json;

  if (states == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    states[i] = (struct oci_state) {
      .oci_version = HULL_OCI_VERSION,
      .id = infos[i].st.id,
      .status = infos[i].status,
      .pid = infos[i].status[0] == 's' ? 0 : infos[i].st.pid,
      .bundle = infos[i].st.bundle,
      .annotations = &infos[i].st.annotations,
      .rootfs = infos[i].st.rootfs,
      .created = infos[i].st.created,
      .owner = infos[i].st.owner,
    };
  json = oci_state_list_json (states, n);
  puts (json);
  free (json);
  free (states);
}

int
cli_list (const struct hull_context *ctx, int argc, char **argv)
{
  static const struct option longopts[] = { { "format", required_argument, NULL, 'f' },
                                             { "quiet", no_argument, NULL, 'q' },
                                             { "help", no_argument, NULL, 'h' },
                                             { NULL, 0, NULL, 0 } };
  const char *format = "table";
  struct hull_info *infos = NULL;
  bool quiet = false;
  hull_err err = NULL;
  size_t n = 0;
  int c;

  cli_getopt_reset ();
  while ((c = cli_getopt ("list", argc, argv, ":f:qh", longopts)) != -1)
    {
      switch (c)
        {
        case 'h': return cli_help (usage);
        case 'f': format = optarg; break;
        case 'q': quiet = true; break;
        default: return 1;
        }
    }
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return cli_failf ("list: invalid --format `%s`: use table or json", format);
  if (!cli_nargs ("list", argc - optind, 0, 0, "list takes no arguments"))
    return 1;
  if (hull_list (ctx, &infos, &n, &err) < 0)
    return cli_fail (&err);
  if (quiet)
    for (size_t i = 0; i < n; i++)
      puts (infos[i].st.id);
  else if (strcmp (format, "json") == 0)
    print_json (infos, n);
  else
    print_table (infos, n);
  for (size_t i = 0; i < n; i++)
    hull_info_clear (&infos[i]);
  free (infos);
  return 0;
}

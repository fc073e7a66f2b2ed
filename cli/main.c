/* hull: global options, then one command from cli/commands.c. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "runtime/about.h"
#include "runtime/log.h"
#include "runtime/rexec.h"

enum
{
  OPT_ROOT = 1000,
  OPT_LOG,
  OPT_LOG_FORMAT,
  OPT_DEBUG,
  OPT_SYSTEMD_CGROUP,
  OPT_ISOLATION,
  OPT_ROOTLESS,
  OPT_LOG_LEVEL,
  OPT_CRIU,
  OPT_VMM,
};

static void
print_usage (FILE *out)
{
  fputs ("Usage: hull [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n"
         "\n"
         "hull runs OCI bundles as containers or microVMs.\n"
         "\n"
         "Commands:\n",
         out);
  for (const struct cli_command *c = cli_commands; c->name != NULL; c++)
    fprintf (out, "  %-10s %s\n", c->name, c->summary);
  fputs ("\n"
         "Global options:\n"
         "  --root DIR                   state directory (default: " HULL_DEFAULT_ROOT ")\n"
         "  --log FILE                   also write errors (and debug lines) to FILE\n"
         "  --log-format text|json       format of the --log file (default: text)\n"
         "  --debug                      debug output\n"
         "  --systemd-cgroup             use systemd for cgroups (not supported yet)\n"
         "  --isolation container|microvm  isolation of new containers\n"
         "  --vmm builtin|qemu           the VMM of new microVMs (as io.hull.vmm; default:\n"
         "                               builtin with hardware KVM, else qemu)\n"
         "  --log-level LEVEL            crun's flag: debug is --debug, others are accepted\n"
         "  --rootless true|false|auto   accepted for runc compatibility (as --criu PATH)\n"
         "  -v, --version                print the versions\n"
         "  -h, --help                   this help; COMMAND --help for a command\n",
         out);
}

static int
print_version (void)
{
  char *seccomp = hull_libseccomp_version ();
  printf ("hull version %s\nspec: %s\nlibseccomp: %s\n", HULL_VERSION, HULL_OCI_VERSION, seccomp);
  free (seccomp);
  return 0;
}

static const struct cli_command *
find_command (const char *name)
{
  for (const struct cli_command *c = cli_commands; c->name != NULL; c++)
    if (strcmp (c->name, name) == 0)
      return c;
  return NULL;
}

static bool
invoked_as_vm (const char *argv0)
{
  const char *slash = strrchr (argv0, '/');
  return strcmp (slash != NULL ? slash + 1 : argv0, "hull-vm") == 0;
}

int
main (int argc, char **argv)
{
  static const struct option longopts[] = {
    { "root", required_argument, NULL, OPT_ROOT },
    { "log", required_argument, NULL, OPT_LOG },
    { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
    { "debug", no_argument, NULL, OPT_DEBUG },
    { "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD_CGROUP },
    { "isolation", required_argument, NULL, OPT_ISOLATION },
    { "rootless", required_argument, NULL, OPT_ROOTLESS },
    { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
    { "criu", required_argument, NULL, OPT_CRIU },
    { "vmm", required_argument, NULL, OPT_VMM },
    { "version", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct hull_context ctx = { .root = HULL_DEFAULT_ROOT };
  enum hull_log_format format = HULL_LOG_TEXT;
  const char *log_path = NULL, *log_format = NULL;
  const struct cli_command *cmd;
  hull_err err = NULL;
  bool debug = false;
  int c;

  ctx.invoked_as_vm = invoked_as_vm (argv[0]);
  cli_getopt_reset ();
  /* "+": stop at the command; its options are its own. */
  while ((c = cli_getopt (NULL, argc, argv, "+:vh", longopts)) != -1)
    {
      switch (c)
        {
        case OPT_ROOT: ctx.root = optarg; break;
        case OPT_LOG: log_path = optarg; break;
        case OPT_LOG_FORMAT: log_format = optarg; break;
        case OPT_DEBUG: debug = true; break;
        case OPT_SYSTEMD_CGROUP: ctx.systemd_cgroup = true; break;
        case OPT_ISOLATION: ctx.isolation = optarg; break;
        case OPT_VMM: ctx.vmm = optarg; break;
        case OPT_ROOTLESS: case OPT_CRIU: break;
        /* crun's spelling of --debug. */
        case OPT_LOG_LEVEL: debug = debug || strcmp (optarg, "debug") == 0; break;
        case 'v': return print_version ();
        case 'h': print_usage (stdout); return 0;
        default: return 1;
        }
    }
  if (log_format != NULL && hull_log_parse_format (log_format, &format, &err) < 0)
    return cli_fail (&err);
  if (hull_log_setup (log_path, format, debug, &err) < 0)
    return cli_fail (&err);
  if (ctx.isolation != NULL && strcmp (ctx.isolation, "container") != 0 && strcmp (ctx.isolation, "microvm") != 0)
    return cli_failf ("invalid --isolation `%s`: use container or microvm", ctx.isolation);
  if (ctx.vmm != NULL && strcmp (ctx.vmm, "builtin") != 0 && strcmp (ctx.vmm, "qemu") != 0)
    return cli_failf ("invalid --vmm `%s`: use qemu or builtin", ctx.vmm);
  if (*ctx.root == '\0')
    return cli_failf ("--root must not be empty");
  if (optind >= argc)
    return cli_failf ("no command given; see hull --help");
  cmd = find_command (argv[optind]);
  if (cmd == NULL)
    return cli_failf ("unknown command `%s`; see hull --help", argv[optind]);

  if (cmd->sealed_exec && hull_rexec_sealed (argv, &err) < 0)
    return cli_fail (&err);
  return cmd->run (&ctx, argc - optind, argv + optind);
}

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "runtime/exec.h"
#include "runtime/util.h"

static const char usage[]
    = "Usage: hull exec [OPTIONS] CONTAINER-ID [COMMAND [ARGS...]]\n"
      "\n"
      "Run another process in a running container: COMMAND with the container's\n"
      "process settings, or the process described by --process.  Without\n"
      "--detach, hull waits for it, forwards signals and exits with its status\n"
      "(128+N for signal N).\n"
      "\n"
      "Options:\n"
      "  -p, --process FILE        the process as JSON (runtime-spec \"process\"; - for stdin);\n"
      "                            the options below that shape the process then do not apply\n"
      "  -d, --detach              return once the process runs\n"
      "      --pid-file FILE       write the process's pid to FILE\n"
      "  -t, --tty                 allocate a pseudo-terminal\n"
      "      --console-socket SOCK AF_UNIX socket that receives the pty master\n"
      "      --cwd DIR             working directory in the container\n"
      "  -e, --env KEY=VALUE       set an environment variable (repeatable)\n"
      "  -u, --user UID[:GID]      run as this user (numeric)\n"
      "  -g, --additional-gids GID add a supplementary group (repeatable)\n"
      "  -c, --cap CAP             add a capability (repeatable)\n"
      "      --no-new-privs        set no_new_privs for the process\n"
      "      --preserve-fds N      pass N extra fds (3..3+N-1) to the process\n"
      "      --apparmor PROFILE    AppArmor profile of the process\n"
      "      --process-label LABEL SELinux label of the process\n"
      "  -h, --help                this help\n";

enum
{
  OPT_PID_FILE = 1000,
  OPT_CONSOLE_SOCKET,
  OPT_CWD,
  OPT_NO_NEW_PRIVS,
  OPT_PRESERVE_FDS,
  OPT_APPARMOR,
  OPT_PROCESS_LABEL,
};

static void
push (char ***v, size_t *n, char *s)
{
  *v = xrealloc (*v, (*n + 1) * sizeof (char *));
  (*v)[(*n)++] = s;
}

static bool
parse_gid (const char *s, uint32_t *out)
{
  char *end;
  unsigned long v;
  errno = 0;
  v = strtoul (s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > UINT32_MAX - 1)
    {
      cli_failf ("exec: --additional-gids: `%s` is not a group id", s);
      return false;
    }
  *out = (uint32_t) v;
  return true;
}

int
cli_exec (const struct hull_context *ctx, int argc, char **argv)
{
  static const struct option longopts[] = {
    { "process", required_argument, NULL, 'p' },
    { "detach", no_argument, NULL, 'd' },
    { "tty", no_argument, NULL, 't' },
    { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
    { "pid-file", required_argument, NULL, OPT_PID_FILE },
    { "cwd", required_argument, NULL, OPT_CWD },
    { "env", required_argument, NULL, 'e' },
    { "user", required_argument, NULL, 'u' },
    { "additional-gids", required_argument, NULL, 'g' },
    { "cap", required_argument, NULL, 'c' },
    { "no-new-privs", no_argument, NULL, OPT_NO_NEW_PRIVS },
    { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
    { "apparmor", required_argument, NULL, OPT_APPARMOR },
    { "process-label", required_argument, NULL, OPT_PROCESS_LABEL },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct hull_exec_opts opts = { 0 };
  cleanup_free char **env = NULL;
  cleanup_free char **caps = NULL;
  cleanup_free uint32_t *gids = NULL;
  hull_err err = NULL;
  int exit_code = 0;
  int c;

  /* "+": the command's own options follow the id. */
  cli_getopt_reset ();
  while ((c = cli_getopt ("exec", argc, argv, "+:p:dte:u:g:c:h", longopts)) != -1)
    {
      switch (c)
        {
        case 'h': return cli_help (usage);
        case 'p': opts.process_file = optarg; break;
        case 'd': opts.detach = true; break;
        case 't': opts.tty = true; break;
        case OPT_CONSOLE_SOCKET: opts.console_socket = optarg; break;
        case OPT_PID_FILE: opts.pid_file = optarg; break;
        case OPT_CWD: opts.cwd = optarg; break;
        case 'e': push (&env, &opts.n_env, optarg); break;
        case 'u': opts.user = optarg; break;
        case 'g':
          gids = xrealloc (gids, (opts.n_additional_gids + 1) * sizeof *gids);
          if (!parse_gid (optarg, &gids[opts.n_additional_gids]))
            return 1;
          opts.n_additional_gids++;
          break;
        case 'c': push (&caps, &opts.n_caps, optarg); break;
        case OPT_NO_NEW_PRIVS: opts.no_new_privs = true; break;
        case OPT_PRESERVE_FDS:
          if (!cli_parse_uint ("exec", "--preserve-fds", optarg, &opts.preserve_fds))
            return 1;
          break;
        case OPT_APPARMOR: opts.apparmor = optarg; break;
        case OPT_PROCESS_LABEL: opts.process_label = optarg; break;
        default: return 1;
        }
    }
  if (!cli_nargs ("exec", argc - optind, 1, -1, "CONTAINER-ID [COMMAND [ARGS...]]"))
    return 1;
  if (opts.process_file == NULL && argc - optind < 2)
    return cli_failf ("exec: a COMMAND or --process FILE is required");
  opts.env = env;
  opts.caps = caps;
  opts.additional_gids = gids;
  opts.args = argv + optind + 1;
  opts.n_args = (size_t) (argc - optind - 1);
  if (hull_exec (ctx, argv[optind], &opts, &exit_code, &err) < 0)
    return cli_fail (&err);
  return exit_code;
}

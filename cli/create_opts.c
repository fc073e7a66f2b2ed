#include "cli/create_opts.h"

bool
cli_create_option (const char *cmd, int c, const char *arg, struct hull_create_opts *opts)
{
  switch (c)
    {
    case 'b': opts->bundle = arg; return true;
    case OPT_PID_FILE: opts->pid_file = arg; return true;
    case OPT_CONSOLE_SOCKET: opts->console_socket = arg; return true;
    case OPT_NO_PIVOT: opts->no_pivot = true; return true;
    case OPT_NO_NEW_KEYRING: opts->no_new_keyring = true; return true;
    case OPT_PRESERVE_FDS: return cli_parse_uint (cmd, "--preserve-fds", arg, &opts->preserve_fds);
    default: return false;
    }
}

/* The options create and run share (runc's spelling). */
#ifndef HULL_CLI_CREATE_OPTS_H
#define HULL_CLI_CREATE_OPTS_H

#include "cli/cli.h"

enum
{
  OPT_PID_FILE = 1000,
  OPT_CONSOLE_SOCKET,
  OPT_NO_PIVOT,
  OPT_NO_NEW_KEYRING,
  OPT_PRESERVE_FDS,
  OPT_NO_SUBREAPER,
  OPT_PIDFD_SOCKET,
};

#define CLI_CREATE_LONGOPTS                                                                                \
  { "bundle", required_argument, NULL, 'b' }, { "pid-file", required_argument, NULL, OPT_PID_FILE },       \
    { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },                                      \
    { "no-pivot", no_argument, NULL, OPT_NO_PIVOT }, { "no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING }, \
    { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS }, { "help", no_argument, NULL, 'h' }

#define CLI_CREATE_OPTIONS_HELP                                                                            \
  "  -b, --bundle DIR          bundle directory (default: the current directory)\n"                        \
  "      --pid-file FILE       write the container's init pid to FILE\n"                                    \
  "      --console-socket SOCK AF_UNIX socket that receives the pty master (process.terminal)\n"            \
  "      --no-pivot            chroot instead of pivot_root (rootfs on a ramdisk)\n"                       \
  "      --no-new-keyring      keep the caller's session keyring\n"                                        \
  "      --preserve-fds N      pass N extra fds (3..3+N-1) to the container\n"                             \
  "  -h, --help                this help\n"

/* Handles one create option; returns false on a bad value (reported). */
bool cli_create_option (const char *cmd, int c, const char *arg, struct hull_create_opts *opts);

#endif

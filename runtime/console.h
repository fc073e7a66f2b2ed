/* The --console-socket contract (runc's): hull connects to the AF_UNIX
   socket, the container init sends its pty master over it with SCM_RIGHTS. */
#ifndef HULL_CONSOLE_H
#define HULL_CONSOLE_H

#include "runtime/error.h"

/* Connected SOCK_STREAM fd to `path`. */
int hull_console_socket_connect (const char *path, hull_err *err);
/* Receive one fd sent with SCM_RIGHTS on `sock` (used by `run` without
   --detach for a terminal it proxies itself, and by the test receiver). */
int hull_console_recv_fd (int sock, hull_err *err);
/* Copy between the caller's stdin/stdout and the pty master until the
   master hangs up; puts the caller's terminal (if any) in raw mode meanwhile.
   Runs in a thread so the caller keeps waiting for the container. */
int hull_console_proxy_start (int master, hull_err *err);
void hull_console_proxy_stop (void);

#endif

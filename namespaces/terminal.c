/* process.terminal: a pty from the container's own devpts instance.  The
   slave becomes the controlling terminal and stdio of the process (and
   /dev/console for the init); the master goes to the --console-socket with
   SCM_RIGHTS, runc's recvtty protocol: one message, the fd, and the pty
   name as payload. */
#include "namespaces/ns_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/util.h"

static int
send_master (int sock, int master, const char *name, hull_err *err)
{
  if (send_fd_message (sock, master, name) < 0)
    return hull_error (err, errno, "send the pty master to the console socket");
  return 0;
}

/* /dev/console is the pty slave, bound onto an empty file. */
static int
bind_dev_console (int rootfd, const char *pts, hull_err *err)
{
  cleanup_close int target = open_in_root (rootfd, "/dev/console", IN_ROOT_MKFILE, 0600, err);
  char p[FD_PATH_MAX];

  if (target < 0)
    return -1;
  fd_path (target, p);
  if (mount (pts, p, NULL, MS_BIND, NULL) < 0)
    return hull_error (err, errno, "bind mount `%s` on /dev/console", pts);
  return 0;
}

int
terminal_open (const struct oci_process *p, int console_sock, int rootfd, hull_err *err)
{
  cleanup_close int master = -1;
  cleanup_close int slave = -1;
  char name[64];

  if (console_sock < 0)
    return hull_error (err, 0, "process.terminal is true: --console-socket is required");
  master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return hull_error (err, errno, "open /dev/ptmx (is /dev/pts mounted with newinstance?)");
  if (unlockpt (master) < 0)
    return hull_error (err, errno, "unlockpt");
  if (ptsname_r (master, name, sizeof name) != 0)
    return hull_error (err, errno, "ptsname");
  /* The peer of this very master, whatever the image put at /dev/pts. */
  slave = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return hull_error (err, errno, "open the pty slave");
  if (p->has_console_size)
    {
      struct winsize ws = { .ws_row = (unsigned short) p->console_height, .ws_col = (unsigned short) p->console_width };
      if (ioctl (slave, TIOCSWINSZ, &ws) < 0)
        return hull_error (err, errno, "set the console size");
    }
  if (rootfd >= 0 && bind_dev_console (rootfd, name, err) < 0)
    return -1;
  if (send_master (console_sock, master, name, err) < 0)
    return -1;

  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return hull_error (err, errno, "make the pty the controlling terminal");
  for (int fd = 0; fd < 3; fd++)
    if (dup2 (slave, fd) < 0)
      return hull_error (err, errno, "dup2 the pty slave");
  return 0;
}

int
terminal_setup (struct ns_init *in, hull_err *err)
{
  int ret;

  if (!in->process->terminal)
    return 0;
  ret = terminal_open (in->process, in->opts->console_socket_fd, in->has_mntns ? in->rootfd : -1, err);
  close (in->opts->console_socket_fd);
  return ret;
}

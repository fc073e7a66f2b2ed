/* ns_start(): release a created container.  Opening exec.fifo for reading
   unblocks the init's open for writing; its one byte says it is alive.  The
   init keeps the write end open close-on-exec: EOF means it reached execve,
   text before EOF is why it died first.  A pidfd in the same poll() notices
   an init that died before the byte, so we never hang.  The pidfd is taken
   before the fifo is opened: that open releases the init, and a short
   workload can run to its end and be reaped by a subreaper (containerd's
   shim) before a later pidfd_open, which would then fail with ESRCH while
   the init's byte waits unread in the fifo. */
#include "namespaces/ns_internal.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/util.h"

/* Whether `pid` still holds the fifo (its O_PATH fd, until it opens the
   write end).  An init that went past the handshake (a second start) or a
   reused pid does not: nobody will ever write. */
static bool
holds_fifo (pid_t pid, const struct stat *fifo)
{
  cleanup_free char *dir = xasprintf ("/proc/%d/fd", (int) pid);
  DIR *d = opendir (dir);
  struct dirent *de;
  bool found = false;

  if (d == NULL)
    return false;
  while (!found && (de = readdir (d)) != NULL)
    {
      struct stat st;
      if (de->d_name[0] != '.' && fstatat (dirfd (d), de->d_name, &st, 0) == 0 && st.st_dev == fifo->st_dev
          && st.st_ino == fifo->st_ino)
        found = true;
    }
  closedir (d);
  return found;
}

int
ns_start (const char *exec_fifo, pid_t pid, hull_err *err)
{
  cleanup_close int fifo = -1;
  cleanup_close int pidfd = -1;
  struct stat fifo_st;
  char c, msg[1024];
  size_t msg_len = 0;
  bool alive = false;   /* the init's byte arrived */

  pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (pidfd < 0)
    {
      if (errno != ESRCH)
        return hull_error (err, errno, "pidfd_open %d", (int) pid);
      if (access (exec_fifo, F_OK) < 0 && errno == ENOENT)
        return hull_error (err, 0, "container already started (exec fifo `%s` is gone)", exec_fifo);
      return hull_error (err, 0, "container init exited before start: container not running");
    }
  fifo = open (exec_fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo < 0)
    {
      if (errno == ENOENT)
        return hull_error (err, 0, "container already started (exec fifo `%s` is gone)", exec_fifo);
      return hull_error (err, errno, "open exec fifo `%s`", exec_fifo);
    }
  if (fstat (fifo, &fifo_st) < 0)
    return hull_error (err, errno, "stat exec fifo `%s`", exec_fifo);

  for (;;)
    {
      struct pollfd pfd[2] = { { .fd = fifo, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
      ssize_t r;

      int n = poll (pfd, 2, 1000);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return hull_error (err, errno, "poll exec fifo");
        }
      if (n == 0)
        {
          if (!alive && !holds_fifo (pid, &fifo_st))
            return hull_error (err, 0, "container already started, or its init is gone: nothing waits on the exec fifo");
          continue;
        }
      r = read (fifo, alive ? msg + msg_len : &c, alive ? sizeof msg - 1 - msg_len : 1);
      if (r > 0 && !alive)
        {
          alive = true;
          continue;
        }
      if (r > 0)
        {
          msg_len += (size_t) r;
          if (msg_len < sizeof msg - 1)
            continue;
        }
      if (r < 0 && errno != EAGAIN && errno != EINTR)
        return hull_error (err, errno, "read exec fifo");
      /* EOF after the byte: execve closed the write end, or the init died
         and said why first. */
      if (alive && (r == 0 || msg_len == sizeof msg - 1))
        {
          if (msg_len == 0)
            return 0;
          /* Only printable text from the container side reaches a terminal. */
          for (size_t i = 0; i < msg_len; i++)
            if ((unsigned char) msg[i] < 0x20 || (unsigned char) msg[i] == 0x7f)
              msg[i] = '?';
          msg[msg_len] = '\0';
          return hull_error (err, 0, "container init failed before the workload ran: %s", msg);
        }
      if (r == 0 && (pfd[0].revents & POLLHUP))
        return hull_error (err, 0, "container init exited before start: container not running");
      if (!alive && (pfd[1].revents & POLLIN))
        {
          /* Dead; one last look for a byte written just before. */
          if (read (fifo, &c, 1) == 1)
            {
              alive = true;
              continue;
            }
          return hull_error (err, 0, "container init exited before start: container not running");
        }
    }
}

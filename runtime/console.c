#include "runtime/console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/util.h"

int
hull_console_socket_connect (const char *path, hull_err *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int fd = -1;

  if (strlen (path) >= sizeof addr.sun_path)
    return hull_error (err, 0, "console socket path `%s` is too long", path);
  strcpy (addr.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return hull_error (err, errno, "console socket: socket");
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    return hull_error (err, errno, "connect to console socket `%s`", path);
  return steal_fd (&fd);
}

int
hull_console_recv_fd (int sock, hull_err *err)
{
  char name[256];
  struct iovec iov = { .iov_base = name, .iov_len = sizeof name };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct msghdr msg = {
    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf,
  };
  struct cmsghdr *cmsg;
  ssize_t n;
  int fd;

  do
    n = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return hull_error (err, errno, "receive the console fd");
  cmsg = CMSG_FIRSTHDR (&msg);
  if (n == 0 || cmsg == NULL || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS
      || cmsg->cmsg_len != CMSG_LEN (sizeof (int)))
    return hull_error (err, 0, "receive the console fd: no file descriptor in the message");
  memcpy (&fd, CMSG_DATA (cmsg), sizeof fd);
  return fd;
}

static struct
{
  pthread_t thread;
  bool running;
  int master;
  bool raw;
  struct termios saved;
} proxy;

static bool
copy_once (int from, int to)
{
  char buf[8192];
  ssize_t n = read (from, buf, sizeof buf);
  if (n <= 0)
    return n < 0 && (errno == EINTR || errno == EAGAIN);
  return write_all (to, buf, (size_t) n) >= 0;
}

static void *
proxy_loop (void *arg)
{
  struct pollfd pfd[2] = { { .fd = 0, .events = POLLIN }, { .fd = proxy.master, .events = POLLIN } };

  for (;;)
    {
      if (poll (pfd, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))
        if (!copy_once (proxy.master, 1))
          break;
      if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
        if (!copy_once (0, proxy.master))
          pfd[0].fd = -1;   /* stdin closed: keep printing the output */
    }
  return NULL;
}

int
hull_console_proxy_start (int master, hull_err *err)
{
  proxy.master = master;
  if (isatty (0) && tcgetattr (0, &proxy.saved) == 0)
    {
      struct termios raw = proxy.saved;
      cfmakeraw (&raw);
      if (tcsetattr (0, TCSANOW, &raw) == 0)
        proxy.raw = true;
    }
  if (pthread_create (&proxy.thread, NULL, proxy_loop, NULL) != 0)
    {
      hull_console_proxy_stop ();
      return hull_error (err, errno, "start the console proxy");
    }
  proxy.running = true;
  return 0;
}

void
hull_console_proxy_stop (void)
{
  if (proxy.running)
    {
      /* The master hangs up when the last slave closes; give the thread the
         rest of the output, then stop it. */
      pthread_join (proxy.thread, NULL);
      proxy.running = false;
    }
  if (proxy.raw)
    {
      tcsetattr (0, TCSANOW, &proxy.saved);
      proxy.raw = false;
    }
}

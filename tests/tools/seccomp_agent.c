/* seccomp_agent: the receiving end of linux.seccomp.listenerPath for tests.
 * Listens on PATH, accepts one connection, takes the container process
 * state (JSON) and the seccomp notify fd passed with SCM_RIGHTS, writes the
 * state to --state FILE, then answers every notified syscall with ERRNO
 * (default EPERM) until the container's filter has no task left.
 *
 *   seccomp_agent --state FILE [--errno N] [--ready FILE] PATH
 *
 * --ready FILE is created once PATH is listening, so a test can wait for it.
 * The agent gives up after 60 seconds, so a failed test leaves nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void
die (const char *what)
{
  fprintf (stderr, "seccomp_agent: %s: %s\n", what, strerror (errno));
  exit (1);
}

static void
write_file (const char *path, const char *data, size_t len)
{
  FILE *f = fopen (path, "we");
  if (f == NULL || fwrite (data, 1, len, f) != len || fclose (f) != 0)
    die (path);
}

int
main (int argc, char **argv)
{
  static const struct option longopts[] = {
    { "state", required_argument, NULL, 's' },
    { "errno", required_argument, NULL, 'e' },
    { "ready", required_argument, NULL, 'r' },
    { NULL, 0, NULL, 0 },
  };
  const char *state = NULL, *ready = NULL;
  int answer = EPERM, opt, lsock, conn, notify_fd = -1;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  char payload[65536];
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { .iov_base = payload, .iov_len = sizeof payload };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf };
  struct cmsghdr *cmsg;
  ssize_t n;

  while ((opt = getopt_long (argc, argv, "", longopts, NULL)) != -1)
    switch (opt)
      {
      case 's': state = optarg; break;
      case 'e': answer = atoi (optarg); break;
      case 'r': ready = optarg; break;
      default: return 2;
      }
  if (state == NULL || optind + 1 != argc || strlen (argv[optind]) >= sizeof addr.sun_path)
    {
      fprintf (stderr, "usage: seccomp_agent --state FILE [--errno N] [--ready FILE] PATH\n");
      return 2;
    }
  alarm (60);
  strcpy (addr.sun_path, argv[optind]);
  lsock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lsock < 0 || bind (lsock, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (lsock, 1) < 0)
    die (argv[optind]);
  if (ready != NULL)
    write_file (ready, "", 0);
  conn = accept4 (lsock, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0)
    die ("accept");
  n = recvmsg (conn, &msg, MSG_CMSG_CLOEXEC);
  if (n < 0)
    die ("recvmsg");
  for (cmsg = CMSG_FIRSTHDR (&msg); cmsg != NULL; cmsg = CMSG_NXTHDR (&msg, cmsg))
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS)
      memcpy (&notify_fd, CMSG_DATA (cmsg), sizeof notify_fd);
  write_file (state, payload, (size_t) n);
  if (notify_fd < 0)
    {
      fprintf (stderr, "seccomp_agent: no fd came with the state\n");
      return 1;
    }
  for (;;)
    {
      struct seccomp_notif req;
      struct seccomp_notif_resp resp;

      struct pollfd pfd = { .fd = notify_fd, .events = POLLIN };

      if (poll (&pfd, 1, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          die ("poll");
        }
      if (!(pfd.revents & POLLIN))
        return 0;   /* POLLHUP: no task uses the filter any more */
      memset (&req, 0, sizeof req);
      if (ioctl (notify_fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
        continue;
      memset (&resp, 0, sizeof resp);
      resp.id = req.id;
      resp.error = -answer;
      ioctl (notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);   /* ENOENT: the task died meanwhile */
    }
}

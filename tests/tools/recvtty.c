/* recvtty: the receiving end of --console-socket for tests (like runc's
 * contrib/cmd/recvtty).  Listens on PATH, accepts one connection, takes the
 * pty master passed with SCM_RIGHTS, and copies everything the container
 * writes to the terminal to stdout (or to --out FILE) until it hangs up.
 * With --input TEXT, TEXT is typed into the terminal first.
 *
 *   recvtty [--out FILE] [--input TEXT] [--ready FILE] PATH
 *
 * --ready FILE is created once PATH is listening, so a test can wait for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void
die (const char *what)
{
  fprintf (stderr, "recvtty: %s: %s\n", what, strerror (errno));
  exit (1);
}

static int
receive_fd (int conn)
{
  char byte[256];
  struct iovec iov = { .iov_base = byte, .iov_len = sizeof byte };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf };
  struct cmsghdr *cmsg;
  int fd;

  if (recvmsg (conn, &msg, 0) <= 0)
    die ("recvmsg");
  cmsg = CMSG_FIRSTHDR (&msg);
  if (cmsg == NULL || cmsg->cmsg_type != SCM_RIGHTS || cmsg->cmsg_len != CMSG_LEN (sizeof (int)))
    {
      fprintf (stderr, "recvtty: no fd in the message\n");
      exit (1);
    }
  memcpy (&fd, CMSG_DATA (cmsg), sizeof fd);
  return fd;
}

int
main (int argc, char **argv)
{
  static const struct option longopts[] = { { "out", required_argument, NULL, 'o' },
                                             { "input", required_argument, NULL, 'i' },
                                             { "ready", required_argument, NULL, 'r' },
                                             { NULL, 0, NULL, 0 } };
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  const char *input = NULL, *ready = NULL;
  int out = 1, sock, conn, master, c;
  char buf[4096];
  ssize_t n;

  while ((c = getopt_long (argc, argv, "", longopts, NULL)) != -1)
    switch (c)
      {
      case 'o':
        out = open (optarg, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (out < 0)
          die (optarg);
        break;
      case 'i': input = optarg; break;
      case 'r': ready = optarg; break;
      default: return 2;
      }
  if (optind != argc - 1 || strlen (argv[optind]) >= sizeof addr.sun_path)
    {
      fprintf (stderr, "usage: recvtty [--out FILE] [--input TEXT] [--ready FILE] PATH\n");
      return 2;
    }
  strcpy (addr.sun_path, argv[optind]);
  sock = socket (AF_UNIX, SOCK_STREAM, 0);
  if (sock < 0)
    die ("socket");
  unlink (addr.sun_path);
  if (bind (sock, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (sock, 1) < 0)
    die (addr.sun_path);
  if (ready != NULL && close (open (ready, O_WRONLY | O_CREAT, 0644)) < 0)
    die (ready);
  conn = accept (sock, NULL, NULL);
  if (conn < 0)
    die ("accept");
  master = receive_fd (conn);
  close (conn);
  close (sock);
  unlink (addr.sun_path);
  if (input != NULL && write (master, input, strlen (input)) < 0)
    die ("write input");
  /* EIO once the last slave fd closes. */
  while ((n = read (master, buf, sizeof buf)) > 0)
    if (write (out, buf, (size_t) n) != n)
      die ("write");
  return 0;
}

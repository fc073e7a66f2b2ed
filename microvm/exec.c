/* exec for microVMs: more processes in the running guest.
 *
 * The process holding the control port (the VM monitor, or the debug
 * driver) listens on a SOCK_SEQPACKET socket.  An exec client (the host-side
 * proxy whose pid and exit status containerd waits on) sends one EXEC frame
 * carrying the process description, with its stdin, stdout and stderr
 * attached (SCM_RIGHTS); then SIGNAL frames.  The server gives the process
 * an id, sends EXEC{id} to the guest and relays that id's frames to and from
 * the client's fds; the client gets STARTED, ERROR and EXIT frames back.
 * Frames from the socket use the same bounded codec as the guest's. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "microvm/microvm.h"
#include "runtime/util.h"

#define SEQ_BUF (HULL_PROTO_HDR_SIZE + HULL_PROTO_MAX_PAYLOAD)

static uint8_t *
seq_buffer (void)
{
  static uint8_t *buf;
  if (buf == NULL)
    buf = xmalloc (SEQ_BUF);
  return buf;
}

/* Parses one whole frame out of a datagram. */
static int
parse_datagram (const uint8_t *buf, size_t n, struct hull_msg *m)
{
  if (n < HULL_PROTO_HDR_SIZE || hull_msg_parse_header (buf, m) < 0 || m->len != n - HULL_PROTO_HDR_SIZE)
    return -EBADMSG;
  m->payload = NULL;
  if (m->len)
    {
      m->payload = xmalloc (m->len + 1);
      memcpy (m->payload, buf + HULL_PROTO_HDR_SIZE, m->len);
      m->payload[m->len] = 0;
    }
  return 0;
}

static int
send_frame (int fd, uint16_t type, uint32_t id, const void *p, uint32_t len, const int *fds, size_t n_fds)
{
  struct hull_buf b = { 0 };
  union
  {
    char buf[CMSG_SPACE (3 * sizeof (int))];
    struct cmsghdr align;
  } u;
  int ret = hull_msg_encode (&b, type, id, p, len);
  if (ret < 0)
    {
      hull_buf_release (&b);
      return ret;
    }
  struct iovec iov = { b.data, b.len };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
  if (n_fds)
    {
      msg.msg_control = u.buf;
      msg.msg_controllen = CMSG_SPACE (n_fds * sizeof (int));
      struct cmsghdr *cm = CMSG_FIRSTHDR (&msg);
      cm->cmsg_level = SOL_SOCKET;
      cm->cmsg_type = SCM_RIGHTS;
      cm->cmsg_len = CMSG_LEN (n_fds * sizeof (int));
      memcpy (CMSG_DATA (cm), fds, n_fds * sizeof (int));
    }
  ssize_t r;
  do
    r = sendmsg (fd, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  hull_buf_release (&b);
  return r < 0 ? -errno : 0;
}

static void
slot_reset (struct microvm_exec_slot *s)
{
  memset (s, 0, sizeof *s);
  s->client = s->fds[0] = s->fds[1] = s->fds[2] = -1;
}

static void
slot_close (struct microvm_exec_slot *s)
{
  for (int i = 0; i < 3; i++)
    if (s->fds[i] >= 0)
      close (s->fds[i]);
  if (s->client >= 0)
    close (s->client);
  slot_reset (s);
}

int
microvm_exec_server_open (struct microvm_exec_server *s, int dirfd, const char *name, hull_err *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int cwd = open (".", O_PATH | O_CLOEXEC);

  memset (s, 0, sizeof *s);
  s->listen_fd = -1;
  s->next_id = 1;
  /* Reset, not closed: the zeroed slots would close fd 0, the monitor's
     stdin, and the listening socket would take its place. */
  for (size_t i = 0; i < MICROVM_MAX_EXECS; i++)
    slot_reset (&s->slots[i]);
  if (strlen (name) >= sizeof addr.sun_path)
    return hull_error (err, ENAMETOOLONG, "exec socket name `%s`", name);
  strcpy (addr.sun_path, name);
  int fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return hull_error (err, errno, "socket");
  /* Relative to the directory, whatever the length of its path. */
  if (fchdir (dirfd) < 0 || bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (fd, 16) < 0)
    {
      int saved = errno;
      close (fd);
      if (cwd >= 0 && fchdir (cwd) < 0)
        { /* stays in dirfd: harmless for the callers */ }
      return hull_error (err, saved, "exec socket `%s`", name);
    }
  if (cwd >= 0 && fchdir (cwd) < 0)
    { /* see above */ }
  s->listen_fd = fd;
  return 0;
}

void
microvm_exec_server_close (struct microvm_exec_server *s)
{
  if (s->listen_fd >= 0)
    close (s->listen_fd);
  s->listen_fd = -1;
  for (size_t i = 0; i < MICROVM_MAX_EXECS; i++)
    if (s->slots[i].client >= 0)
      slot_close (&s->slots[i]);
}

size_t
microvm_exec_server_pollfds (struct microvm_exec_server *s, struct pollfd *pfd)
{
  size_t n = 0;
  pfd[n++] = (struct pollfd) { s->listen_fd, POLLIN, 0 };
  for (size_t i = 0; i < MICROVM_MAX_EXECS; i++)
    {
      pfd[n++] = (struct pollfd) { s->slots[i].client, POLLIN, 0 };
      pfd[n++] = (struct pollfd) { s->slots[i].started ? s->slots[i].fds[0] : -1, POLLIN, 0 };
    }
  return n;
}

static struct microvm_exec_slot *
find_slot (struct microvm_exec_server *s, uint32_t id)
{
  for (size_t i = 0; i < MICROVM_MAX_EXECS; i++)
    if (s->slots[i].client >= 0 && s->slots[i].id == id)
      return &s->slots[i];
  return NULL;
}

static void
accept_client (struct microvm_exec_server *s)
{
  int fd = accept4 (s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0)
    return;
  for (size_t i = 0; i < MICROVM_MAX_EXECS; i++)
    if (s->slots[i].client < 0)
      {
        s->slots[i].client = fd;
        return;
      }
  send_frame (fd, HULL_MSG_ERROR, 0, "too many exec processes", 23, NULL, 0);
  close (fd);
}

/* A frame from a client: the EXEC (with its fds) first, then SIGNALs. */
static int
client_frame (struct microvm_exec_server *s, struct microvm_exec_slot *slot, struct microvm_ctl *c, hull_err *err)
{
  uint8_t *buf = seq_buffer ();
  union
  {
    char buf[CMSG_SPACE (3 * sizeof (int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = { buf, SEQ_BUF };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  struct hull_msg m;
  int fds[3] = { -1, -1, -1 };
  size_t n_fds = 0;

  ssize_t n = recvmsg (slot->client, &msg, MSG_CMSG_CLOEXEC);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return 0;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR (&msg); cm; cm = CMSG_NXTHDR (&msg, cm))
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
      {
        size_t k = (cm->cmsg_len - CMSG_LEN (0)) / sizeof (int);
        int got[8];
        memcpy (got, CMSG_DATA (cm), (k > 8 ? 8 : k) * sizeof (int));
        for (size_t i = 0; i < k && i < 8; i++)
          {
            if (n_fds < 3)
              fds[n_fds++] = got[i];
            else
              close (got[i]);
          }
      }
  if (n <= 0 || (msg.msg_flags & MSG_TRUNC) || parse_datagram (buf, (size_t) n, &m) < 0)
    {
      /* A client that hangs up or sends garbage: its process is killed. */
      for (size_t i = 0; i < n_fds; i++)
        close (fds[i]);
      if (slot->started)
        {
          uint8_t sig[4];
          hull_u32_encode (sig, SIGKILL);
          if (microvm_ctl_send (c, HULL_MSG_SIGNAL, slot->id, sig, 4, err) < 0)
            return -1;
        }
      slot_close (slot);
      return 0;
    }
  if (! slot->started && m.type == HULL_MSG_EXEC && n_fds == 3)
    {
      memcpy (slot->fds, fds, sizeof fds);
      slot->id = s->next_id++;
      slot->started = true;
      int ret = microvm_ctl_send (c, HULL_MSG_EXEC, slot->id, m.payload, m.len, err);
      hull_msg_clear (&m);
      return ret;
    }
  for (size_t i = 0; i < n_fds; i++)
    close (fds[i]);
  if (slot->started && (m.type == HULL_MSG_SIGNAL || m.type == HULL_MSG_WINSIZE) && m.len == 4)
    {
      int ret = microvm_ctl_send (c, m.type, slot->id, m.payload, 4, err);
      hull_msg_clear (&m);
      return ret;
    }
  hull_msg_clear (&m);
  send_frame (slot->client, HULL_MSG_ERROR, 0, "unexpected request", 18, NULL, 0);
  slot_close (slot);
  return 0;
}

int
microvm_exec_server_handle (struct microvm_exec_server *s, struct microvm_ctl *c, const struct pollfd *pfd,
                            hull_err *err)
{
  if (pfd[0].revents & POLLIN)
    accept_client (s);
  for (size_t i = 0; i < MICROVM_MAX_EXECS; i++)
    {
      struct microvm_exec_slot *slot = &s->slots[i];
      const struct pollfd *cp = &pfd[1 + 2 * i], *ip = &pfd[2 + 2 * i];
      if (cp->fd >= 0 && cp->fd == slot->client && cp->revents && client_frame (s, slot, c, err) < 0)
        return -1;
      if (ip->fd >= 0 && ip->fd == slot->fds[0] && ip->revents)
        {
          uint8_t buf[HULL_PROTO_MAX_DATA];
          ssize_t n = read (slot->fds[0], buf, sizeof buf);
          if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
          if (n <= 0)
            {
              close (slot->fds[0]);
              slot->fds[0] = -1;
              n = 0;
            }
          if (microvm_ctl_send (c, HULL_MSG_STDIN, slot->id, buf, (uint32_t) n, err) < 0)
            return -1;
        }
    }
  return 0;
}

int
microvm_exec_server_guest_frame (struct microvm_exec_server *s, const struct hull_msg *m)
{
  struct microvm_exec_slot *slot = s ? find_slot (s, m->id) : NULL;
  if (slot == NULL)
    /* What an exec whose client hung up still says is dropped. */
    return s && m->id < s->next_id ? 1 : 0;
  switch (m->type)
    {
    case HULL_MSG_STDOUT:
    case HULL_MSG_STDERR:
      {
        int fd = slot->fds[m->type == HULL_MSG_STDOUT ? 1 : 2];
        if (fd >= 0 && m->len && write_all (fd, m->payload, m->len) < 0)
          { /* the reader went away; the process goes on */ }
        return 1;
      }
    case HULL_MSG_STARTED:
    case HULL_MSG_ERROR:
      send_frame (slot->client, m->type, 0, m->payload, m->len, NULL, 0);
      return 1;
    case HULL_MSG_EXIT:
      {
        uint32_t v;
        if (hull_u32_decode (m, &v) < 0 || (v & 0xffff0000u))
          return -1;
        send_frame (slot->client, HULL_MSG_EXIT, 0, m->payload, m->len, NULL, 0);
        slot_close (slot);
        return 1;
      }
    default:
      return -1;
    }
}

int
microvm_exec_request (int dirfd, const char *name, const struct hull_process *p, const int fds[3], int signal_fd,
                      int winsize_fd, int *wait_status, char **guest_error, hull_err *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int sock = -1;
  cleanup_close int cwd = open (".", O_PATH | O_CLOEXEC);
  struct hull_buf b = { 0 };

  *guest_error = NULL;
  if (strlen (name) >= sizeof addr.sun_path)
    return hull_error (err, ENAMETOOLONG, "exec socket name `%s`", name);
  strcpy (addr.sun_path, name);
  sock = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return hull_error (err, errno, "socket");
  int ret = fchdir (dirfd) < 0 ? -1 : connect (sock, (struct sockaddr *) &addr, sizeof addr);
  int saved = errno;
  if (cwd >= 0 && fchdir (cwd) < 0)
    { /* the caller's cwd is not ours to worry about here */ }
  if (ret < 0)
    return hull_error (err, saved, "connect to the VM monitor (is the container running?)");
  ret = hull_process_encode (&b, p);
  if (ret == 0)
    ret = send_frame (sock, HULL_MSG_EXEC, 0, b.data, (uint32_t) b.len, fds, 3);
  hull_buf_release (&b);
  if (ret < 0)
    return hull_error (err, -ret, "send the exec request");

  uint8_t *buf = seq_buffer ();
  for (;;)
    {
      struct pollfd pfd[2] = { { sock, POLLIN, 0 }, { signal_fd, POLLIN, 0 } };
      if (poll (pfd, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return hull_error (err, errno, "poll");
        }
      if (pfd[1].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          while (read (signal_fd, &si, sizeof si) == sizeof si)
            {
              uint8_t sig[4];
              struct winsize ws;
              if (si.ssi_signo == SIGWINCH && winsize_fd >= 0)
                {
                  if (ioctl (winsize_fd, TIOCGWINSZ, &ws) == 0)
                    {
                      struct hull_winsize w = { ws.ws_row, ws.ws_col };
                      hull_winsize_encode (sig, &w);
                      send_frame (sock, HULL_MSG_WINSIZE, 0, sig, 4, NULL, 0);
                    }
                  continue;
                }
              hull_u32_encode (sig, si.ssi_signo);
              send_frame (sock, HULL_MSG_SIGNAL, 0, sig, 4, NULL, 0);
            }
        }
      if (! pfd[0].revents)
        continue;
      ssize_t n = recv (sock, buf, SEQ_BUF, 0);
      struct hull_msg m;
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return hull_error (err, n < 0 ? errno : EPIPE, "the VM monitor went away before the process exited");
      if (parse_datagram (buf, (size_t) n, &m) < 0)
        return hull_error (err, EPROTO, "a corrupt frame from the VM monitor");
      if (m.type == HULL_MSG_ERROR)
        {
          free (*guest_error);
          *guest_error = microvm_sanitize_text (m.payload, m.len);
        }
      else if (m.type == HULL_MSG_EXIT)
        {
          uint32_t v = 0;
          hull_u32_decode (&m, &v);
          hull_msg_clear (&m);
          *wait_status = (int) v;
          return 0;
        }
      hull_msg_clear (&m);
    }
}

/* The host end of the control protocol.  Frames from the guest go through
 * the bounded incremental reader; a frame of the wrong type, id or size for
 * the conversation's state fails the run instead of being trusted. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "microvm/microvm.h"
#include "runtime/util.h"

void
microvm_ctl_init (struct microvm_ctl *c, int fd, pid_t vmm_pid)
{
  memset (c, 0, sizeof *c);
  c->fd = fd;
  c->vmm_pid = vmm_pid;
  c->vmm_pidfd = vmm_pid > 0 ? (int) syscall (SYS_pidfd_open, vmm_pid, 0) : -1;
  hull_msg_reader_init (&c->reader);
  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);
}

void
microvm_ctl_release (struct microvm_ctl *c)
{
  hull_msg_reader_release (&c->reader);
  if (c->vmm_pidfd >= 0)
    close (c->vmm_pidfd);
  c->vmm_pidfd = -1;
  free (c->guest_error);
  c->guest_error = NULL;
}

char *
microvm_sanitize_text (const uint8_t *p, size_t len)
{
  char *s = xmalloc (len + 1);
  for (size_t i = 0; i < len; i++)
    s[i] = (p[i] < 0x20 || p[i] == 0x7f) ? '?' : (char) p[i];
  s[len] = 0;
  return s;
}

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
vmm_died (struct microvm_ctl *c, hull_err *err)
{
  int st;
  if (c->vmm_pid > 0 && waitpid (c->vmm_pid, &st, 0) == c->vmm_pid)
    {
      c->vmm_exited = true;
      c->vmm_status = st;
      c->vmm_pid = 0;
    }
  if (c->vmm_exited && WIFSIGNALED (c->vmm_status))
    return hull_error (err, 0, "the VMM was killed by signal %d before the guest reported", WTERMSIG (c->vmm_status));
  return hull_error (err, 0, "the VM stopped (VMM exit status %d) before the guest reported",
                     c->vmm_exited ? WEXITSTATUS (c->vmm_status) : -1);
}

/* Pulls one frame out of what is buffered or readable now.  Returns 1 with
   a frame, 0 when none is complete, -1 on error. */
static int
try_frame (struct microvm_ctl *c, struct hull_msg *m, bool *eof, hull_err *err)
{
  for (;;)
    {
      while (c->in_off < c->in_len)
        {
          size_t used;
          int ret = hull_msg_reader_feed (&c->reader, c->in + c->in_off, c->in_len - c->in_off, &used, m);
          c->in_off += used;
          if (ret < 0)
            return hull_error (err, -ret, "the guest sent a corrupt frame");
          if (ret == 1)
            return 1;
        }
      ssize_t n = read (c->fd, c->in, sizeof c->in);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return 0;
      if (n < 0)
        return hull_error (err, errno, "read the control port");
      if (n == 0)
        {
          *eof = true;
          return 0;
        }
      c->in_off = 0;
      c->in_len = (size_t) n;
    }
}

int
microvm_ctl_recv (struct microvm_ctl *c, struct hull_msg *m, int timeout_ms, hull_err *err)
{
  int64_t deadline = timeout_ms < 0 ? -1 : now_ms () + timeout_ms;
  bool eof = false;

  memset (m, 0, sizeof *m);
  for (;;)
    {
      int ret = try_frame (c, m, &eof, err);
      if (ret != 0)
        return ret < 0 ? -1 : 0;
      if (eof)
        return c->vmm_pid > 0 || c->vmm_exited ? vmm_died (c, err)
                                               : hull_error (err, EPIPE, "the guest closed the control port");
      int wait = -1;
      if (deadline >= 0)
        {
          int64_t left = deadline - now_ms ();
          if (left <= 0)
            return hull_error (err, ETIMEDOUT, "timed out waiting for the guest");
          wait = (int) left;
        }
      struct pollfd pfd[2] = { { c->fd, POLLIN, 0 }, { c->vmm_pidfd, POLLIN, 0 } };
      int n = poll (pfd, c->vmm_pidfd >= 0 ? 2 : 1, wait);
      if (n < 0 && errno != EINTR)
        return hull_error (err, errno, "poll");
      if (n > 0 && pfd[1].revents && ! (pfd[0].revents & POLLIN))
        {
          /* Take what the guest said before the VM went away. */
          ret = try_frame (c, m, &eof, err);
          if (ret != 0)
            return ret < 0 ? -1 : 0;
          return vmm_died (c, err);
        }
    }
}

int
microvm_ctl_send (struct microvm_ctl *c, uint16_t type, uint32_t id, const void *p, uint32_t len, hull_err *err)
{
  struct hull_buf b = { 0 };
  int ret = hull_msg_encode (&b, type, id, p, len);
  if (ret < 0)
    {
      hull_buf_release (&b);
      return hull_error (err, -ret, "encode %s", hull_msg_type_name (type));
    }
  size_t off = 0;
  while (off < b.len)
    {
      ssize_t n = write (c->fd, b.data + off, b.len - off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        {
          struct pollfd pfd = { c->fd, POLLOUT, 0 };
          poll (&pfd, 1, 1000);
          continue;
        }
      if (n < 0)
        {
          int saved = errno;
          hull_buf_release (&b);
          return hull_error (err, saved, "send %s to the guest", hull_msg_type_name (type));
        }
      off += n;
    }
  hull_buf_release (&b);
  return 0;
}

/* A guest ERROR frame becomes the error; anything else unexpected too. */
static int
unexpected (struct hull_msg *m, const char *waiting_for, hull_err *err)
{
  if (m->type == HULL_MSG_ERROR)
    {
      cleanup_free char *text = microvm_sanitize_text (m->payload, m->len);
      hull_msg_clear (m);
      return hull_error (err, 0, "guest: %s", text);
    }
  int ret = hull_error (err, EPROTO, "the guest sent %s while %s", hull_msg_type_name (m->type), waiting_for);
  hull_msg_clear (m);
  return ret;
}

int
microvm_ctl_boot (struct microvm_ctl *c, const struct hull_process *cfg, int timeout_ms, hull_err *err)
{
  struct hull_msg m;
  struct hull_hello h;
  uint8_t hello[8];
  struct hull_buf payload = { 0 };

  if (microvm_ctl_recv (c, &m, timeout_ms, err) < 0)
    return hull_error_wrap (err, "waiting for the guest to boot");
  if (m.type != HULL_MSG_HELLO)
    return unexpected (&m, "booting", err);
  int ret = hull_hello_decode (&m, &h);
  hull_msg_clear (&m);
  if (ret < 0)
    return hull_error (err, EPROTO, "the guest init speaks another protocol version (host: %u)", HULL_PROTO_VERSION);
  hull_hello_encode (hello);
  if (microvm_ctl_send (c, HULL_MSG_HELLO, 0, hello, sizeof hello, err) < 0)
    return -1;
  ret = hull_process_encode (&payload, cfg);
  if (ret < 0)
    {
      hull_buf_release (&payload);
      return hull_error (err, -ret, "encode the guest configuration");
    }
  ret = microvm_ctl_send (c, HULL_MSG_CONFIG, 0, payload.data, (uint32_t) payload.len, err);
  hull_buf_release (&payload);
  if (ret < 0)
    return -1;
  if (microvm_ctl_recv (c, &m, timeout_ms, err) < 0)
    return hull_error_wrap (err, "waiting for the guest to mount the rootfs");
  if (m.type != HULL_MSG_READY || m.id != 0)
    return unexpected (&m, "preparing the container", err);
  hull_msg_clear (&m);
  return 0;
}

static int
write_out (int fd, const struct hull_msg *m)
{
  if (fd < 0 || m->len == 0)
    return 0;
  return write_all (fd, m->payload, m->len) < 0 ? -1 : 0;
}

int
microvm_ctl_run (struct microvm_ctl *c, const struct microvm_relay *r, int *wait_status, hull_err *err)
{
  int stdin_fd = r->stdin_fd;
  bool started = false;

  if (microvm_ctl_send (c, HULL_MSG_START, 0, NULL, 0, err) < 0)
    return -1;
  if (stdin_fd < 0 && microvm_ctl_send (c, HULL_MSG_STDIN, 0, NULL, 0, err) < 0)
    return -1;
  for (;;)
    {
      struct hull_msg m;
      struct pollfd pfd[4 + MICROVM_EXEC_POLLFDS] = { { c->fd, POLLIN, 0 }, { c->vmm_pidfd, POLLIN, 0 },
                                                      { stdin_fd, POLLIN, 0 }, { r->signal_fd, POLLIN, 0 } };
      size_t npfd = 4;
      if (r->execs)
        npfd += microvm_exec_server_pollfds (r->execs, pfd + 4);
      /* Bytes already read from the port are handled before polling. */
      int n = poll (pfd, npfd, c->in_off < c->in_len ? 0 : -1);
      if (n < 0 && errno != EINTR)
        return hull_error (err, errno, "poll");
      if (n < 0)
        continue;
      if (pfd[3].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          while (read (r->signal_fd, &si, sizeof si) == sizeof si)
            {
              uint8_t sig[4];
              struct winsize ws;
              if (si.ssi_signo == SIGWINCH && r->winsize_fd >= 0)
                {
                  if (ioctl (r->winsize_fd, TIOCGWINSZ, &ws) == 0)
                    {
                      struct hull_winsize w = { ws.ws_row, ws.ws_col };
                      hull_winsize_encode (sig, &w);
                      if (microvm_ctl_send (c, HULL_MSG_WINSIZE, 0, sig, 4, err) < 0)
                        return -1;
                    }
                  continue;
                }
              hull_u32_encode (sig, si.ssi_signo);
              if (microvm_ctl_send (c, HULL_MSG_SIGNAL, 0, sig, 4, err) < 0)
                return -1;
            }
        }
      if (pfd[2].revents & (POLLIN | POLLHUP | POLLERR))
        {
          uint8_t buf[HULL_PROTO_MAX_DATA];
          ssize_t got = read (stdin_fd, buf, sizeof buf);
          if (got < 0 && (errno == EINTR || errno == EAGAIN))
            got = -2;
          if (got >= 0 && microvm_ctl_send (c, HULL_MSG_STDIN, 0, buf, (uint32_t) got, err) < 0)
            return -1;
          if (got == 0 || got == -1)
            stdin_fd = -1;
        }
      if (r->execs && microvm_exec_server_handle (r->execs, c, pfd + 4, err) < 0)
        return -1;
      if (! (pfd[0].revents || pfd[1].revents || c->in_off < c->in_len))
        continue;
      if (microvm_ctl_recv (c, &m, pfd[0].revents || c->in_off < c->in_len ? 0 : 1000, err) < 0)
        {
          if ((*err)->errnum == ETIMEDOUT)
            {
              hull_error_release (err);
              continue;
            }
          return -1;
        }
      if (m.id != 0)
        {
          uint32_t id = m.id;
          int handled = microvm_exec_server_guest_frame (r->execs, &m);
          hull_msg_clear (&m);
          if (handled > 0)
            continue;
          if (handled < 0)
            return hull_error (err, EPROTO, "the guest sent a malformed %s for process %u", "frame", id);
          return hull_error (err, EPROTO, "the guest sent a frame for unknown process %u", id);
        }
      uint32_t v;
      switch (m.type)
        {
        case HULL_MSG_STARTED:
          started = true;
          break;
        case HULL_MSG_STDOUT:
        case HULL_MSG_STDERR:
          /* A reader that went away (EPIPE) does not stop the container. */
          write_out (m.type == HULL_MSG_STDOUT ? r->stdout_fd : r->stderr_fd, &m);
          break;
        case HULL_MSG_ERROR:
          free (c->guest_error);
          c->guest_error = microvm_sanitize_text (m.payload, m.len);
          break;
        case HULL_MSG_EXIT:
          if (hull_u32_decode (&m, &v) < 0 || (v & 0xffff0000u) != 0)
            {
              hull_msg_clear (&m);
              return hull_error (err, EPROTO, "the guest sent a malformed exit status");
            }
          hull_msg_clear (&m);
          *wait_status = (int) v;
          return 0;
        default:
          {
            int ret = unexpected (&m, started ? "running" : "starting", err);
            return ret;
          }
        }
      hull_msg_clear (&m);
    }
}

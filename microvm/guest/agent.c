/* The guest agent: one poll loop over the control port, the processes'
   stdio and a signalfd for SIGCHLD.  The container's process (id 0) runs
   on START; exec processes (id >= 1) on EXEC.  When id 0 exits, the agent
   reports EXIT and returns so the VM powers off. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "microvm/guest/guest.h"

#define MAX_PROCS 64

struct agent
{
  int ctl;
  int sfd;
  struct hull_process *cfg;
  bool started;
  bool done;            /* id 0 reported its exit */
  struct guest_proc procs[MAX_PROCS];
  size_t n_procs;
  struct hull_msg_reader reader;
};

static struct guest_proc *
find_proc (struct agent *a, uint32_t id)
{
  for (size_t i = 0; i < a->n_procs; i++)
    if (a->procs[i].id == id)
      return &a->procs[i];
  return NULL;
}

static void
send_text (struct agent *a, uint16_t type, uint32_t id, const char *text)
{
  size_t len = strlen (text);
  hull_msg_write (a->ctl, type, id, text, len > HULL_PROTO_MAX_TEXT ? HULL_PROTO_MAX_TEXT : len);
}

static void
send_u32 (struct agent *a, uint16_t type, uint32_t id, uint32_t v)
{
  uint8_t p[4];
  hull_u32_encode (p, v);
  hull_msg_write (a->ctl, type, id, p, 4);
}

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

/* Forwards what one stdio fd has; sends an empty frame at EOF.  Returns 1
   after forwarding data, 0 when nothing is ready, -1 once the fd is closed. */
static int
pump (struct agent *a, struct guest_proc *p, int *fd, uint16_t type)
{
  static uint8_t buf[HULL_PROTO_MAX_DATA];
  ssize_t n = read (*fd, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return 0;
  if (n > 0)
    {
      hull_msg_write (a->ctl, type, p->id, buf, (uint32_t) n);
      return 1;
    }
  /* EOF, or EIO from a pty master whose slave side is gone. */
  hull_msg_write (a->ctl, type, p->id, NULL, 0);
  if (p->terminal && fd == &p->out_fd)
    close_fd (&p->in_fd);
  close_fd (fd);
  return -1;
}

static void
finish_proc (struct agent *a, struct guest_proc *p)
{
  /* Whatever it wrote before exiting is still in the pipes. */
  while (p->out_fd >= 0 && pump (a, p, &p->out_fd, HULL_MSG_STDOUT) > 0)
    ;
  while (p->err_fd >= 0 && pump (a, p, &p->err_fd, HULL_MSG_STDERR) > 0)
    ;
  close_fd (&p->in_fd);
  close_fd (&p->out_fd);
  close_fd (&p->err_fd);
  send_u32 (a, HULL_MSG_EXIT, p->id, (uint32_t) p->status);
  if (p->id == 0)
    a->done = true;
  *p = a->procs[--a->n_procs];
}

static void
reap (struct agent *a)
{
  struct signalfd_siginfo si;
  while (read (a->sfd, &si, sizeof si) == sizeof si)
    ;
  for (;;)
    {
      int status;
      pid_t pid = waitpid (-1, &status, WNOHANG);
      if (pid <= 0)
        break;
      for (size_t i = 0; i < a->n_procs; i++)
        if (a->procs[i].pid == pid)
          {
            a->procs[i].pid = 0;
            a->procs[i].status = status;
            finish_proc (a, &a->procs[i]);
            break;
          }
      /* Anything else was an orphan the init inherited. */
    }
}

static void
spawn (struct agent *a, uint32_t id, struct hull_process *p)
{
  char why[HULL_PROTO_MAX_TEXT];
  if (a->n_procs == MAX_PROCS)
    {
      send_text (a, HULL_MSG_ERROR, id, "too many processes");
      send_u32 (a, HULL_MSG_EXIT, id, 127 << 8);
      return;
    }
  struct guest_proc *gp = &a->procs[a->n_procs];
  memset (gp, 0, sizeof *gp);
  gp->id = id;
  int ret = guest_spawn (p, gp, why, sizeof why);
  if (gp->pid > 0)
    a->n_procs++;
  if (ret < 0)
    {
      send_text (a, HULL_MSG_ERROR, id, why);
      if (gp->pid <= 0)
        send_u32 (a, HULL_MSG_EXIT, id, 127 << 8);
      return;   /* the 127 exit follows when the child is reaped */
    }
  send_u32 (a, HULL_MSG_STARTED, id, (uint32_t) gp->pid);
}

static void
handle (struct agent *a, struct hull_msg *m)
{
  struct guest_proc *p = find_proc (a, m->id);
  uint32_t v;
  struct hull_winsize ws;

  switch (m->type)
    {
    case HULL_MSG_START:
      if (! a->started)
        {
          a->started = true;
          spawn (a, 0, a->cfg);
        }
      break;
    case HULL_MSG_EXEC:
      {
        struct hull_process ep;
        char why[200];
        if (m->id == 0 || p != NULL)
          {
            send_text (a, HULL_MSG_ERROR, m->id, "exec id 0 or already in use");
            break;
          }
        if (hull_process_decode (m->payload, m->len, &ep, why, sizeof why) < 0)
          {
            send_text (a, HULL_MSG_ERROR, m->id, why);
            send_u32 (a, HULL_MSG_EXIT, m->id, 127 << 8);
            break;
          }
        spawn (a, m->id, &ep);
        hull_process_release (&ep);
        break;
      }
    case HULL_MSG_SIGNAL:
      if (hull_u32_decode (m, &v) < 0 || v == 0 || v >= NSIG)
        break;
      if (p && p->pid > 0)
        kill (p->pid, (int) v);
      else if (m->id == 0 && ! a->started)
        {
          /* Signalled before START: the process dies as if it had run. */
          send_u32 (a, HULL_MSG_EXIT, 0, v & 0x7f);
          a->done = true;
        }
      break;
    case HULL_MSG_STDIN:
      if (p == NULL || p->in_fd < 0)
        break;
      if (m->len == 0)
        {
          if (p->terminal)
            {
              /* A terminal has no EOF of its own: send the EOF character. */
              char eof = 4;
              if (write (p->in_fd, &eof, 1) < 0)
                {
                }
            }
          else
            close_fd (&p->in_fd);
          break;
        }
      for (size_t off = 0; off < m->len;)
        {
          ssize_t n = write (p->in_fd, m->payload + off, m->len - off);
          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            {
              close_fd (&p->in_fd);   /* the reader went away */
              break;
            }
          off += n;
        }
      break;
    case HULL_MSG_WINSIZE:
      if (p && p->terminal && p->in_fd >= 0 && hull_winsize_decode (m, &ws) == 0)
        {
          struct winsize w = { .ws_row = ws.rows, .ws_col = ws.cols };
          ioctl (p->in_fd, TIOCSWINSZ, &w);
        }
      break;
    default:
      break;   /* nothing else is for the guest to act on */
    }
}

static int
read_control (struct agent *a)
{
  uint8_t buf[16384];
  ssize_t n = read (a->ctl, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 0;
  if (n <= 0)
    return -1;   /* the host went away: nothing left to serve */
  size_t off = 0;
  while (off < (size_t) n)
    {
      struct hull_msg m;
      size_t used;
      int ret = hull_msg_reader_feed (&a->reader, buf + off, n - off, &used, &m);
      off += used;
      if (ret < 0)
        {
          guest_log ("corrupt control stream: %s", strerror (-ret));
          return -1;
        }
      if (ret == 0)
        break;
      handle (a, &m);
      hull_msg_clear (&m);
    }
  return 0;
}

int
guest_agent_run (int ctl, struct hull_process *cfg)
{
  static struct agent a;
  sigset_t mask;

  sigemptyset (&mask);
  sigaddset (&mask, SIGCHLD);
  sigprocmask (SIG_BLOCK, &mask, NULL);
  a.ctl = ctl;
  a.cfg = cfg;
  a.sfd = signalfd (-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  hull_msg_reader_init (&a.reader);
  if (a.sfd < 0)
    return -1;

  while (! a.done)
    {
      struct pollfd pfd[2 + 2 * MAX_PROCS];
      struct { struct guest_proc *p; int *fd; uint16_t type; } map[2 * MAX_PROCS];
      size_t n = 0, k = 0;
      pfd[n++] = (struct pollfd) { .fd = ctl, .events = POLLIN };
      pfd[n++] = (struct pollfd) { .fd = a.sfd, .events = POLLIN };
      for (size_t i = 0; i < a.n_procs; i++)
        {
          struct guest_proc *p = &a.procs[i];
          if (p->out_fd >= 0)
            map[k++] = (typeof (map[0])) { p, &p->out_fd, HULL_MSG_STDOUT };
          if (p->err_fd >= 0)
            map[k++] = (typeof (map[0])) { p, &p->err_fd, HULL_MSG_STDERR };
        }
      for (size_t i = 0; i < k; i++)
        pfd[n++] = (struct pollfd) { .fd = *map[i].fd, .events = POLLIN };
      if (poll (pfd, n, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      for (size_t i = 0; i < k; i++)
        if (pfd[2 + i].revents)
          pump (&a, map[i].p, map[i].fd, map[i].type);
      if (pfd[1].revents)
        reap (&a);
      if (pfd[0].revents & POLLIN)
        {
          if (read_control (&a) < 0)
            break;
        }
      else if (pfd[0].revents & (POLLHUP | POLLERR))
        break;
    }
  hull_msg_reader_release (&a.reader);
  /* Nothing may outlive the container's process. */
  kill (-1, SIGKILL);
  return 0;
}

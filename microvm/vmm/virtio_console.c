/* virtio-console multiport device model.  See virtio_console.h. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>

#include "microvm/vmm/virtio_console.h"

#define CTRL_RXQ 2   /* device -> driver control messages */
#define CTRL_TXQ 3   /* driver -> device */
#define PENDING_MAX 64

struct virtio_console;

struct console_port
{
  struct virtio_console *con;
  unsigned id;
  char name[VIRTIO_CONSOLE_NAME_MAX];
  int in_fd, out_fd;
  /* Whether in_fd / out_fd are in the loop (registered once, at creation,
     one-shot), and the events they are armed for now.  One-shot because
     epoll reports hang-ups even with an empty event mask, and because only
     epoll_ctl(MOD), never the loop's table, may change from vCPU threads. */
  bool in_pollable, out_pollable;
  uint32_t in_armed, out_armed;
  struct port_fd_ref
  {
    struct console_port *port;
    bool out;
  } in_ref, out_ref;
  bool want_in;         /* EPOLLIN wanted: input deliverable */
  bool in_eof;
  bool guest_ready;     /* PORT_READY received */
  bool guest_open;      /* PORT_OPEN 1 from the guest */
  /* Output the host end could not take yet: the request stays unused
     until out_fd polls writable again. */
  bool out_pending, out_blocked;
  struct virtq_chain out_chain;
  unsigned out_iov;     /* first iovec not fully written */
};

struct control_msg
{
  uint32_t id;
  uint16_t event, value;
};

struct virtio_console
{
  struct virtio_mmio t;
  struct event_loop *loop;
  struct virtio_console_config config;
  unsigned n_ports;
  struct console_port ports[VIRTIO_CONSOLE_MAX_PORTS];
  /* Control messages waiting for a buffer on the control receive queue. */
  struct control_msg pending[PENDING_MAX];
  unsigned pending_head, pending_n;
  struct virtq_chain chain;
};

static unsigned
rx_queue (unsigned id)
{
  return id == 0 ? 0 : 2 + 2 * id;
}

static unsigned
tx_queue (unsigned id)
{
  return rx_queue (id) + 1;
}

static bool
multiport (const struct virtio_console *con)
{
  return virtio_mmio_has_feature (&con->t, VIRTIO_CONSOLE_F_MULTIPORT);
}

/* Arms fd for `events` (one-shot) if it is not armed for exactly those.
   Disarming still leaves one hang-up report possible, then silence. */
static void
arm (struct console_port *p, int fd, uint32_t *armed, uint32_t events)
{
  if (*armed == events)
    return;
  event_loop_modify (p->con->loop, fd, EPOLLONESHOT | events);
  *armed = events;
}

/* Brings the loop's interest in the port's fds in line with want_in and
   out_blocked (one registration when in_fd and out_fd are the same). */
static void
update_events (struct console_port *p)
{
  uint32_t in_ev = p->want_in ? EPOLLIN : 0;
  uint32_t out_ev = p->out_blocked ? EPOLLOUT : 0;

  if (p->in_pollable && p->in_fd == p->out_fd)
    arm (p, p->in_fd, &p->in_armed, in_ev | out_ev);
  else
    {
      if (p->in_pollable)
        arm (p, p->in_fd, &p->in_armed, in_ev);
      if (p->out_pollable)
        arm (p, p->out_fd, &p->out_armed, out_ev);
    }
}

static void
set_polling (struct console_port *p, bool on)
{
  if (p->want_in == on)
    return;
  p->want_in = on;
  update_events (p);
}

/* ---- control queue */

static void
flush_control (struct virtio_console *con)
{
  struct virtq_chain *c = &con->chain;
  bool any = false;

  while (con->pending_n > 0)
    {
      struct control_msg *m = &con->pending[con->pending_head];
      struct virtio_console_control wire = { .id = m->id, .event = m->event, .value = m->value };
      uint32_t len = sizeof wire;

      if (virtio_mmio_pop (&con->t, CTRL_RXQ, c) <= 0)
        break;
      if (c->writable_len < sizeof wire)
        len = 0;   /* the guest's buffer is useless; the message stays queued */
      else
        {
          virtq_iov_from_buf (virtq_chain_writable (c), c->n_writable, 0, &wire, sizeof wire);
          if (m->event == VIRTIO_CONSOLE_PORT_NAME)
            len += virtq_iov_from_buf (virtq_chain_writable (c), c->n_writable, sizeof wire,
                                       con->ports[m->id].name, strlen (con->ports[m->id].name));
          con->pending_head = (con->pending_head + 1) % PENDING_MAX;
          con->pending_n--;
        }
      virtq_push_used (&con->t.vq[CTRL_RXQ], c->head, len);
      any = true;
    }
  if (any)
    virtio_mmio_signal_used (&con->t, CTRL_RXQ);
}

static void
send_control (struct virtio_console *con, uint32_t id, uint16_t event, uint16_t value)
{
  /* A guest that floods PORT_READY without posting buffers only loses
     its own messages. */
  if (con->pending_n < PENDING_MAX)
    {
      con->pending[(con->pending_head + con->pending_n) % PENDING_MAX]
          = (struct control_msg) { .id = id, .event = event, .value = value };
      con->pending_n++;
    }
  flush_control (con);
}

static void deliver_input (struct console_port *p);

static void
handle_control (struct virtio_console *con, const struct virtio_console_control *m)
{
  struct console_port *p = m->id < con->n_ports ? &con->ports[m->id] : NULL;
  unsigned i;

  switch (m->event)
    {
    case VIRTIO_CONSOLE_DEVICE_READY:
      if (m->value != 1)
        break;
      for (i = 0; i < con->n_ports; i++)
        send_control (con, i, VIRTIO_CONSOLE_PORT_ADD, 0);
      break;

    case VIRTIO_CONSOLE_PORT_READY:
      if (p == NULL || m->value != 1 || p->guest_ready)
        break;
      p->guest_ready = true;
      if (p->id == 0)
        send_control (con, p->id, VIRTIO_CONSOLE_CONSOLE_PORT, 1);
      else
        send_control (con, p->id, VIRTIO_CONSOLE_PORT_NAME, 0);
      send_control (con, p->id, VIRTIO_CONSOLE_PORT_OPEN, p->in_eof ? 0 : 1);
      break;

    case VIRTIO_CONSOLE_PORT_OPEN:
      if (p == NULL || !p->guest_ready)
        break;
      p->guest_open = m->value != 0;
      if (p->guest_open)
        deliver_input (p);
      else
        set_polling (p, false);
      break;

    default:
      /* RESIZE, PORT_REMOVE and unknown events: nothing to do. */
      break;
    }
}

static void
drain_control (struct virtio_console *con)
{
  struct virtq_chain *c = &con->chain;

  while (virtio_mmio_pop (&con->t, CTRL_TXQ, c) > 0)
    {
      struct virtio_console_control m;
      uint16_t head = c->head;

      if (virtq_iov_to_buf (virtq_chain_readable (c), c->n_readable, 0, &m, sizeof m) == sizeof m)
        {
          /* handle_control may reuse con->chain for replies. */
          virtq_push_used (&con->t.vq[CTRL_TXQ], head, 0);
          handle_control (con, &m);
        }
      else
        virtq_push_used (&con->t.vq[CTRL_TXQ], head, 0);
    }
  virtio_mmio_signal_used (&con->t, CTRL_TXQ);
}

/* ---- data queues */

static bool
port_live (const struct console_port *p)
{
  const struct virtio_console *con = p->con;

  if (!virtio_mmio_driver_ok (&con->t))
    return false;
  return multiport (con) ? p->guest_open : p->id == 0;
}

static bool
readable_now (int fd)
{
  struct pollfd pfd = { .fd = fd, .events = POLLIN };
  return poll (&pfd, 1, 0) == 1 && (pfd.revents & (POLLIN | POLLHUP | POLLERR));
}

/* Host bytes into the guest: one read per posted buffer, only while the
   fd polls readable (it may be the VMM's blocking stdin). */
static void
deliver_input (struct console_port *p)
{
  struct virtio_console *con = p->con;
  struct virtq_chain *c = &con->chain;
  unsigned q = rx_queue (p->id);
  bool any = false;

  if (p->in_fd < 0 || p->in_eof || !port_live (p))
    {
      set_polling (p, false);
      return;
    }
  for (;;)
    {
      ssize_t n;

      if (!readable_now (p->in_fd))
        {
          set_polling (p, true);
          break;
        }
      if (virtio_mmio_pop (&con->t, q, c) <= 0)
        {
          set_polling (p, false);   /* until the guest posts buffers */
          break;
        }
      if (c->writable_len == 0)
        {
          virtq_push_used (&con->t.vq[q], c->head, 0);
          any = true;
          continue;
        }
      n = readv (p->in_fd, virtq_chain_writable (c), (int) c->n_writable);
      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        {
          virtq_unpop (&con->t.vq[q]);
          continue;
        }
      if (n <= 0)
        {
          /* End of input (or a dead fd): the host side hangs up. */
          virtq_unpop (&con->t.vq[q]);
          set_polling (p, false);
          p->in_eof = true;
          if (multiport (con))
            send_control (con, p->id, VIRTIO_CONSOLE_PORT_OPEN, 0);
          break;
        }
      virtq_push_used (&con->t.vq[q], c->head, (uint32_t) n);
      any = true;
    }
  if (any)
    virtio_mmio_signal_used (&con->t, q);
}

/* For fds the loop cannot watch: wait for the host side to take it all. */
static void
write_all (int fd, struct iovec *iov, unsigned n)
{
  while (n > 0)
    {
      ssize_t w = writev (fd, iov, (int) n);

      if (w < 0)
        {
          struct pollfd pfd = { .fd = fd, .events = POLLOUT };
          if (errno == EINTR)
            continue;
          if (errno == EAGAIN && poll (&pfd, 1, -1) >= 0)
            continue;
          return;   /* the host end is gone: output is dropped */
        }
      while (n > 0 && (size_t) w >= iov->iov_len)
        {
          w -= iov->iov_len;
          iov++;
          n--;
        }
      if (n > 0)
        {
          iov->iov_base = (uint8_t *) iov->iov_base + w;
          iov->iov_len -= w;
        }
    }
}

/* Writes what is left of the pending request.  1: all written (or the
   host end is gone and the rest dropped), 0: out_fd would block. */
static int
write_pending (struct console_port *p)
{
  struct virtq_chain *c = &p->out_chain;
  struct iovec *iov = virtq_chain_readable (c);

  while (p->out_iov < c->n_readable)
    {
      ssize_t w = writev (p->out_fd, iov + p->out_iov, (int) (c->n_readable - p->out_iov));

      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0 && errno == EAGAIN)
        return 0;
      if (w < 0)
        return 1;
      while (p->out_iov < c->n_readable && (size_t) w >= iov[p->out_iov].iov_len)
        w -= iov[p->out_iov++].iov_len;
      if (p->out_iov < c->n_readable)
        {
          iov[p->out_iov].iov_base = (uint8_t *) iov[p->out_iov].iov_base + w;
          iov[p->out_iov].iov_len -= w;
        }
    }
  return 1;
}

/* Guest output to the host, in order.  When out_fd is full, the port waits
   for EPOLLOUT instead of stalling the loop (and every other device). */
static void
drain_output (struct virtio_console *con, unsigned id)
{
  struct console_port *p = &con->ports[id];
  unsigned q = tx_queue (id);
  bool any = false;

  if (p->out_blocked)
    return;
  for (;;)
    {
      if (!p->out_pending)
        {
          if (virtio_mmio_pop (&con->t, q, &p->out_chain) <= 0)
            break;
          p->out_pending = true;
          p->out_iov = 0;
        }
      if (p->out_fd >= 0)
        {
          if (!p->out_pollable)
            write_all (p->out_fd, virtq_chain_readable (&p->out_chain), p->out_chain.n_readable);
          else if (!write_pending (p))
            {
              p->out_blocked = true;
              update_events (p);
              break;
            }
        }
      virtq_push_used (&con->t.vq[q], p->out_chain.head, 0);
      p->out_pending = false;
      any = true;
    }
  if (any)
    virtio_mmio_signal_used (&con->t, q);
}

/* ---- transport callbacks */

static void
console_queue_notify (void *opaque, unsigned q)
{
  struct virtio_console *con = opaque;
  unsigned id;

  if (q == CTRL_RXQ || q == CTRL_TXQ)
    {
      if (!multiport (con))
        return;
      if (q == CTRL_RXQ)
        flush_control (con);
      else
        drain_control (con);
      return;
    }
  id = q < 2 ? 0 : (q - 2) / 2;
  if (id >= con->n_ports)
    return;
  if (q % 2 == 0)
    deliver_input (&con->ports[id]);
  else
    drain_output (con, id);
}

static void
console_config_write (void *opaque, uint32_t offset, const uint8_t *data, uint32_t len)
{
  struct virtio_console *con = opaque;
  struct iovec iov = { .iov_base = (void *) data, .iov_len = 1 };

  /* emerg_wr: one character for port 0, written as is. */
  if (offset == offsetof (struct virtio_console_config, emerg_wr) && len == 4 && con->ports[0].out_fd >= 0
      && virtio_mmio_has_feature (&con->t, VIRTIO_CONSOLE_F_EMERG_WRITE))
    write_all (con->ports[0].out_fd, &iov, 1);
}

static void
console_driver_ok (void *opaque)
{
  struct virtio_console *con = opaque;

  /* Without multiport, port 0 is simply there; with it, the guest opens
     ports through the control queue. */
  if (!multiport (con))
    deliver_input (&con->ports[0]);
}

static void
console_reset (void *opaque)
{
  struct virtio_console *con = opaque;
  unsigned i;

  for (i = 0; i < con->n_ports; i++)
    {
      struct console_port *p = &con->ports[i];

      p->guest_ready = p->guest_open = false;
      p->want_in = p->out_pending = p->out_blocked = false;
      update_events (p);
    }
  con->pending_head = con->pending_n = 0;
}

static const struct virtio_device_ops console_ops = {
  .device_id = VIRTIO_ID_CONSOLE,
  .queue_notify = console_queue_notify,
  .config_write = console_config_write,
  .driver_ok = console_driver_ok,
  .reset = console_reset,
};

static void
on_port_fd (void *opaque, uint32_t events)
{
  struct port_fd_ref *ref = opaque;
  struct console_port *p = ref->port;
  bool shared = p->in_fd == p->out_fd;
  bool is_in = !ref->out || shared, is_out = ref->out || shared;

  virtio_mmio_lock (&p->con->t);
  /* A one-shot registration is disarmed once it fired. */
  if (!ref->out)
    p->in_armed = 0;
  else
    p->out_armed = 0;
  if (is_out && p->out_blocked && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
    {
      p->out_blocked = false;
      drain_output (p->con, p->id);
    }
  if (is_in && p->want_in && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
    deliver_input (p);
  update_events (p);
  virtio_mmio_unlock (&p->con->t);
}

/* Puts the port's fds in the loop, disarmed.  Fds the loop cannot watch
   (regular files are never "ready", an fd another port or device already
   watches) are served without it: input when the guest kicks, output with
   blocking writes. */
static int
register_port (struct console_port *p, struct event_loop *loop)
{
  int r;

  p->in_ref = (struct port_fd_ref) { .port = p, .out = false };
  p->out_ref = (struct port_fd_ref) { .port = p, .out = true };
  if (p->in_fd >= 0)
    {
      r = event_loop_add (loop, p->in_fd, EPOLLONESHOT, on_port_fd, &p->in_ref);
      if (r < 0 && r != -EPERM && r != -EEXIST)
        return r;
      p->in_pollable = r == 0;
    }
  if (p->out_fd >= 0 && p->out_fd == p->in_fd)
    p->out_pollable = p->in_pollable;
  else if (p->out_fd >= 0)
    {
      r = event_loop_add (loop, p->out_fd, EPOLLONESHOT, on_port_fd, &p->out_ref);
      if (r < 0 && r != -EPERM && r != -EEXIST)
        return r;
      p->out_pollable = r == 0;
    }
  return 0;
}

/* Two ports reading one fd would steal each other's bytes. */
static bool
inputs_shared (const struct virtio_console_port_config *ports, unsigned n)
{
  unsigned i, k;

  for (i = 0; i < n; i++)
    for (k = i + 1; k < n; k++)
      if (ports[i].in_fd >= 0 && ports[i].in_fd == ports[k].in_fd)
        return true;
  return false;
}

int
virtio_console_new (const struct guest_mem *mem, const struct virtio_console_port_config *ports,
                    unsigned n_ports, struct event_loop *loop, struct virtio_console **out,
                    struct vmm_err *err)
{
  struct virtio_console *con;
  unsigned i;
  int r;

  *out = NULL;
  if (n_ports == 0 || n_ports > VIRTIO_CONSOLE_MAX_PORTS)
    return vmm_errorf (err, EINVAL, "virtio-console: %u ports (1..%d)", n_ports, VIRTIO_CONSOLE_MAX_PORTS);
  if (inputs_shared (ports, n_ports))
    return vmm_errorf (err, EINVAL, "virtio-console: two ports read the same input fd");
  for (i = 1; i < n_ports; i++)
    if (ports[i].name == NULL || ports[i].name[0] == '\0' || strlen (ports[i].name) >= VIRTIO_CONSOLE_NAME_MAX)
      return vmm_errorf (err, EINVAL, "virtio-console: port %u needs a name of 1..%d bytes", i,
                         VIRTIO_CONSOLE_NAME_MAX - 1);

  con = calloc (1, sizeof *con);
  if (con == NULL)
    return vmm_errorf (err, ENOMEM, "virtio-console");
  con->n_ports = n_ports;
  con->config.max_nr_ports = n_ports;
  for (i = 0; i < n_ports; i++)
    {
      struct console_port *p = &con->ports[i];

      p->con = con;
      p->id = i;
      p->in_fd = ports[i].in_fd;
      p->out_fd = ports[i].out_fd;
      if (i > 0)
        strcpy (p->name, ports[i].name);
    }
  r = virtio_mmio_init (&con->t, "virtio-console", mem, &console_ops, con,
                        (1ULL << VIRTIO_CONSOLE_F_MULTIPORT) | (1ULL << VIRTIO_CONSOLE_F_EMERG_WRITE),
                        2 * n_ports + 2, VIRTIO_CONSOLE_QUEUE_SIZE);
  if (r < 0)
    {
      free (con);
      return vmm_errorf (err, -r, "virtio-console: transport");
    }
  con->t.config = &con->config;
  con->t.config_len = sizeof con->config;

  con->loop = loop;
  for (i = 0; loop && i < n_ports; i++)
    {
      r = register_port (&con->ports[i], loop);
      if (r < 0)
        {
          virtio_console_free (con);
          return vmm_errorf (err, -r, "virtio-console: port %u fds %d/%d", i, ports[i].in_fd, ports[i].out_fd);
        }
    }

  *out = con;
  return 0;
}

void
virtio_console_free (struct virtio_console *con)
{
  unsigned i;

  if (con == NULL)
    return;
  for (i = 0; i < con->n_ports; i++)
    {
      struct console_port *p = &con->ports[i];

      if (p->in_pollable)
        event_loop_del (con->loop, p->in_fd);
      if (p->out_pollable && p->out_fd != p->in_fd)
        event_loop_del (con->loop, p->out_fd);
    }
  virtio_mmio_destroy (&con->t);
  free (con);
}

struct virtio_mmio *
virtio_console_transport (struct virtio_console *con)
{
  return &con->t;
}

bool
virtio_console_port_open (struct virtio_console *con, unsigned id)
{
  bool open;

  if (id >= con->n_ports)
    return false;
  virtio_mmio_lock (&con->t);
  open = port_live (&con->ports[id]);
  virtio_mmio_unlock (&con->t);
  return open;
}

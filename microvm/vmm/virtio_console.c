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
  bool in_registered, in_polling, in_eof;
  bool guest_ready;     /* PORT_READY received */
  bool guest_open;      /* PORT_OPEN 1 from the guest */
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

static void
set_polling (struct console_port *p, bool on)
{
  if (!p->in_registered || p->in_polling == on)
    return;
  if (event_loop_modify (p->con->loop, p->in_fd, on ? EPOLLIN : 0) == 0)
    p->in_polling = on;
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

static void
drain_output (struct virtio_console *con, unsigned id)
{
  struct console_port *p = &con->ports[id];
  struct virtq_chain *c = &con->chain;
  unsigned q = tx_queue (id);

  while (virtio_mmio_pop (&con->t, q, c) > 0)
    {
      if (p->out_fd >= 0)
        write_all (p->out_fd, virtq_chain_readable (c), c->n_readable);
      virtq_push_used (&con->t.vq[q], c->head, 0);
    }
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
      set_polling (&con->ports[i], false);
      con->ports[i].guest_ready = con->ports[i].guest_open = false;
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
on_input (void *opaque, uint32_t events)
{
  struct console_port *p = opaque;

  virtio_mmio_lock (&p->con->t);
  deliver_input (p);
  virtio_mmio_unlock (&p->con->t);
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
      struct console_port *p = &con->ports[i];

      if (p->in_fd < 0)
        continue;
      r = event_loop_add (loop, p->in_fd, 0, on_input, p);
      /* Regular files cannot be polled; they are always readable, so
         guest kicks alone drive them. */
      if (r == -EPERM)
        continue;
      if (r < 0)
        {
          virtio_console_free (con);
          return vmm_errorf (err, -r, "virtio-console: port %u input fd %d", i, ports[i].in_fd);
        }
      p->in_registered = true;
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
    if (con->ports[i].in_registered)
      event_loop_del (con->loop, con->ports[i].in_fd);
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

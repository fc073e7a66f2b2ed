/* virtio-console multiport against simulated guest memory: the control
   protocol a Linux guest speaks (DEVICE_READY, PORT_ADD, PORT_READY,
   CONSOLE_PORT, PORT_NAME, PORT_OPEN), data both ways over pipes and a
   socketpair through the event loop, hang-up on host EOF, and a guest that
   sends nonsense on the control queue. */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>

#include "microvm/vmm/event_loop.h"
#include "microvm/vmm/virtio_console.h"
#include "tests/unit/tap.h"
#include "tests/unit/virtio_driver.h"

#define CTRL_RX 2
#define CTRL_TX 3
#define CTRL_BUF 80
#define ALL (~0ULL)

static unsigned
rxq (unsigned id)
{
  return id == 0 ? 0 : 2 + 2 * id;
}

struct env
{
  struct drv d;
  struct event_loop *loop;
  struct virtio_console *con;
  int con_in[2], con_out[2];     /* port 0: pipes */
  int ctl[2];                    /* port 1 "hull.control": socketpair, [1] is the host's end */
  int stdio_in[2], stdio_out[2]; /* port 2 "hull.stdio" */
  uint64_t ctrl_bufs[32];
  unsigned n_ctrl_bufs;
};

static void
env_up (struct env *e, uint64_t features)
{
  struct virtio_console_port_config ports[3];
  struct vmm_err err = { 0 };

  memset (e, 0, sizeof *e);
  drv_mem_init (&e->d);
  e->loop = event_loop_new ();
  if (pipe2 (e->con_in, O_CLOEXEC) || pipe2 (e->con_out, O_CLOEXEC)
      || socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, e->ctl) || pipe2 (e->stdio_in, O_CLOEXEC)
      || pipe2 (e->stdio_out, O_CLOEXEC | O_NONBLOCK))
    exit (1);
  ports[0] = (struct virtio_console_port_config) { NULL, e->con_in[0], e->con_out[1] };
  ports[1] = (struct virtio_console_port_config) { "hull.control", e->ctl[0], e->ctl[0] };
  ports[2] = (struct virtio_console_port_config) { "hull.stdio", e->stdio_in[0], e->stdio_out[1] };
  if (virtio_console_new (&e->d.mem, ports, 3, e->loop, &e->con, &err) < 0)
    {
      printf ("# %s\n", err.msg);
      exit (1);
    }
  e->d.t = virtio_console_transport (e->con);
  if (virtio_mmio_start (e->d.t, e->loop) < 0 || !drv_bring_up (&e->d, features, 8))
    exit (1);
}

static void
env_down (struct env *e)
{
  int *fds[] = { e->con_in, e->con_out, e->ctl, e->stdio_in, e->stdio_out };
  size_t i;

  virtio_console_free (e->con);
  event_loop_free (e->loop);
  drv_mem_free (&e->d);
  for (i = 0; i < sizeof fds / sizeof fds[0]; i++)
    {
      if (fds[i][0] >= 0)
        close (fds[i][0]);
      if (fds[i][1] >= 0)
        close (fds[i][1]);
    }
}

static void
post_ctrl_bufs (struct env *e, unsigned n)
{
  unsigned i;
  for (i = 0; i < n; i++)
    {
      struct drv_seg seg = { drv_alloc (&e->d, CTRL_BUF), CTRL_BUF, true };
      drv_publish (&e->d, CTRL_RX, drv_place_chain (&e->d, CTRL_RX, &seg, 1));
      e->ctrl_bufs[e->n_ctrl_bufs++ % 32] = seg.gpa;
    }
  drv_notify (&e->d, CTRL_RX);
}

static void
send_ctrl (struct env *e, uint32_t id, uint16_t event, uint16_t value)
{
  uint64_t gpa = drv_alloc (&e->d, 8);
  struct virtio_console_control *m = drv_host (&e->d, gpa);
  struct drv_seg seg = { gpa, 8, false };

  m->id = id;
  m->event = event;
  m->value = value;
  drv_submit (&e->d, CTRL_TX, &seg, 1);
}

/* Next control message from the device; name (if any) into name. */
static bool
recv_ctrl (struct env *e, struct virtio_console_control *m, char *name, size_t name_size)
{
  uint32_t id, len;
  struct vring_desc *desc;

  if (!drv_get_used (&e->d, CTRL_RX, &id, &len) || len < 8)
    return false;
  desc = drv_desc (&e->d, CTRL_RX, (uint16_t) id);
  memcpy (m, drv_host (&e->d, desc->addr), 8);
  if (name)
    {
      size_t n = len - 8 < name_size - 1 ? len - 8 : name_size - 1;
      memcpy (name, (char *) drv_host (&e->d, desc->addr) + 8, n);
      name[n] = '\0';
    }
  return true;
}

static bool
expect_ctrl (struct env *e, uint32_t id, uint16_t event, uint16_t value, const char *name)
{
  struct virtio_console_control m;
  char got[VIRTIO_CONSOLE_NAME_MAX + 8];

  if (!recv_ctrl (e, &m, got, sizeof got))
    return false;
  if (m.id != id || m.event != event || m.value != value)
    {
      printf ("# control message id %u event %u value %u\n", m.id, m.event, m.value);
      return false;
    }
  return name == NULL || strcmp (got, name) == 0;
}

static void
guest_write (struct env *e, unsigned port, const char *s)
{
  uint64_t gpa = drv_alloc (&e->d, (uint32_t) strlen (s));
  struct drv_seg seg = { gpa, (uint32_t) strlen (s), false };

  memcpy (drv_host (&e->d, gpa), s, strlen (s));
  drv_submit (&e->d, rxq (port) + 1, &seg, 1);
}

static uint64_t
guest_post_rx (struct env *e, unsigned port, uint32_t len)
{
  struct drv_seg seg = { drv_alloc (&e->d, len), len, true };
  drv_submit (&e->d, rxq (port), &seg, 1);
  return seg.gpa;
}

/* Runs the loop until port's receive queue returns a buffer. */
static bool
guest_read (struct env *e, unsigned port, uint64_t gpa, char *out, size_t size)
{
  uint32_t id, len;
  int i;

  for (i = 0; i < 100; i++)
    {
      if (drv_get_used (&e->d, rxq (port), &id, &len))
        {
          size_t n = len < size - 1 ? len : size - 1;
          memcpy (out, drv_host (&e->d, gpa), n);
          out[n] = '\0';
          return true;
        }
      event_loop_run_once (e->loop, 100);
    }
  return false;
}

static bool
host_read (int fd, const char *want)
{
  char buf[256];
  struct pollfd pfd = { .fd = fd, .events = POLLIN };
  ssize_t n;

  if (poll (&pfd, 1, 5000) != 1)
    return false;
  n = read (fd, buf, sizeof buf - 1);
  if (n < 0)
    return false;
  buf[n] = '\0';
  if (strcmp (buf, want) != 0)
    printf ("# host read \"%s\"\n", buf);
  return strcmp (buf, want) == 0;
}

static void
test_multiport (void)
{
  struct env e;
  uint64_t f, rx;
  uint32_t max_ports = 0;
  char buf[128];
  struct virtio_console_control m;

  env_up (&e, ALL);
  TAP_EQ_INT (drv_r32 (&e.d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_CONSOLE, "console: device id 3");
  f = drv_device_features (&e.d);
  TAP_OK (f & (1ULL << VIRTIO_CONSOLE_F_MULTIPORT), "console: MULTIPORT offered");
  virtio_mmio_read (e.d.t, VIRTIO_MMIO_CONFIG + 4, (uint8_t *) &max_ports, 4);
  TAP_EQ_INT (max_ports, 3, "console: max_nr_ports in config");

  post_ctrl_bufs (&e, 16);
  send_ctrl (&e, 0, VIRTIO_CONSOLE_DEVICE_READY, 1);
  TAP_OK (expect_ctrl (&e, 0, VIRTIO_CONSOLE_PORT_ADD, 0, NULL) && expect_ctrl (&e, 1, VIRTIO_CONSOLE_PORT_ADD, 0, NULL)
              && expect_ctrl (&e, 2, VIRTIO_CONSOLE_PORT_ADD, 0, NULL) && !recv_ctrl (&e, &m, NULL, 0),
          "console: DEVICE_READY => PORT_ADD for ports 0, 1, 2");

  send_ctrl (&e, 0, VIRTIO_CONSOLE_PORT_READY, 1);
  TAP_OK (expect_ctrl (&e, 0, VIRTIO_CONSOLE_CONSOLE_PORT, 1, NULL), "console: port 0 announced as the console");
  TAP_OK (expect_ctrl (&e, 0, VIRTIO_CONSOLE_PORT_OPEN, 1, NULL), "console: port 0 host end open");
  send_ctrl (&e, 1, VIRTIO_CONSOLE_PORT_READY, 1);
  TAP_OK (expect_ctrl (&e, 1, VIRTIO_CONSOLE_PORT_NAME, 0, "hull.control"), "console: port 1 named hull.control");
  TAP_OK (expect_ctrl (&e, 1, VIRTIO_CONSOLE_PORT_OPEN, 1, NULL), "console: port 1 host end open");
  send_ctrl (&e, 2, VIRTIO_CONSOLE_PORT_READY, 1);
  TAP_OK (expect_ctrl (&e, 2, VIRTIO_CONSOLE_PORT_NAME, 0, "hull.stdio"), "console: port 2 named hull.stdio");
  TAP_OK (expect_ctrl (&e, 2, VIRTIO_CONSOLE_PORT_OPEN, 1, NULL), "console: port 2 host end open");
  send_ctrl (&e, 2, VIRTIO_CONSOLE_PORT_READY, 1);
  TAP_OK (!recv_ctrl (&e, &m, NULL, 0), "console: a repeated PORT_READY is ignored");

  /* Guest -> host on the console and a named port. */
  send_ctrl (&e, 0, VIRTIO_CONSOLE_PORT_OPEN, 1);
  guest_write (&e, 0, "boot ok\n");
  TAP_OK (host_read (e.con_out[0], "boot ok\n"), "console: port 0 output reaches the host");
  send_ctrl (&e, 1, VIRTIO_CONSOLE_PORT_OPEN, 1);
  TAP_OK (virtio_console_port_open (e.con, 1), "console: guest opened hull.control");
  guest_write (&e, 1, "{\"hello\":1}");
  TAP_OK (host_read (e.ctl[1], "{\"hello\":1}"), "console: hull.control output reaches the host socket");

  /* Host -> guest, through the event loop. */
  rx = guest_post_rx (&e, 1, 64);
  TAP_EQ_INT (write (e.ctl[1], "pong", 4), 4, "console: host writes to hull.control");
  TAP_OK (guest_read (&e, 1, rx, buf, sizeof buf) && strcmp (buf, "pong") == 0, "console: guest receives it");

  /* Input waits while the port is closed in the guest, then flows. */
  TAP_EQ_INT (write (e.stdio_in[1], "stdin-data", 10), 10, "console: host writes to hull.stdio before the guest opens it");
  rx = guest_post_rx (&e, 2, 64);
  event_loop_run_once (e.loop, 50);
  TAP_OK (!drv_get_used (&e.d, rxq (2), &(uint32_t) { 0 }, &(uint32_t) { 0 }), "console: nothing delivered to a closed port");
  send_ctrl (&e, 2, VIRTIO_CONSOLE_PORT_OPEN, 1);
  TAP_OK (guest_read (&e, 2, rx, buf, sizeof buf) && strcmp (buf, "stdin-data") == 0,
          "console: delivered once the guest opens the port");

  /* Host EOF on stdin => hang-up message, the port stays usable for output. */
  close (e.stdio_in[1]);
  e.stdio_in[1] = -1;
  guest_post_rx (&e, 2, 64);
  {
    int i, hung = 0;
    for (i = 0; i < 50 && !hung; i++)
      {
        event_loop_run_once (e.loop, 100);
        if (recv_ctrl (&e, &m, NULL, 0))
          hung = m.id == 2 && m.event == VIRTIO_CONSOLE_PORT_OPEN && m.value == 0;
      }
    TAP_OK (hung, "console: host EOF => PORT_OPEN 0 for hull.stdio");
  }
  guest_write (&e, 2, "exit 0\n");
  TAP_OK (host_read (e.stdio_out[0], "exit 0\n"), "console: output still flows after input EOF");

  /* emerg_wr */
  {
    uint32_t c = 'Z';
    virtio_mmio_write (e.d.t, VIRTIO_MMIO_CONFIG + 8, (uint8_t *) &c, 4);
    TAP_OK (host_read (e.con_out[0], "Z"), "console: emergency write lands on port 0");
  }
  env_down (&e);
}

static void
test_hostile_control (void)
{
  struct env e;
  struct virtio_console_control m;
  uint64_t gpa;
  struct drv_seg seg;
  uint32_t id, len;
  int i;

  env_up (&e, ALL);
  /* DEVICE_READY flood with no control buffers: bounded, no crash. */
  for (i = 0; i < 200; i++)
    send_ctrl (&e, 0, VIRTIO_CONSOLE_DEVICE_READY, 1);
  TAP_OK (drv_r32 (&e.d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK, "console: control flood without buffers survived");
  post_ctrl_bufs (&e, 16);
  TAP_OK (expect_ctrl (&e, 0, VIRTIO_CONSOLE_PORT_ADD, 0, NULL), "console: queued messages delivered once buffers come");
  for (i = 0; i < 15; i++)
    recv_ctrl (&e, &m, NULL, 0);

  send_ctrl (&e, 99, VIRTIO_CONSOLE_PORT_READY, 1);
  send_ctrl (&e, 0xffffffff, VIRTIO_CONSOLE_PORT_OPEN, 1);
  send_ctrl (&e, 1, VIRTIO_CONSOLE_PORT_OPEN, 1);   /* before PORT_READY */
  send_ctrl (&e, 1, 0x4242, 7);
  TAP_OK (!virtio_console_port_open (e.con, 1), "console: PORT_OPEN before PORT_READY ignored");

  gpa = drv_alloc (&e.d, 4);
  seg = (struct drv_seg) { gpa, 4, false };
  drv_submit (&e.d, CTRL_TX, &seg, 1);
  TAP_OK (drv_r32 (&e.d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK, "console: short control message ignored");

  /* A control receive buffer too small for a message comes back empty. */
  for (i = 0; i < 4; i++)
    recv_ctrl (&e, &m, NULL, 0);
  gpa = drv_alloc (&e.d, 4);
  seg = (struct drv_seg) { gpa, 4, true };
  drv_submit (&e.d, CTRL_RX, &seg, 1);
  send_ctrl (&e, 1, VIRTIO_CONSOLE_PORT_READY, 1);
  TAP_OK (drv_get_used (&e.d, CTRL_RX, &id, &len) && len == 0, "console: undersized control buffer returned empty");

  /* Data on a port's transmit queue with a writable-only chain. */
  gpa = drv_alloc (&e.d, 16);
  seg = (struct drv_seg) { gpa, 16, true };
  drv_submit (&e.d, 1, &seg, 1);
  TAP_OK (drv_get_used (&e.d, 1, &id, &len) && len == 0, "console: write-only buffer on a transmit queue consumed harmlessly");
  env_down (&e);
}

/* A host end that stops reading must not stall the VMM: the port's
   output waits for EPOLLOUT while other ports keep flowing, then resumes
   in order. */
static void
test_backpressure (void)
{
  struct env e;
  char chunk[3000], got[9000];
  uint32_t id, len;
  size_t total = 0;
  int i, pipe_size, used = 0;

  env_up (&e, ALL);
  pipe_size = fcntl (e.stdio_out[1], F_SETPIPE_SZ, 4096);
  TAP_OK (pipe_size == 4096, "console: host pipe shrunk to 4 KiB");
  for (i = 0; i < 3; i++)
    {
      uint64_t gpa = drv_alloc (&e.d, sizeof chunk);
      struct drv_seg seg = { gpa, sizeof chunk, false };
      memset (drv_host (&e.d, gpa), 'a' + i, sizeof chunk);
      drv_submit (&e.d, rxq (2) + 1, &seg, 1);
    }
  while (drv_get_used (&e.d, rxq (2) + 1, &id, &len))
    used++;
  TAP_EQ_INT (used, 1, "console: only what fits the pipe is completed");
  guest_write (&e, 1, "still flowing");
  TAP_OK (host_read (e.ctl[1], "still flowing"), "console: another port's output flows meanwhile");

  for (i = 0; i < 200 && total < sizeof got; i++)
    {
      ssize_t n = read (e.stdio_out[0], got + total, sizeof got - total);
      if (n > 0)
        total += (size_t) n;
      event_loop_run_once (e.loop, 10);
    }
  TAP_EQ_INT (total, sizeof got, "console: all output arrives once the host reads");
  TAP_OK (got[0] == 'a' && got[2999] == 'a' && got[3000] == 'b' && got[5999] == 'b' && got[6000] == 'c'
              && got[8999] == 'c',
          "console: in order");
  while (drv_get_used (&e.d, rxq (2) + 1, &id, &len))
    used++;
  TAP_EQ_INT (used, 3, "console: every request completed");
  env_down (&e);
}

static void
test_single_port (void)
{
  struct env e;
  uint64_t rx;
  char buf[64];

  env_up (&e, ~(1ULL << VIRTIO_CONSOLE_F_MULTIPORT));
  guest_write (&e, 0, "plain console\n");
  TAP_OK (host_read (e.con_out[0], "plain console\n"), "console without MULTIPORT: output");
  rx = guest_post_rx (&e, 0, 64);
  TAP_EQ_INT (write (e.con_in[1], "in", 2), 2, "console without MULTIPORT: host input");
  TAP_OK (guest_read (&e, 0, rx, buf, sizeof buf) && strcmp (buf, "in") == 0, "console without MULTIPORT: input");
  env_down (&e);
}

static void
test_config_errors (void)
{
  struct virtio_console_port_config ports[8] = { { NULL, -1, -1 } };
  struct virtio_console *con = (void *) 1;
  struct vmm_err err = { 0 };
  struct guest_mem mem = { 0 };
  int i;

  for (i = 1; i < 8; i++)
    ports[i] = (struct virtio_console_port_config) { "p", -1, -1 };
  TAP_OK (virtio_console_new (&mem, ports, 8, NULL, &con, &err) < 0 && con == NULL, "console: 8 ports refused (%s)", err.msg);
  ports[2].name = NULL;
  TAP_OK (virtio_console_new (&mem, ports, 3, NULL, &con, &err) < 0, "console: unnamed port refused (%s)", err.msg);
  TAP_OK (virtio_console_new (&mem, ports, 0, NULL, &con, &err) < 0, "console: zero ports refused");
}

int
main (void)
{
  test_multiport ();
  test_hostile_control ();
  test_backpressure ();
  test_single_port ();
  test_config_errors ();
  return tap_done ();
}

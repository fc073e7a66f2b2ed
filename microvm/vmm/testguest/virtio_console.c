/* scenario=virtio-console: the multiport handshake a Linux guest does
   (DEVICE_READY, PORT_READY for each PORT_ADD, PORT_OPEN for the console),
   then on the port named by `port=` (default hull.control): open it, write
   "hello from the guest on <name>", wait for one line from the host and
   print it.  Also writes a line on port 0 (hvc0).  Exit code 0 when the
   reply arrived. */
#include "tg.h"
#include "virtio.h"

#define CONSOLE_F_MULTIPORT 1
#define DEVICE_READY 0
#define PORT_ADD 1
#define PORT_READY 3
#define CONSOLE_PORT 4
#define PORT_OPEN 6
#define PORT_NAME 7

#define MAX_PORTS 7
#define CTRL_BUFS 8
#define CTRL_BUF_LEN 80
#define DATA_LEN 256

struct control
{
  uint32_t id;
  uint16_t event, value;
};

static struct vdev dev;
static struct vq queues[2 * MAX_PORTS + 2];
static uint8_t ctrl_bufs[CTRL_BUFS][CTRL_BUF_LEN];
static struct control out_msg;
static char names[MAX_PORTS][64];
static int host_open[MAX_PORTS];
static uint8_t rx_bufs[MAX_PORTS][DATA_LEN];
static char tx_buf[DATA_LEN];

static struct vq *
rxq (unsigned port)
{
  return &queues[port == 0 ? 0 : 2 + 2 * port];
}

static struct vq *
txq (unsigned port)
{
  return &queues[port == 0 ? 1 : 3 + 2 * port];
}

static int
send_control (uint32_t id, uint16_t event, uint16_t value)
{
  struct vseg seg = { &out_msg, sizeof out_msg, 0 };
  uint32_t used_id, len;

  out_msg.id = id;
  out_msg.event = event;
  out_msg.value = value;
  vq_submit (&queues[3], &seg, 1);
  return vq_wait (&queues[3], &used_id, &len, 10);
}

static int
port_write (unsigned port, const char *s, uint32_t n)
{
  struct vseg seg = { tx_buf, n, 0 };
  uint32_t id, len;

  memcpy (tx_buf, s, n);
  vq_submit (txq (port), &seg, 1);
  return vq_wait (txq (port), &id, &len, 10);
}

/* Handles one control message if there is one; 1 when handled. */
static int
control_step (unsigned n_ports, unsigned seconds)
{
  struct control m;
  uint32_t id, len;
  uint8_t *buf;

  if (!vq_wait (&queues[2], &id, &len, seconds))
    return 0;
  buf = (uint8_t *) (uintptr_t) vq_desc_addr (&queues[2], id);
  memcpy (&m, buf, sizeof m);
  if (m.id < n_ports && len >= sizeof m)
    switch (m.event)
      {
      case PORT_ADD:
        send_control (m.id, PORT_READY, 1);
        break;
      case CONSOLE_PORT:
        send_control (m.id, PORT_OPEN, 1);
        break;
      case PORT_NAME:
        {
          unsigned n = len - sizeof m;
          if (n > sizeof names[0] - 1)
            n = sizeof names[0] - 1;
          memcpy (names[m.id], buf + sizeof m, n);
          names[m.id][n] = '\0';
          tg_printf ("console: port %u is %s\n", m.id, names[m.id]);
        }
        break;
      case PORT_OPEN:
        host_open[m.id] = m.value;
        break;
      }
  vq_publish (&queues[2], (uint16_t) id);
  vq_kick (&queues[2]);
  return 1;
}

int
console_open_port (const char *want)
{
  unsigned n_ports, i;
  int port = -1;

  if (!vdev_find (VIRTIO_ID_CONSOLE, 0, &dev))
    {
      tg_puts ("console: no virtio-console device\n");
      return -1;
    }
  if (!vdev_init (&dev, 1ULL << CONSOLE_F_MULTIPORT) || !vdev_has (&dev, CONSOLE_F_MULTIPORT))
    {
      tg_puts ("console: multiport not available\n");
      return -1;
    }
  n_ports = vdev_config32 (&dev, 4);
  if (n_ports == 0 || n_ports > MAX_PORTS)
    {
      tg_printf ("console: max_nr_ports %u\n", n_ports);
      return -1;
    }
  for (i = 0; i < 2 * n_ports + 2; i++)
    if (!vq_setup (&dev, &queues[i], i))
      {
        tg_printf ("console: queue %u refused\n", i);
        return -1;
      }
  for (i = 0; i < CTRL_BUFS; i++)
    {
      struct vseg seg = { ctrl_bufs[i], CTRL_BUF_LEN, 1 };
      vq_add (&queues[2], &seg, 1);
    }
  for (i = 0; i < n_ports; i++)
    {
      struct vseg seg = { rx_bufs[i], DATA_LEN, 1 };
      vq_add (rxq (i), &seg, 1);
    }
  vdev_driver_ok (&dev);
  tg_printf ("console: %u ports\n", n_ports);

  send_control (0, DEVICE_READY, 1);
  /* Until the wanted port is named and its host end is open. */
  while (port < 0 || !host_open[port])
    {
      if (!control_step (n_ports, 20))
        {
          tg_printf ("console: port %s not offered\n", want);
          return -2;
        }
      for (i = 0; i < n_ports; i++)
        if (tg_strcmp (names[i], want) == 0)
          port = (int) i;
    }
  while (control_step (n_ports, 1))   /* the rest of the handshake */
    ;
  send_control ((uint32_t) port, PORT_OPEN, 1);
  tg_printf ("console: opened %s\n", want);
  return port;
}

int
console_port_write (unsigned port, const void *data, uint32_t len)
{
  const char *p = data;
  while (len > 0)
    {
      uint32_t n = len < DATA_LEN ? len : DATA_LEN;
      if (!port_write (port, p, n))
        return 0;
      p += n;
      len -= n;
    }
  return 1;
}

int
console_port_read (unsigned port, void *buf, uint32_t cap, unsigned seconds, int more)
{
  uint32_t id, len;
  if (!vq_wait (rxq (port), &id, &len, seconds))
    return -1;
  if (len > DATA_LEN)
    len = DATA_LEN;
  if (len > cap)
    len = cap;   /* the caller asks for at least a buffer's worth */
  memcpy (buf, rx_bufs[port], len);
  if (more)
    {
      vq_publish (rxq (port), (uint16_t) id);
      vq_kick (rxq (port));
    }
  return (int) len;
}

int
scenario_virtio_console (void)
{
  char want[64] = "hull.control", line[DATA_LEN + 1];
  int port, len, i;

  tg_param ("port", want, sizeof want);
  port = console_open_port (want);
  if (port < 0)
    return port == -1 ? 2 : 1;
  console_port_write (0, "console: hello on hvc0\n", 23);
  {
    char msg[128] = "hello from the guest on ";
    size_t k = tg_strlen (msg);
    memcpy (msg + k, want, tg_strlen (want));
    msg[k + tg_strlen (want)] = '\n';
    if (!console_port_write ((unsigned) port, msg, (uint32_t) (k + tg_strlen (want) + 1)))
      {
        tg_puts ("console: write not completed\n");
        return 1;
      }
  }
  /* One line and no buffer after it: a test may loop the port's output
     back to its input (a FIFO), which must not feed the guest again. */
  len = console_port_read ((unsigned) port, line, DATA_LEN, 60, 0);
  if (len < 0)
    {
      tg_puts ("console: no reply from the host\n");
      return 1;
    }
  line[len] = '\0';
  for (i = 0; i < len; i++)
    if (line[i] == '\n')
      line[i] = '\0';
  tg_printf ("console: received %s\n", line);
  return 0;
}

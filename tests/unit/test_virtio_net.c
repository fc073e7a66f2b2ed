/* virtio-net against simulated guest memory and a real TAP, in a private
   network namespace (unshare, so nothing outlives the test): frames the
   guest transmits come out of the TAP interface (seen by an AF_PACKET
   socket), frames sent on the interface land in the guest's receive
   buffers through the event loop. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include "microvm/vmm/event_loop.h"
#include "microvm/vmm/virtio_net.h"
#include "tests/unit/tap.h"
#include "tests/unit/virtio_driver.h"

#define TAPNAME "hulltest0"
#define ETHERTYPE_TEST 0x88b5   /* IEEE local experimental */
#define HDR ((uint32_t) sizeof (struct virtio_net_hdr_v1))
#define RXBUF 1526

static const uint8_t guest_mac[6] = { 0x02, 0x48, 0x55, 0x4c, 0x4c, 0x01 };

static int
link_up (const char *name)
{
  struct ifreq ifr = { 0 };
  int s = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;
  FILE *f;
  char path[128];

  snprintf (path, sizeof path, "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
  if ((f = fopen (path, "w")) != NULL)
    {
      fputs ("1", f);
      fclose (f);
    }
  strcpy (ifr.ifr_name, name);
  r = ioctl (s, SIOCGIFFLAGS, &ifr);
  ifr.ifr_flags |= IFF_UP;
  if (r == 0)
    r = ioctl (s, SIOCSIFFLAGS, &ifr);
  close (s);
  return r;
}

static int
packet_socket (const char *name)
{
  struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons (ETHERTYPE_TEST) };
  int s = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons (ETHERTYPE_TEST));

  sll.sll_ifindex = (int) if_nametoindex (name);
  if (s < 0 || bind (s, (struct sockaddr *) &sll, sizeof sll) < 0)
    return -1;
  return s;
}

static size_t
make_frame (uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint8_t fill, size_t len)
{
  memcpy (f, dst, 6);
  memcpy (f + 6, src, 6);
  f[12] = ETHERTYPE_TEST >> 8;
  f[13] = ETHERTYPE_TEST & 0xff;
  memset (f + 14, fill, len - 14);
  return len;
}

static void
test_setup_errors (void)
{
  struct vmm_err err = { 0 };
  struct virtio_net *net = (void *) 1;
  struct guest_mem mem = { 0 };
  struct ifreq ifr = { 0 };
  int fds[2], fd;

  TAP_OK (virtio_net_open_tap ("this-name-is-way-too-long", &err) < 0 && strstr (err.msg, "TAP name"),
          "net: over-long TAP name refused (%s)", err.msg);
  TAP_OK (virtio_net_open_tap ("", &err) < 0, "net: empty TAP name refused");
  TAP_OK (pipe (fds) == 0, "net: pipe");
  close (fds[1]);
  TAP_OK (virtio_net_new (&mem, fds[0], guest_mac, NULL, &net, &err) < 0 && net == NULL,
          "net: a pipe is not a TAP (%s)", err.msg);

  fd = open ("/dev/net/tun", O_RDWR | O_CLOEXEC);
  strcpy (ifr.ifr_name, "hulltest1");
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  TAP_OK (fd >= 0 && ioctl (fd, TUNSETIFF, &ifr) == 0, "net: TAP without IFF_VNET_HDR");
  TAP_OK (virtio_net_new (&mem, fd, guest_mac, NULL, &net, &err) < 0 && strstr (err.msg, "IFF_VNET_HDR"),
          "net: TAP without IFF_VNET_HDR refused (%s)", err.msg);
}

/* Runs the loop until queue q has a used entry (or ~10 s). */
static bool
wait_used (struct drv *d, struct event_loop *loop, unsigned q, uint32_t *id, uint32_t *len)
{
  int i;
  for (i = 0; i < 100; i++)
    {
      if (drv_get_used (d, q, id, len))
        return true;
      event_loop_run_once (loop, 100);
    }
  return drv_get_used (d, q, id, len);
}

static void
post_rx (struct drv *d, uint64_t *buf, uint32_t len)
{
  struct drv_seg seg;
  *buf = drv_alloc (d, len);
  memset (drv_host (d, *buf), 0xee, len);
  seg = (struct drv_seg) { *buf, len, true };
  drv_submit (d, VIRTIO_NET_RXQ, &seg, 1);
}

static void
test_traffic (void)
{
  struct drv d;
  struct event_loop *loop = event_loop_new ();
  struct virtio_net *net = NULL;
  struct vmm_err err = { 0 };
  struct virtio_net_config cfg;
  struct virtio_net_hdr_v1 *h;
  uint8_t frame[2048], got[2048], peer[6] = { 0x02, 0, 0, 0, 0, 0x99 };
  uint64_t features, hdr, data, buf;
  struct drv_seg segs[2];
  uint32_t id, len;
  uint16_t head;
  ssize_t n;
  int tap, ps, i, found;

  drv_mem_init (&d);
  tap = virtio_net_open_tap (TAPNAME, &err);
  TAP_OK (tap >= 0, "net: TAP %s opened (%s)", TAPNAME, err.msg);
  TAP_OK (virtio_net_new (&d.mem, tap, guest_mac, loop, &net, &err) == 0, "net: device created (%s)", err.msg);
  if (net == NULL)
    return;
  d.t = virtio_net_transport (net);
  TAP_OK (link_up (TAPNAME) == 0, "net: link up");
  ps = packet_socket (TAPNAME);
  TAP_OK (ps >= 0, "net: packet socket on the TAP interface");
  TAP_OK (virtio_mmio_start (d.t, loop) == 0, "net: notify eventfds in the loop");

  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_NET, "net: device id 1");
  features = drv_device_features (&d);
  TAP_OK ((features & (1ULL << VIRTIO_NET_F_MAC)) && (features & (1ULL << VIRTIO_NET_F_STATUS))
              && !(features & (1ULL << VIRTIO_NET_F_CSUM)) && !(features & (1ULL << VIRTIO_NET_F_MRG_RXBUF)),
          "net: MAC and STATUS offered, no offloads");
  for (i = 0; i < 6; i++)
    virtio_mmio_read (d.t, VIRTIO_MMIO_CONFIG + i, &cfg.mac[i], 1);
  virtio_mmio_read (d.t, VIRTIO_MMIO_CONFIG + 6, (uint8_t *) &cfg.status, 2);
  TAP_OK (memcmp (cfg.mac, guest_mac, 6) == 0, "net: MAC in config space");
  TAP_EQ_INT (cfg.status, VIRTIO_NET_S_LINK_UP, "net: link up in config status");
  TAP_OK (drv_bring_up (&d, ~0ULL, 2), "net: driver bring-up");

  /* Transmit: header (with offload bits the device must not honour) and
     the frame in two descriptors. */
  hdr = drv_alloc (&d, HDR);
  h = drv_host (&d, hdr);
  h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  h->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
  h->gso_size = 1000;
  h->csum_start = 9999;
  data = drv_alloc (&d, 100);
  make_frame (drv_host (&d, data), peer, guest_mac, 0x5a, 100);
  segs[0] = (struct drv_seg) { hdr, HDR, false };
  segs[1] = (struct drv_seg) { data, 100, false };
  head = drv_submit (&d, VIRTIO_NET_TXQ, segs, 2);
  TAP_OK (drv_get_used (&d, VIRTIO_NET_TXQ, &id, &len) && id == head && len == 0, "net: tx completed, used len 0");
  n = recv (ps, got, sizeof got, MSG_DONTWAIT);
  TAP_EQ_INT (n, 100, "net: the frame came out of the TAP");
  TAP_OK (n == 100 && memcmp (got, drv_host (&d, data), 100) == 0, "net: frame bytes intact");

  segs[0] = (struct drv_seg) { hdr, HDR - 2, false };
  head = drv_submit (&d, VIRTIO_NET_TXQ, segs, 1);
  TAP_OK (drv_get_used (&d, VIRTIO_NET_TXQ, &id, &len) && id == head, "net: runt tx request completed");
  TAP_OK (recv (ps, got, sizeof got, MSG_DONTWAIT) < 0 && errno == EAGAIN, "net: nothing sent for a runt");

  /* Receive through the event loop. */
  drv_take_irq (&d, NULL);
  post_rx (&d, &buf, RXBUF);
  make_frame (frame, guest_mac, peer, 0xa5, 200);
  TAP_EQ_INT (send (ps, frame, 200, 0), 200, "net: frame sent towards the guest");
  found = 0;
  for (i = 0; i < 8 && !found; i++)
    {
      if (!wait_used (&d, loop, VIRTIO_NET_RXQ, &id, &len))
        break;
      h = drv_host (&d, buf);
      if (len == HDR + 200 && memcmp ((uint8_t *) h + HDR, frame, 200) == 0)
        found = 1;
      else
        post_rx (&d, &buf, RXBUF);   /* some other frame: try again */
    }
  TAP_OK (found, "net: frame delivered into the rx buffer");
  TAP_OK (found && h->num_buffers == 1 && h->flags == 0 && h->gso_type == 0, "net: rx header: num_buffers 1, no offloads");
  TAP_OK (drv_take_irq (&d, NULL) > 0, "net: rx interrupt");

  /* No buffer posted: the frame waits in the TAP until one is. */
  make_frame (frame, guest_mac, peer, 0x33, 64);
  send (ps, frame, 64, 0);
  for (i = 0; i < 5; i++)
    event_loop_run_once (loop, 20);
  TAP_OK (!drv_get_used (&d, VIRTIO_NET_RXQ, &id, &len), "net: nothing delivered without buffers");
  post_rx (&d, &buf, RXBUF);
  found = 0;
  for (i = 0; i < 8 && !found; i++)
    {
      if (!wait_used (&d, loop, VIRTIO_NET_RXQ, &id, &len))
        break;
      if (len == HDR + 64 && memcmp ((uint8_t *) drv_host (&d, buf) + HDR, frame, 64) == 0)
        found = 1;
      else
        post_rx (&d, &buf, RXBUF);
    }
  TAP_OK (found, "net: waiting frame delivered once a buffer is posted");

  /* A receive buffer too small for the header comes back empty. */
  post_rx (&d, &buf, HDR - 1);
  send (ps, frame, 64, 0);
  TAP_OK (wait_used (&d, loop, VIRTIO_NET_RXQ, &id, &len) && len == 0, "net: rx buffer smaller than the header => used len 0");

  close (ps);
  virtio_net_free (net);
  event_loop_free (loop);
  drv_mem_free (&d);
}

int
main (void)
{
  if (geteuid () != 0 || unshare (CLONE_NEWNET) < 0 || access ("/dev/net/tun", R_OK | W_OK) < 0)
    {
      printf ("ok 1 # SKIP virtio-net tests need root, a network namespace and /dev/net/tun\n1..1\n");
      return 0;
    }
  test_setup_errors ();
  test_traffic ();
  return tap_done ();
}

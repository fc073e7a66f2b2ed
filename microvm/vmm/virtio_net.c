/* virtio-net device model over TAP.  See virtio_net.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <linux/if_tun.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include "microvm/vmm/virtio_net.h"

#define VNET_HDR_LEN ((int) sizeof (struct virtio_net_hdr_v1))

struct virtio_net
{
  struct virtio_mmio t;
  int tap_fd;
  struct event_loop *loop;       /* tap_fd is in it, one-shot */
  bool polling;                 /* armed for EPOLLIN */
  struct virtio_net_config config;
  struct virtq_chain chain;
  struct iovec frame[VIRTQ_MAX_CHAIN + 1];
};

int
virtio_net_open_tap (const char *name, struct vmm_err *err)
{
  struct ifreq ifr;
  int fd;

  if (name == NULL || name[0] == '\0' || strlen (name) >= IFNAMSIZ)
    return vmm_errorf (err, EINVAL, "TAP name `%s`", name ? name : "");
  fd = open ("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return vmm_errorf (err, errno, "open `/dev/net/tun`");
  memset (&ifr, 0, sizeof ifr);
  memcpy (ifr.ifr_name, name, strlen (name));
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  if (ioctl (fd, TUNSETIFF, &ifr) < 0)
    {
      int e = errno;
      close (fd);
      return vmm_errorf (err, e, "TAP `%s`", name);
    }
  return fd;
}

/* The TAP is armed (one-shot) only while receive buffers are waiting.
   One-shot because epoll reports a detached TAP's errors even with no
   events asked for, and because vCPU threads (DRIVER_OK, reset) may only
   re-arm with epoll_ctl, not touch the loop's table. */
static void
set_polling (struct virtio_net *net, bool on)
{
  if (net->loop == NULL || net->polling == on)
    return;
  event_loop_modify (net->loop, net->tap_fd, EPOLLONESHOT | (on ? EPOLLIN : 0));
  net->polling = on;
}

/* Called with the lock held. */
static void
receive (struct virtio_net *net)
{
  struct virtq_chain *c = &net->chain;
  bool any = false;

  for (;;)
    {
      uint16_t one = 1;
      ssize_t n;

      if (virtio_mmio_pop (&net->t, VIRTIO_NET_RXQ, c) <= 0)
        {
          /* No buffers: stop listening until the guest posts some. */
          set_polling (net, false);
          break;
        }
      if (c->writable_len < (uint64_t) VNET_HDR_LEN)
        {
          virtq_push_used (&net->t.vq[VIRTIO_NET_RXQ], c->head, 0);
          any = true;
          continue;
        }
      n = readv (net->tap_fd, virtq_chain_writable (c), (int) c->n_writable);
      if (n < 0 && errno == EINTR)
        {
          virtq_unpop (&net->t.vq[VIRTIO_NET_RXQ]);
          continue;
        }
      if (n < 0 && errno == EAGAIN)
        {
          /* Nothing to read: keep the buffer for the next frame. */
          virtq_unpop (&net->t.vq[VIRTIO_NET_RXQ]);
          set_polling (net, true);
          break;
        }
      if (n < VNET_HDR_LEN)
        {
          /* A TAP error or a runt: the buffer comes back empty. */
          virtq_push_used (&net->t.vq[VIRTIO_NET_RXQ], c->head, 0);
          any = true;
          continue;
        }
      /* Without VIRTIO_NET_F_MRG_RXBUF every frame fits one buffer, and a
         VERSION_1 device reports num_buffers = 1; the TAP leaves those
         two bytes of its 12-byte header untouched. */
      virtq_iov_from_buf (virtq_chain_writable (c), c->n_writable,
                          offsetof (struct virtio_net_hdr_v1, num_buffers), &one, sizeof one);
      virtq_push_used (&net->t.vq[VIRTIO_NET_RXQ], c->head, (uint32_t) n);
      any = true;
    }
  if (any)
    virtio_mmio_signal_used (&net->t, VIRTIO_NET_RXQ);
}

/* Called with the lock held. */
static void
transmit (struct virtio_net *net)
{
  static const struct virtio_net_hdr_v1 plain_hdr;
  struct virtq_chain *c = &net->chain;

  while (virtio_mmio_pop (&net->t, VIRTIO_NET_TXQ, c) > 0)
    {
      size_t got;
      unsigned n;

      /* The guest's header could ask for checksum or segmentation
         offloads we never offered; the TAP gets a plain one. */
      if (c->readable_len > (uint64_t) VNET_HDR_LEN)
        {
          net->frame[0] = (struct iovec) { .iov_base = (void *) &plain_hdr, .iov_len = VNET_HDR_LEN };
          n = virtq_iov_slice (virtq_chain_readable (c), c->n_readable, VNET_HDR_LEN,
                               c->readable_len - VNET_HDR_LEN, net->frame + 1, VIRTQ_MAX_CHAIN, &got);
          /* A frame the TAP refuses (too long, no room) is dropped, as on
             a real wire. */
          while (writev (net->tap_fd, net->frame, (int) n + 1) < 0 && errno == EINTR)
            ;
        }
      virtq_push_used (&net->t.vq[VIRTIO_NET_TXQ], c->head, 0);
    }
  virtio_mmio_signal_used (&net->t, VIRTIO_NET_TXQ);
}

static void
net_queue_notify (void *opaque, unsigned q)
{
  struct virtio_net *net = opaque;

  if (q == VIRTIO_NET_RXQ)
    receive (net);
  else if (q == VIRTIO_NET_TXQ)
    transmit (net);
}

static void
net_driver_ok (void *opaque)
{
  set_polling (opaque, true);
}

static void
net_reset (void *opaque)
{
  set_polling (opaque, false);
}

static const struct virtio_device_ops net_ops = {
  .device_id = VIRTIO_ID_NET,
  .queue_notify = net_queue_notify,
  .driver_ok = net_driver_ok,
  .reset = net_reset,
};

void
virtio_net_tap_readable (struct virtio_net *net)
{
  virtio_mmio_lock (&net->t);
  if (virtio_mmio_driver_ok (&net->t))
    receive (net);
  else
    set_polling (net, false);
  virtio_mmio_unlock (&net->t);
}

static void
on_tap (void *opaque, uint32_t events)
{
  struct virtio_net *net = opaque;

  virtio_mmio_lock (&net->t);
  net->polling = false;   /* the one-shot fired */
  if (virtio_mmio_driver_ok (&net->t))
    receive (net);
  virtio_mmio_unlock (&net->t);
}

int
virtio_net_new (const struct guest_mem *mem, int tap_fd, const uint8_t mac[6], struct event_loop *loop,
                struct virtio_net **out, struct vmm_err *err)
{
  struct virtio_net *net;
  unsigned int flags = 0;
  struct ifreq ifr;
  int hdr_len = VNET_HDR_LEN, r;

  *out = NULL;
  memset (&ifr, 0, sizeof ifr);
  if (ioctl (tap_fd, TUNGETIFF, &ifr) < 0)
    {
      r = vmm_errorf (err, errno, "virtio-net: fd %d is not a TAP", tap_fd);
      close (tap_fd);
      return r;
    }
  flags = (unsigned short) ifr.ifr_flags;
  if (!(flags & IFF_TAP) || !(flags & IFF_NO_PI) || !(flags & IFF_VNET_HDR))
    {
      close (tap_fd);
      return vmm_errorf (err, EINVAL, "virtio-net: TAP `%s` needs IFF_TAP, IFF_NO_PI and IFF_VNET_HDR", ifr.ifr_name);
    }
  if (ioctl (tap_fd, TUNSETVNETHDRSZ, &hdr_len) < 0 || ioctl (tap_fd, TUNSETOFFLOAD, 0) < 0
      || fcntl (tap_fd, F_SETFL, fcntl (tap_fd, F_GETFL) | O_NONBLOCK) < 0)
    {
      r = vmm_errorf (err, errno, "virtio-net: set up TAP `%s`", ifr.ifr_name);
      close (tap_fd);
      return r;
    }

  net = calloc (1, sizeof *net);
  if (net == NULL)
    {
      close (tap_fd);
      return vmm_errorf (err, ENOMEM, "virtio-net");
    }
  net->tap_fd = tap_fd;
  memcpy (net->config.mac, mac, 6);
  net->config.status = VIRTIO_NET_S_LINK_UP;
  r = virtio_mmio_init (&net->t, "virtio-net", mem, &net_ops, net,
                        (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS), 2, VIRTIO_NET_QUEUE_SIZE);
  if (r < 0)
    {
      close (tap_fd);
      free (net);
      return vmm_errorf (err, -r, "virtio-net: transport");
    }
  net->t.config = &net->config;
  net->t.config_len = sizeof net->config;

  if (loop)
    {
      r = event_loop_add (loop, tap_fd, EPOLLONESHOT, on_tap, net);
      if (r < 0)
        {
          virtio_net_free (net);
          return vmm_errorf (err, -r, "virtio-net: event loop");
        }
      net->loop = loop;
    }
  *out = net;
  return 0;
}

void
virtio_net_free (struct virtio_net *net)
{
  if (net == NULL)
    return;
  if (net->loop)
    event_loop_del (net->loop, net->tap_fd);
  virtio_mmio_destroy (&net->t);
  close (net->tap_fd);
  free (net);
}

struct virtio_mmio *
virtio_net_transport (struct virtio_net *net)
{
  return &net->t;
}

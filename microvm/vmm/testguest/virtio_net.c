/* scenario=virtio-net: sends one broadcast frame (EtherType 0x88b5,
   payload "hull-guest-frame") out of the TAP, then waits for a frame of the
   same EtherType from the host and prints its payload.  Other traffic on
   the link is skipped.  Exit code 0 when a host frame arrived. */
#include "tg.h"
#include "virtio.h"

#define NET_F_MAC 5
#define NET_F_STATUS 16
#define HDR_LEN 12     /* virtio_net_hdr_v1 */
#define RX_BUFS 8
#define RX_BUF_LEN 1536
#define ETHERTYPE 0x88b5

static struct vdev dev;
static struct vq rxq, txq;
static uint8_t rx_bufs[RX_BUFS][RX_BUF_LEN];
static uint8_t tx_hdr[HDR_LEN];
static uint8_t tx_frame[64];

static void
post_rx (uint8_t *buf)
{
  struct vseg seg = { buf, RX_BUF_LEN, 1 };
  vq_add (&rxq, &seg, 1);
}

int
scenario_virtio_net (void)
{
  static const char payload[] = "hull-guest-frame";
  uint8_t mac[6];
  uint32_t id, len;
  struct vseg segs[2];
  int i, attempt;
  char got[48];

  if (!vdev_find (VIRTIO_ID_NET, 0, &dev))
    {
      tg_puts ("net: no virtio-net device\n");
      return 2;
    }
  if (!vdev_init (&dev, (1ULL << NET_F_MAC) | (1ULL << NET_F_STATUS)) || !vq_setup (&dev, &rxq, 0)
      || !vq_setup (&dev, &txq, 1))
    {
      tg_puts ("net: device refused the driver\n");
      return 2;
    }
  for (i = 0; i < RX_BUFS; i++)
    post_rx (rx_bufs[i]);
  vdev_driver_ok (&dev);
  vq_kick (&rxq);

  for (i = 0; i < 6; i++)
    mac[i] = vdev_config8 (&dev, (unsigned) i);
  tg_printf ("net: mac %x:%x:%x:%x:%x:%x link %s\n", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
             (vdev_config8 (&dev, 6) & 1) ? "up" : "down");

  memset (tx_hdr, 0, sizeof tx_hdr);
  memset (tx_frame, 0, sizeof tx_frame);
  memset (tx_frame, 0xff, 6);
  memcpy (tx_frame + 6, mac, 6);
  tx_frame[12] = ETHERTYPE >> 8;
  tx_frame[13] = ETHERTYPE & 0xff;
  memcpy (tx_frame + 14, payload, sizeof payload);
  segs[0] = (struct vseg) { tx_hdr, HDR_LEN, 0 };
  segs[1] = (struct vseg) { tx_frame, sizeof tx_frame, 0 };

  /* The host side answers each frame it sees; resend a few times in case
     the first went out before it was listening. */
  for (attempt = 0; attempt < 10; attempt++)
    {
      vq_submit (&txq, segs, 2);
      if (!vq_wait (&txq, &id, &len, 10))
        {
          tg_puts ("net: transmit not completed\n");
          return 1;
        }
      if (attempt == 0)
        tg_puts ("net: sent hull-guest-frame\n");
      while (vq_wait (&rxq, &id, &len, 3))
        {
          uint8_t *buf = (uint8_t *) (uintptr_t) vq_desc_addr (&rxq, id);
          uint8_t *eth = buf + HDR_LEN;

          if (len >= HDR_LEN + 14 && eth[12] == (ETHERTYPE >> 8) && eth[13] == (ETHERTYPE & 0xff))
            {
              unsigned n = len - HDR_LEN - 14;
              if (n > sizeof got - 1)
                n = sizeof got - 1;
              memcpy (got, eth + 14, n);
              got[n] = '\0';
              for (i = 0; got[i]; i++)
                if (got[i] < 0x20 || got[i] > 0x7e)
                  got[i] = '\0';
              tg_printf ("net: received %s (num_buffers %d)\n", got, buf[10] | (buf[11] << 8));
              return 0;
            }
          /* Some other frame (IPv6 noise): recycle the buffer. */
          vq_publish (&rxq, (uint16_t) id);
          vq_kick (&rxq);
        }
    }
  tg_puts ("net: no frame from the host\n");
  return 1;
}

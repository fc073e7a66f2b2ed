/* scenario=virtio-blk: reads the device id and sector 0, writes sector 1,
   flushes and reads it back, and checks a read-only disk refuses the
   write.  Prints one line per step; the bats test compares them and the
   disk file.  Exit code 0 when everything matched what the device
   advertised. */
#include "tg.h"
#include "virtio.h"

#define BLK_F_RO 5
#define BLK_F_FLUSH 9
#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define SECTOR 512

struct blk_hdr
{
  uint32_t type;
  uint32_t reserved;
  uint64_t sector;
};

static struct vdev dev;
static struct vq q;
static struct blk_hdr hdr;
static uint8_t data[2 * SECTOR] __attribute__ ((aligned (512)));
static volatile uint8_t status;

/* One request: header, optional data, status.  Returns the status byte,
   or -1 when the device did not answer. */
static int
request (uint32_t type, uint64_t sector, void *buf, uint32_t len, int device_writes)
{
  struct vseg segs[3];
  unsigned n = 0;
  uint32_t id, used;

  hdr.type = type;
  hdr.reserved = 0;
  hdr.sector = sector;
  status = 0xff;
  segs[n++] = (struct vseg) { &hdr, sizeof hdr, 0 };
  if (len)
    segs[n++] = (struct vseg) { buf, len, device_writes };
  segs[n++] = (struct vseg) { (const void *) &status, 1, 1 };
  vq_submit (&q, segs, n);
  if (!vq_wait (&q, &id, &used, 20))
    return -1;
  return status;
}

int
scenario_virtio_blk (void)
{
  uint32_t cap_lo, cap_hi;
  char id[21];
  int ro, st, i, failures = 0;

  if (!vdev_find (VIRTIO_ID_BLOCK, 0, &dev))
    {
      tg_puts ("blk: no virtio-blk device\n");
      return 2;
    }
  if (!vdev_init (&dev, (1ULL << BLK_F_RO) | (1ULL << BLK_F_FLUSH)) || !vq_setup (&dev, &q, 0))
    {
      tg_puts ("blk: device refused the driver\n");
      return 2;
    }
  vdev_driver_ok (&dev);
  ro = vdev_has (&dev, BLK_F_RO);
  cap_lo = vdev_config32 (&dev, 0);
  cap_hi = vdev_config32 (&dev, 4);
  tg_printf ("blk: capacity %u sectors%s, ro %d\n", cap_lo, cap_hi ? " (+high)" : "", ro);

  /* irq=1: the first request completes by interrupt (irqfd -> IOAPIC ->
     this CPU) rather than by polling the used ring. */
  if (tg_param_long ("irq", 0))
    {
      unsigned seen;
      uint32_t isr, used_id, used_len;
      struct vseg segs[3];

      vdev_irq_setup (&dev);
      seen = vdev_irq_count ();
      hdr.type = T_GET_ID;
      hdr.sector = 0;
      status = 0xff;
      segs[0] = (struct vseg) { &hdr, sizeof hdr, 0 };
      segs[1] = (struct vseg) { id, 20, 1 };
      segs[2] = (struct vseg) { (const void *) &status, 1, 1 };
      vq_submit (&q, segs, 3);
      if (!vdev_irq_wait (seen, 20))
        {
          tg_printf ("blk: no interrupt on irq %u\n", dev.irq);
          return 1;
        }
      isr = vdev_irq_ack (&dev);
      tg_printf ("blk: interrupt on irq %u, InterruptStatus %u, used %d\n", dev.irq, isr,
                 vq_poll (&q, &used_id, &used_len));
      if (!(isr & 1))
        failures++;
    }

  memset (id, 0, sizeof id);
  st = request (T_GET_ID, 0, id, 20, 1);
  tg_printf ("blk: get-id status %d id %s\n", st, id);

  st = request (T_IN, 0, data, SECTOR, 1);
  data[40] = 0;
  for (i = 0; i < 40; i++)
    if (data[i] < 0x20 || data[i] > 0x7e)
      data[i] = 0;
  tg_printf ("blk: read sector 0 status %d: %s\n", st, (const char *) data);

  for (i = 0; i < SECTOR; i++)
    data[i] = (uint8_t) ("written by the hull test guest\n"[i % 31]);
  st = request (T_OUT, 1, data, SECTOR, 0);
  tg_printf ("blk: write sector 1 status %d\n", st);
  if (ro ? st != 1 : st != 0)
    failures++;

  st = request (T_FLUSH, 0, 0, 0, 0);
  tg_printf ("blk: flush status %d\n", st);
  if (st != 0)
    failures++;

  if (!ro)
    {
      memset (data, 0, sizeof data);
      st = request (T_IN, 1, data, SECTOR, 1);
      tg_printf ("blk: read back sector 1 status %d: %s",
                 st, tg_strncmp ((const char *) data, "written by the hull test guest\n", 31) == 0 ? "match\n" : "MISMATCH\n");
      if (st != 0 || tg_strncmp ((const char *) data, "written by the hull test guest\n", 31) != 0)
        failures++;
    }

  /* Past the end of the disk: the device must refuse. */
  st = request (T_IN, cap_lo, data, SECTOR, 1);
  tg_printf ("blk: read past the end status %d\n", st);
  if (st != 1)
    failures++;
  return failures ? 1 : 0;
}

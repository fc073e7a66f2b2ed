/* The virtio-mmio v2 register file and device-status state machine, with
   a driver that gets things wrong on purpose: bogus offsets and sizes,
   queues programmed out of order, features the device never offered. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "microvm/vmm/event_loop.h"
#include "microvm/vmm/virtio_blk.h"
#include "tests/unit/tap.h"
#include "tests/unit/virtio_driver.h"

#define SZ VIRTIO_BLK_SECTOR_SIZE
#define ACK_DRIVER (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER)

static char disk_path[] = "/tmp/hull-test-mmio-XXXXXX";

/* Removed at exit, whichever way the test ends. */
static void
remove_disk (void)
{
  unlink (disk_path);
}

static struct virtio_blk *
blk_new (struct drv *d)
{
  struct virtio_blk *blk = NULL;
  struct vmm_err err = { 0 };
  int fd = open (disk_path, O_RDWR | O_CLOEXEC);

  drv_mem_init (d);
  if (fd < 0 || virtio_blk_new (&d->mem, fd, false, "mmio", &blk, &err) < 0)
    {
      printf ("# %s\n", err.msg);
      exit (1);
    }
  d->t = virtio_blk_transport (blk);
  return blk;
}

static void
blk_free (struct drv *d, struct virtio_blk *blk)
{
  virtio_blk_free (blk);
  drv_mem_free (d);
}

/* A GET_ID request placed and published on queue 0 (not kicked). */
static uint16_t
publish_get_id (struct drv *d)
{
  uint64_t hdr = drv_alloc (d, 16), id = drv_alloc (d, 20), status = drv_alloc (d, 1);
  struct virtio_blk_outhdr *h = drv_host (d, hdr);
  struct drv_seg segs[3] = { { hdr, 16, false }, { id, 20, true }, { status, 1, true } };
  uint16_t head;

  h->type = VIRTIO_BLK_T_GET_ID;
  head = drv_place_chain (d, 0, segs, 3);
  drv_publish (d, 0, head);
  return head;
}

static void
test_identity_and_bogus_access (void)
{
  struct drv d;
  struct virtio_blk *blk = blk_new (&d);
  uint8_t b[8];
  uint16_t h16 = 0xffff;
  uint64_t cap = 0;

  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976, "MagicValue is \"virt\"");
  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_VERSION), 2, "Version 2 (modern)");
  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK, "DeviceID");
  TAP_OK (drv_r32 (&d, VIRTIO_MMIO_VENDOR_ID) != 0, "VendorID set");
  TAP_OK (drv_device_features (&d) & (1ULL << VIRTIO_F_VERSION_1), "VIRTIO_F_VERSION_1 offered");
  drv_w32 (&d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 7);
  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_DEVICE_FEATURES), 0, "DeviceFeaturesSel past 1 reads 0");

  virtio_mmio_read (d.t, VIRTIO_MMIO_MAGIC_VALUE, (uint8_t *) &h16, 2);
  TAP_EQ_INT (h16, 0, "2-byte register read returns 0");
  memset (b, 0xff, sizeof b);
  virtio_mmio_read (d.t, VIRTIO_MMIO_MAGIC_VALUE + 1, b, 4);
  TAP_OK (b[0] == 0 && b[3] == 0, "unaligned register read returns 0");
  TAP_EQ_INT (drv_r32 (&d, 0x0c8), 0, "hole in the register file reads 0");
  drv_w32 (&d, 0x0c8, 0xdeadbeef);
  drv_w32 (&d, VIRTIO_MMIO_MAGIC_VALUE, 0);
  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976, "writes to read-only registers are ignored");
  b[0] = 1;
  virtio_mmio_write (d.t, VIRTIO_MMIO_STATUS, b, 1);
  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_STATUS), 0, "1-byte register write ignored");

  virtio_mmio_read (d.t, VIRTIO_MMIO_CONFIG, (uint8_t *) &cap, 8);
  TAP_EQ_INT (cap, 8, "8-byte config read: capacity");
  virtio_mmio_read (d.t, VIRTIO_MMIO_CONFIG + 2, (uint8_t *) &h16, 2);
  TAP_EQ_INT (h16, 0, "2-byte config read inside capacity");
  memset (b, 0xff, sizeof b);
  virtio_mmio_read (d.t, VIRTIO_MMIO_CONFIG, b, 3);
  TAP_OK (b[0] == 0 && b[2] == 0, "3-byte config read returns zeros");
  memset (b, 0xff, sizeof b);
  virtio_mmio_read (d.t, VIRTIO_MMIO_CONFIG + 0xe00, b, 4);
  TAP_OK (b[0] == 0 && b[3] == 0, "config read past the config space returns zeros");
  virtio_mmio_read (d.t, 0xffffffffffffff00ULL, b, 8);
  virtio_mmio_write (d.t, 0xffffffffffffff00ULL, b, 8);
  virtio_mmio_write (d.t, VIRTIO_MMIO_CONFIG, b, 8);
  cap = 0;
  virtio_mmio_read (d.t, VIRTIO_MMIO_CONFIG, (uint8_t *) &cap, 8);
  TAP_EQ_INT (cap, 8, "config writes to a read-only config space are ignored");
  blk_free (&d, blk);
}

static void
test_status_machine (void)
{
  struct drv d;
  struct virtio_blk *blk = blk_new (&d);
  uint32_t id, len;

  drv_w32 (&d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
  drv_w32 (&d, VIRTIO_MMIO_STATUS, ACK_DRIVER);
  drv_w32 (&d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
  drv_w32 (&d, VIRTIO_MMIO_DRIVER_FEATURES, 1u << VIRTIO_BLK_F_FLUSH);
  drv_w32 (&d, VIRTIO_MMIO_STATUS, ACK_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_STATUS), ACK_DRIVER, "FEATURES_OK refused without VIRTIO_F_VERSION_1");

  drv_w32 (&d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
  drv_w32 (&d, VIRTIO_MMIO_DRIVER_FEATURES, 1u | (1u << 20));   /* VERSION_1 + something never offered */
  drv_w32 (&d, VIRTIO_MMIO_STATUS, ACK_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_STATUS), ACK_DRIVER, "FEATURES_OK refused for a feature not offered");

  drv_w32 (&d, VIRTIO_MMIO_DRIVER_FEATURES, 1u);
  drv_w32 (&d, VIRTIO_MMIO_STATUS, ACK_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK);
  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_STATUS), ACK_DRIVER, "DRIVER_OK refused before FEATURES_OK");

  drv_w32 (&d, VIRTIO_MMIO_QUEUE_SEL, 0);
  drv_w32 (&d, VIRTIO_MMIO_QUEUE_NUM, 16);
  drv_w32 (&d, VIRTIO_MMIO_QUEUE_READY, 1);
  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_QUEUE_READY), 0, "queue cannot be enabled before FEATURES_OK");

  drv_w32 (&d, VIRTIO_MMIO_STATUS, ACK_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_STATUS), ACK_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK,
              "FEATURES_OK accepted for VERSION_1 + FLUSH");
  drv_w32 (&d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
  drv_w32 (&d, VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffff);
  TAP_EQ_INT (d.t->driver_features, (1ULL << 32) | (1u << VIRTIO_BLK_F_FLUSH),
              "DriverFeatures frozen after FEATURES_OK");
  drv_w32 (&d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_STATUS), ACK_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK,
              "status bits cannot be cleared except by reset");

  /* Queue layout errors: each leaves QueueReady at 0. */
  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_QUEUE_NUM_MAX), 256, "QueueNumMax");
  drv_w32 (&d, VIRTIO_MMIO_QUEUE_SEL, 5);
  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_QUEUE_NUM_MAX), 0, "QueueNumMax 0 for a queue that does not exist");
  drv_w32 (&d, VIRTIO_MMIO_QUEUE_READY, 1);
  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_QUEUE_READY), 0, "nonexistent queue cannot be enabled");

  drv_w32 (&d, VIRTIO_MMIO_QUEUE_SEL, 0);
  {
    static const struct
    {
      const char *what;
      uint32_t num;
      uint64_t desc, avail, used;
    } bad[] = {
      { "queue size not a power of two", 12, 0x1000, 0x2000, 0x3000 },
      { "queue size 0", 0, 0x1000, 0x2000, 0x3000 },
      { "queue size above QueueNumMax", 512, 0x1000, 0x2000, 0x3000 },
      { "queue size above 16 bits", 0x10010, 0x1000, 0x2000, 0x3000 },
      { "descriptor table misaligned", 16, 0x1008, 0x2000, 0x3000 },
      { "available ring misaligned", 16, 0x1000, 0x2001, 0x3000 },
      { "used ring misaligned", 16, 0x1000, 0x2000, 0x3002 },
      { "descriptor table past the end of memory", 16, DRV_MEM_SIZE - 0x80, 0x2000, 0x3000 },
      { "used ring past the end of memory", 16, 0x1000, 0x2000, DRV_MEM_SIZE - 0x40 },
      { "ring above 4 GiB", 16, 0x100001000ULL, 0x2000, 0x3000 },
    };
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
      {
        drv_w32 (&d, VIRTIO_MMIO_QUEUE_NUM, bad[i].num);
        drv_w32 (&d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t) bad[i].desc);
        drv_w32 (&d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t) (bad[i].desc >> 32));
        drv_w32 (&d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t) bad[i].avail);
        drv_w32 (&d, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
        drv_w32 (&d, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t) bad[i].used);
        drv_w32 (&d, VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
        drv_w32 (&d, VIRTIO_MMIO_QUEUE_READY, 1);
        TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_QUEUE_READY), 0, "%s: QueueReady stays 0", bad[i].what);
      }
  }

  /* A request made available before the queue is ready or DRIVER_OK is
     not touched, then served once the device goes live. */
  TAP_EQ_INT (drv_setup_queue (&d, 0, 16), 1, "a good layout is accepted");
  publish_get_id (&d);
  drv_notify (&d, 0);
  TAP_OK (!drv_get_used (&d, 0, &id, &len), "QueueNotify before DRIVER_OK is not served");
  drv_w32 (&d, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x9000);
  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_QUEUE_DESC_LOW), 0x1000, "a ready queue's layout cannot be changed");
  drv_driver_ok (&d);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && len == 21, "DRIVER_OK serves what was already available");
  drv_w32 (&d, VIRTIO_MMIO_QUEUE_NOTIFY, 7);
  drv_w32 (&d, VIRTIO_MMIO_QUEUE_NOTIFY, 0xffffffff);
  TAP_OK (drv_r32 (&d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK, "notify of a nonexistent queue is ignored");

  drv_w32 (&d, VIRTIO_MMIO_QUEUE_READY, 0);
  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_QUEUE_READY), 0, "QueueReady 0 disables the queue");
  publish_get_id (&d);
  drv_notify (&d, 0);
  TAP_OK (!drv_get_used (&d, 0, &id, &len), "a disabled queue is not served");

  drv_take_irq (&d, NULL);
  drv_w32 (&d, VIRTIO_MMIO_STATUS, 0);
  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_STATUS), 0, "reset: Status 0");
  TAP_EQ_INT (d.t->driver_features, 0, "reset: driver features cleared");
  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_QUEUE_READY), 0, "reset: queue not ready");
  blk_free (&d, blk);
}

static void
test_interrupt_status (void)
{
  struct drv d;
  struct virtio_blk *blk = blk_new (&d);
  uint32_t id, len;

  TAP_OK (drv_bring_up (&d, ~0ULL, 1), "bring-up");
  drv_take_irq (&d, NULL);
  publish_get_id (&d);
  drv_notify (&d, 0);
  TAP_OK (drv_get_used (&d, 0, &id, &len), "request served");
  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING, "InterruptStatus: used buffer");
  drv_w32 (&d, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING, "acking another bit keeps it");
  drv_w32 (&d, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_INTERRUPT_STATUS), 0, "InterruptACK clears it");
  virtio_mmio_lock (d.t);
  virtio_mmio_signal_config (d.t);
  virtio_mmio_unlock (d.t);
  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG, "config change interrupt");
  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_CONFIG_GENERATION), 1, "ConfigGeneration bumped");
  TAP_OK (drv_take_irq (&d, NULL) >= 1, "irq eventfd signalled");
  blk_free (&d, blk);
}

/* The ioeventfd path: the notify eventfd is serviced by the event loop. */
static void
test_notify_eventfd (void)
{
  struct drv d;
  struct virtio_blk *blk = blk_new (&d);
  struct event_loop *loop = event_loop_new ();
  uint64_t one = 1;
  uint32_t id, len;
  uint16_t head;
  int i, served = 0;

  TAP_OK (loop != NULL && virtio_mmio_start (d.t, loop) == 0, "notify eventfds join the event loop");
  TAP_OK (drv_bring_up (&d, ~0ULL, 1), "bring-up");
  drv_take_irq (&d, NULL);
  head = publish_get_id (&d);
  TAP_OK (write (d.t->notify_fd[0], &one, sizeof one) == sizeof one, "guest kick through the notify eventfd");
  for (i = 0; i < 100 && !served; i++)
    {
      event_loop_run_once (loop, 100);
      served = drv_get_used (&d, 0, &id, &len);
    }
  TAP_OK (served && id == head, "event loop served the kick");
  TAP_OK (drv_take_irq (&d, NULL) > 0, "and raised the interrupt eventfd");
  blk_free (&d, blk);
  event_loop_free (loop);
}

int
main (void)
{
  char disk[8 * SZ] = { 0 };
  int fd = mkstemp (disk_path);

  if (fd >= 0)
    atexit (remove_disk);
  if (fd < 0 || write (fd, disk, sizeof disk) != (ssize_t) sizeof disk)
    return 1;
  close (fd);
  test_identity_and_bogus_access ();
  test_status_machine ();
  test_interrupt_status ();
  test_notify_eventfd ();
  return tap_done ();
}

/* Split virtqueue parsing under a hostile driver: every malformed chain is
   failed (used length 0) without hanging or touching memory outside the
   guest, a ring that cannot be trusted puts the device in NEEDS_RESET, and
   interrupt suppression follows the driver's flags and event index.
   virtio-blk over a scratch file is the device behind the queue. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/virtio_blk.h>

#include "microvm/vmm/virtio_blk.h"
#include "microvm/vmm/virtqueue.h"
#include "tests/unit/tap.h"
#include "tests/unit/virtio_driver.h"

#define SZ VIRTIO_BLK_SECTOR_SIZE
#define ALL_FEATURES (~0ULL)
#define NO_INDIRECT (~(1ULL << VIRTIO_RING_F_INDIRECT_DESC))
#define NO_EVENT_IDX (~(1ULL << VIRTIO_RING_F_EVENT_IDX))

static char disk_path[] = "/tmp/hull-test-vq-XXXXXX";

/* Removed at exit, whichever way the test ends. */
static void
remove_disk (void)
{
  unlink (disk_path);
}

static struct virtio_blk *
blk_up (struct drv *d, uint64_t features)
{
  struct virtio_blk *blk = NULL;
  struct vmm_err err = { 0 };
  int fd = open (disk_path, O_RDWR | O_CLOEXEC);

  drv_mem_init (d);
  if (fd < 0 || virtio_blk_new (&d->mem, fd, false, "vq", &blk, &err) < 0)
    {
      printf ("# %s\n", err.msg);
      exit (1);
    }
  d->t = virtio_blk_transport (blk);
  if (!drv_bring_up (d, features, 1))
    {
      printf ("# bring-up failed\n");
      exit (1);
    }
  return blk;
}

static void
blk_down (struct drv *d, struct virtio_blk *blk)
{
  virtio_blk_free (blk);
  drv_mem_free (d);
}

/* A well-formed one-sector read: header, data, status.  Returns the head,
   *status the status byte's address. */
static uint16_t
good_read (struct drv *d, uint64_t *status)
{
  uint64_t hdr = drv_alloc (d, 16), data = drv_alloc (d, SZ);
  struct virtio_blk_outhdr *h = drv_host (d, hdr);
  struct drv_seg segs[3];

  *status = drv_alloc (d, 1);
  h->type = VIRTIO_BLK_T_IN;
  h->sector = 1;
  *(uint8_t *) drv_host (d, *status) = 0xff;
  segs[0] = (struct drv_seg) { hdr, 16, false };
  segs[1] = (struct drv_seg) { data, SZ, true };
  segs[2] = (struct drv_seg) { *status, 1, true };
  return drv_submit (d, 0, segs, 3);
}

/* Submits segs (or a hand-edited chain when edit is set, applied before
   publishing) and checks the device failed it and still works after. */
static void
expect_failed (const char *what, const struct drv_seg *segs, unsigned n,
               void (*edit) (struct drv *, uint16_t), uint64_t features)
{
  struct drv d;
  struct virtio_blk *blk = blk_up (&d, features);
  uint32_t id = 0xffff, len = 0xffff;
  uint64_t status;
  uint16_t head;

  head = drv_place_chain (&d, 0, segs, n);
  if (edit)
    edit (&d, head);
  drv_publish (&d, 0, head);
  drv_notify (&d, 0);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && id == head && len == 0, "%s: request failed with used len 0", what);
  TAP_OK (d.t->vq[0].bad_chains == 1, "%s: counted as a bad chain", what);
  head = good_read (&d, &status);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && id == head && len == SZ + 1
              && *(uint8_t *) drv_host (&d, status) == VIRTIO_BLK_S_OK,
          "%s: the queue still serves the next request", what);
  blk_down (&d, blk);
}

static struct drv_seg seg3[3];

static void
set_seg3 (uint64_t data_gpa, uint32_t data_len)
{
  seg3[0] = (struct drv_seg) { 0x50000, 16, false };
  seg3[1] = (struct drv_seg) { data_gpa, data_len, true };
  seg3[2] = (struct drv_seg) { 0x50200, 1, true };
}

static void
edit_loop (struct drv *d, uint16_t head)
{
  drv_desc (d, 0, (uint16_t) (head + 2))->flags |= VRING_DESC_F_NEXT;
  drv_desc (d, 0, (uint16_t) (head + 2))->next = head;
}

static void
edit_self_loop (struct drv *d, uint16_t head)
{
  drv_desc (d, 0, head)->next = head;
}

static void
edit_next_out_of_range (struct drv *d, uint16_t head)
{
  drv_desc (d, 0, (uint16_t) (head + 1))->next = 999;
}

/* Indirect tables, written at 0x60000 and referenced from the head. */
#define TABLE 0x60000ULL

static struct vring_desc *
table_at (struct drv *d, uint64_t gpa)
{
  return drv_host (d, gpa);
}

static void
make_indirect (struct drv *d, uint16_t head, uint64_t table_gpa, uint32_t table_len)
{
  struct vring_desc *hd = drv_desc (d, 0, head);
  struct vring_desc *t = table_at (d, TABLE);
  struct virtio_blk_outhdr *h = drv_host (d, 0x50000);

  h->type = VIRTIO_BLK_T_IN;
  h->sector = 2;
  t[0] = (struct vring_desc) { .addr = 0x50000, .len = 16, .flags = VRING_DESC_F_NEXT, .next = 1 };
  t[1] = (struct vring_desc) { .addr = 0x51000, .len = SZ, .flags = VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, .next = 2 };
  t[2] = (struct vring_desc) { .addr = 0x50200, .len = 1, .flags = VRING_DESC_F_WRITE };
  hd->addr = table_gpa;
  hd->len = table_len;
  hd->flags = VRING_DESC_F_INDIRECT;
}

static void
edit_indirect_nested (struct drv *d, uint16_t head)
{
  make_indirect (d, head, TABLE, 48);
  table_at (d, TABLE)[1].flags |= VRING_DESC_F_INDIRECT;
}

static void
edit_indirect_odd_len (struct drv *d, uint16_t head)
{
  make_indirect (d, head, TABLE, 40);
}

static void
edit_indirect_zero_len (struct drv *d, uint16_t head)
{
  make_indirect (d, head, TABLE, 0);
}

static void
edit_indirect_too_long (struct drv *d, uint16_t head)
{
  make_indirect (d, head, TABLE, 16 * (VIRTQ_MAX_CHAIN + 1));
}

static void
edit_indirect_outside (struct drv *d, uint16_t head)
{
  make_indirect (d, head, DRV_MEM_SIZE - 32, 48);
}

static void
edit_indirect_with_next (struct drv *d, uint16_t head)
{
  make_indirect (d, head, TABLE, 48);
  drv_desc (d, 0, head)->flags |= VRING_DESC_F_NEXT;
}

static void
edit_indirect_loop (struct drv *d, uint16_t head)
{
  make_indirect (d, head, TABLE, 48);
  table_at (d, TABLE)[2].flags |= VRING_DESC_F_NEXT;
  table_at (d, TABLE)[2].next = 0;
}

static void
edit_indirect_next_oob (struct drv *d, uint16_t head)
{
  make_indirect (d, head, TABLE, 48);
  table_at (d, TABLE)[1].next = 3;
}

static void
edit_indirect_plain (struct drv *d, uint16_t head)
{
  make_indirect (d, head, TABLE, 48);
}

static void
test_malformed_chains (void)
{
  set_seg3 (DRV_MEM_SIZE - 100, SZ);
  expect_failed ("buffer running past the end of memory", seg3, 3, NULL, ALL_FEATURES);
  set_seg3 (DRV_MEM_SIZE, 1);
  expect_failed ("buffer starting at the end of memory", seg3, 3, NULL, ALL_FEATURES);
  set_seg3 (UINT64_MAX - 8, 64);
  expect_failed ("buffer address wrapping around", seg3, 3, NULL, ALL_FEATURES);
  set_seg3 (0x51000, SZ);
  expect_failed ("descriptor loop", seg3, 3, edit_loop, ALL_FEATURES);
  expect_failed ("descriptor pointing at itself", seg3, 3, edit_self_loop, ALL_FEATURES);
  expect_failed ("next index past the queue", seg3, 3, edit_next_out_of_range, ALL_FEATURES);

  seg3[0] = (struct drv_seg) { 0x50000, 16, false };
  seg3[1] = (struct drv_seg) { 0x50200, 1, true };
  seg3[2] = (struct drv_seg) { 0x51000, SZ, false };
  expect_failed ("readable buffer after a writable one", seg3, 3, NULL, ALL_FEATURES);

  expect_failed ("nested indirect table", seg3, 1, edit_indirect_nested, ALL_FEATURES);
  expect_failed ("indirect length not a multiple of 16", seg3, 1, edit_indirect_odd_len, ALL_FEATURES);
  expect_failed ("empty indirect table", seg3, 1, edit_indirect_zero_len, ALL_FEATURES);
  expect_failed ("over-long indirect table", seg3, 1, edit_indirect_too_long, ALL_FEATURES);
  expect_failed ("indirect table outside memory", seg3, 1, edit_indirect_outside, ALL_FEATURES);
  expect_failed ("indirect descriptor with NEXT", seg3, 1, edit_indirect_with_next, ALL_FEATURES);
  expect_failed ("loop inside an indirect table", seg3, 1, edit_indirect_loop, ALL_FEATURES);
  expect_failed ("indirect next past the table", seg3, 1, edit_indirect_next_oob, ALL_FEATURES);
  expect_failed ("indirect table not negotiated", seg3, 1, edit_indirect_plain, NO_INDIRECT);
}

static void
test_indirect_ok (void)
{
  struct drv d;
  struct virtio_blk *blk = blk_up (&d, ALL_FEATURES);
  struct drv_seg one = { 0, 0, false };
  uint32_t id, len;
  uint16_t head;
  uint8_t *data;

  head = drv_place_chain (&d, 0, &one, 1);
  make_indirect (&d, head, TABLE, 48);
  drv_publish (&d, 0, head);
  drv_notify (&d, 0);
  data = drv_host (&d, 0x51000);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && id == head && len == SZ + 1
              && *(uint8_t *) drv_host (&d, 0x50200) == VIRTIO_BLK_S_OK && data[0] == 14 && data[1] == 15,
          "indirect table: request served from sector 2");
  blk_down (&d, blk);
}

static void
test_broken_rings (void)
{
  struct drv d;
  struct virtio_blk *blk = blk_up (&d, ALL_FEATURES);
  struct vring_avail *av = drv_avail (&d, 0);
  uint32_t id, len, isr = 0;
  uint64_t status;
  uint16_t head;

  drv_take_irq (&d, NULL);
  av->ring[0] = 999;
  av->idx = 1;
  drv_notify (&d, 0);
  TAP_OK (!drv_get_used (&d, 0, &id, &len), "head index out of range: nothing completed");
  TAP_OK (drv_r32 (&d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET, "head index out of range: DEVICE_NEEDS_RESET");
  TAP_OK (drv_take_irq (&d, &isr) > 0 && (isr & VIRTIO_MMIO_INT_CONFIG), "head index out of range: config interrupt");
  av->ring[0] = 0;
  drv_notify (&d, 0);
  TAP_OK (!drv_get_used (&d, 0, &id, &len), "broken queue stays dead until reset");

  /* The driver resets and starts over: all is well again. */
  d.q[0].avail_idx = 0;
  TAP_OK (drv_bring_up (&d, ALL_FEATURES, 1), "reset recovers the device");
  TAP_OK (!(drv_r32 (&d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET), "reset clears DEVICE_NEEDS_RESET");
  head = good_read (&d, &status);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && id == head && len == SZ + 1, "requests work after the reset");
  blk_down (&d, blk);

  blk = blk_up (&d, ALL_FEATURES);
  drv_avail (&d, 0)->idx = DRV_QUEUE_SIZE + 1;
  drv_notify (&d, 0);
  TAP_OK (!drv_get_used (&d, 0, &id, &len) && (drv_r32 (&d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET),
          "available index ahead by more than the queue size: DEVICE_NEEDS_RESET");
  blk_down (&d, blk);
}

static void
test_full_ring_and_wrap (void)
{
  struct drv d;
  struct virtio_blk *blk = blk_up (&d, ALL_FEATURES);
  struct drv_seg segs[2];
  struct virtio_blk_outhdr *h;
  uint32_t id, len, i, ok = 0;
  uint64_t hdr = drv_alloc (&d, 16), status = drv_alloc (&d, 1);
  uint16_t heads[DRV_QUEUE_SIZE];

  h = drv_host (&d, hdr);
  h->type = VIRTIO_BLK_T_GET_ID;
  segs[0] = (struct drv_seg) { hdr, 16, false };
  segs[1] = (struct drv_seg) { status, 1, true };
  /* A completely full ring in one kick. */
  for (i = 0; i < DRV_QUEUE_SIZE / 2; i++)
    {
      heads[i] = drv_place_chain (&d, 0, segs, 2);
      drv_publish (&d, 0, heads[i]);
    }
  drv_notify (&d, 0);
  for (i = 0; i < DRV_QUEUE_SIZE / 2; i++)
    if (drv_get_used (&d, 0, &id, &len) && id == heads[i] && len == 1)
      ok++;
  TAP_EQ_INT (ok, DRV_QUEUE_SIZE / 2, "a full ring is served in order in one kick");

  /* Past the 16-bit index wrap. */
  ok = 0;
  for (i = 0; i < 70000; i++)
    {
      uint16_t head = drv_submit (&d, 0, segs, 2);
      if (drv_get_used (&d, 0, &id, &len) && id == head)
        ok++;
    }
  TAP_EQ_INT (ok, 70000, "indices wrap around 65536 cleanly");
  blk_down (&d, blk);
}

static void
test_interrupt_suppression (void)
{
  struct drv d;
  struct virtio_blk *blk = blk_up (&d, NO_EVENT_IDX);
  uint64_t status;
  uint32_t id, len;
  uint16_t *avail_event, *used_event;

  drv_take_irq (&d, NULL);
  drv_avail (&d, 0)->flags = VRING_AVAIL_F_NO_INTERRUPT;
  good_read (&d, &status);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && drv_take_irq (&d, NULL) == 0, "VRING_AVAIL_F_NO_INTERRUPT: no interrupt");
  drv_avail (&d, 0)->flags = 0;
  good_read (&d, &status);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && drv_take_irq (&d, NULL) > 0, "interrupts back when the flag is cleared");
  blk_down (&d, blk);

  blk = blk_up (&d, ALL_FEATURES);
  TAP_OK (d.t->vq[0].event_idx, "event index negotiated");
  used_event = &drv_avail (&d, 0)->ring[DRV_QUEUE_SIZE];
  avail_event = (uint16_t *) &drv_used (&d, 0)->ring[DRV_QUEUE_SIZE];
  drv_take_irq (&d, NULL);
  *used_event = 2;   /* interrupt me when the used index passes 2 */
  good_read (&d, &status);
  TAP_OK (drv_get_used (&d, 0, &id, &len), "event idx: request 1 completed");
  TAP_EQ_INT (*avail_event, 1, "event idx: device publishes avail_event");
  drv_take_irq (&d, NULL);   /* the very first completion always signals */
  good_read (&d, &status);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && drv_take_irq (&d, NULL) == 0, "event idx: no interrupt before used_event");
  good_read (&d, &status);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && drv_take_irq (&d, NULL) > 0, "event idx: interrupt when used_event is crossed");
  blk_down (&d, blk);
}

/* Chain totals past 32 bits need more guest memory than a test buffer:
   an 8 GiB reservation that is never touched. */
static void
test_length_overflow (void)
{
  const uint64_t size = 8ULL << 30;
  struct guest_mem mem = { .memfd = -1, .size = size };
  struct virtq vq;
  struct vring_desc *desc;
  struct vring_avail *avail;
  struct virtq_chain *c = malloc (sizeof *c);

  mem.host = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  TAP_OK (mem.host != MAP_FAILED && c != NULL, "8 GiB sparse guest memory");
  if (mem.host == MAP_FAILED || c == NULL)
    return;
  virtq_init (&vq, &mem, 16);
  vq.size = 16;
  vq.desc_gpa = 0;
  vq.avail_gpa = 0x1000;
  vq.used_gpa = 0x2000;
  TAP_EQ_INT (virtq_enable (&vq), 0, "direct virtq enabled");
  desc = (struct vring_desc *) mem.host;
  avail = (struct vring_avail *) (mem.host + 0x1000);
  desc[0] = (struct vring_desc) { .addr = 0x10000, .len = 3u << 30, .flags = VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, .next = 1 };
  desc[1] = (struct vring_desc) { .addr = 0x10000, .len = 3u << 30, .flags = VRING_DESC_F_WRITE };
  avail->ring[0] = 0;
  avail->idx = 1;
  TAP_EQ_INT (virtq_pop (&vq, c), 0, "6 GiB of writable buffers: chain refused");
  TAP_EQ_INT (vq.bad_chains, 1, "length overflow counted as a bad chain");

  desc[1].len = (1u << 30) - 1;
  avail->ring[1] = 0;
  avail->idx = 2;
  TAP_EQ_INT (virtq_pop (&vq, c), 1, "a chain of exactly 4 GiB - 1 is accepted");
  TAP_EQ_INT (c->writable_len, (4ULL << 30) - 1, "writable length summed");
  munmap (mem.host, size);
  free (c);
}

int
main (void)
{
  char disk[8 * SZ];
  int fd = mkstemp (disk_path), s, k;

  if (fd >= 0)
    atexit (remove_disk);
  for (s = 0; s < 8; s++)
    for (k = 0; k < SZ; k++)
      disk[s * SZ + k] = (char) (s * 7 + k);
  if (fd < 0 || write (fd, disk, sizeof disk) != (ssize_t) sizeof disk)
    return 1;
  close (fd);

  test_malformed_chains ();
  test_indirect_ok ();
  test_broken_rings ();
  test_full_ring_and_wrap ();
  test_interrupt_suppression ();
  test_length_overflow ();
  return tap_done ();
}

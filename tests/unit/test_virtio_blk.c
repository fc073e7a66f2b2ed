/* virtio-blk against simulated guest memory: normal I/O on a real file,
   read-only disks, sector bounds, malformed requests. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "microvm/vmm/virtio_blk.h"
#include "tests/unit/tap.h"
#include "tests/unit/virtio_driver.h"

#define SECTORS 64
#define SZ VIRTIO_BLK_SECTOR_SIZE

static char disk_path[] = "/tmp/hull-test-blk-XXXXXX";

/* Removed at exit, whichever way the test ends. */
static void
remove_disk (void)
{
  unlink (disk_path);
}

static int
make_disk (void)
{
  uint8_t sector[SZ];
  int fd = mkstemp (disk_path), s, i;

  if (fd < 0)
    return -1;
  atexit (remove_disk);
  for (s = 0; s < SECTORS; s++)
    {
      for (i = 0; i < SZ; i++)
        sector[i] = (uint8_t) (s * 7 + i);
      if (pwrite (fd, sector, SZ, (off_t) s * SZ) != SZ)
        return -1;
    }
  close (fd);
  return 0;
}

static struct virtio_blk *
open_blk (struct drv *d, bool ro, const char *id)
{
  struct virtio_blk *blk = NULL;
  struct vmm_err err = { 0 };
  int fd = open (disk_path, ro ? O_RDONLY : O_RDWR | O_CLOEXEC);

  if (fd < 0 || virtio_blk_new (&d->mem, fd, ro, id, &blk, &err) < 0)
    {
      printf ("# open_blk: %s\n", err.msg);
      return NULL;
    }
  d->t = virtio_blk_transport (blk);
  return blk;
}

struct req
{
  uint64_t hdr, data, status;
};

/* header (readable) + data (readable for OUT, writable otherwise) + status,
   placed but not yet published. */
static uint16_t
place (struct drv *d, struct req *r, uint32_t type, uint64_t sector, uint32_t data_len)
{
  struct virtio_blk_outhdr *h;
  struct drv_seg segs[3];
  unsigned n = 0;

  r->hdr = drv_alloc (d, sizeof *h);
  r->data = drv_alloc (d, data_len ? data_len : 1);
  r->status = drv_alloc (d, 1);
  h = drv_host (d, r->hdr);
  h->type = type;
  h->ioprio = 0;
  h->sector = sector;
  *(uint8_t *) drv_host (d, r->status) = 0xff;
  segs[n++] = (struct drv_seg) { r->hdr, sizeof *h, false };
  if (data_len)
    segs[n++] = (struct drv_seg) { r->data, data_len, type != VIRTIO_BLK_T_OUT };
  segs[n++] = (struct drv_seg) { r->status, 1, true };
  return drv_place_chain (d, 0, segs, n);
}

static uint16_t
submit (struct drv *d, struct req *r, uint32_t type, uint64_t sector, uint32_t data_len)
{
  uint16_t head = place (d, r, type, sector, data_len);
  drv_publish (d, 0, head);
  drv_notify (d, 0);
  return head;
}

static uint8_t
status_of (struct drv *d, const struct req *r)
{
  return *(uint8_t *) drv_host (d, r->status);
}

static bool
sector_matches (const uint8_t *buf, int s)
{
  int i;
  for (i = 0; i < SZ; i++)
    if (buf[i] != (uint8_t) (s * 7 + i))
      return false;
  return true;
}

static void
test_read_write (void)
{
  struct drv d;
  struct virtio_blk *blk;
  struct req r;
  uint32_t id, len, isr;
  uint64_t cap = 0, features;
  uint8_t buf[SZ];
  uint16_t head;
  int fd;

  drv_mem_init (&d);
  blk = open_blk (&d, false, "hull-disk-0");
  TAP_OK (blk != NULL, "blk: device created over a file");
  if (blk == NULL)
    return;
  TAP_EQ_INT (drv_r32 (&d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK, "blk: device id 2");
  features = drv_device_features (&d);
  TAP_OK ((features & (1ULL << VIRTIO_BLK_F_FLUSH)) && !(features & (1ULL << VIRTIO_BLK_F_RO)),
          "blk: read-write disk offers FLUSH, not RO");
  virtio_mmio_read (d.t, VIRTIO_MMIO_CONFIG, (uint8_t *) &cap, 8);
  TAP_EQ_INT (cap, SECTORS, "blk: capacity in config space");
  TAP_OK (drv_bring_up (&d, ~0ULL, 1), "blk: driver bring-up");

  head = submit (&d, &r, VIRTIO_BLK_T_IN, 3, SZ);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && id == head, "blk: read completed");
  TAP_EQ_INT (len, SZ + 1, "blk: read used length = data + status");
  TAP_EQ_INT (status_of (&d, &r), VIRTIO_BLK_S_OK, "blk: read status OK");
  TAP_OK (sector_matches (drv_host (&d, r.data), 3), "blk: read returns sector 3");
  TAP_OK (drv_take_irq (&d, &isr) > 0 && (isr & VIRTIO_MMIO_INT_VRING), "blk: used-buffer interrupt raised");

  head = place (&d, &r, VIRTIO_BLK_T_OUT, 5, SZ);
  memset (drv_host (&d, r.data), 0xab, SZ);
  drv_publish (&d, 0, head);
  drv_notify (&d, 0);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && id == head, "blk: write completed");
  TAP_EQ_INT (status_of (&d, &r), VIRTIO_BLK_S_OK, "blk: write status OK");
  TAP_EQ_INT (len, 1, "blk: write used length = status only");
  fd = open (disk_path, O_RDONLY);
  TAP_OK (pread (fd, buf, SZ, 5 * SZ) == SZ && buf[0] == 0xab && buf[SZ - 1] == 0xab,
          "blk: write reached the file");
  close (fd);

  submit (&d, &r, VIRTIO_BLK_T_FLUSH, 0, 0);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && status_of (&d, &r) == VIRTIO_BLK_S_OK, "blk: flush OK");

  submit (&d, &r, VIRTIO_BLK_T_GET_ID, 0, VIRTIO_BLK_ID_BYTES);
  TAP_OK (drv_get_used (&d, 0, &id, &len), "blk: get-id completed");
  TAP_EQ_STR ((char *) drv_host (&d, r.data), "hull-disk-0", "blk: get-id returns the device id");
  TAP_EQ_INT (len, VIRTIO_BLK_ID_BYTES + 1, "blk: get-id used length");

  submit (&d, &r, VIRTIO_BLK_T_IN, SECTORS - 1, 2 * SZ);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && status_of (&d, &r) == VIRTIO_BLK_S_IOERR,
          "blk: read past the end fails with IOERR");
  submit (&d, &r, VIRTIO_BLK_T_IN, SECTORS, SZ);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && status_of (&d, &r) == VIRTIO_BLK_S_IOERR,
          "blk: read at capacity fails");
  submit (&d, &r, VIRTIO_BLK_T_OUT, UINT64_MAX - 1, SZ);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && status_of (&d, &r) == VIRTIO_BLK_S_IOERR,
          "blk: write at a huge sector (offset overflow) fails");
  submit (&d, &r, VIRTIO_BLK_T_IN, 0, 100);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && status_of (&d, &r) == VIRTIO_BLK_S_IOERR,
          "blk: data length not a multiple of 512 fails");
  submit (&d, &r, VIRTIO_BLK_T_DISCARD, 0, 16);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && status_of (&d, &r) == VIRTIO_BLK_S_UNSUPP,
          "blk: unsupported request type => UNSUPP");
  submit (&d, &r, 0x7777, 0, 0);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && status_of (&d, &r) == VIRTIO_BLK_S_UNSUPP,
          "blk: unknown request type => UNSUPP");

  virtio_blk_free (blk);
  drv_mem_free (&d);
}

static void
test_read_only (void)
{
  struct drv d;
  struct virtio_blk *blk;
  struct req r;
  uint32_t id, len;
  uint8_t buf[SZ];
  int fd;

  drv_mem_init (&d);
  blk = open_blk (&d, true, NULL);
  TAP_OK (blk && (drv_device_features (&d) & (1ULL << VIRTIO_BLK_F_RO)), "blk ro: offers VIRTIO_BLK_F_RO");
  if (blk == NULL)
    return;
  drv_bring_up (&d, ~0ULL, 1);
  drv_publish (&d, 0, place (&d, &r, VIRTIO_BLK_T_OUT, 7, SZ));
  memset (drv_host (&d, r.data), 0xcd, SZ);
  drv_notify (&d, 0);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && status_of (&d, &r) == VIRTIO_BLK_S_IOERR,
          "blk ro: write refused with IOERR");
  fd = open (disk_path, O_RDONLY);
  TAP_OK (pread (fd, buf, SZ, 7 * SZ) == SZ && sector_matches (buf, 7), "blk ro: file unchanged");
  close (fd);
  submit (&d, &r, VIRTIO_BLK_T_IN, 7, SZ);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && status_of (&d, &r) == VIRTIO_BLK_S_OK
              && sector_matches (drv_host (&d, r.data), 7),
          "blk ro: reads still work");
  submit (&d, &r, VIRTIO_BLK_T_GET_ID, 0, VIRTIO_BLK_ID_BYTES);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && len == VIRTIO_BLK_ID_BYTES + 1
              && ((char *) drv_host (&d, r.data))[0] == '\0',
          "blk ro: empty id when none configured");
  virtio_blk_free (blk);
  drv_mem_free (&d);
}

static void
test_odd_layouts (void)
{
  struct drv d;
  struct virtio_blk *blk;
  struct virtio_blk_outhdr *h;
  uint64_t hdr, data, status;
  struct drv_seg segs[6];
  uint32_t id, len;
  uint16_t head;

  drv_mem_init (&d);
  blk = open_blk (&d, false, "x");
  if (blk == NULL)
    return;
  drv_bring_up (&d, ~0ULL, 1);

  /* Header split over two descriptors, data over three (one empty). */
  hdr = drv_alloc (&d, 16);
  data = drv_alloc (&d, 2 * SZ);
  status = drv_alloc (&d, 1);
  h = drv_host (&d, hdr);
  h->type = VIRTIO_BLK_T_IN;
  h->ioprio = 0;
  h->sector = 10;
  segs[0] = (struct drv_seg) { hdr, 8, false };
  segs[1] = (struct drv_seg) { hdr + 8, 8, false };
  segs[2] = (struct drv_seg) { data, 100, true };
  segs[3] = (struct drv_seg) { data + 100, 0, true };
  segs[4] = (struct drv_seg) { data + 100, 2 * SZ - 100, true };
  segs[5] = (struct drv_seg) { status, 1, true };
  head = drv_submit (&d, 0, segs, 6);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && id == head && len == 2 * SZ + 1
              && *(uint8_t *) drv_host (&d, status) == VIRTIO_BLK_S_OK,
          "blk: scattered header and data, zero-length descriptor skipped");
  TAP_OK (sector_matches (drv_host (&d, data), 10) && sector_matches (drv_host (&d, data + SZ), 11),
          "blk: scattered read lands in order");

  /* No status byte: nothing can be reported, the chain comes back empty. */
  segs[0] = (struct drv_seg) { hdr, 16, false };
  segs[1] = (struct drv_seg) { status, 0, true };
  head = drv_submit (&d, 0, segs, 2);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && id == head && len == 0, "blk: request without status byte => used len 0");

  /* Short header. */
  segs[0] = (struct drv_seg) { hdr, 8, false };
  segs[1] = (struct drv_seg) { status, 1, true };
  head = drv_submit (&d, 0, segs, 2);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && id == head && len == 0, "blk: short header => used len 0");

  virtio_blk_free (blk);
  drv_mem_free (&d);
}

/* The file shrinks under a running device: reads past the new end fail
   with IOERR instead of returning stale or uninitialised bytes. */
static void
test_shrunk_file (void)
{
  struct drv d;
  struct virtio_blk *blk;
  struct req r;
  uint32_t id, len;
  int fd;

  drv_mem_init (&d);
  blk = open_blk (&d, false, NULL);
  if (blk == NULL)
    return;
  drv_bring_up (&d, ~0ULL, 1);
  fd = open (disk_path, O_RDWR);
  TAP_OK (fd >= 0 && ftruncate (fd, 8 * SZ) == 0, "blk: disk file cut to 8 sectors behind the device's back");
  submit (&d, &r, VIRTIO_BLK_T_IN, 20, SZ);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && status_of (&d, &r) == VIRTIO_BLK_S_IOERR, "blk: read past the new end => IOERR");
  submit (&d, &r, VIRTIO_BLK_T_IN, 7, 2 * SZ);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && status_of (&d, &r) == VIRTIO_BLK_S_IOERR, "blk: read across the new end => IOERR");
  submit (&d, &r, VIRTIO_BLK_T_IN, 2, SZ);
  TAP_OK (drv_get_used (&d, 0, &id, &len) && status_of (&d, &r) == VIRTIO_BLK_S_OK, "blk: reads inside still work");
  close (fd);
  virtio_blk_free (blk);
  drv_mem_free (&d);
}

static void
test_bad_fd (void)
{
  struct virtio_blk *blk = (void *) 1;
  struct vmm_err err = { 0 };
  struct guest_mem mem = { 0 };
  int fds[2];

  TAP_OK (pipe (fds) == 0, "blk: pipe");
  close (fds[1]);
  TAP_OK (virtio_blk_new (&mem, fds[0], false, NULL, &blk, &err) < 0 && blk == NULL,
          "blk: a pipe is refused as a disk");
  TAP_OK (strstr (err.msg, "virtio-blk") != NULL, "blk: error message names the device (%s)", err.msg);
  TAP_OK (fcntl (fds[0], F_GETFD) < 0 && errno == EBADF, "blk: fd closed on failure");
}

int
main (void)
{
  if (make_disk () < 0)
    {
      printf ("not ok 1 - cannot create %s\n1..1\n", disk_path);
      return 1;
    }
  test_read_write ();
  test_read_only ();
  test_odd_layouts ();
  test_bad_fd ();
  test_shrunk_file ();
  return tap_done ();
}

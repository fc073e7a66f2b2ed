/* virtio-blk device model.  See virtio_blk.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "microvm/vmm/virtio_blk.h"

struct virtio_blk
{
  struct virtio_mmio t;
  int fd;
  bool readonly;
  uint64_t capacity;                    /* sectors */
  char id[VIRTIO_BLK_ID_BYTES];
  struct virtio_blk_config config;
  struct virtq_chain chain;
  struct iovec data[VIRTQ_MAX_CHAIN];
};

/* Room for the header and status descriptors around the data. */
#define BLK_SEG_MAX (VIRTQ_MAX_CHAIN - 2)

/* The whole of iov at off, in as few system calls as the kernel allows.
   iov is consumed (a scratch copy). */
static int
full_io (int fd, bool write, struct iovec *iov, unsigned n, off_t off)
{
  while (n > 0)
    {
      ssize_t r = write ? pwritev (fd, iov, (int) n, off) : preadv (fd, iov, (int) n, off);

      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return -1;   /* error, or the file shrank under us */
      off += r;
      while (n > 0 && (size_t) r >= iov->iov_len)
        {
          r -= (ssize_t) iov->iov_len;
          iov++;
          n--;
        }
      if (n > 0)
        {
          iov->iov_base = (uint8_t *) iov->iov_base + r;
          iov->iov_len -= (size_t) r;
        }
    }
  return 0;
}

static bool
sectors_ok (const struct virtio_blk *blk, uint64_t sector, uint64_t bytes)
{
  uint64_t n = bytes / VIRTIO_BLK_SECTOR_SIZE;

  return bytes % VIRTIO_BLK_SECTOR_SIZE == 0 && sector <= blk->capacity && n <= blk->capacity - sector;
}

/* Serves one request; returns the number of bytes written into the
   chain's writable part (data and status). */
static uint32_t
serve (struct virtio_blk *blk, struct virtq_chain *c)
{
  struct virtio_blk_outhdr hdr;
  struct iovec *rd = virtq_chain_readable (c), *wr = virtq_chain_writable (c);
  uint64_t data_len;
  uint8_t status = VIRTIO_BLK_S_OK;
  uint32_t written = 0;
  unsigned n;
  size_t got;

  /* Without a header and a status byte there is nothing to answer. */
  if (c->readable_len < sizeof hdr || c->writable_len < 1)
    return 0;
  virtq_iov_to_buf (rd, c->n_readable, 0, &hdr, sizeof hdr);

  switch (hdr.type)
    {
    case VIRTIO_BLK_T_IN:
      data_len = c->writable_len - 1;
      if (!sectors_ok (blk, hdr.sector, data_len))
        {
          status = VIRTIO_BLK_S_IOERR;
          break;
        }
      n = virtq_iov_slice (wr, c->n_writable, 0, data_len, blk->data, VIRTQ_MAX_CHAIN, &got);
      if (full_io (blk->fd, false, blk->data, n, hdr.sector * VIRTIO_BLK_SECTOR_SIZE) < 0)
        status = VIRTIO_BLK_S_IOERR;
      else
        written = data_len;
      break;

    case VIRTIO_BLK_T_OUT:
      data_len = c->readable_len - sizeof hdr;
      if (blk->readonly || !sectors_ok (blk, hdr.sector, data_len))
        {
          status = VIRTIO_BLK_S_IOERR;
          break;
        }
      n = virtq_iov_slice (rd, c->n_readable, sizeof hdr, data_len, blk->data, VIRTQ_MAX_CHAIN, &got);
      if (full_io (blk->fd, true, blk->data, n, hdr.sector * VIRTIO_BLK_SECTOR_SIZE) < 0)
        status = VIRTIO_BLK_S_IOERR;
      break;

    case VIRTIO_BLK_T_FLUSH:
      if (!blk->readonly && fdatasync (blk->fd) < 0)
        status = VIRTIO_BLK_S_IOERR;
      break;

    case VIRTIO_BLK_T_GET_ID:
      data_len = c->writable_len - 1;
      if (data_len > VIRTIO_BLK_ID_BYTES)
        data_len = VIRTIO_BLK_ID_BYTES;
      written = virtq_iov_from_buf (wr, c->n_writable, 0, blk->id, data_len);
      break;

    default:
      status = VIRTIO_BLK_S_UNSUPP;
      break;
    }

  virtq_iov_from_buf (wr, c->n_writable, c->writable_len - 1, &status, 1);
  return written + 1;
}

static void
blk_queue_notify (void *opaque, unsigned q)
{
  struct virtio_blk *blk = opaque;

  while (virtio_mmio_pop (&blk->t, q, &blk->chain) > 0)
    virtq_push_used (&blk->t.vq[q], blk->chain.head, serve (blk, &blk->chain));
  virtio_mmio_signal_used (&blk->t, q);
}

static const struct virtio_device_ops blk_ops = {
  .device_id = VIRTIO_ID_BLOCK,
  .queue_notify = blk_queue_notify,
};

static int
disk_size (int fd, uint64_t *size)
{
  struct stat st;

  if (fstat (fd, &st) < 0)
    return -errno;
  if (S_ISBLK (st.st_mode))
    return ioctl (fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
  if (!S_ISREG (st.st_mode))
    return -EINVAL;
  *size = st.st_size;
  return 0;
}

int
virtio_blk_new (const struct guest_mem *mem, int fd, bool readonly, const char *id,
                struct virtio_blk **out, struct vmm_err *err)
{
  struct virtio_blk *blk;
  uint64_t size, features;
  int r;

  *out = NULL;
  r = disk_size (fd, &size);
  if (r < 0)
    {
      close (fd);
      return vmm_errorf (err, -r, "virtio-blk: disk is not a regular file or block device");
    }
  blk = calloc (1, sizeof *blk);
  if (blk == NULL)
    {
      close (fd);
      return vmm_errorf (err, ENOMEM, "virtio-blk");
    }
  blk->fd = fd;
  blk->readonly = readonly;
  blk->capacity = size / VIRTIO_BLK_SECTOR_SIZE;
  /* Zero-padded, not NUL-terminated when 20 long (5.2.6). */
  if (id)
    memcpy (blk->id, id, strnlen (id, sizeof blk->id));

  blk->config.capacity = blk->capacity;
  blk->config.seg_max = BLK_SEG_MAX;
  blk->config.blk_size = VIRTIO_BLK_SECTOR_SIZE;
  features = (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_BLK_F_BLK_SIZE) | (1ULL << VIRTIO_BLK_F_FLUSH);
  if (readonly)
    features |= 1ULL << VIRTIO_BLK_F_RO;

  r = virtio_mmio_init (&blk->t, "virtio-blk", mem, &blk_ops, blk, features, 1, VIRTIO_BLK_QUEUE_SIZE);
  if (r < 0)
    {
      close (fd);
      free (blk);
      return vmm_errorf (err, -r, "virtio-blk: transport");
    }
  blk->t.config = &blk->config;
  blk->t.config_len = sizeof blk->config;
  *out = blk;
  return 0;
}

void
virtio_blk_free (struct virtio_blk *blk)
{
  if (blk == NULL)
    return;
  virtio_mmio_destroy (&blk->t);
  if (blk->fd >= 0)
    close (blk->fd);
  free (blk);
}

struct virtio_mmio *
virtio_blk_transport (struct virtio_blk *blk)
{
  return &blk->t;
}

uint64_t
virtio_blk_capacity (const struct virtio_blk *blk)
{
  return blk->capacity;
}

/* Split virtqueue, device side.  See virtqueue.h for the trust model. */
#include <errno.h>
#include <string.h>
#include <linux/virtio_ring.h>

#include "microvm/vmm/virtqueue.h"

/* The guest writes the rings from other CPUs: indices are read with
   acquire and published with release semantics, and the interrupt and
   notification suppression checks need a full fence (the store of our
   index must be visible before we read the driver's event index). */
static inline uint16_t
load_u16 (const void *p)
{
  return __atomic_load_n ((const uint16_t *) p, __ATOMIC_ACQUIRE);
}

static inline void
store_u16 (void *p, uint16_t v)
{
  __atomic_store_n ((uint16_t *) p, v, __ATOMIC_RELEASE);
}

static inline void
full_fence (void)
{
  __atomic_thread_fence (__ATOMIC_SEQ_CST);
}

void
virtq_init (struct virtq *vq, const struct guest_mem *mem, uint16_t max_size)
{
  memset (vq, 0, sizeof *vq);
  vq->mem = mem;
  if (max_size > VIRTQ_MAX_SIZE)
    max_size = VIRTQ_MAX_SIZE;
  vq->max_size = max_size;
  vq->size = max_size;
}

void
virtq_reset (struct virtq *vq)
{
  virtq_init (vq, vq->mem, vq->max_size);
}

static void *
ring_range (const struct virtq *vq, uint64_t gpa, uint64_t len, uint64_t align)
{
  if (gpa & (align - 1))
    return NULL;
  return guest_mem_range (vq->mem, gpa, len);
}

int
virtq_enable (struct virtq *vq)
{
  uint64_t n = vq->size;

  if (n == 0 || n > vq->max_size || (n & (n - 1)) != 0)
    return -EINVAL;

  /* Sizes include the event index words even when the feature is off,
     as the driver allocates them anyway (virtio 1.x 2.7). */
  vq->desc = ring_range (vq, vq->desc_gpa, 16 * n, 16);
  vq->avail = ring_range (vq, vq->avail_gpa, 6 + 2 * n, 2);
  vq->used = ring_range (vq, vq->used_gpa, 6 + 8 * n, 4);
  if (vq->desc == NULL || vq->avail == NULL || vq->used == NULL)
    {
      vq->desc = NULL;
      vq->avail = NULL;
      vq->used = NULL;
      return -EINVAL;
    }
  vq->last_avail_idx = 0;
  vq->used_idx = 0;
  vq->signalled_used_valid = false;
  vq->broken = false;
  vq->ready = true;
  return 0;
}

static uint16_t *
used_event_word (struct virtq *vq)
{
  return &vq->avail->ring[vq->size];
}

static uint16_t *
avail_event_word (struct virtq *vq)
{
  return (uint16_t *) &vq->used->ring[vq->size];
}

/* Appends one buffer to the chain, enforcing that writable buffers come
   after every readable one (2.7.4.2) and that totals stay in 32 bits (the
   used length is a u32). */
static int
chain_add (const struct virtq *vq, struct virtq_chain *c, uint64_t addr, uint32_t len, bool writable)
{
  void *host = guest_mem_range (vq->mem, addr, len);

  if (host == NULL)
    return -EFAULT;
  if (!writable && c->n_writable > 0)
    return -EINVAL;
  if (len == 0)
    return 0;
  if (c->n_readable + c->n_writable >= VIRTQ_MAX_CHAIN)
    return -E2BIG;
  if (writable)
    {
      if (c->writable_len + len > UINT32_MAX)
        return -EOVERFLOW;
      c->writable_len += len;
      c->n_writable++;
    }
  else
    {
      if (c->readable_len + len > UINT32_MAX)
        return -EOVERFLOW;
      c->readable_len += len;
      c->n_readable++;
    }
  c->iov[c->n_readable + c->n_writable - 1] = (struct iovec) { .iov_base = host, .iov_len = len };
  return 0;
}

/* Walks an indirect table: at most len/16 entries, each visited at most
   once by counting, no nested tables. */
static int
walk_indirect (const struct virtq *vq, struct virtq_chain *c, uint64_t table_gpa, uint32_t table_len)
{
  uint32_t entries, i, visited;
  const uint8_t *table;

  if (table_len == 0 || table_len % sizeof (struct vring_desc) != 0)
    return -EINVAL;
  entries = table_len / sizeof (struct vring_desc);
  if (entries > VIRTQ_MAX_CHAIN)
    return -E2BIG;
  table = guest_mem_range (vq->mem, table_gpa, table_len);
  if (table == NULL)
    return -EFAULT;

  for (i = 0, visited = 0;; visited++)
    {
      struct vring_desc d;
      int r;

      if (visited >= entries)
        return -ELOOP;
      memcpy (&d, table + (size_t) i * sizeof d, sizeof d);
      if (d.flags & VRING_DESC_F_INDIRECT)
        return -EINVAL;
      r = chain_add (vq, c, d.addr, d.len, d.flags & VRING_DESC_F_WRITE);
      if (r < 0)
        return r;
      if (!(d.flags & VRING_DESC_F_NEXT))
        return 0;
      if (d.next >= entries)
        return -EINVAL;
      i = d.next;
    }
}

static int
walk_chain (const struct virtq *vq, struct virtq_chain *c, uint16_t head)
{
  uint16_t i = head;
  unsigned visited;

  c->head = head;
  c->n_readable = c->n_writable = 0;
  c->readable_len = c->writable_len = 0;

  for (visited = 0;; visited++)
    {
      struct vring_desc d;
      int r;

      /* A chain longer than the ring must revisit a descriptor: a loop. */
      if (visited >= vq->size)
        return -ELOOP;
      memcpy (&d, &vq->desc[i], sizeof d);
      if (d.flags & VRING_DESC_F_INDIRECT)
        {
          /* Only one table, and it must be the whole request (2.7.5.3.1). */
          if (!vq->indirect || (d.flags & VRING_DESC_F_NEXT) || visited > 0)
            return -EINVAL;
          return walk_indirect (vq, c, d.addr, d.len);
        }
      r = chain_add (vq, c, d.addr, d.len, d.flags & VRING_DESC_F_WRITE);
      if (r < 0)
        return r;
      if (!(d.flags & VRING_DESC_F_NEXT))
        return 0;
      if (d.next >= vq->size)
        return -EINVAL;
      i = d.next;
    }
}

int
virtq_pop (struct virtq *vq, struct virtq_chain *c)
{
  for (;;)
    {
      uint16_t avail_idx, head;
      int r;

      if (!vq->ready || vq->broken)
        return -EIO;

      avail_idx = load_u16 (&vq->avail->idx);
      if ((uint16_t) (avail_idx - vq->last_avail_idx) > vq->size)
        {
          vq->broken = true;
          return -EIO;
        }
      if (avail_idx == vq->last_avail_idx)
        {
          if (!vq->event_idx)
            return 0;
          /* Ask for a kick at the next entry, then look again: the driver
             may have added one before it could see our event index. */
          store_u16 (avail_event_word (vq), vq->last_avail_idx);
          full_fence ();
          if (load_u16 (&vq->avail->idx) == vq->last_avail_idx)
            return 0;
          continue;
        }

      head = load_u16 (&vq->avail->ring[vq->last_avail_idx % vq->size]);
      if (head >= vq->size)
        {
          vq->broken = true;
          return -EIO;
        }
      vq->last_avail_idx++;

      r = walk_chain (vq, c, head);
      if (r == 0)
        return 1;
      vq->bad_chains++;
      virtq_push_used (vq, head, 0);
    }
}

void
virtq_unpop (struct virtq *vq)
{
  vq->last_avail_idx--;
}

void
virtq_push_used (struct virtq *vq, uint16_t head, uint32_t len)
{
  struct vring_used_elem e = { .id = head, .len = len };

  if (!vq->ready)
    return;
  memcpy (&vq->used->ring[vq->used_idx % vq->size], &e, sizeof e);
  vq->used_idx++;
  store_u16 (&vq->used->idx, vq->used_idx);
}

/* vring_need_event from the spec: did new_idx pass event since old? */
static bool
need_event (uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
  return (uint16_t) (new_idx - event - 1) < (uint16_t) (new_idx - old_idx);
}

bool
virtq_should_interrupt (struct virtq *vq)
{
  uint16_t old;
  bool fire;

  if (!vq->ready)
    return false;
  full_fence ();
  old = vq->signalled_used;
  if (vq->signalled_used_valid && old == vq->used_idx)
    return false;

  if (vq->event_idx)
    fire = !vq->signalled_used_valid
           || need_event (load_u16 (used_event_word (vq)), vq->used_idx, old);
  else
    fire = !(load_u16 (&vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
  vq->signalled_used = vq->used_idx;
  vq->signalled_used_valid = true;
  return fire;
}

/* Copies between a chain's iovecs, from `offset` into them, and a flat
   buffer; `to_iov` picks the direction.  Returns the bytes copied. */
static size_t
iov_copy (const struct iovec *iov, unsigned n, size_t offset, uint8_t *buf, size_t len, bool to_iov)
{
  size_t done = 0;
  unsigned i;

  for (i = 0; i < n && done < len; i++)
    {
      uint8_t *base = iov[i].iov_base;
      size_t take;

      if (offset >= iov[i].iov_len)
        {
          offset -= iov[i].iov_len;
          continue;
        }
      take = iov[i].iov_len - offset;
      if (take > len - done)
        take = len - done;
      if (to_iov)
        memcpy (base + offset, buf + done, take);
      else
        memcpy (buf + done, base + offset, take);
      done += take;
      offset = 0;
    }
  return done;
}

size_t
virtq_iov_to_buf (const struct iovec *iov, unsigned n, size_t offset, void *buf, size_t len)
{
  return iov_copy (iov, n, offset, buf, len, false);
}

size_t
virtq_iov_from_buf (const struct iovec *iov, unsigned n, size_t offset, const void *buf, size_t len)
{
  /* iov_copy only reads buf in this direction. */
  return iov_copy (iov, n, offset, (uint8_t *) buf, len, true);
}

unsigned
virtq_iov_slice (const struct iovec *iov, unsigned n, size_t offset, size_t len,
                 struct iovec *out, unsigned max, size_t *got)
{
  unsigned i, k = 0;
  size_t done = 0;

  for (i = 0; i < n && done < len && k < max; i++)
    {
      size_t take;

      if (offset >= iov[i].iov_len)
        {
          offset -= iov[i].iov_len;
          continue;
        }
      take = iov[i].iov_len - offset;
      if (take > len - done)
        take = len - done;
      out[k++] = (struct iovec) { .iov_base = (uint8_t *) iov[i].iov_base + offset, .iov_len = take };
      done += take;
      offset = 0;
    }
  if (got)
    *got = done;
  return k;
}

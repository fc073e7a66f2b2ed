/* Split virtqueues (virtio 1.x, section 2.7) over guest memory, from the
   device side.  Everything in the rings is written by the guest and may
   change under our feet: each descriptor is copied once before use, every
   address range goes through guest_mem_range(), chains are bounded, and a
   malformed chain is returned to the guest as used with length 0 instead
   of being processed.  A ring that cannot be trusted any more (a head index
   out of range, an available index that ran ahead by more than the queue
   size) makes the queue "broken": the transport then reports
   DEVICE_NEEDS_RESET and the queue stays dead until the driver resets it. */
#ifndef HULL_VMM_VIRTQUEUE_H
#define HULL_VMM_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "microvm/vmm/guest_mem.h"

/* The largest queue any hull device offers, and the longest chain
   (direct or through an indirect table) a request may have. */
#define VIRTQ_MAX_SIZE 256
#define VIRTQ_MAX_CHAIN VIRTQ_MAX_SIZE

struct vring_desc;
struct vring_avail;
struct vring_used;

struct virtq
{
  const struct guest_mem *mem;
  uint16_t max_size;            /* QueueNumMax */

  /* Programmed by the driver through the transport. */
  uint16_t size;                /* QueueNum */
  uint64_t desc_gpa, avail_gpa, used_gpa;
  bool ready;                   /* QueueReady accepted */

  /* Negotiated features that change the ring layout or semantics. */
  bool event_idx;
  bool indirect;

  /* Valid while ready: the rings as host pointers (checked once at
     virtq_enable; guest memory never moves or shrinks). */
  struct vring_desc *desc;
  struct vring_avail *avail;
  struct vring_used *used;

  uint16_t last_avail_idx;      /* next available entry to consume */
  uint16_t used_idx;            /* our copy of used->idx */
  uint16_t signalled_used;      /* used_idx at the last interrupt decision */
  bool signalled_used_valid;
  bool broken;

  uint64_t bad_chains;          /* malformed chains failed (diagnostics) */
};

/* One request: the device-readable buffers first, then the device-writable
   ones, as host pointers into guest memory.  Zero-length descriptors are
   accepted and dropped. */
struct virtq_chain
{
  uint16_t head;
  unsigned n_readable, n_writable;
  uint64_t readable_len, writable_len;
  struct iovec iov[VIRTQ_MAX_CHAIN];
};

static inline struct iovec *
virtq_chain_readable (struct virtq_chain *c)
{
  return c->iov;
}

static inline struct iovec *
virtq_chain_writable (struct virtq_chain *c)
{
  return c->iov + c->n_readable;
}

void virtq_init (struct virtq *vq, const struct guest_mem *mem, uint16_t max_size);
/* Back to the state after init (driver reset or QueueReady = 0). */
void virtq_reset (struct virtq *vq);

/* Validates size and ring addresses (alignment, wholly inside guest
   memory) and makes the queue ready.  -EINVAL leaves it not ready. */
int virtq_enable (struct virtq *vq);

/* Takes the next available request.  Returns 1 with *c filled, 0 when the
   ring is empty (with VIRTIO_RING_F_EVENT_IDX, the avail event is
   published first so the driver kicks us again), -EIO when the queue is or
   just became broken.  Malformed chains are completed with length 0 and
   skipped. */
int virtq_pop (struct virtq *vq, struct virtq_chain *c);
/* Gives back the request just popped, unprocessed (e.g. the back end had
   nothing to put in it yet). */
void virtq_unpop (struct virtq *vq);
/* Completes request `head`, `len` bytes written into its writable part. */
void virtq_push_used (struct virtq *vq, uint16_t head, uint32_t len);
/* Whether the driver wants an interrupt for what was pushed since the
   last call (VRING_AVAIL_F_NO_INTERRUPT or the used event index). */
bool virtq_should_interrupt (struct virtq *vq);

/* Helpers over a chain's iovecs.  Return the bytes copied. */
size_t virtq_iov_to_buf (const struct iovec *iov, unsigned n, size_t offset, void *buf, size_t len);
size_t virtq_iov_from_buf (const struct iovec *iov, unsigned n, size_t offset, const void *buf, size_t len);
/* The iovecs covering [offset, offset+len) of iov into out (at most max
   entries); returns the number of entries, the covered length in *got. */
unsigned virtq_iov_slice (const struct iovec *iov, unsigned n, size_t offset, size_t len,
                          struct iovec *out, unsigned max, size_t *got);

#endif

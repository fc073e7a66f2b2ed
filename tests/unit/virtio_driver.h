/* A tiny virtio-mmio front end for unit tests: simulated guest memory (a
   malloc'd buffer behind struct guest_mem, memfd -1), the register dance
   of a driver, and helpers that place descriptors, publish them and read
   the used ring back.  It drives the transport through virtio_mmio_read/
   virtio_mmio_write exactly as a vCPU exit would, and reads the interrupt
   eventfd as KVM's irqfd would. */
#ifndef HULL_TESTS_VIRTIO_DRIVER_H
#define HULL_TESTS_VIRTIO_DRIVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "microvm/vmm/guest_mem.h"
#include "microvm/vmm/virtio_mmio.h"

#define DRV_MEM_SIZE (1u << 20)
#define DRV_QUEUE_SIZE 16
#define DRV_MAX_QUEUES VIRTIO_MMIO_MAX_QUEUES

struct drv_queue
{
  uint64_t desc, avail, used;
  uint16_t size;
  uint16_t next_desc;    /* descriptors are handed out round-robin */
  uint16_t avail_idx;
  uint16_t used_seen;
};

struct drv
{
  struct guest_mem mem;
  struct virtio_mmio *t;
  uint64_t brk;          /* bump allocator for buffers, above the rings */
  struct drv_queue q[DRV_MAX_QUEUES];
};

struct drv_seg
{
  uint64_t gpa;
  uint32_t len;
  bool write;
};

static inline void
drv_mem_init (struct drv *d)
{
  memset (d, 0, sizeof *d);
  d->mem.host = calloc (1, DRV_MEM_SIZE);
  d->mem.size = DRV_MEM_SIZE;
  d->mem.memfd = -1;
  d->brk = 0x40000;
}

static inline void
drv_mem_free (struct drv *d)
{
  free (d->mem.host);
  d->mem.host = NULL;
}

static inline uint32_t
drv_r32 (struct drv *d, uint64_t off)
{
  uint32_t v;
  virtio_mmio_read (d->t, off, (uint8_t *) &v, 4);
  return v;
}

static inline void
drv_w32 (struct drv *d, uint64_t off, uint32_t v)
{
  virtio_mmio_write (d->t, off, (const uint8_t *) &v, 4);
}

static inline void *
drv_host (struct drv *d, uint64_t gpa)
{
  return d->mem.host + gpa;
}

static inline uint64_t
drv_alloc (struct drv *d, uint32_t len)
{
  uint64_t gpa = d->brk;
  d->brk = (d->brk + len + 15) & ~15ULL;
  if (d->brk > DRV_MEM_SIZE)
    abort ();
  return gpa;
}

static inline uint64_t
drv_device_features (struct drv *d)
{
  uint64_t f;
  drv_w32 (d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
  f = drv_r32 (d, VIRTIO_MMIO_DEVICE_FEATURES);
  drv_w32 (d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
  f |= (uint64_t) drv_r32 (d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
  return f;
}

/* ACKNOWLEDGE, DRIVER, features (the device's, masked), FEATURES_OK.
   Returns the status read back. */
static inline uint32_t
drv_negotiate (struct drv *d, uint64_t mask)
{
  uint64_t f;

  drv_w32 (d, VIRTIO_MMIO_STATUS, 0);
  drv_w32 (d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
  drv_w32 (d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
  f = drv_device_features (d) & mask;
  drv_w32 (d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
  drv_w32 (d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t) f);
  drv_w32 (d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
  drv_w32 (d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t) (f >> 32));
  drv_w32 (d, VIRTIO_MMIO_STATUS,
           VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
  return drv_r32 (d, VIRTIO_MMIO_STATUS);
}

/* Lays out queue q's rings at fixed places (below 0x40000) and enables it.
   Returns QueueReady as read back. */
static inline uint32_t
drv_setup_queue (struct drv *d, unsigned q, uint16_t size)
{
  struct drv_queue *dq = &d->q[q];
  uint64_t base = 0x1000 + (uint64_t) q * 0x3000;

  dq->size = size;
  dq->desc = base;
  dq->avail = base + 0x1000;
  dq->used = base + 0x2000;
  dq->next_desc = dq->avail_idx = dq->used_seen = 0;
  memset (drv_host (d, base), 0, 0x3000);
  drv_w32 (d, VIRTIO_MMIO_QUEUE_SEL, q);
  drv_w32 (d, VIRTIO_MMIO_QUEUE_NUM, size);
  drv_w32 (d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t) dq->desc);
  drv_w32 (d, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
  drv_w32 (d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t) dq->avail);
  drv_w32 (d, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
  drv_w32 (d, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t) dq->used);
  drv_w32 (d, VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
  drv_w32 (d, VIRTIO_MMIO_QUEUE_READY, 1);
  return drv_r32 (d, VIRTIO_MMIO_QUEUE_READY);
}

static inline void
drv_driver_ok (struct drv *d)
{
  drv_w32 (d, VIRTIO_MMIO_STATUS, drv_r32 (d, VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_DRIVER_OK);
}

/* Full bring-up with every offered feature in mask and n_queues queues. */
static inline bool
drv_bring_up (struct drv *d, uint64_t mask, unsigned n_queues)
{
  unsigned q;

  if (!(drv_negotiate (d, mask) & VIRTIO_CONFIG_S_FEATURES_OK))
    return false;
  for (q = 0; q < n_queues; q++)
    if (drv_setup_queue (d, q, DRV_QUEUE_SIZE) != 1)
      return false;
  drv_driver_ok (d);
  return (drv_r32 (d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK) != 0;
}

static inline struct vring_desc *
drv_desc (struct drv *d, unsigned q, uint16_t i)
{
  return (struct vring_desc *) drv_host (d, d->q[q].desc) + i;
}

static inline struct vring_avail *
drv_avail (struct drv *d, unsigned q)
{
  return drv_host (d, d->q[q].avail);
}

static inline struct vring_used *
drv_used (struct drv *d, unsigned q)
{
  return drv_host (d, d->q[q].used);
}

/* Writes a chain of n segments into consecutive descriptors (without
   publishing it); returns the head. */
static inline uint16_t
drv_place_chain (struct drv *d, unsigned q, const struct drv_seg *segs, unsigned n)
{
  struct drv_queue *dq = &d->q[q];
  uint16_t head = dq->next_desc, i;
  unsigned k;

  for (k = 0; k < n; k++)
    {
      struct vring_desc *desc;

      i = (uint16_t) ((head + k) % dq->size);
      desc = drv_desc (d, q, i);
      desc->addr = segs[k].gpa;
      desc->len = segs[k].len;
      desc->flags = (segs[k].write ? VRING_DESC_F_WRITE : 0) | (k + 1 < n ? VRING_DESC_F_NEXT : 0);
      desc->next = (uint16_t) ((i + 1) % dq->size);
    }
  dq->next_desc = (uint16_t) ((head + n) % dq->size);
  return head;
}

static inline void
drv_publish (struct drv *d, unsigned q, uint16_t head)
{
  struct drv_queue *dq = &d->q[q];
  struct vring_avail *av = drv_avail (d, q);

  av->ring[dq->avail_idx % dq->size] = head;
  dq->avail_idx++;
  __atomic_store_n (&av->idx, dq->avail_idx, __ATOMIC_RELEASE);
}

static inline void
drv_notify (struct drv *d, unsigned q)
{
  drv_w32 (d, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

static inline uint16_t
drv_submit (struct drv *d, unsigned q, const struct drv_seg *segs, unsigned n)
{
  uint16_t head = drv_place_chain (d, q, segs, n);
  drv_publish (d, q, head);
  drv_notify (d, q);
  return head;
}

/* Takes the next used element; false when the device has not returned
   anything new. */
static inline bool
drv_get_used (struct drv *d, unsigned q, uint32_t *id, uint32_t *len)
{
  struct drv_queue *dq = &d->q[q];
  struct vring_used *u = drv_used (d, q);

  if (__atomic_load_n (&u->idx, __ATOMIC_ACQUIRE) == dq->used_seen)
    return false;
  *id = u->ring[dq->used_seen % dq->size].id;
  *len = u->ring[dq->used_seen % dq->size].len;
  dq->used_seen++;
  return true;
}

/* Reads the interrupt eventfd (non-blocking): how many interrupts were
   raised since the last call; acks InterruptStatus like a guest would. */
static inline uint64_t
drv_take_irq (struct drv *d, uint32_t *isr)
{
  uint64_t n = 0;
  uint32_t s;

  if (read (d->t->irq_fd, &n, sizeof n) != sizeof n)
    n = 0;
  s = drv_r32 (d, VIRTIO_MMIO_INTERRUPT_STATUS);
  drv_w32 (d, VIRTIO_MMIO_INTERRUPT_ACK, s);
  if (isr)
    *isr = s;
  return n;
}

#endif

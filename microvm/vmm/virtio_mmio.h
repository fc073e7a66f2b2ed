/* virtio-mmio transport, version 2 ("modern", virtio 1.x section 4.2).
   One struct virtio_mmio per device: the register file, the device-status
   state machine, feature negotiation and the virtqueues.  The device model
   plugs in through struct virtio_device_ops (kvmtool style).

   Threads: register accesses come from vCPU threads (through the bus),
   queue work from the event-loop thread (ioeventfds, back-end fds).  Both
   run under t->lock; device callbacks are always called with it held, and
   device back-end handlers take it with virtio_mmio_lock().

   Notifications: the guest's QueueNotify write either lands on a per-queue
   ioeventfd (KVM_IOEVENTFD with datamatch = queue index) serviced by the
   event loop, or traps to virtio_mmio_write() which does the same work.
   Interrupts: writes to irq_fd (an irqfd under KVM; a plain eventfd in
   tests) after setting InterruptStatus. */
#ifndef HULL_VMM_VIRTIO_MMIO_H
#define HULL_VMM_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "microvm/vmm/bus.h"
#include "microvm/vmm/event_loop.h"
#include "microvm/vmm/guest_mem.h"
#include "microvm/vmm/virtqueue.h"

#define VIRTIO_MMIO_MAGIC 0x74726976u   /* "virt" */
#define VIRTIO_MMIO_VERSION_MODERN 2
#define VIRTIO_MMIO_VENDOR 0x4c4c5548u  /* "HULL" */
#define VIRTIO_MMIO_REGION_SIZE 0x1000
#define VIRTIO_MMIO_MAX_QUEUES 16

struct virtio_mmio;

struct virtio_device_ops
{
  uint32_t device_id;
  /* A QueueNotify for queue q (ready, DRIVER_OK set, queue not broken). */
  void (*queue_notify) (void *opaque, unsigned q);
  /* The driver wrote to config space (already bounds-checked against
     config_len).  NULL: config space is read-only. */
  void (*config_write) (void *opaque, uint32_t offset, const uint8_t *data, uint32_t len);
  /* The driver set DRIVER_OK: start back ends (optional). */
  void (*driver_ok) (void *opaque);
  /* The driver wrote 0 to Status: drop every in-flight request and any
     state derived from the rings (optional).  Queues are reset after. */
  void (*reset) (void *opaque);
};

struct virtio_mmio
{
  const char *name;
  const struct virtio_device_ops *ops;
  void *opaque;
  const struct guest_mem *mem;
  pthread_mutex_t lock;

  uint64_t device_features;     /* includes the transport's own bits */
  uint64_t driver_features;
  uint32_t device_features_sel, driver_features_sel;
  uint32_t queue_sel;
  uint32_t status;
  uint32_t interrupt_status;
  uint32_t config_generation;

  /* Device-specific configuration, little-endian layout as the guest sees
     it; owned by the device model. */
  void *config;
  uint32_t config_len;

  unsigned n_queues;
  struct virtq vq[VIRTIO_MMIO_MAX_QUEUES];

  int irq_fd;
  int notify_fd[VIRTIO_MMIO_MAX_QUEUES];
  struct event_loop *loop;      /* where notify fds are registered, or NULL */
  bool needs_reset_signalled;
};

/* Sets up the transport with plain eventfds for the interrupt and the
   queue notifications (replaced by virtio_mmio_set_irqfd/notify_fd when
   running under KVM).  device_features are the device-specific bits;
   VIRTIO_F_VERSION_1, indirect descriptors and event index are added.
   Returns 0 or -errno. */
int virtio_mmio_init (struct virtio_mmio *t, const char *name, const struct guest_mem *mem,
                      const struct virtio_device_ops *ops, void *opaque, uint64_t device_features,
                      unsigned n_queues, uint16_t queue_max);
/* Unregisters from the loop and closes the fds. */
void virtio_mmio_destroy (struct virtio_mmio *t);

/* Swap in KVM-wired eventfds (ownership passes to the transport). */
void virtio_mmio_set_irqfd (struct virtio_mmio *t, int fd);
void virtio_mmio_set_notify_fd (struct virtio_mmio *t, unsigned q, int fd);
/* Registers the notify eventfds with loop.  Returns 0 or -errno. */
int virtio_mmio_start (struct virtio_mmio *t, struct event_loop *loop);

/* The bus_device for this transport (base left 0 for the caller). */
struct bus_device virtio_mmio_bus_device (struct virtio_mmio *t);
void virtio_mmio_read (void *opaque, uint64_t offset, uint8_t *data, uint32_t len);
void virtio_mmio_write (void *opaque, uint64_t offset, const uint8_t *data, uint32_t len);
/* What a notify eventfd firing does: kick queue q (takes the lock). */
void virtio_mmio_kick (struct virtio_mmio *t, unsigned q);

/* ---- for device models (call with the lock held) */

void virtio_mmio_lock (struct virtio_mmio *t);
void virtio_mmio_unlock (struct virtio_mmio *t);
bool virtio_mmio_driver_ok (const struct virtio_mmio *t);
bool virtio_mmio_queue_ready (const struct virtio_mmio *t, unsigned q);
bool virtio_mmio_has_feature (const struct virtio_mmio *t, unsigned bit);
/* virtq_pop on queue q: 1 with a request, 0 when there is none or the
   queue is unusable (then DEVICE_NEEDS_RESET is raised once). */
int virtio_mmio_pop (struct virtio_mmio *t, unsigned q, struct virtq_chain *c);
/* Raises the used-buffer interrupt if the driver wants one for queue q. */
void virtio_mmio_signal_used (struct virtio_mmio *t, unsigned q);
/* The config space changed: bump ConfigGeneration, raise the interrupt. */
void virtio_mmio_signal_config (struct virtio_mmio *t);
/* The device cannot go on: DEVICE_NEEDS_RESET and a config interrupt. */
void virtio_mmio_set_needs_reset (struct virtio_mmio *t);

#endif

/* The test guest's virtio-mmio front end: just enough of a driver to talk
   to hull's devices the way Linux does (modern v2 registers, split rings,
   polling instead of interrupts).  Devices are found from the
   `virtio_mmio.device=4K@0x...:irq` entries the VMM put on the command
   line. */
#ifndef HULL_TESTGUEST_VIRTIO_H
#define HULL_TESTGUEST_VIRTIO_H

#include <stdint.h>

#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3

#define VQ_SIZE 16

#define VQ_DESC_F_NEXT 1
#define VQ_DESC_F_WRITE 2

struct vq_desc
{
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};

struct vq_used_elem
{
  uint32_t id;
  uint32_t len;
};

struct vdev
{
  uint64_t base;
  uint32_t irq;
  uint64_t features;    /* negotiated */
};

struct vq
{
  struct vdev *dev;
  unsigned index;
  volatile struct vq_desc *desc;
  volatile uint16_t *avail;      /* flags, idx, ring[] */
  volatile uint16_t *used;       /* flags, idx, then elements */
  uint16_t next_desc;
  uint16_t avail_idx;
  uint16_t used_seen;
};

struct vseg
{
  const void *addr;
  uint32_t len;
  int writable;
};

/* The nth (from 0) device with this id; 1 when found. */
int vdev_find (uint32_t device_id, int nth, struct vdev *d);
/* Reset, ACKNOWLEDGE, DRIVER, features (wanted & offered, plus
   VIRTIO_F_VERSION_1), FEATURES_OK.  Returns 1 when the device accepted. */
int vdev_init (struct vdev *d, uint64_t wanted);
int vdev_has (const struct vdev *d, unsigned bit);
/* Sets up queue index with VQ_SIZE entries in static memory.  1 on success. */
int vq_setup (struct vdev *d, struct vq *q, unsigned index);
void vdev_driver_ok (struct vdev *d);
uint32_t vdev_status (struct vdev *d);
uint8_t vdev_config8 (struct vdev *d, unsigned off);
uint32_t vdev_config32 (struct vdev *d, unsigned off);
/* Places a chain, makes it available and notifies.  Returns the head. */
uint16_t vq_submit (struct vq *q, const struct vseg *segs, unsigned n);
/* Places and publishes without notifying (batching). */
uint16_t vq_add (struct vq *q, const struct vseg *segs, unsigned n);
void vq_kick (struct vq *q);
/* Makes an already placed chain available again (receive buffers). */
void vq_publish (struct vq *q, uint16_t head);
/* Next used element; 1 when one came within about `seconds`. */
int vq_wait (struct vq *q, uint32_t *id, uint32_t *len, unsigned seconds);
/* Non-blocking variant. */
int vq_poll (struct vq *q, uint32_t *id, uint32_t *len);
/* The address the guest put in descriptor id (to find a buffer). */
uint64_t vq_desc_addr (struct vq *q, uint32_t id);

/* Interrupts: routes the device's IRQ line through the IOAPIC to a vector
   on this CPU (LAPIC enabled, IF set) with a handler that counts and EOIs.
   vdev_irq_wait waits for the count to pass `seen`; vdev_irq_ack reads and
   acknowledges InterruptStatus. */
void vdev_irq_setup (struct vdev *d);
unsigned vdev_irq_count (void);
int vdev_irq_wait (unsigned seen, unsigned seconds);
uint32_t vdev_irq_ack (struct vdev *d);

/* virtio_console.c: the multiport handshake Linux does, then the port
   named want opened: its index, -1 when the device is unusable, -2 when no
   such port is offered.  Writes go out in chunks and wait for the device;
   a read waits up to about `seconds` for one buffer (at most cap bytes,
   cap at least 256) and returns its length, or -1; with `more` the buffer
   goes back to the device for what comes next. */
int console_open_port (const char *want);
int console_port_write (unsigned port, const void *data, uint32_t len);
int console_port_read (unsigned port, void *buf, uint32_t cap, unsigned seconds, int more);

/* Scenarios, one per driver. */
int scenario_virtio_blk (void);
int scenario_virtio_net (void);
int scenario_virtio_console (void);
int scenario_hull_agent (void);

#endif

/* virtio-mmio v2 transport.  See virtio_mmio.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "microvm/vmm/virtio_mmio.h"

#define TRANSPORT_FEATURES                                                    \
  ((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_INDIRECT_DESC)      \
   | (1ULL << VIRTIO_RING_F_EVENT_IDX))

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

int
virtio_mmio_init (struct virtio_mmio *t, const char *name, const struct guest_mem *mem,
                  const struct virtio_device_ops *ops, void *opaque, uint64_t device_features,
                  unsigned n_queues, uint16_t queue_max)
{
  unsigned q;
  int r;

  memset (t, 0, sizeof *t);
  t->irq_fd = -1;
  for (q = 0; q < VIRTIO_MMIO_MAX_QUEUES; q++)
    t->notify_fd[q] = -1;
  if (n_queues == 0 || n_queues > VIRTIO_MMIO_MAX_QUEUES || queue_max == 0 || queue_max > VIRTQ_MAX_SIZE
      || (queue_max & (queue_max - 1)) != 0)
    return -EINVAL;

  t->name = name;
  t->ops = ops;
  t->opaque = opaque;
  t->mem = mem;
  t->device_features = device_features | TRANSPORT_FEATURES;
  t->n_queues = n_queues;
  for (q = 0; q < n_queues; q++)
    virtq_init (&t->vq[q], mem, queue_max);
  r = pthread_mutex_init (&t->lock, NULL);
  if (r != 0)
    return -r;

  t->irq_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (t->irq_fd < 0)
    goto fail;
  for (q = 0; q < n_queues; q++)
    {
      t->notify_fd[q] = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
      if (t->notify_fd[q] < 0)
        goto fail;
    }
  return 0;

fail:
  r = -errno;
  virtio_mmio_destroy (t);
  return r;
}

void
virtio_mmio_destroy (struct virtio_mmio *t)
{
  unsigned q;

  for (q = 0; q < VIRTIO_MMIO_MAX_QUEUES; q++)
    {
      if (t->loop && t->notify_fd[q] >= 0)
        event_loop_del (t->loop, t->notify_fd[q]);
      close_fd (&t->notify_fd[q]);
    }
  close_fd (&t->irq_fd);
  if (t->ops)
    pthread_mutex_destroy (&t->lock);
  t->ops = NULL;
  t->loop = NULL;
}

void
virtio_mmio_set_irqfd (struct virtio_mmio *t, int fd)
{
  close_fd (&t->irq_fd);
  t->irq_fd = fd;
}

void
virtio_mmio_set_notify_fd (struct virtio_mmio *t, unsigned q, int fd)
{
  if (q >= t->n_queues)
    {
      close (fd);
      return;
    }
  close_fd (&t->notify_fd[q]);
  t->notify_fd[q] = fd;
}

/* The loop's callback does not say which fd fired: every notify fd of the
   transport is drained and the queues that had a kick are serviced. */
static void
on_notify (void *opaque, uint32_t events)
{
  struct virtio_mmio *t = opaque;
  uint64_t count;
  unsigned q;

  for (q = 0; q < t->n_queues; q++)
    if (read (t->notify_fd[q], &count, sizeof count) == sizeof count)
      virtio_mmio_kick (t, q);
}

int
virtio_mmio_start (struct virtio_mmio *t, struct event_loop *loop)
{
  unsigned q;
  int r;

  for (q = 0; q < t->n_queues; q++)
    {
      r = event_loop_add (loop, t->notify_fd[q], EPOLLIN, on_notify, t);
      if (r < 0)
        {
          while (q-- > 0)
            event_loop_del (loop, t->notify_fd[q]);
          return r;
        }
    }
  t->loop = loop;
  return 0;
}

struct bus_device
virtio_mmio_bus_device (struct virtio_mmio *t)
{
  return (struct bus_device) {
    .name = t->name,
    .base = 0,
    .len = VIRTIO_MMIO_REGION_SIZE,
    .opaque = t,
    .read = virtio_mmio_read,
    .write = virtio_mmio_write,
  };
}

void
virtio_mmio_lock (struct virtio_mmio *t)
{
  pthread_mutex_lock (&t->lock);
}

void
virtio_mmio_unlock (struct virtio_mmio *t)
{
  pthread_mutex_unlock (&t->lock);
}

bool
virtio_mmio_driver_ok (const struct virtio_mmio *t)
{
  return (t->status & VIRTIO_CONFIG_S_DRIVER_OK) && !(t->status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

bool
virtio_mmio_queue_ready (const struct virtio_mmio *t, unsigned q)
{
  return q < t->n_queues && t->vq[q].ready && !t->vq[q].broken;
}

bool
virtio_mmio_has_feature (const struct virtio_mmio *t, unsigned bit)
{
  return bit < 64 && (t->driver_features & (1ULL << bit));
}

static void
raise_interrupt (struct virtio_mmio *t, uint32_t bits)
{
  uint64_t one = 1;

  t->interrupt_status |= bits;
  if (t->irq_fd >= 0 && write (t->irq_fd, &one, sizeof one) < 0)
    {
      /* EAGAIN: the counter is saturated, an interrupt is pending anyway. */
    }
}

void
virtio_mmio_signal_used (struct virtio_mmio *t, unsigned q)
{
  if (q < t->n_queues && virtq_should_interrupt (&t->vq[q]))
    raise_interrupt (t, VIRTIO_MMIO_INT_VRING);
}

void
virtio_mmio_signal_config (struct virtio_mmio *t)
{
  t->config_generation++;
  raise_interrupt (t, VIRTIO_MMIO_INT_CONFIG);
}

void
virtio_mmio_set_needs_reset (struct virtio_mmio *t)
{
  if (t->needs_reset_signalled)
    return;
  t->needs_reset_signalled = true;
  t->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
  if (t->status & VIRTIO_CONFIG_S_DRIVER_OK)
    virtio_mmio_signal_config (t);
}

int
virtio_mmio_pop (struct virtio_mmio *t, unsigned q, struct virtq_chain *c)
{
  int r;

  if (!virtio_mmio_driver_ok (t) || !virtio_mmio_queue_ready (t, q))
    return 0;
  r = virtq_pop (&t->vq[q], c);
  if (r < 0)
    {
      virtio_mmio_set_needs_reset (t);
      return 0;
    }
  return r;
}

static void
kick_locked (struct virtio_mmio *t, unsigned q)
{
  if (!virtio_mmio_driver_ok (t) || !virtio_mmio_queue_ready (t, q))
    return;
  if (t->ops->queue_notify)
    t->ops->queue_notify (t->opaque, q);
}

void
virtio_mmio_kick (struct virtio_mmio *t, unsigned q)
{
  virtio_mmio_lock (t);
  kick_locked (t, q);
  virtio_mmio_unlock (t);
}

static void
device_reset (struct virtio_mmio *t)
{
  unsigned q;

  if (t->ops->reset)
    t->ops->reset (t->opaque);
  for (q = 0; q < t->n_queues; q++)
    virtq_reset (&t->vq[q]);
  t->driver_features = 0;
  t->device_features_sel = t->driver_features_sel = 0;
  t->queue_sel = 0;
  t->status = 0;
  t->interrupt_status = 0;
  t->needs_reset_signalled = false;
}

/* The driver may only add bits (2.1.1); FEATURES_OK only sticks when the
   features it picked are a subset of ours and include VERSION_1 (this is
   a modern-only device), DRIVER_OK only after FEATURES_OK. */
static void
write_status (struct virtio_mmio *t, uint32_t value)
{
  uint32_t old = t->status, q;

  if (value == 0)
    {
      device_reset (t);
      return;
    }
  value &= 0xff & ~VIRTIO_CONFIG_S_NEEDS_RESET;
  if ((value & old & ~VIRTIO_CONFIG_S_NEEDS_RESET) != (old & ~VIRTIO_CONFIG_S_NEEDS_RESET))
    return;

  if ((value & VIRTIO_CONFIG_S_FEATURES_OK) && !(old & VIRTIO_CONFIG_S_FEATURES_OK))
    {
      bool ok = (old & VIRTIO_CONFIG_S_DRIVER) && (t->driver_features & ~t->device_features) == 0
                && (t->driver_features & (1ULL << VIRTIO_F_VERSION_1));
      if (!ok)
        value &= ~VIRTIO_CONFIG_S_FEATURES_OK;
    }
  if ((value & VIRTIO_CONFIG_S_DRIVER_OK) && !(value & VIRTIO_CONFIG_S_FEATURES_OK))
    value &= ~VIRTIO_CONFIG_S_DRIVER_OK;

  t->status = value | (old & VIRTIO_CONFIG_S_NEEDS_RESET);

  if ((t->status & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK))
    {
      if (t->ops->driver_ok)
        t->ops->driver_ok (t->opaque);
      /* Buffers made available before DRIVER_OK were not consumed then
         (3.1.1); look at every queue now. */
      for (q = 0; q < t->n_queues; q++)
        kick_locked (t, q);
    }
}

static struct virtq *
selected_queue (struct virtio_mmio *t)
{
  return t->queue_sel < t->n_queues ? &t->vq[t->queue_sel] : NULL;
}

/* Queue layout registers are writable only once features are settled
   (FEATURES_OK) and only while the queue is not ready: a live ring is never
   moved under the device. */
static struct virtq *
configurable_queue (struct virtio_mmio *t)
{
  struct virtq *vq = selected_queue (t);

  if (vq == NULL || vq->ready || !(t->status & VIRTIO_CONFIG_S_FEATURES_OK)
      || (t->status & (VIRTIO_CONFIG_S_FAILED | VIRTIO_CONFIG_S_NEEDS_RESET)))
    return NULL;
  return vq;
}

static void
set_low (uint64_t *v, uint32_t x)
{
  *v = (*v & 0xffffffff00000000ULL) | x;
}

static void
set_high (uint64_t *v, uint32_t x)
{
  *v = (*v & 0xffffffffULL) | ((uint64_t) x << 32);
}

static uint32_t
read_reg (struct virtio_mmio *t, uint64_t offset)
{
  struct virtq *vq = selected_queue (t);

  switch (offset)
    {
    case VIRTIO_MMIO_MAGIC_VALUE:
      return VIRTIO_MMIO_MAGIC;
    case VIRTIO_MMIO_VERSION:
      return VIRTIO_MMIO_VERSION_MODERN;
    case VIRTIO_MMIO_DEVICE_ID:
      return t->ops->device_id;
    case VIRTIO_MMIO_VENDOR_ID:
      return VIRTIO_MMIO_VENDOR;
    case VIRTIO_MMIO_DEVICE_FEATURES:
      if (t->device_features_sel > 1)
        return 0;
      return (uint32_t) (t->device_features >> (32 * t->device_features_sel));
    case VIRTIO_MMIO_QUEUE_NUM_MAX:
      return vq ? vq->max_size : 0;
    case VIRTIO_MMIO_QUEUE_READY:
      return vq ? vq->ready : 0;
    case VIRTIO_MMIO_INTERRUPT_STATUS:
      return t->interrupt_status;
    case VIRTIO_MMIO_STATUS:
      return t->status;
    case VIRTIO_MMIO_CONFIG_GENERATION:
      return t->config_generation;
    case VIRTIO_MMIO_QUEUE_NUM:
      return vq ? vq->size : 0;
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
      return vq ? (uint32_t) vq->desc_gpa : 0;
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
      return vq ? (uint32_t) (vq->desc_gpa >> 32) : 0;
    case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
      return vq ? (uint32_t) vq->avail_gpa : 0;
    case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
      return vq ? (uint32_t) (vq->avail_gpa >> 32) : 0;
    case VIRTIO_MMIO_QUEUE_USED_LOW:
      return vq ? (uint32_t) vq->used_gpa : 0;
    case VIRTIO_MMIO_QUEUE_USED_HIGH:
      return vq ? (uint32_t) (vq->used_gpa >> 32) : 0;
    case VIRTIO_MMIO_SHM_LEN_LOW:
    case VIRTIO_MMIO_SHM_LEN_HIGH:
      return 0xffffffffu;   /* no shared memory regions */
    default:
      return 0;
    }
}

static void
write_reg (struct virtio_mmio *t, uint64_t offset, uint32_t value)
{
  struct virtq *vq;

  switch (offset)
    {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
      t->device_features_sel = value;
      break;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
      t->driver_features_sel = value;
      break;
    case VIRTIO_MMIO_DRIVER_FEATURES:
      if (!(t->status & VIRTIO_CONFIG_S_DRIVER) || (t->status & VIRTIO_CONFIG_S_FEATURES_OK)
          || t->driver_features_sel > 1)
        break;
      if (t->driver_features_sel == 0)
        set_low (&t->driver_features, value);
      else
        set_high (&t->driver_features, value);
      break;
    case VIRTIO_MMIO_QUEUE_SEL:
      t->queue_sel = value;
      break;
    case VIRTIO_MMIO_QUEUE_NUM:
      if ((vq = configurable_queue (t)) != NULL)
        vq->size = value <= VIRTQ_MAX_SIZE ? value : 0;
      break;
    case VIRTIO_MMIO_QUEUE_READY:
      vq = selected_queue (t);
      if (vq == NULL)
        break;
      if (value == 0)
        {
          /* Keep the layout the driver programmed, drop the ring state. */
          struct virtq keep = *vq;
          virtq_reset (vq);
          vq->size = keep.size;
          vq->desc_gpa = keep.desc_gpa;
          vq->avail_gpa = keep.avail_gpa;
          vq->used_gpa = keep.used_gpa;
        }
      else if (configurable_queue (t) == vq)
        {
          vq->event_idx = virtio_mmio_has_feature (t, VIRTIO_RING_F_EVENT_IDX);
          vq->indirect = virtio_mmio_has_feature (t, VIRTIO_RING_F_INDIRECT_DESC);
          virtq_enable (vq);   /* on failure QueueReady reads back 0 */
        }
      break;
    case VIRTIO_MMIO_QUEUE_NOTIFY:
      kick_locked (t, value);
      break;
    case VIRTIO_MMIO_INTERRUPT_ACK:
      t->interrupt_status &= ~value;
      break;
    case VIRTIO_MMIO_STATUS:
      write_status (t, value);
      break;
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
      if ((vq = configurable_queue (t)) != NULL)
        set_low (&vq->desc_gpa, value);
      break;
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
      if ((vq = configurable_queue (t)) != NULL)
        set_high (&vq->desc_gpa, value);
      break;
    case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
      if ((vq = configurable_queue (t)) != NULL)
        set_low (&vq->avail_gpa, value);
      break;
    case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
      if ((vq = configurable_queue (t)) != NULL)
        set_high (&vq->avail_gpa, value);
      break;
    case VIRTIO_MMIO_QUEUE_USED_LOW:
      if ((vq = configurable_queue (t)) != NULL)
        set_low (&vq->used_gpa, value);
      break;
    case VIRTIO_MMIO_QUEUE_USED_HIGH:
      if ((vq = configurable_queue (t)) != NULL)
        set_high (&vq->used_gpa, value);
      break;
    default:
      /* Read-only registers, legacy (v1) registers, holes: ignored. */
      break;
    }
}

static bool
config_access_ok (const struct virtio_mmio *t, uint64_t offset, uint32_t len)
{
  if (len != 1 && len != 2 && len != 4 && len != 8)
    return false;
  if (offset < VIRTIO_MMIO_CONFIG || t->config == NULL)
    return false;
  offset -= VIRTIO_MMIO_CONFIG;
  return offset <= t->config_len && len <= t->config_len - offset;
}

void
virtio_mmio_read (void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
  struct virtio_mmio *t = opaque;
  uint32_t v;

  memset (data, 0, len);
  virtio_mmio_lock (t);
  if (offset >= VIRTIO_MMIO_CONFIG)
    {
      if (config_access_ok (t, offset, len))
        memcpy (data, (uint8_t *) t->config + (offset - VIRTIO_MMIO_CONFIG), len);
    }
  else if (len == 4 && (offset & 3) == 0)
    {
      v = read_reg (t, offset);
      memcpy (data, &v, 4);
    }
  virtio_mmio_unlock (t);
}

void
virtio_mmio_write (void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
  struct virtio_mmio *t = opaque;
  uint32_t v;

  virtio_mmio_lock (t);
  if (offset >= VIRTIO_MMIO_CONFIG)
    {
      if (config_access_ok (t, offset, len) && t->ops->config_write)
        t->ops->config_write (t->opaque, offset - VIRTIO_MMIO_CONFIG, data, len);
    }
  else if (len == 4 && (offset & 3) == 0)
    {
      memcpy (&v, data, 4);
      write_reg (t, offset, v);
    }
  virtio_mmio_unlock (t);
}

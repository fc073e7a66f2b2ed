/* Address-range dispatch for port I/O and MMIO exits (see bus.h). */
#include <errno.h>
#include <string.h>

#include "microvm/vmm/bus.h"

void
bus_init (struct bus *b)
{
  memset (b->devs, 0, sizeof b->devs);
  b->n = 0;
  pthread_mutex_init (&b->lock, NULL);
}

static bool
ranges_overlap (uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
  return a < b + blen && b < a + alen;
}

int
bus_add (struct bus *b, const struct bus_device *dev)
{
  size_t i;
  int ret = 0;

  if (dev->len == 0 || dev->base + dev->len < dev->base)
    return -EINVAL;
  pthread_mutex_lock (&b->lock);
  if (b->n >= BUS_MAX_DEVICES)
    ret = -ENOSPC;
  for (i = 0; ret == 0 && i < b->n; i++)
    if (ranges_overlap (b->devs[i].base, b->devs[i].len, dev->base, dev->len))
      ret = -EBUSY;
  if (ret == 0)
    b->devs[b->n++] = *dev;
  pthread_mutex_unlock (&b->lock);
  return ret;
}

bool
bus_access (struct bus *b, uint64_t addr, uint8_t *data, uint32_t len, bool is_write)
{
  bool claimed = false;
  size_t i;

  pthread_mutex_lock (&b->lock);
  for (i = 0; i < b->n; i++)
    {
      struct bus_device *d = &b->devs[i];
      /* The whole access must fall inside the device. */
      if (addr < d->base || addr - d->base >= d->len || len > d->len - (addr - d->base))
        continue;
      claimed = true;
      if (is_write)
        {
          if (d->write)
            d->write (d->opaque, addr - d->base, data, len);
        }
      else if (d->read)
        d->read (d->opaque, addr - d->base, data, len);
      else
        memset (data, 0xff, len);
      break;
    }
  pthread_mutex_unlock (&b->lock);
  if (!claimed && !is_write)
    memset (data, 0xff, len);
  return claimed;
}

/* Port-I/O and MMIO dispatch: a vCPU exit (KVM_EXIT_IO / KVM_EXIT_MMIO) is
   routed to the device whose [base, base+len) holds the address.  Devices
   see offsets relative to their base.  Accesses nobody claims read as all
   ones and are otherwise ignored, as on real hardware. */
#ifndef HULL_VMM_BUS_H
#define HULL_VMM_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bus_device
{
  const char *name;
  uint64_t base, len;
  void *opaque;
  void (*read) (void *opaque, uint64_t offset, uint8_t *data, uint32_t len);
  void (*write) (void *opaque, uint64_t offset, const uint8_t *data, uint32_t len);
};

#define BUS_MAX_DEVICES 32

struct bus
{
  struct bus_device devs[BUS_MAX_DEVICES];
  size_t n;
  pthread_mutex_t lock;   /* serializes device callbacks across vCPU threads */
};

void bus_init (struct bus *b);
/* Returns -EBUSY on overlap, -ENOSPC when full. */
int bus_add (struct bus *b, const struct bus_device *dev);
/* Returns true when a device claimed the access. */
bool bus_access (struct bus *b, uint64_t addr, uint8_t *data, uint32_t len, bool is_write);

#endif

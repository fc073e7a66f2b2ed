/* Interrupt plumbing and the virtio-mmio window: what device models use
   to raise interrupts (irqfd, IRQ line), get queue notifications
   (ioeventfd) and find their place on the MMIO bus. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "microvm/vmm/vmm.h"

int
vmm_irq_line (struct vmm *vm, unsigned int gsi, int level)
{
  struct kvm_irq_level irq = { .irq = gsi, .level = level };
  if (ioctl (vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
    return -errno;
  return 0;
}

int
vmm_irqfd (struct vmm *vm, unsigned int gsi, struct vmm_err *err)
{
  struct kvm_irqfd irqfd;
  int fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);

  if (fd < 0)
    return vmm_errorf (err, errno, "eventfd for GSI %u", gsi);
  memset (&irqfd, 0, sizeof irqfd);
  irqfd.fd = (uint32_t) fd;
  irqfd.gsi = gsi;
  if (ioctl (vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
    {
      int e = errno;
      close (fd);
      return vmm_errorf (err, e, "KVM_IRQFD for GSI %u", gsi);
    }
  return fd;
}

int
vmm_ioeventfd (struct vmm *vm, uint64_t addr, uint32_t len, bool use_datamatch, uint64_t datamatch,
               struct vmm_err *err)
{
  struct kvm_ioeventfd io;
  int fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);

  if (fd < 0)
    return vmm_errorf (err, errno, "eventfd for MMIO 0x%llx", (unsigned long long) addr);
  memset (&io, 0, sizeof io);
  io.addr = addr;
  io.len = len;
  io.fd = fd;
  io.datamatch = datamatch;
  io.flags = use_datamatch ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0;
  if (ioctl (vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
    {
      int e = errno;
      close (fd);
      return vmm_errorf (err, e, "KVM_IOEVENTFD at 0x%llx", (unsigned long long) addr);
    }
  return fd;
}

int
vmm_add_mmio_device (struct vmm *vm, const struct bus_device *dev, uint64_t *base, unsigned int *gsi,
                     struct vmm_err *err)
{
  struct bus_device d = *dev;
  size_t used = strlen (vm->mmio_cmdline);
  int r;

  if (vm->n_mmio >= VMM_MMIO_MAX_DEVICES)
    return vmm_errorf (err, ENOSPC, "%s: no free virtio-mmio slot (%d devices at most)", dev->name,
                       VMM_MMIO_MAX_DEVICES);
  if (dev->len == 0 || dev->len > VMM_MMIO_SIZE)
    return vmm_errorf (err, EINVAL, "%s: MMIO window of %llu bytes", dev->name, (unsigned long long) dev->len);
  d.base = VMM_MMIO_BASE + vm->n_mmio * VMM_MMIO_SIZE;
  r = bus_add (&vm->mmio_bus, &d);
  if (r < 0)
    return vmm_errorf (err, -r, "%s: MMIO bus", dev->name);
  *base = d.base;
  *gsi = VMM_MMIO_FIRST_IRQ + vm->n_mmio;
  snprintf (vm->mmio_cmdline + used, sizeof vm->mmio_cmdline - used, "%svirtio_mmio.device=4K@0x%llx:%u",
            used ? " " : "", (unsigned long long) d.base, *gsi);
  vm->n_mmio++;
  return 0;
}


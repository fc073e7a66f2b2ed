/* Glue between vmm_run() and the virtio device models: creates a device
   per configured disk, TAP and console, places it in the virtio-mmio
   window, wires its interrupt to an irqfd and each queue's notify to an
   ioeventfd (datamatch = queue index), and joins the event loop.

   A VMM process runs one VM, so the attached devices are kept here rather
   than in struct vmm. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <linux/virtio_mmio.h>

#include "microvm/vmm/virtio_blk.h"
#include "microvm/vmm/virtio_console.h"
#include "microvm/vmm/virtio_net.h"
#include "microvm/vmm/vmm.h"

static struct
{
  struct vmm *vm;
  struct virtio_blk *blk[VMM_MAX_DISKS];
  struct virtio_net *net[VMM_MAX_NETS];
  struct virtio_console *con;
  int port_fds[2 * VMM_MAX_CONSOLE_PORTS];   /* opened from in_path/out_path */
  size_t n_port_fds;
} attached;

/* Bus slot, irqfd and ioeventfds for one transport, then the loop. */
static int
wire (struct vmm *vm, struct virtio_mmio *t, struct vmm_err *err)
{
  struct bus_device dev = virtio_mmio_bus_device (t);
  uint64_t base;
  unsigned int gsi, q;
  int fd, r;

  r = vmm_add_mmio_device (vm, &dev, &base, &gsi, err);
  if (r < 0)
    return r;
  fd = vmm_irqfd (vm, gsi, err);
  if (fd < 0)
    return vmm_error_wrap (err, "%s", t->name);
  virtio_mmio_set_irqfd (t, fd);
  for (q = 0; q < t->n_queues; q++)
    {
      fd = vmm_ioeventfd (vm, base + VIRTIO_MMIO_QUEUE_NOTIFY, 4, true, q, err);
      if (fd < 0)
        return vmm_error_wrap (err, "%s", t->name);
      virtio_mmio_set_notify_fd (t, q, fd);
    }
  r = virtio_mmio_start (t, vm->loop);
  if (r < 0)
    return vmm_errorf (err, -r, "%s: event loop", t->name);
  return 0;
}

static int
attach_disk (struct vmm *vm, const struct vmm_disk_config *d, size_t index, struct virtio_blk **out,
             struct vmm_err *err)
{
  char default_id[16];
  int fd, r;

  fd = open (d->path, (d->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
  if (fd < 0)
    return vmm_errorf (err, errno, "disk `%s`", d->path);
  /* Without an explicit id the guest still gets a stable one: the disk's
     position, as in /dev/vda, vdb ... */
  snprintf (default_id, sizeof default_id, "hull-vd%c", (char) ('a' + index));
  r = virtio_blk_new (&vm->mem, fd, d->readonly, d->id ? d->id : default_id, out, err);
  if (r < 0)
    return vmm_error_wrap (err, "disk `%s`", d->path);
  return wire (vm, virtio_blk_transport (*out), err);
}

static int
attach_net (struct vmm *vm, const struct vmm_net_config *n, struct virtio_net **out, struct vmm_err *err)
{
  uint8_t mac[6];
  int fd, r;

  if (n->has_mac)
    memcpy (mac, n->mac, 6);
  else
    {
      /* A random locally administered unicast address. */
      if (getrandom (mac, sizeof mac, 0) != sizeof mac)
        return vmm_errorf (err, errno, "random MAC address");
      mac[0] = (uint8_t) ((mac[0] & 0xfc) | 0x02);
    }
  fd = n->tap_fd >= 0 ? fcntl (n->tap_fd, F_DUPFD_CLOEXEC, 3) : virtio_net_open_tap (n->tap_name, err);
  if (fd < 0)
    return n->tap_fd >= 0 ? vmm_errorf (err, errno, "TAP fd %d", n->tap_fd) : fd;
  r = virtio_net_new (&vm->mem, fd, mac, vm->loop, out, err);
  if (r < 0)
    return r;
  return wire (vm, virtio_net_transport (*out), err);
}

static int
attach_console (struct vmm *vm, const struct vmm_config *cfg, struct vmm_err *err)
{
  struct virtio_console_port_config ports[VMM_MAX_CONSOLE_PORTS];
  size_t i;
  int r;

  for (i = 0; i < cfg->n_console_ports; i++)
    {
      const struct vmm_console_port_config *c = &cfg->console_ports[i];

      ports[i] = (struct virtio_console_port_config) { .name = c->name, .in_fd = c->in_fd, .out_fd = c->out_fd };
      if (c->in_fd < 0 && c->in_path)
        {
          /* Non-blocking so that opening a FIFO does not wait for a writer. */
          ports[i].in_fd = open (c->in_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
          if (ports[i].in_fd < 0)
            return vmm_errorf (err, errno, "console port %zu: input `%s`", i, c->in_path);
          attached.port_fds[attached.n_port_fds++] = ports[i].in_fd;
        }
      if (c->out_fd < 0 && c->out_path)
        {
          ports[i].out_fd = open (c->out_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
          if (ports[i].out_fd < 0)
            return vmm_errorf (err, errno, "console port %zu: output `%s`", i, c->out_path);
          attached.port_fds[attached.n_port_fds++] = ports[i].out_fd;
        }
    }
  r = virtio_console_new (&vm->mem, ports, (unsigned) cfg->n_console_ports, vm->loop, &attached.con, err);
  if (r < 0)
    return r;
  return wire (vm, virtio_console_transport (attached.con), err);
}

int
vmm_attach_virtio_devices (struct vmm *vm, struct vmm_err *err)
{
  const struct vmm_config *cfg = vm->cfg;
  size_t i;
  int r = 0;

  if (attached.vm != NULL)
    return vmm_errorf (err, EBUSY, "virtio devices already attached to a VM in this process");
  attached.vm = vm;
  if (cfg->n_disks > VMM_MAX_DISKS || cfg->n_nets > VMM_MAX_NETS || cfg->n_console_ports > VMM_MAX_CONSOLE_PORTS)
    r = vmm_errorf (err, EINVAL, "too many virtio devices");
  for (i = 0; r == 0 && i < cfg->n_disks; i++)
    r = attach_disk (vm, &cfg->disks[i], i, &attached.blk[i], err);
  for (i = 0; r == 0 && i < cfg->n_nets; i++)
    r = attach_net (vm, &cfg->nets[i], &attached.net[i], err);
  if (r == 0 && cfg->n_console_ports > 0)
    r = attach_console (vm, cfg, err);
  if (r < 0)
    vmm_detach_virtio_devices (vm);
  return r;
}

void
vmm_detach_virtio_devices (struct vmm *vm)
{
  size_t i;

  if (attached.vm != vm)
    return;
  for (i = 0; i < VMM_MAX_DISKS; i++)
    virtio_blk_free (attached.blk[i]);
  for (i = 0; i < VMM_MAX_NETS; i++)
    virtio_net_free (attached.net[i]);
  virtio_console_free (attached.con);
  for (i = 0; i < attached.n_port_fds; i++)
    close (attached.port_fds[i]);
  memset (&attached, 0, sizeof attached);
}

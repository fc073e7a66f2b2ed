/* virtio-console with VIRTIO_CONSOLE_F_MULTIPORT (virtio 1.x section 5.3):
   port 0 is the console (hvc0), ports 1.. are named serial ports the guest
   finds under /sys/class/virtio-ports/ (e.g. "hull.control", "hull.stdio").
   Each port is backed by host fds: in_fd is read into the guest's receive
   buffers (only while the guest has the port open and has posted buffers),
   what the guest transmits is written to out_fd.  The host end of every
   port is always "connected" until in_fd reaches end of file, which the
   guest then sees as a hang-up (PORT_OPEN 0): its reads return EOF.

   The fds stay owned by the caller (they may be the VMM's own stdio).
   Reads happen only when the fd polls readable.  A non-blocking out_fd
   that fills up holds the port's output (the guest sees its transmit
   requests pending) until it drains, without stalling other devices; a
   blocking one, a regular file or an fd shared between ports is written
   synchronously. */
#ifndef HULL_VMM_VIRTIO_CONSOLE_H
#define HULL_VMM_VIRTIO_CONSOLE_H

#include <stdbool.h>

#include "microvm/vmm/event_loop.h"
#include "microvm/vmm/guest_mem.h"
#include "microvm/vmm/virtio_mmio.h"
#include "microvm/vmm/vmm.h"

/* Two queues per port plus the control pair must fit the transport. */
#define VIRTIO_CONSOLE_MAX_PORTS (VIRTIO_MMIO_MAX_QUEUES / 2 - 1)
#define VIRTIO_CONSOLE_NAME_MAX 64
#define VIRTIO_CONSOLE_QUEUE_SIZE 64

struct virtio_console_port_config
{
  const char *name;   /* port 0: NULL (the console); other ports: required */
  int in_fd;          /* host -> guest, -1: none */
  int out_fd;         /* guest -> host, -1: discarded */
};

struct virtio_console;

/* ports[0] is the console port.  loop may be NULL in tests (then input is
   only picked up when the guest kicks a receive queue). */
int virtio_console_new (const struct guest_mem *mem, const struct virtio_console_port_config *ports,
                        unsigned n_ports, struct event_loop *loop, struct virtio_console **out,
                        struct vmm_err *err);
void virtio_console_free (struct virtio_console *con);
struct virtio_mmio *virtio_console_transport (struct virtio_console *con);
/* Whether the guest has port `id` open (PORT_OPEN 1, or the console port
   once it is set up). */
bool virtio_console_port_open (struct virtio_console *con, unsigned id);

#endif

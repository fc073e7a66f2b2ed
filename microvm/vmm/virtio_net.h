/* virtio-net (virtio 1.x section 5.1) over a TAP fd opened with
   IFF_VNET_HDR: the 12-byte virtio_net_hdr_v1 travels through the TAP
   as is, so frames need no copy.  No offloads are offered; the guest's
   header is replaced by a zeroed one on transmit.  Receive runs when the
   TAP is readable and the guest has posted buffers; while it has none the
   TAP is left unpolled (back-pressure stays in the TAP's queue). */
#ifndef HULL_VMM_VIRTIO_NET_H
#define HULL_VMM_VIRTIO_NET_H

#include <stdint.h>

#include "microvm/vmm/event_loop.h"
#include "microvm/vmm/guest_mem.h"
#include "microvm/vmm/virtio_mmio.h"
#include "microvm/vmm/vmm.h"

#define VIRTIO_NET_QUEUE_SIZE 256
#define VIRTIO_NET_RXQ 0
#define VIRTIO_NET_TXQ 1

struct virtio_net;

/* Opens /dev/net/tun and attaches to (or creates) TAP `name` with
   IFF_TAP | IFF_NO_PI | IFF_VNET_HDR.  Returns the fd or -errno. */
int virtio_net_open_tap (const char *name, struct vmm_err *err);

/* Takes ownership of tap_fd (closed on failure too): sets its vnet header
   size to 12 and makes it non-blocking.  loop may be NULL (tests), then
   virtio_net_tap_readable() must be called by hand. */
int virtio_net_new (const struct guest_mem *mem, int tap_fd, const uint8_t mac[6], struct event_loop *loop,
                    struct virtio_net **out, struct vmm_err *err);
void virtio_net_free (struct virtio_net *net);
struct virtio_mmio *virtio_net_transport (struct virtio_net *net);
/* Moves frames from the TAP into posted receive buffers (what the event
   loop does when the TAP is readable). */
void virtio_net_tap_readable (struct virtio_net *net);

#endif

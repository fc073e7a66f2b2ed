/* virtio-blk (virtio 1.x section 5.2) over a file or block device fd.
   Requests are served synchronously on the event-loop thread: IN, OUT,
   FLUSH (fdatasync) and GET_ID; anything else is VIRTIO_BLK_S_UNSUPP.
   A read-only disk offers VIRTIO_BLK_F_RO and fails writes with IOERR. */
#ifndef HULL_VMM_VIRTIO_BLK_H
#define HULL_VMM_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "microvm/vmm/guest_mem.h"
#include "microvm/vmm/virtio_mmio.h"
#include "microvm/vmm/vmm.h"

#define VIRTIO_BLK_QUEUE_SIZE 256
#define VIRTIO_BLK_SECTOR_SIZE 512

struct virtio_blk;

/* Takes ownership of fd (closed by virtio_blk_free, also on failure).
   The capacity is the file's size (or the block device's) in whole
   sectors.  id may be NULL; it is cut to 20 bytes. */
int virtio_blk_new (const struct guest_mem *mem, int fd, bool readonly, const char *id,
                    struct virtio_blk **out, struct vmm_err *err);
void virtio_blk_free (struct virtio_blk *blk);
struct virtio_mmio *virtio_blk_transport (struct virtio_blk *blk);
uint64_t virtio_blk_capacity (const struct virtio_blk *blk);

#endif

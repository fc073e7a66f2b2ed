/* libFuzzer target for the VMM's guest-facing parsing: the virtio-mmio
   register file, split virtqueues (descriptor chains, indirect tables,
   ring indices) and the virtio-blk, virtio-console and virtio-net request
   handlers.

   Input layout:
     byte 0       device: 0 virtio-blk, 1 virtio-console, 2 virtio-net (mod 3)
     byte 1       bit 0: read-only disk; bits 1-2: console ports - 1 (mod 3);
                  all 8 bits: the low device feature bits the driver accepts
     bytes 2..3   n, little endian: the next n bytes (at most 16 KiB) are
                  the start of guest memory, where the driver below puts its
                  rings, so mutations land on descriptors and indices
     rest         driver operations, 1 opcode byte each (see run_ops)

   Guest memory is 64 KiB of malloc'd memory behind struct guest_mem, as
   in the unit tests.  The disk is a 64 KiB memfd; console input comes from
   a pipe the operations fill, output goes to /dev/null.  virtio-net runs
   over a TAP (link down) in a private network namespace when the fuzzer
   may create one, and is skipped otherwise. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>
#include <sys/mman.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "microvm/vmm/virtio_blk.h"
#include "microvm/vmm/virtio_console.h"
#include "microvm/vmm/virtio_mmio.h"
#include "microvm/vmm/virtio_net.h"

#define MEM_SIZE (64u * 1024)
#define QSIZE 16

struct input
{
  const uint8_t *p;
  size_t left;
};

static uint8_t
take8 (struct input *in)
{
  if (in->left == 0)
    return 0;
  in->left--;
  return *in->p++;
}

static uint16_t
take16 (struct input *in)
{
  return (uint16_t) (take8 (in) | (take8 (in) << 8));
}

static uint32_t
take32 (struct input *in)
{
  return (uint32_t) take16 (in) | ((uint32_t) take16 (in) << 16);
}

static void
w32 (struct virtio_mmio *t, uint64_t off, uint32_t v)
{
  virtio_mmio_write (t, off, (const uint8_t *) &v, 4);
}

static uint32_t
r32 (struct virtio_mmio *t, uint64_t off)
{
  uint32_t v;
  virtio_mmio_read (t, off, (uint8_t *) &v, 4);
  return v;
}

/* Queue q's rings: 0x400 bytes per queue from 0x1000 up (desc 256 bytes,
   avail 38, used 134 for 16 entries). */
static uint64_t
ring_base (unsigned q)
{
  return 0x1000 + (uint64_t) q * 0x400;
}

static void
bring_up (struct virtio_mmio *t, uint32_t accept)
{
  unsigned q;

  w32 (t, VIRTIO_MMIO_STATUS, 0);
  w32 (t, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
  w32 (t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
  w32 (t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
  w32 (t, VIRTIO_MMIO_DRIVER_FEATURES, r32 (t, VIRTIO_MMIO_DEVICE_FEATURES) & accept);
  w32 (t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
  w32 (t, VIRTIO_MMIO_DRIVER_FEATURES, 1);   /* VIRTIO_F_VERSION_1 */
  w32 (t, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
  for (q = 0; q < t->n_queues; q++)
    {
      w32 (t, VIRTIO_MMIO_QUEUE_SEL, q);
      w32 (t, VIRTIO_MMIO_QUEUE_NUM, QSIZE);
      w32 (t, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t) ring_base (q));
      w32 (t, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t) ring_base (q) + 0x100);
      w32 (t, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t) ring_base (q) + 0x200);
      w32 (t, VIRTIO_MMIO_QUEUE_READY, 1);
    }
  w32 (t, VIRTIO_MMIO_STATUS, r32 (t, VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_DRIVER_OK);
}

static void
run_ops (struct virtio_mmio *t, struct guest_mem *mem, struct input *in, int console_in)
{
  unsigned steps = 0;

  while (in->left > 0 && steps++ < 512)
    {
      uint8_t op = take8 (in);
      uint64_t off;
      uint8_t buf[8] = { 0 };
      uint32_t len, v;
      unsigned q;

      switch (op % 8)
        {
        case 0: /* raw register or config write, any size */
          off = take16 (in) & 0x1ff;
          len = 1u << (take8 (in) % 4);
          v = take32 (in);
          memcpy (buf, &v, 4);
          virtio_mmio_write (t, off, buf, len);
          break;
        case 1: /* raw read */
          off = take16 (in) & 0x1ff;
          len = 1u << (take8 (in) % 4);
          virtio_mmio_read (t, off, buf, len);
          break;
        case 2: /* patch guest memory */
          off = take16 (in);
          len = take8 (in) % 64;
          while (len-- > 0 && off < mem->size)
            mem->host[off++] = take8 (in);
          break;
        case 3: /* kick */
          w32 (t, VIRTIO_MMIO_QUEUE_NOTIFY, take8 (in) % (t->n_queues + 1));
          break;
        case 4: /* make a head available and kick */
          {
            struct vring_avail *av;
            q = take8 (in) % t->n_queues;
            av = (struct vring_avail *) (mem->host + ring_base (q) + 0x100);
            av->ring[av->idx % QSIZE] = take8 (in) % (QSIZE + 2);
            av->idx++;
            w32 (t, VIRTIO_MMIO_QUEUE_NOTIFY, q);
          }
          break;
        case 5: /* whole driver bring-up */
          bring_up (t, take32 (in));
          break;
        case 6: /* host input for the console */
          len = take8 (in) % 32;
          if (console_in >= 0 && len <= in->left)
            {
              if (write (console_in, in->p, len) < 0)
                break;
              in->p += len;
              in->left -= len;
            }
          break;
        case 7: /* interrupt acknowledge, as a guest handler would */
          w32 (t, VIRTIO_MMIO_INTERRUPT_ACK, r32 (t, VIRTIO_MMIO_INTERRUPT_STATUS));
          break;
        }
    }
}

static int disk_fd = -1, devnull = -1, tap_fd = -1;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  disk_fd = memfd_create ("fuzz-disk", MFD_CLOEXEC);
  devnull = open ("/dev/null", O_WRONLY | O_CLOEXEC);
  if (disk_fd < 0 || devnull < 0 || ftruncate (disk_fd, 64 * 1024) < 0)
    abort ();
  /* The TAP lives and dies with this process's own network namespace. */
  if (unshare (CLONE_NEWNET) == 0)
    tap_fd = virtio_net_open_tap ("fuzz0", NULL);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct input in = { data, size };
  struct guest_mem mem = { .size = MEM_SIZE, .memfd = -1 };
  struct vmm_err err;
  uint8_t kind, flags;
  uint16_t n;
  int pipefd[2] = { -1, -1 };

  mem.host = calloc (1, MEM_SIZE);
  if (mem.host == NULL)
    return 0;
  kind = take8 (&in) % 3;
  flags = take8 (&in);
  n = take16 (&in) % (16 * 1024);
  if (n > in.left)
    n = (uint16_t) in.left;
  memcpy (mem.host, in.p, n);
  in.p += n;
  in.left -= n;

  if (kind == 0)
    {
      struct virtio_blk *blk;
      if (virtio_blk_new (&mem, dup (disk_fd), flags & 1, "fuzz", &blk, &err) == 0)
        {
          bring_up (virtio_blk_transport (blk), 0xffffff00u | flags);
          run_ops (virtio_blk_transport (blk), &mem, &in, -1);
          virtio_blk_free (blk);
        }
    }
  else if (kind == 2)
    {
      static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 1 };
      struct virtio_net *net;
      if (tap_fd >= 0 && virtio_net_new (&mem, dup (tap_fd), mac, NULL, &net, &err) == 0)
        {
          bring_up (virtio_net_transport (net), 0xffffff00u | flags);
          run_ops (virtio_net_transport (net), &mem, &in, -1);
          virtio_net_tap_readable (net);
          virtio_net_free (net);
        }
    }
  else if (pipe2 (pipefd, O_CLOEXEC | O_NONBLOCK) == 0)
    {
      struct virtio_console_port_config ports[3] = {
        { NULL, pipefd[0], devnull },
        { "hull.control", -1, devnull },
        { "hull.stdio", pipefd[0], devnull },
      };
      struct virtio_console *con;
      if (virtio_console_new (&mem, ports, 1 + (unsigned) ((flags >> 1) & 3) % 3, NULL, &con, &err) == 0)
        {
          bring_up (virtio_console_transport (con), 0xffffff00u | flags);
          run_ops (virtio_console_transport (con), &mem, &in, pipefd[1]);
          virtio_console_free (con);
        }
      close (pipefd[0]);
      close (pipefd[1]);
    }
  free (mem.host);
  return 0;
}

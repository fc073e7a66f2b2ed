/* hull's VMM: a KVM microVM booted from a config struct and a few fds.
   Nothing here knows about containers; the runtime (or `hull vm boot`)
   fills a vmm_config and calls vmm_run().

   Device side (virtio engineers): a device is a bus_device on the MMIO bus.
   vmm_add_mmio_device() places it in the virtio-mmio window, gives it a GSI
   and adds its `virtio_mmio.device=` entry to the guest command line.
   Interrupts go through vmm_irqfd(), queue notifications through
   vmm_ioeventfd(); back-end fds join vm->loop (event_loop.h). */
#ifndef HULL_VMM_VMM_H
#define HULL_VMM_VMM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "microvm/vmm/bus.h"
#include "microvm/vmm/event_loop.h"
#include "microvm/vmm/guest_mem.h"

/* ---- errors: every fallible function returns -errno (< 0) and fills err */

struct vmm_err
{
  int errnum;      /* positive errno, 0 when unset */
  char msg[512];   /* one line, no trailing newline */
};

/* Formats msg (": strerror(errnum)" appended when errnum != 0) and returns
   -errnum (-EINVAL when errnum is 0).  err may be NULL. */
int vmm_errorf (struct vmm_err *err, int errnum, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));
/* Prefixes an already-set message with "context: ".  Returns -err->errnum
   (or -EINVAL). */
int vmm_error_wrap (struct vmm_err *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* ---- configuration */

#define VMM_MAX_CPUS 32
#define VMM_MIN_MEM_MIB 8
/* RAM is one slot below the 32-bit MMIO hole (virtio window, IOAPIC, LAPIC). */
#define VMM_MAX_MEM_MIB 3072

/* virtio-mmio window: device n at VMM_MMIO_BASE + n * VMM_MMIO_SIZE, GSI
   VMM_MMIO_FIRST_IRQ + n (IRQ 4 is the UART). */
#define VMM_MMIO_BASE 0xd0000000ULL
#define VMM_MMIO_SIZE 0x1000ULL
#define VMM_MMIO_FIRST_IRQ 5
#define VMM_MMIO_MAX_DEVICES 18   /* GSIs 5..22; the IOAPIC has 24 pins */

struct vmm_disk_config
{
  const char *path;
  bool readonly;
  const char *id;   /* VIRTIO_BLK_T_GET_ID string, may be NULL */
};

struct vmm_net_config
{
  const char *tap_name;   /* opened by the VMM when tap_fd < 0 */
  int tap_fd;             /* an already open TAP (IFF_VNET_HDR), or -1 */
  uint8_t mac[6];
  bool has_mac;
};

#define VMM_MAX_DISKS 8
#define VMM_MAX_NETS 4

/* virtio-console port: port 0 is the console (hvc0, name NULL), the others
   are named (/sys/class/virtio-ports/.../name, e.g. "hull.control"). */
struct vmm_console_port_config
{
  const char *name;
  int in_fd;    /* host -> guest, owned by the caller, -1: none */
  int out_fd;   /* guest -> host, owned by the caller, -1: discarded */
  /* Instead of fds: files the VMM opens itself (input read to its end,
     output created or appended to).  Used when the fd is -1. */
  const char *in_path;
  const char *out_path;
};

#define VMM_MAX_CONSOLE_PORTS 7

struct vmm_config
{
  const char *kvm_path;      /* NULL: $HULL_KVM_DEVICE, else /dev/kvm */
  int kvm_fd;                /* the KVM device already open (dup'd), or -1: kvm_path */
  const char *kernel_path;   /* bzImage or ELF (vmlinux, test guest) */
  const char *initrd_path;   /* NULL: none */
  const char *cmdline;       /* NULL: "console=ttyS0 ..." default; device entries are appended */
  unsigned int cpus;         /* 1..VMM_MAX_CPUS */
  uint64_t mem_mib;          /* VMM_MIN_MEM_MIB..VMM_MAX_MEM_MIB */

  /* SIGINT, SIGTERM and SIGHUP end the run, unless the embedder handles
     them (the VMM as a container's init forwards them to the guest). */
  bool keep_stop_signals;

  int serial_in_fd;          /* host bytes to the guest's ttyS0, -1: none */
  int serial_out_fd;         /* guest's ttyS0 output, -1: discarded */

  /* CPU features hidden from the guest on top of the default filtering
     (VMM_CPUID_NO_*): for hosts whose KVM cannot emulate them. */
  unsigned int cpuid_mask;

  struct vmm_disk_config disks[VMM_MAX_DISKS];
  size_t n_disks;
  struct vmm_net_config nets[VMM_MAX_NETS];
  size_t n_nets;
  /* A virtio-console when n_console_ports > 0; ports[0] is hvc0. */
  struct vmm_console_port_config console_ports[VMM_MAX_CONSOLE_PORTS];
  size_t n_console_ports;
};

#define VMM_CPUID_NO_CX16 (1u << 0)   /* cmpxchg16b */
#define VMM_CPUID_NO_XSAVE (1u << 1)  /* xsave/xrstor and the AVX state it carries */
#define VMM_CPUID_NO_POPCNT (1u << 2) /* popcnt */

/* Sets the defaults: 1 vCPU, 128 MiB, no devices, fds -1. */
void vmm_config_init (struct vmm_config *cfg);

/* ---- how a run ended */

enum vmm_exit_reason
{
  VMM_EXIT_NONE = 0,
  VMM_EXIT_RESET,          /* i8042 reset (0xFE to port 0x64), `reboot=k` */
  VMM_EXIT_TRIPLE_FAULT,   /* KVM_EXIT_SHUTDOWN, `reboot=t` */
  VMM_EXIT_SYSTEM_EVENT,   /* KVM_EXIT_SYSTEM_EVENT (shutdown/reset) */
  VMM_EXIT_REQUESTED,      /* a device called vmm_request_exit() */
  VMM_EXIT_SIGNAL,         /* SIGINT/SIGTERM/SIGHUP to the VMM */
  VMM_EXIT_ERROR,          /* KVM_EXIT_INTERNAL_ERROR, FAIL_ENTRY, ioctl failure ... */
};

struct vmm_exit
{
  enum vmm_exit_reason reason;
  int status;          /* the exit status the VMM process should end with */
  char detail[512];    /* for VMM_EXIT_ERROR: what failed, with registers */
};

const char *vmm_exit_reason_name (enum vmm_exit_reason r);

/* ---- the VM */

struct vmm_vcpu;

struct vmm
{
  const struct vmm_config *cfg;
  int kvm_fd, vm_fd;
  int vcpu_mmap_size;
  struct guest_mem mem;
  struct bus pio_bus;    /* port I/O: UART, i8042 */
  struct bus mmio_bus;   /* virtio-mmio windows */
  struct event_loop *loop;

  unsigned int n_vcpus;
  struct vmm_vcpu *vcpus;

  unsigned int n_mmio;               /* devices placed in the virtio-mmio window */
  char mmio_cmdline[VMM_MMIO_MAX_DEVICES * 40];

  /* Set once, by the first vCPU/device/signal that ends the run. */
  atomic_int exit_claimed;
  struct vmm_exit exit;
};

/* Places dev (its base is ignored, len <= VMM_MMIO_SIZE) at the next slot
   of the virtio-mmio window, on the MMIO bus.  Fills *base and *gsi. */
int vmm_add_mmio_device (struct vmm *vm, const struct bus_device *dev, uint64_t *base, unsigned int *gsi,
                         struct vmm_err *err);
/* An eventfd wired to GSI gsi with KVM_IRQFD: write 1 to it to raise an edge.
   Returns the fd (owned by the caller) or -errno. */
int vmm_irqfd (struct vmm *vm, unsigned int gsi, struct vmm_err *err);
/* An eventfd signalled by KVM (KVM_IOEVENTFD) when the guest writes len
   bytes at MMIO address addr, with value datamatch when use_datamatch.
   Returns the fd (owned by the caller) or -errno. */
int vmm_ioeventfd (struct vmm *vm, uint64_t addr, uint32_t len, bool use_datamatch, uint64_t datamatch,
                   struct vmm_err *err);
/* KVM_IRQ_LINE: level 1/0 on a GSI (the UART uses this). */
int vmm_irq_line (struct vmm *vm, unsigned int gsi, int level);
/* Ends the run (first caller wins): stops the event loop and the vCPUs.
   Thread-safe. */
void vmm_request_exit (struct vmm *vm, enum vmm_exit_reason reason, int status, const char *detail);

/* Hook for the virtio side, called by vmm_run() after the legacy devices are
   in place and before the command line is written: create the virtio-mmio
   devices for cfg->disks and cfg->nets.  Defined in virtio_devices.c. */
int vmm_attach_virtio_devices (struct vmm *vm, struct vmm_err *err);
/* Frees them again (closing their fds); for teardown, once the vCPUs have
   stopped, before the event loop is freed and guest memory unmapped.  Safe
   to call when nothing (or only part) was attached. */
void vmm_detach_virtio_devices (struct vmm *vm);

/* Builds the VM, boots cfg->kernel_path and runs until the guest exits.
   Returns 0 with *exit filled when the guest ran (whatever way it ended), or
   -errno when the VM could not be set up (err says why; nothing is left
   behind). */
int vmm_run (const struct vmm_config *cfg, struct vmm_exit *exit, struct vmm_err *err);

#endif

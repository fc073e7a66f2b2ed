/* The VM's life: build it from a vmm_config, boot, run the event loop on
   the calling thread while vCPU threads run the guest, tear everything
   down and report how the guest ended. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "microvm/vmm/boot.h"
#include "microvm/vmm/i8042.h"
#include "microvm/vmm/serial.h"
#include "microvm/vmm/vcpu.h"

#define KVM_TSS_ADDR 0xfffbd000ULL
#define KVM_IDENTITY_MAP_ADDR 0xfffbc000ULL
#define DEFAULT_CMDLINE "console=ttyS0 reboot=k panic=-1 quiet"

void
vmm_config_init (struct vmm_config *cfg)
{
  memset (cfg, 0, sizeof *cfg);
  cfg->cpus = 1;
  cfg->mem_mib = 128;
  cfg->serial_in_fd = -1;
  cfg->serial_out_fd = -1;
}

const char *
vmm_exit_reason_name (enum vmm_exit_reason r)
{
  switch (r)
    {
    case VMM_EXIT_NONE:
      return "none";
    case VMM_EXIT_RESET:
      return "reset";
    case VMM_EXIT_TRIPLE_FAULT:
      return "triple-fault";
    case VMM_EXIT_SYSTEM_EVENT:
      return "system-event";
    case VMM_EXIT_REQUESTED:
      return "requested";
    case VMM_EXIT_SIGNAL:
      return "signal";
    case VMM_EXIT_ERROR:
      return "error";
    }
  return "unknown";
}

void
vmm_request_exit (struct vmm *vm, enum vmm_exit_reason reason, int status, const char *detail)
{
  int expected = 0;
  if (!atomic_compare_exchange_strong (&vm->exit_claimed, &expected, 1))
    return;
  vm->exit.reason = reason;
  vm->exit.status = status;
  snprintf (vm->exit.detail, sizeof vm->exit.detail, "%s", detail ? detail : "");
  if (vm->loop)
    event_loop_stop (vm->loop);
}

/* ---- interrupt plumbing */

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

/* ---- legacy devices */

struct legacy_devices
{
  struct serial serial;
  struct i8042 i8042;
  struct vmm *vm;
  bool serial_input_registered;
};

static void
serial_set_irq (void *opaque, int level)
{
  struct vmm *vm = opaque;
  vmm_irq_line (vm, SERIAL_COM1_IRQ, level);
}

static void
serial_input_cb (void *opaque, uint32_t events)
{
  struct legacy_devices *d = opaque;
  uint8_t buf[SERIAL_FIFO_SIZE];
  unsigned int space = serial_rx_space (&d->serial);
  ssize_t n;

  if (space == 0)
    {
      /* Wait for the guest to drain the FIFO (rx_ready re-arms us). */
      event_loop_modify (d->vm->loop, d->serial.in_fd, 0);
      return;
    }
  n = read (d->serial.in_fd, buf, space);
  if (n > 0)
    serial_receive (&d->serial, buf, (unsigned int) n);
  else if (n == 0 || (errno != EAGAIN && errno != EINTR))
    {
      /* End of input: the guest keeps running, it just gets no more bytes. */
      event_loop_del (d->vm->loop, d->serial.in_fd);
      d->serial_input_registered = false;
    }
}

static void
serial_rx_ready (void *opaque)
{
  struct legacy_devices *d = opaque;
  if (d->serial_input_registered)
    event_loop_modify (d->vm->loop, d->serial.in_fd, EPOLLIN);
}

static void
i8042_reset (void *opaque)
{
  struct vmm *vm = opaque;
  vmm_request_exit (vm, VMM_EXIT_RESET, 0, "guest reset through the i8042 (reboot=k)");
}

static int
add_legacy_devices (struct vmm *vm, struct legacy_devices *d, struct vmm_err *err)
{
  struct bus_device dev;
  int r;

  d->vm = vm;
  serial_init (&d->serial, vm->cfg->serial_in_fd, vm->cfg->serial_out_fd);
  d->serial.set_irq = serial_set_irq;
  d->serial.irq_opaque = vm;
  d->serial.rx_ready = serial_rx_ready;
  d->serial.rx_opaque = d;
  dev = serial_bus_device (&d->serial, SERIAL_COM1_BASE);
  if ((r = bus_add (&vm->pio_bus, &dev)) < 0)
    return vmm_errorf (err, -r, "serial port");
  i8042_init (&d->i8042, i8042_reset, vm);
  dev = i8042_data_device (&d->i8042);
  if ((r = bus_add (&vm->pio_bus, &dev)) < 0)
    return vmm_errorf (err, -r, "i8042");
  dev = i8042_command_device (&d->i8042);
  if ((r = bus_add (&vm->pio_bus, &dev)) < 0)
    return vmm_errorf (err, -r, "i8042");
  if (vm->cfg->serial_in_fd >= 0)
    {
      /* Blocking fd (it may be the user's terminal, shared with the shell):
         a single reader woken by epoll does not block. */
      r = event_loop_add (vm->loop, vm->cfg->serial_in_fd, EPOLLIN, serial_input_cb, d);
      /* A regular file or /dev/null cannot be polled: no input then. */
      if (r == 0)
        d->serial_input_registered = true;
      else if (r != -EPERM)
        return vmm_errorf (err, -r, "serial input fd");
    }
  return 0;
}

/* ---- signals: SIGINT/SIGTERM/SIGHUP end the run through a signalfd */

struct signal_state
{
  struct vmm *vm;
  int fd;
  sigset_t old_mask;
};

static void
signalfd_cb (void *opaque, uint32_t events)
{
  struct signal_state *s = opaque;
  struct signalfd_siginfo si;
  char detail[64];

  if (read (s->fd, &si, sizeof si) != (ssize_t) sizeof si)
    return;
  snprintf (detail, sizeof detail, "VMM received %s", strsignal ((int) si.ssi_signo));
  vmm_request_exit (s->vm, VMM_EXIT_SIGNAL, 128 + (int) si.ssi_signo, detail);
}

/* ---- set-up */

static int
open_kvm (struct vmm *vm, struct vmm_err *err)
{
  const char *path = vm->cfg->kvm_path;
  static const struct
  {
    int cap;
    const char *name;
  } caps[] = {
    { KVM_CAP_IRQCHIP, "IRQCHIP" },       { KVM_CAP_USER_MEMORY, "USER_MEMORY" },
    { KVM_CAP_SET_TSS_ADDR, "SET_TSS_ADDR" }, { KVM_CAP_EXT_CPUID, "EXT_CPUID" },
    { KVM_CAP_PIT2, "PIT2" },             { KVM_CAP_IRQFD, "IRQFD" },
    { KVM_CAP_IOEVENTFD, "IOEVENTFD" },   { KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT" },
  };
  size_t i;
  int r;

  if (path == NULL)
    path = getenv ("HULL_KVM_DEVICE");
  if (path == NULL || *path == '\0')
    path = "/dev/kvm";
  vm->kvm_fd = open (path, O_RDWR | O_CLOEXEC);
  if (vm->kvm_fd < 0)
    return vmm_errorf (err, errno, "open %s", path);
  r = ioctl (vm->kvm_fd, KVM_GET_API_VERSION, 0);
  if (r != KVM_API_VERSION)
    return vmm_errorf (err, r < 0 ? errno : 0, "%s: KVM API version %d, want %d", path, r, KVM_API_VERSION);
  for (i = 0; i < sizeof caps / sizeof caps[0]; i++)
    if (ioctl (vm->kvm_fd, KVM_CHECK_EXTENSION, caps[i].cap) <= 0)
      return vmm_errorf (err, 0, "%s lacks KVM_CAP_%s", path, caps[i].name);
  vm->vcpu_mmap_size = ioctl (vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (vm->vcpu_mmap_size < (int) sizeof (struct kvm_run))
    return vmm_errorf (err, errno, "KVM_GET_VCPU_MMAP_SIZE");
  return 0;
}

static int
create_vm (struct vmm *vm, struct vmm_err *err)
{
  struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
  uint64_t identity = KVM_IDENTITY_MAP_ADDR;
  struct kvm_userspace_memory_region region;

  vm->vm_fd = ioctl (vm->kvm_fd, KVM_CREATE_VM, 0);
  if (vm->vm_fd < 0)
    return vmm_errorf (err, errno, "KVM_CREATE_VM");
  /* Guest RAM: a memfd, so another process (or a snapshot) could map it too. */
  vm->mem.size = vm->cfg->mem_mib << 20;
  vm->mem.memfd = memfd_create ("hull-guest-ram", MFD_CLOEXEC);
  if (vm->mem.memfd < 0)
    return vmm_errorf (err, errno, "memfd_create");
  if (ftruncate (vm->mem.memfd, (off_t) vm->mem.size) < 0)
    return vmm_errorf (err, errno, "guest RAM of %llu MiB", (unsigned long long) vm->cfg->mem_mib);
  vm->mem.host = mmap (NULL, vm->mem.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, vm->mem.memfd, 0);
  if (vm->mem.host == MAP_FAILED)
    {
      vm->mem.host = NULL;
      return vmm_errorf (err, errno, "mmap guest RAM of %llu MiB", (unsigned long long) vm->cfg->mem_mib);
    }
  madvise (vm->mem.host, vm->mem.size, MADV_DONTDUMP);
  memset (&region, 0, sizeof region);
  region.slot = 0;
  region.guest_phys_addr = 0;
  region.memory_size = vm->mem.size;
  region.userspace_addr = (uint64_t) (uintptr_t) vm->mem.host;
  if (ioctl (vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
    return vmm_errorf (err, errno, "KVM_SET_USER_MEMORY_REGION");

  /* After the RAM slot: once the irqchip exists, every memslot change pays
     for an SRCU grace period (5 ms here, most of the VMM's start-up). */
  if (ioctl (vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long) KVM_TSS_ADDR) < 0)
    return vmm_errorf (err, errno, "KVM_SET_TSS_ADDR");
  if (ioctl (vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &identity) < 0)
    return vmm_errorf (err, errno, "KVM_SET_IDENTITY_MAP_ADDR");
  if (ioctl (vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
    return vmm_errorf (err, errno, "KVM_CREATE_IRQCHIP");
  if (ioctl (vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
    return vmm_errorf (err, errno, "KVM_CREATE_PIT2");

  return 0;
}

struct mapped_file
{
  uint8_t *data;
  size_t len;
};

static int
map_file (const char *what, const char *path, struct mapped_file *f, struct vmm_err *err)
{
  struct stat st;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  f->data = NULL;
  f->len = 0;
  if (fd < 0)
    return vmm_errorf (err, errno, "%s `%s`", what, path);
  if (fstat (fd, &st) < 0)
    {
      int e = errno;
      close (fd);
      return vmm_errorf (err, e, "%s `%s`", what, path);
    }
  if (!S_ISREG (st.st_mode))
    {
      close (fd);
      if (S_ISDIR (st.st_mode))
        return vmm_errorf (err, EISDIR, "%s `%s`", what, path);
      return vmm_errorf (err, 0, "%s `%s` is not a regular file", what, path);
    }
  if (st.st_size == 0)
    {
      close (fd);
      return vmm_errorf (err, 0, "%s `%s` is empty", what, path);
    }
  f->data = mmap (NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close (fd);
  if (f->data == MAP_FAILED)
    {
      f->data = NULL;
      return vmm_errorf (err, errno, "mmap %s `%s`", what, path);
    }
  f->len = (size_t) st.st_size;
  return 0;
}

static void
unmap_file (struct mapped_file *f)
{
  if (f->data)
    munmap (f->data, f->len);
  f->data = NULL;
}

static int
validate_config (const struct vmm_config *cfg, struct vmm_err *err)
{
  size_t i;

  if (cfg->kernel_path == NULL || *cfg->kernel_path == '\0')
    return vmm_errorf (err, 0, "no kernel given");
  if (cfg->cpus < 1 || cfg->cpus > VMM_MAX_CPUS)
    return vmm_errorf (err, 0, "%u vCPUs requested, 1 to %d supported", cfg->cpus, VMM_MAX_CPUS);
  if (cfg->mem_mib < VMM_MIN_MEM_MIB || cfg->mem_mib > VMM_MAX_MEM_MIB)
    return vmm_errorf (err, 0, "%llu MiB of guest memory requested, %d to %d MiB supported",
                       (unsigned long long) cfg->mem_mib, VMM_MIN_MEM_MIB, VMM_MAX_MEM_MIB);
  if (cfg->n_disks > VMM_MAX_DISKS || cfg->n_nets > VMM_MAX_NETS)
    return vmm_errorf (err, 0, "too many devices");
  for (i = 0; i < cfg->n_nets; i++)
    {
      const char *name = cfg->nets[i].tap_name;
      size_t len = name ? strlen (name) : 0;
      if (cfg->nets[i].tap_fd >= 0)
        continue;
      if (len == 0 || len >= IFNAMSIZ || strcspn (name, "/: \t\n") != len || strcmp (name, ".") == 0
          || strcmp (name, "..") == 0)
        return vmm_errorf (err, 0, "TAP name `%s` is not a valid interface name", name ? name : "");
      /* The VMM attaches to an existing TAP and never creates one, so a
         typo cannot leave a stray interface behind. */
      if (if_nametoindex (name) == 0)
        return vmm_errorf (err, 0, "TAP device `%s` does not exist", name);
    }
  return 0;
}

static int
load_images (struct vmm *vm, struct boot_kernel *k, uint64_t *initrd_addr, uint64_t *initrd_size,
             struct vmm_err *err)
{
  const struct vmm_config *cfg = vm->cfg;
  struct mapped_file f;
  int r;

  r = map_file ("kernel", cfg->kernel_path, &f, err);
  if (r < 0)
    return r;
  r = boot_load_kernel (&vm->mem, f.data, f.len, k, err);
  unmap_file (&f);
  if (r < 0)
    return vmm_error_wrap (err, "kernel `%s`", cfg->kernel_path);
  *initrd_addr = *initrd_size = 0;
  if (cfg->initrd_path)
    {
      r = map_file ("initrd", cfg->initrd_path, &f, err);
      if (r < 0)
        return r;
      r = boot_load_initrd (&vm->mem, k, f.data, f.len, initrd_addr, err);
      *initrd_size = f.len;
      unmap_file (&f);
      if (r < 0)
        return vmm_error_wrap (err, "initrd `%s`", cfg->initrd_path);
    }
  return 0;
}

static int
write_boot_structures (struct vmm *vm, const struct boot_kernel *k, uint64_t initrd_addr, uint64_t initrd_size,
                       struct vmm_err *err)
{
  const char *user = vm->cfg->cmdline ? vm->cfg->cmdline : DEFAULT_CMDLINE;
  size_t len = strlen (user) + 1 + strlen (vm->mmio_cmdline) + 1;
  char *cmdline = malloc (len);
  int r;

  if (cmdline == NULL)
    return vmm_errorf (err, ENOMEM, "command line");
  snprintf (cmdline, len, "%s%s%s", user, *user && vm->mmio_cmdline[0] ? " " : "", vm->mmio_cmdline);
  r = boot_write_cmdline (&vm->mem, k, cmdline, err);
  if (r == 0)
    r = boot_write_zero_page (&vm->mem, k, strlen (cmdline), initrd_addr, initrd_size, err);
  free (cmdline);
  if (r < 0)
    return r;
  boot_write_gdt (&vm->mem);
  boot_write_page_tables (&vm->mem);
  return boot_write_mptable (&vm->mem, vm->n_vcpus, err);
}


static int
setup_signals (struct vmm *vm, struct signal_state *s, struct vmm_err *err)
{
  sigset_t set;
  int r;

  s->vm = vm;
  sigemptyset (&set);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGHUP);
  /* Blocked before the vCPU threads exist, so they inherit the mask and the
     signalfd is the only receiver. */
  /* SIGPIPE too: a closed console reader must not kill the VMM (writes get
     EPIPE and the byte is dropped). */
  sigaddset (&set, SIGPIPE);
  if (pthread_sigmask (SIG_BLOCK, &set, &s->old_mask) < 0)
    return vmm_errorf (err, errno, "sigprocmask");
  sigdelset (&set, SIGPIPE);
  s->fd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (s->fd < 0)
    return vmm_errorf (err, errno, "signalfd");
  r = event_loop_add (vm->loop, s->fd, EPOLLIN, signalfd_cb, s);
  if (r < 0)
    return vmm_errorf (err, -r, "signalfd");
  return 0;
}

static void
teardown (struct vmm *vm)
{
  unsigned int i;

  if (vm->vcpus)
    {
      for (i = 0; i < vm->n_vcpus; i++)
        vcpu_stop (&vm->vcpus[i]);
      for (i = 0; i < vm->n_vcpus; i++)
        vcpu_destroy (&vm->vcpus[i]);
      free (vm->vcpus);
      vm->vcpus = NULL;
    }
  vmm_detach_virtio_devices (vm);
  if (vm->loop)
    event_loop_free (vm->loop);
  vm->loop = NULL;
  if (vm->mem.host)
    munmap (vm->mem.host, vm->mem.size);
  vm->mem.host = NULL;
  if (vm->mem.memfd >= 0)
    close (vm->mem.memfd);
  if (vm->vm_fd >= 0)
    close (vm->vm_fd);
  if (vm->kvm_fd >= 0)
    close (vm->kvm_fd);
  vm->mem.memfd = vm->vm_fd = vm->kvm_fd = -1;
}

int
vmm_run (const struct vmm_config *cfg, struct vmm_exit *exit_out, struct vmm_err *err)
{
  struct vmm *vm;
  struct legacy_devices *legacy = NULL;
  struct signal_state sig = { .fd = -1 };
  struct kvm_cpuid2 *supported = NULL;
  struct boot_kernel kernel;
  uint64_t initrd_addr = 0, initrd_size = 0;
  bool signals_set = false;
  unsigned int i;
  int r;

  memset (exit_out, 0, sizeof *exit_out);
  r = validate_config (cfg, err);
  if (r < 0)
    return r;
  vm = calloc (1, sizeof *vm);
  legacy = calloc (1, sizeof *legacy);
  if (vm == NULL || legacy == NULL)
    {
      free (vm);
      free (legacy);
      return vmm_errorf (err, ENOMEM, "VMM state");
    }
  vm->cfg = cfg;
  vm->kvm_fd = vm->vm_fd = vm->mem.memfd = -1;
  vm->n_vcpus = cfg->cpus;
  bus_init (&vm->pio_bus);
  bus_init (&vm->mmio_bus);

  if ((r = open_kvm (vm, err)) < 0)
    goto out;
  if ((r = create_vm (vm, err)) < 0)
    goto out;
  if ((r = load_images (vm, &kernel, &initrd_addr, &initrd_size, err)) < 0)
    goto out;
  vm->loop = event_loop_new ();
  if (vm->loop == NULL)
    {
      r = vmm_errorf (err, errno ? errno : ENOMEM, "event loop");
      goto out;
    }
  if ((r = add_legacy_devices (vm, legacy, err)) < 0)
    goto out;
  if ((r = vmm_attach_virtio_devices (vm, err)) < 0)
    goto out;
  if ((r = write_boot_structures (vm, &kernel, initrd_addr, initrd_size, err)) < 0)
    goto out;

  if ((r = cpuid_get_supported (vm->kvm_fd, &supported, err)) < 0)
    goto out;
  vm->vcpus = calloc (vm->n_vcpus, sizeof *vm->vcpus);
  if (vm->vcpus == NULL)
    {
      r = vmm_errorf (err, ENOMEM, "vCPUs");
      goto out;
    }
  for (i = 0; i < vm->n_vcpus; i++)
    {
      vm->vcpus[i].fd = -1;
      vm->vcpus[i].vm = vm;
    }
  for (i = 0; i < vm->n_vcpus; i++)
    if ((r = vcpu_create (vm, &vm->vcpus[i], i, supported, kernel.entry, err)) < 0)
      goto out;

  if ((r = setup_signals (vm, &sig, err)) < 0)
    goto out;
  signals_set = true;
  for (i = 0; i < vm->n_vcpus; i++)
    if ((r = vcpu_start (&vm->vcpus[i], err)) < 0)
      goto out;

  r = event_loop_run (vm->loop);
  if (r < 0)
    vmm_request_exit (vm, VMM_EXIT_ERROR, 1, "event loop failed");
  r = 0;

out:
  /* Claim the exit (if nobody did) so vCPU threads leave their loop. */
  vmm_request_exit (vm, VMM_EXIT_ERROR, 1, err ? err->msg : "set-up failed");
  teardown (vm);
  if (signals_set)
    {
      /* Drop a SIGPIPE left pending by a console write before unblocking. */
      sigset_t pipe_set;
      struct timespec zero = { 0, 0 };
      sigemptyset (&pipe_set);
      sigaddset (&pipe_set, SIGPIPE);
      while (sigtimedwait (&pipe_set, NULL, &zero) == SIGPIPE)
        ;
      pthread_sigmask (SIG_SETMASK, &sig.old_mask, NULL);
    }
  if (sig.fd >= 0)
    close (sig.fd);
  if (r == 0)
    *exit_out = vm->exit;
  free (supported);
  free (legacy);
  free (vm);
  return r;
}

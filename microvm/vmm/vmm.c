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
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "microvm/vmm/boot.h"
#include "microvm/vmm/legacy.h"
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
  cfg->kvm_fd = -1;
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

/* ---- signals: SIGINT/SIGTERM/SIGHUP end the run through a signalfd */

struct signal_state
{
  struct vmm *vm;
  int fd;
  sigset_t old_mask;
  bool blocked;   /* old_mask must be restored */
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
  /* An open fd: a jailed VMM may no longer be allowed to open the node. */
  if (vm->cfg->kvm_fd >= 0)
    {
      vm->kvm_fd = fcntl (vm->cfg->kvm_fd, F_DUPFD_CLOEXEC, 0);
      path = "the KVM device fd";
    }
  else
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
  /* Blocked before the vCPU threads exist, so they inherit the mask and the
     signalfd is the only receiver.  SIGPIPE too: a closed console reader
     must not kill the VMM (writes get EPIPE and the byte is dropped). */
  sigaddset (&set, SIGPIPE);
  if (pthread_sigmask (SIG_BLOCK, &set, &s->old_mask) != 0)
    return vmm_errorf (err, EINVAL, "pthread_sigmask");
  s->blocked = true;
  if (vm->cfg->keep_stop_signals)
    return 0;
  sigemptyset (&set);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGHUP);
  if (pthread_sigmask (SIG_BLOCK, &set, NULL) != 0)
    return vmm_errorf (err, EINVAL, "pthread_sigmask");
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
  if (sig.blocked)
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

/* Interrupt plumbing on the real /dev/kvm: irqfd and ioeventfd as the
   virtio devices use them, and the supported CPUID after filtering.
   Skipped (with a TAP skip) where /dev/kvm is absent. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "microvm/vmm/vcpu.h"
#include "tests/unit/count_dir.h"
#include "tests/unit/tap.h"

#define TESTGUEST "build/testguest/testguest.elf"

static int
guest_ram_mapped (void)
{
  char line[512];
  int found = 0;
  FILE *f = fopen ("/proc/self/maps", "r");
  while (f && fgets (line, sizeof line, f))
    if (strstr (line, "hull-guest-ram"))
      found = 1;
  if (f)
    fclose (f);
  return found;
}

/* vmm_run() end to end in this process: the guest's output, how it ended,
   and that nothing (fds, threads, guest RAM) outlives the run, whether it
   booted or failed half-way. */
static void
test_run_leaves_nothing (void)
{
  struct vmm_config cfg;
  struct vmm_exit ex;
  struct vmm_err err = { 0 };
  char out[256] = { 0 };
  int p[2], fds, threads, r;
  sigset_t mask_before, mask_after;

  if (access (TESTGUEST, R_OK) != 0)
    {
      TAP_OK (1, "# skip " TESTGUEST " not built");
      return;
    }
  if (pipe (p) < 0)
    abort ();
  fds = count_dir ("/proc/self/fd");
  threads = count_dir ("/proc/self/task");
  pthread_sigmask (SIG_SETMASK, NULL, &mask_before);

  vmm_config_init (&cfg);
  cfg.kernel_path = TESTGUEST;
  cfg.cmdline = "scenario=exitcode code=5";
  cfg.cpus = 2;
  cfg.mem_mib = 32;
  cfg.serial_out_fd = p[1];
  r = vmm_run (&cfg, &ex, &err);
  TAP_EQ_INT (r, 0, "vmm_run boots the test guest (%s)", err.msg);
  TAP_EQ_INT (ex.reason, VMM_EXIT_RESET, "guest ended by i8042 reset");
  TAP_EQ_INT (ex.status, 0, "exit status 0");
  TAP_OK (read (p[0], out, sizeof out - 1) > 0 && strstr (out, "TESTGUEST-EXIT 5"), "serial output reached the fd");
  TAP_EQ_INT (count_dir ("/proc/self/fd"), fds, "no fd left after a run");
  TAP_EQ_INT (count_dir ("/proc/self/task"), threads, "no vCPU thread left after a run");
  TAP_OK (!guest_ram_mapped (), "guest RAM unmapped after a run");
  pthread_sigmask (SIG_SETMASK, NULL, &mask_after);
  TAP_OK (sigismember (&mask_after, SIGINT) == sigismember (&mask_before, SIGINT)
              && sigismember (&mask_after, SIGPIPE) == sigismember (&mask_before, SIGPIPE),
          "signal mask restored after a run");

  cfg.cmdline = "scenario=hello reboot=t";
  r = vmm_run (&cfg, &ex, &err);
  TAP_OK (r == 0 && ex.reason == VMM_EXIT_TRIPLE_FAULT, "triple fault reported as such");

  cfg.kernel_path = "/nonexistent/kernel";
  r = vmm_run (&cfg, &ex, &err);
  TAP_OK (r < 0 && strstr (err.msg, "No such file"), "missing kernel fails after KVM set-up: %s", err.msg);
  TAP_EQ_INT (count_dir ("/proc/self/fd"), fds, "no fd left after a failed set-up");
  TAP_OK (!guest_ram_mapped (), "no guest RAM left after a failed set-up");

  cfg.kernel_path = TESTGUEST;
  cfg.initrd_path = "/nonexistent/initrd";
  r = vmm_run (&cfg, &ex, &err);
  TAP_OK (r < 0 && strstr (err.msg, "initrd"), "missing initrd fails: %s", err.msg);
  TAP_EQ_INT (count_dir ("/proc/self/fd"), fds, "no fd left after a late failure");
  cfg.initrd_path = NULL;

  cfg.disks[0].path = "/nonexistent/disk";
  cfg.n_disks = 1;
  r = vmm_run (&cfg, &ex, &err);
  TAP_OK (r < 0 && strstr (err.msg, "disk"), "missing disk fails: %s", err.msg);
  TAP_EQ_INT (count_dir ("/proc/self/fd"), fds, "no fd left after a device failure");
  TAP_EQ_INT (count_dir ("/proc/self/task"), threads, "no thread left after a device failure");
  close (p[0]);
  close (p[1]);
}

int
main (void)
{
  struct vmm vm;
  struct vmm_err err = { 0 };
  struct kvm_cpuid2 *cpuid = NULL;
  struct kvm_cpuid_entry2 *e;
  int fd, fd2;

  memset (&vm, 0, sizeof vm);
  vm.kvm_fd = open ("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (vm.kvm_fd < 0)
    {
      printf ("ok 1 # skip no /dev/kvm\n1..1\n");
      return 0;
    }
  vm.vm_fd = ioctl (vm.kvm_fd, KVM_CREATE_VM, 0);
  TAP_OK (vm.vm_fd >= 0, "VM created");
  TAP_EQ_INT (ioctl (vm.vm_fd, KVM_CREATE_IRQCHIP, 0), 0, "in-kernel irqchip");

  fd = vmm_irqfd (&vm, 5, &err);
  TAP_OK (fd >= 0, "irqfd for GSI 5 (%s)", err.msg);
  {
    uint64_t one = 1;
    TAP_EQ_INT (write (fd, &one, sizeof one), 8, "irqfd accepts a write (edge on GSI 5)");
  }
  fd2 = vmm_irqfd (&vm, 5, &err);
  TAP_OK (fd2 >= 0, "a second irqfd on the same GSI is allowed");
  close (fd2);
  TAP_EQ_INT (vmm_irq_line (&vm, 4, 1), 0, "KVM_IRQ_LINE raises GSI 4");
  TAP_EQ_INT (vmm_irq_line (&vm, 4, 0), 0, "and lowers it");

  fd2 = vmm_ioeventfd (&vm, 0xd0000050, 4, true, 0, &err);
  TAP_OK (fd2 >= 0, "ioeventfd on QueueNotify with datamatch 0 (%s)", err.msg);
  TAP_EQ_INT (vmm_ioeventfd (&vm, 0xd0000050, 4, true, 0, &err), -EEXIST, "duplicate ioeventfd refused");
  TAP_OK (strstr (err.msg, "0xd0000050") != NULL, "error names the address: %s", err.msg);
  {
    int fd3 = vmm_ioeventfd (&vm, 0xd0000050, 4, true, 1, &err);
    TAP_OK (fd3 >= 0, "another datamatch on the same address");
    close (fd3);
  }
  close (fd2);
  close (fd);

  TAP_EQ_INT (cpuid_get_supported (vm.kvm_fd, &cpuid, &err), 0, "KVM_GET_SUPPORTED_CPUID");
  cpuid_filter (cpuid, 1, 2);
  e = cpuid_find (cpuid, 1, 0);
  TAP_OK (e && (e->ecx >> 31) == 1 && (e->ebx >> 24) == 1, "filtered leaf 1: hypervisor bit, APIC id 1");
  e = cpuid_find (cpuid, 0x40000000, 0);
  TAP_OK (e && memcmp (&e->ebx, "KVMK", 4) == 0 && memcmp (&e->ecx, "VMKV", 4) == 0, "KVM signature leaf present");
  e = cpuid_find (cpuid, 0x40000001, 0);
  TAP_OK (e != NULL, "KVM features leaf 0x40000001 present (eax=0x%x)", e ? e->eax : 0);
  free (cpuid);
  close (vm.vm_fd);
  close (vm.kvm_fd);
  test_run_leaves_nothing ();
  return tap_done ();
}

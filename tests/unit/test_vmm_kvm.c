/* Interrupt plumbing on the real /dev/kvm: irqfd and ioeventfd as the
   virtio devices use them, and the supported CPUID after filtering.
   Skipped (with a TAP skip) where /dev/kvm is absent. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "microvm/vmm/vcpu.h"
#include "tests/unit/tap.h"

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
  return tap_done ();
}

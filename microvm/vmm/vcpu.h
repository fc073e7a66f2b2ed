/* vCPUs: KVM state set-up (CPUID, MSRs, FPU, LAPIC, long-mode registers)
   and the per-thread KVM_RUN loop.  Internal to the VMM. */
#ifndef HULL_VMM_VCPU_H
#define HULL_VMM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>

#include "microvm/vmm/vmm.h"

struct vmm_vcpu
{
  struct vmm *vm;
  unsigned int id;
  int fd;
  struct kvm_run *run;
  pthread_t thread;
  bool started;
};

/* The signal that kicks a vCPU thread out of KVM_RUN (its handler is empty). */
int vcpu_kick_signal (void);

/* KVM_GET_SUPPORTED_CPUID into a malloc'ed table. */
int cpuid_get_supported (int kvm_fd, struct kvm_cpuid2 **out, struct vmm_err *err);
/* Adjusts a copy of the supported table for vCPU `cpu` of `ncpus`:
   hypervisor bit, APIC ids and topology, KVM leaves, features masked. */
void cpuid_filter (struct kvm_cpuid2 *c, unsigned int cpu, unsigned int ncpus);
/* Hides the features in mask (VMM_CPUID_NO_*). */
void cpuid_mask_features (struct kvm_cpuid2 *c, unsigned int mask);
struct kvm_cpuid_entry2 *cpuid_find (struct kvm_cpuid2 *c, uint32_t function, uint32_t index);

/* Boot MSRs (never 0x10a, IA32_ARCH_CAPABILITIES). */
#define VCPU_MAX_BOOT_MSRS 16
int vcpu_boot_msrs (uint32_t *indices, uint64_t *values, int max);

int vcpu_create (struct vmm *vm, struct vmm_vcpu *v, unsigned int id, const struct kvm_cpuid2 *supported,
                 uint64_t entry, struct vmm_err *err);
void vcpu_destroy (struct vmm_vcpu *v);
int vcpu_start (struct vmm_vcpu *v, struct vmm_err *err);
/* Asks a running vCPU thread to leave KVM_RUN and waits for it. */
void vcpu_stop (struct vmm_vcpu *v);

/* Long-mode special registers for the boot vCPU, from the boot layout. */
void vcpu_boot_sregs (struct kvm_sregs *s);

#endif

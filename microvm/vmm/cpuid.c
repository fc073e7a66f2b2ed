/* CPUID for the guest: what KVM supports, minus what the guest must not
   use, plus per-vCPU topology and the KVM paravirt leaves. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "microvm/vmm/vcpu.h"

#define CPUID_MAX_ENTRIES 256

int
cpuid_get_supported (int kvm_fd, struct kvm_cpuid2 **out, struct vmm_err *err)
{
  struct kvm_cpuid2 *c;

  c = calloc (1, sizeof *c + CPUID_MAX_ENTRIES * sizeof (struct kvm_cpuid_entry2));
  if (c == NULL)
    return vmm_errorf (err, ENOMEM, "CPUID table");
  c->nent = CPUID_MAX_ENTRIES;
  if (ioctl (kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0)
    {
      int e = errno;
      free (c);
      return vmm_errorf (err, e, "KVM_GET_SUPPORTED_CPUID");
    }
  *out = c;
  return 0;
}

struct kvm_cpuid_entry2 *
cpuid_find (struct kvm_cpuid2 *c, uint32_t function, uint32_t index)
{
  uint32_t i;
  for (i = 0; i < c->nent; i++)
    if (c->entries[i].function == function
        && (!(c->entries[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || c->entries[i].index == index))
      return &c->entries[i];
  return NULL;
}

static unsigned int
bits_for (unsigned int n)
{
  unsigned int b = 0;
  while ((1u << b) < n)
    b++;
  return b;
}

void
cpuid_filter (struct kvm_cpuid2 *c, unsigned int cpu, unsigned int ncpus)
{
  uint32_t i;

  for (i = 0; i < c->nent; i++)
    {
      struct kvm_cpuid_entry2 *e = &c->entries[i];
      switch (e->function)
        {
        case 1:
          e->ebx = (e->ebx & 0x0000ffffu) | (cpu << 24) | ((ncpus & 0xff) << 16);
          e->ecx |= 1u << 31;          /* hypervisor present */
          e->ecx &= ~(1u << 3);        /* MONITOR/MWAIT: not emulated */
          e->ecx &= ~(1u << 5);        /* VMX: no nesting */
          if (ncpus > 1)
            e->edx |= 1u << 28;        /* HTT: the count in ebx is valid */
          else
            e->edx &= ~(1u << 28);
          break;
        case 4:
          /* Deterministic cache parameters: cores per package. */
          e->eax = (e->eax & 0x03ffffffu) | ((ncpus - 1) << 26);
          break;
        case 6:
          e->ecx &= ~(1u << 3);        /* energy-performance bias MSR absent */
          break;
        case 0xa:
          /* No PMU: a guest must not program counters KVM may not back. */
          e->eax = e->ebx = e->ecx = e->edx = 0;
          break;
        case 0xb:
        case 0x1f:
          /* Topology: one thread per core, ncpus cores in one package. */
          e->edx = cpu;
          if (e->index == 0)
            {
              e->eax = 0;
              e->ebx = 1;
              e->ecx = (1u << 8) | 0;
            }
          else if (e->index == 1)
            {
              e->eax = bits_for (ncpus);
              e->ebx = ncpus;
              e->ecx = (2u << 8) | 1;
            }
          else
            {
              e->eax = e->ebx = 0;
              e->ecx = e->index;
            }
          break;
        case 0x40000000:
          /* KVM signature: the guest's paravirt code (kvm-clock) keys on it. */
          e->eax = e->eax > 0x40000001 ? e->eax : 0x40000001;
          memcpy (&e->ebx, "KVMK", 4);
          memcpy (&e->ecx, "VMKV", 4);
          memcpy (&e->edx, "M\0\0\0", 4);
          break;
        case 0x80000001:
          e->ecx &= ~(1u << 2);        /* SVM: no nesting */
          break;
        default:
          break;
        }
    }
}

void
cpuid_mask_features (struct kvm_cpuid2 *c, unsigned int mask)
{
  uint32_t i;

  for (i = 0; i < c->nent; i++)
    {
      struct kvm_cpuid_entry2 *e = &c->entries[i];
      if (e->function == 1 && (mask & VMM_CPUID_NO_CX16))
        e->ecx &= ~(1u << 13);
      if (e->function == 1 && (mask & VMM_CPUID_NO_POPCNT))
        e->ecx &= ~(1u << 23);
      if (!(mask & VMM_CPUID_NO_XSAVE))
        continue;
      if (e->function == 1)
        /* XSAVE, OSXSAVE, and what needs XSAVE-managed state: AVX, FMA, F16C. */
        e->ecx &= ~((1u << 26) | (1u << 27) | (1u << 28) | (1u << 12) | (1u << 29));
      else if (e->function == 7 && e->index == 0)
        {
          /* AVX2 and the AVX-512 family. */
          e->ebx &= ~((1u << 5) | (1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27) | (1u << 28)
                      | (1u << 30) | (1u << 31));
          e->ecx &= ~((1u << 1) | (1u << 6) | (1u << 11) | (1u << 12) | (1u << 14));
          e->edx &= ~((1u << 2) | (1u << 3) | (1u << 8) | (1u << 23));
        }
      else if (e->function == 0xd)
        e->eax = e->ebx = e->ecx = e->edx = 0;
    }
}

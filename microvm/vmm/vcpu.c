/* One thread per vCPU around KVM_RUN; exits dispatched to the buses. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "microvm/vmm/boot.h"
#include "microvm/vmm/vcpu.h"

#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_TSC 0x10
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_IA32_ARCH_CAPABILITIES 0x10a

#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_MODE_NMI 0x4
#define APIC_MODE_EXTINT 0x7

int
vcpu_kick_signal (void)
{
  return SIGRTMIN + 1;
}

int
vcpu_boot_msrs (uint32_t *idx, uint64_t *val, int max)
{
  static const struct
  {
    uint32_t index;
    uint64_t value;
  } boot[] = {
    { MSR_IA32_SYSENTER_CS, 0 },
    { MSR_IA32_SYSENTER_ESP, 0 },
    { MSR_IA32_SYSENTER_EIP, 0 },
    { MSR_STAR, 0 },
    { MSR_CSTAR, 0 },
    { MSR_KERNEL_GS_BASE, 0 },
    { MSR_SYSCALL_MASK, 0 },
    { MSR_LSTAR, 0 },
    { MSR_IA32_TSC, 0 },
    { MSR_IA32_MISC_ENABLE, 1 },                 /* fast strings */
    { MSR_MTRR_DEF_TYPE, (1u << 11) | 6 },       /* MTRRs on, default write-back */
  };
  int i, n = 0;
  for (i = 0; i < (int) (sizeof boot / sizeof boot[0]) && n < max; i++)
    {
      if (boot[i].index == MSR_IA32_ARCH_CAPABILITIES)
        continue;
      idx[n] = boot[i].index;
      val[n] = boot[i].value;
      n++;
    }
  return n;
}

static bool
msr_in_list (const struct kvm_msr_list *list, uint32_t index)
{
  uint32_t i;
  for (i = 0; i < list->nmsrs; i++)
    if (list->indices[i] == index)
      return true;
  return false;
}

static int
setup_msrs (struct vmm *vm, struct vmm_vcpu *v, struct vmm_err *err)
{
  struct
  {
    struct kvm_msrs hdr;
    struct kvm_msr_entry e[VCPU_MAX_BOOT_MSRS];
  } msrs;
  struct kvm_msr_list *list;
  uint32_t idx[VCPU_MAX_BOOT_MSRS];
  uint64_t val[VCPU_MAX_BOOT_MSRS];
  int i, n, r;

  list = calloc (1, sizeof *list + 1024 * sizeof (uint32_t));
  if (list == NULL)
    return vmm_errorf (err, ENOMEM, "MSR list");
  list->nmsrs = 1024;
  if (ioctl (vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0)
    {
      int e = errno;
      free (list);
      return vmm_errorf (err, e, "KVM_GET_MSR_INDEX_LIST");
    }
  memset (&msrs, 0, sizeof msrs);
  n = vcpu_boot_msrs (idx, val, VCPU_MAX_BOOT_MSRS);
  for (i = 0; i < n; i++)
    {
      /* Set only what this KVM saves and restores; anything else would make
         KVM_SET_MSRS stop at the first refusal. */
      if (!msr_in_list (list, idx[i]))
        continue;
      msrs.e[msrs.hdr.nmsrs].index = idx[i];
      msrs.e[msrs.hdr.nmsrs].data = val[i];
      msrs.hdr.nmsrs++;
    }
  free (list);
  r = ioctl (v->fd, KVM_SET_MSRS, &msrs);
  if (r < 0)
    return vmm_errorf (err, errno, "vCPU %u: KVM_SET_MSRS", v->id);
  if ((uint32_t) r != msrs.hdr.nmsrs)
    return vmm_errorf (err, EINVAL, "vCPU %u: KVM_SET_MSRS refused MSR 0x%x", v->id, msrs.e[r].index);
  return 0;
}

static int
setup_lapic (struct vmm_vcpu *v, struct vmm_err *err)
{
  struct kvm_lapic_state lapic;
  uint32_t reg;

  if (ioctl (v->fd, KVM_GET_LAPIC, &lapic) < 0)
    return vmm_errorf (err, errno, "vCPU %u: KVM_GET_LAPIC", v->id);
  /* LINT0 takes the PIC's ExtINT, LINT1 the NMI, as on a PC. */
  memcpy (&reg, lapic.regs + APIC_LVT_LINT0, 4);
  reg = (reg & ~0x700u) | (APIC_MODE_EXTINT << 8);
  memcpy (lapic.regs + APIC_LVT_LINT0, &reg, 4);
  memcpy (&reg, lapic.regs + APIC_LVT_LINT1, 4);
  reg = (reg & ~0x700u) | (APIC_MODE_NMI << 8);
  memcpy (lapic.regs + APIC_LVT_LINT1, &reg, 4);
  if (ioctl (v->fd, KVM_SET_LAPIC, &lapic) < 0)
    return vmm_errorf (err, errno, "vCPU %u: KVM_SET_LAPIC", v->id);
  return 0;
}

void
vcpu_boot_sregs (struct kvm_sregs *s)
{
  struct kvm_segment code = {
    .base = 0, .limit = 0xffffffff, .selector = BOOT_SEL_CODE, .type = 0xb, .present = 1,
    .dpl = 0, .db = 0, .s = 1, .l = 1, .g = 1,
  };
  struct kvm_segment data = {
    .base = 0, .limit = 0xffffffff, .selector = BOOT_SEL_DATA, .type = 0x3, .present = 1,
    .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
  };
  struct kvm_segment tss = {
    .base = 0, .limit = 0xffffffff, .selector = BOOT_SEL_TSS, .type = 0xb, .present = 1,
    .dpl = 0, .db = 0, .s = 0, .l = 0, .g = 1,
  };

  s->cs = code;
  s->ds = s->es = s->fs = s->gs = s->ss = data;
  s->tr = tss;
  s->gdt.base = BOOT_GDT_ADDR;
  s->gdt.limit = BOOT_GDT_ENTRIES * 8 - 1;
  s->idt.base = BOOT_IDT_ADDR;
  s->idt.limit = 7;
  s->cr0 = 0x80000011;   /* PG | ET | PE */
  s->cr3 = BOOT_PML4_ADDR;
  s->cr4 = 0x20;         /* PAE */
  s->efer = 0x500;       /* LMA | LME */
}

static int
setup_boot_registers (struct vmm_vcpu *v, uint64_t entry, struct vmm_err *err)
{
  struct kvm_sregs sregs;
  struct kvm_regs regs;
  struct kvm_fpu fpu;

  memset (&fpu, 0, sizeof fpu);
  fpu.fcw = 0x37f;
  fpu.mxcsr = 0x1f80;
  if (ioctl (v->fd, KVM_SET_FPU, &fpu) < 0)
    return vmm_errorf (err, errno, "vCPU %u: KVM_SET_FPU", v->id);
  if (v->id != 0)
    return 0;   /* APs wait for INIT/SIPI from the guest, through the in-kernel LAPIC */

  if (ioctl (v->fd, KVM_GET_SREGS, &sregs) < 0)
    return vmm_errorf (err, errno, "KVM_GET_SREGS");
  vcpu_boot_sregs (&sregs);
  if (ioctl (v->fd, KVM_SET_SREGS, &sregs) < 0)
    return vmm_errorf (err, errno, "KVM_SET_SREGS");
  memset (&regs, 0, sizeof regs);
  regs.rflags = 2;
  regs.rip = entry;
  regs.rsp = regs.rbp = BOOT_STACK_ADDR;
  regs.rsi = BOOT_ZERO_PAGE_ADDR;
  if (ioctl (v->fd, KVM_SET_REGS, &regs) < 0)
    return vmm_errorf (err, errno, "KVM_SET_REGS");
  return 0;
}

int
vcpu_create (struct vmm *vm, struct vmm_vcpu *v, unsigned int id, const struct kvm_cpuid2 *supported,
             uint64_t entry, struct vmm_err *err)
{
  size_t cpuid_size = sizeof *supported + supported->nent * sizeof (struct kvm_cpuid_entry2);
  struct kvm_cpuid2 *cpuid;
  int r;

  v->vm = vm;
  v->id = id;
  v->fd = ioctl (vm->vm_fd, KVM_CREATE_VCPU, (unsigned long) id);
  if (v->fd < 0)
    {
      v->fd = -1;
      return vmm_errorf (err, errno, "KVM_CREATE_VCPU %u", id);
    }
  v->run = mmap (NULL, vm->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
  if (v->run == MAP_FAILED)
    {
      v->run = NULL;
      return vmm_errorf (err, errno, "vCPU %u: mmap kvm_run", id);
    }
  cpuid = malloc (cpuid_size);
  if (cpuid == NULL)
    return vmm_errorf (err, ENOMEM, "CPUID");
  memcpy (cpuid, supported, cpuid_size);
  cpuid_filter (cpuid, id, vm->n_vcpus);
  cpuid_mask_features (cpuid, vm->cfg->cpuid_mask);
  r = ioctl (v->fd, KVM_SET_CPUID2, cpuid);
  free (cpuid);
  if (r < 0)
    return vmm_errorf (err, errno, "vCPU %u: KVM_SET_CPUID2", id);
  r = setup_msrs (vm, v, err);
  if (r < 0)
    return r;
  r = setup_lapic (v, err);
  if (r < 0)
    return r;
  return setup_boot_registers (v, entry, err);
}

void
vcpu_destroy (struct vmm_vcpu *v)
{
  if (v->run != NULL)
    munmap (v->run, v->vm->vcpu_mmap_size);
  v->run = NULL;
  if (v->fd >= 0)
    close (v->fd);
  v->fd = -1;
}

static void
fatal_exit (struct vmm_vcpu *v, const char *what)
{
  struct kvm_regs regs;
  char detail[400];

  memset (&regs, 0, sizeof regs);
  ioctl (v->fd, KVM_GET_REGS, &regs);
  snprintf (detail, sizeof detail, "vCPU %u: %s (rip=0x%llx rsp=0x%llx rax=0x%llx rflags=0x%llx)", v->id, what,
            (unsigned long long) regs.rip, (unsigned long long) regs.rsp, (unsigned long long) regs.rax,
            (unsigned long long) regs.rflags);
  vmm_request_exit (v->vm, VMM_EXIT_ERROR, 1, detail);
}

/* Software virtualization (kvm_pvm) fails to emulate some instructions a
   Linux guest uses; int3 is one.  Deliver it as the CPU would: a #BP trap
   with rip past the instruction.  Returns true when the exit was handled. */
static bool
inject_failed_int3 (struct vmm_vcpu *v)
{
  struct kvm_regs regs;
  struct kvm_translation tr;
  struct kvm_vcpu_events events;
  const uint8_t *insn;

  if (ioctl (v->fd, KVM_GET_REGS, &regs) < 0)
    return false;
  memset (&tr, 0, sizeof tr);
  tr.linear_address = regs.rip;
  if (ioctl (v->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid)
    return false;
  insn = guest_mem_range (&v->vm->mem, tr.physical_address, 1);
  if (insn == NULL || *insn != 0xcc)
    return false;
  if (ioctl (v->fd, KVM_GET_VCPU_EVENTS, &events) < 0 || events.exception.injected || events.exception.pending)
    return false;
  regs.rip += 1;
  if (ioctl (v->fd, KVM_SET_REGS, &regs) < 0)
    return false;
  events.exception.injected = 1;
  events.exception.nr = 3;
  events.exception.has_error_code = 0;
  events.flags = 0;
  return ioctl (v->fd, KVM_SET_VCPU_EVENTS, &events) == 0;
}

static void
handle_exit (struct vmm_vcpu *v)
{
  struct kvm_run *run = v->run;
  struct vmm *vm = v->vm;
  char what[200];

  switch (run->exit_reason)
    {
    case KVM_EXIT_IO:
      {
        uint8_t *data = (uint8_t *) run + run->io.data_offset;
        uint32_t i;
        /* Bounded by the kvm_run page KVM itself filled. */
        if (run->io.data_offset + (uint64_t) run->io.size * run->io.count > (uint64_t) vm->vcpu_mmap_size)
          {
            fatal_exit (v, "port I/O exit with a data buffer outside kvm_run");
            return;
          }
        for (i = 0; i < run->io.count; i++)
          bus_access (&vm->pio_bus, run->io.port, data + i * run->io.size, run->io.size,
                      run->io.direction == KVM_EXIT_IO_OUT);
        return;
      }
    case KVM_EXIT_MMIO:
      if (run->mmio.len > sizeof run->mmio.data)
        {
          fatal_exit (v, "MMIO exit wider than 8 bytes");
          return;
        }
      bus_access (&vm->mmio_bus, run->mmio.phys_addr, run->mmio.data, run->mmio.len, run->mmio.is_write);
      return;
    case KVM_EXIT_SHUTDOWN:
      vmm_request_exit (vm, VMM_EXIT_TRIPLE_FAULT, 0, "guest triple fault (reboot=t)");
      return;
    case KVM_EXIT_SYSTEM_EVENT:
      snprintf (what, sizeof what, "guest system event %u", run->system_event.type);
      vmm_request_exit (vm, VMM_EXIT_SYSTEM_EVENT, 0, what);
      return;
    case KVM_EXIT_HLT:
      vmm_request_exit (vm, VMM_EXIT_SYSTEM_EVENT, 0, "guest halted with interrupts off");
      return;
    case KVM_EXIT_INTR:
      return;
    case KVM_EXIT_INTERNAL_ERROR:
      if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION && inject_failed_int3 (v))
        return;
      snprintf (what, sizeof what, "KVM internal error, suberror %u%s", run->internal.suberror,
                run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ? " (instruction emulation failed)" : "");
      fatal_exit (v, what);
      return;
    case KVM_EXIT_FAIL_ENTRY:
      snprintf (what, sizeof what, "VM entry failed, hardware reason 0x%llx",
                (unsigned long long) run->fail_entry.hardware_entry_failure_reason);
      fatal_exit (v, what);
      return;
    default:
      snprintf (what, sizeof what, "unhandled KVM exit reason %u", run->exit_reason);
      fatal_exit (v, what);
      return;
    }
}

static void *
vcpu_thread (void *arg)
{
  struct vmm_vcpu *v = arg;
  struct vmm *vm = v->vm;
  sigset_t set;

  sigemptyset (&set);
  sigaddset (&set, vcpu_kick_signal ());
  pthread_sigmask (SIG_UNBLOCK, &set, NULL);

  while (!atomic_load (&vm->exit_claimed))
    {
      if (ioctl (v->fd, KVM_RUN, 0) < 0)
        {
          char what[120];
          if (errno == EINTR || errno == EAGAIN)
            continue;
          snprintf (what, sizeof what, "KVM_RUN: %s", strerror (errno));
          fatal_exit (v, what);
          break;
        }
      handle_exit (v);
    }
  return NULL;
}

static void
kick_handler (int sig)
{
  (void) sig;
}

int
vcpu_start (struct vmm_vcpu *v, struct vmm_err *err)
{
  static int handler_installed;
  int r;

  if (!handler_installed)
    {
      struct sigaction sa;
      memset (&sa, 0, sizeof sa);
      sa.sa_handler = kick_handler;   /* no SA_RESTART: KVM_RUN returns EINTR */
      sigemptyset (&sa.sa_mask);
      if (sigaction (vcpu_kick_signal (), &sa, NULL) < 0)
        return vmm_errorf (err, errno, "sigaction");
      handler_installed = 1;
    }
  r = pthread_create (&v->thread, NULL, vcpu_thread, v);
  if (r != 0)
    return vmm_errorf (err, r, "vCPU %u: pthread_create", v->id);
  v->started = true;
  return 0;
}

void
vcpu_stop (struct vmm_vcpu *v)
{
  if (!v->started)
    return;
  /* immediate_exit covers a kick that lands just before KVM_RUN. */
  v->run->immediate_exit = 1;
  __atomic_thread_fence (__ATOMIC_SEQ_CST);
  pthread_kill (v->thread, vcpu_kick_signal ());
  pthread_join (v->thread, NULL);
  v->started = false;
}

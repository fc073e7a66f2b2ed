/* SMP: what the VMM promised (MP table, CPUID APIC ids) and whether the
   secondary CPUs really start (INIT/SIPI through the local APIC). */
#include "tg.h"

#define LAPIC_BASE 0xfee00000ull
#define LAPIC_ID 0x20
#define LAPIC_ICR_LOW 0x300
#define LAPIC_ICR_HIGH 0x310
#define TRAMPOLINE_BASE 0x10000ull
#define MAX_CPUS 32
#define AP_STACK_SIZE 8192

extern char ap_trampoline[], ap_trampoline_end[], ap_cr3[], ap_entry64[];
extern char pvh_pml4[];

static volatile int cpus_up = 1;
static volatile uint32_t ap_apic_ids[MAX_CPUS];
static uint8_t ap_stacks[MAX_CPUS][AP_STACK_SIZE] __attribute__ ((aligned (16), used));
static volatile int next_stack __attribute__ ((used));

static uint8_t
checksum (const uint8_t *p, unsigned len)
{
  uint8_t s = 0;
  while (len--)
    s += *p++;
  return s;
}

/* Returns the number of enabled processors in the MP table, -1 if absent or
   corrupt. */
static int
mptable_cpus (void)
{
  const uint8_t *p;
  for (p = (const uint8_t *) 0x9fc00; p < (const uint8_t *) 0xa0000; p += 16)
    {
      const uint8_t *t, *e;
      unsigned len, count, i, cpus = 0;
      if (tg_strncmp ((const char *) p, "_MP_", 4) != 0 || checksum (p, 16) != 0)
        continue;
      t = (const uint8_t *) (uintptr_t) * (const uint32_t *) (p + 4);
      if (tg_strncmp ((const char *) t, "PCMP", 4) != 0)
        return -1;
      len = *(const uint16_t *) (t + 4);
      if (checksum (t, len) != 0)
        return -1;
      count = *(const uint16_t *) (t + 34);
      e = t + 44;
      for (i = 0; i < count; i++)
        {
          if (e[0] == 0)
            {
              if (e[3] & 1)
                cpus++;
              e += 20;
            }
          else
            e += 8;
        }
      return (int) cpus;
    }
  return -1;
}

static void ap_main (void) __attribute__ ((noreturn, used));

static void
ap_main (void)
{
  uint32_t a, b, c, d;
  cpuid (1, 0, &a, &b, &c, &d);
  ap_apic_ids[__atomic_fetch_add (&cpus_up, 1, __ATOMIC_SEQ_CST)] = b >> 24;
  for (;;)
    __asm__ volatile ("cli; hlt");
}

/* The trampoline jumps here in long mode with no stack: take one. */
__asm__ (".text\n"
         "ap_entry_stub:\n"
         "  movl $1, %eax\n"
         "  lock xaddl %eax, next_stack(%rip)\n"
         "  incl %eax\n"
         "  imulq $8192, %rax, %rax\n"
         "  leaq ap_stacks(%rip), %rsp\n"
         "  addq %rax, %rsp\n"
         "  call ap_main\n");
extern char ap_entry_stub[];

static void
lapic_write (uint32_t reg, uint32_t v)
{
  mmio_write32 (LAPIC_BASE + reg, v);
}

static void
delay (long n)
{
  while (n-- > 0)
    inb (0x80);   /* one exit each: a few microseconds */
}

int
scenario_smp (void)
{
  uint32_t a, b, c, d;
  int expected, i, spins;

  expected = mptable_cpus ();
  cpuid (1, 0, &a, &b, &c, &d);
  tg_printf ("smp: mptable cpus %d, bsp apic id %u, hypervisor bit %u\n", expected, b >> 24, (c >> 31) & 1);
  cpuid (0x40000000, 0, &a, &b, &c, &d);
  {
    char sig[13];
    memcpy (sig, &b, 4);
    memcpy (sig + 4, &c, 4);
    memcpy (sig + 8, &d, 4);
    sig[12] = '\0';
    tg_printf ("smp: hypervisor signature %s\n", sig);
  }
  if (expected < 1)
    return 1;
  if (expected > MAX_CPUS)
    expected = MAX_CPUS;

  memcpy ((void *) TRAMPOLINE_BASE, ap_trampoline, (size_t) (ap_trampoline_end - ap_trampoline));
  *(volatile uint64_t *) (TRAMPOLINE_BASE + (ap_cr3 - ap_trampoline))
      = tg_booted_by_pvh ? (uint64_t) (uintptr_t) pvh_pml4 : 0x9000;
  *(volatile uint64_t *) (TRAMPOLINE_BASE + (ap_entry64 - ap_trampoline)) = (uint64_t) (uintptr_t) ap_entry_stub;

  for (i = 1; i < expected; i++)
    {
      lapic_write (LAPIC_ICR_HIGH, (uint32_t) i << 24);
      lapic_write (LAPIC_ICR_LOW, 0x4500);                                  /* INIT */
      delay (100);
      lapic_write (LAPIC_ICR_HIGH, (uint32_t) i << 24);
      lapic_write (LAPIC_ICR_LOW, 0x4600 | (uint32_t) (TRAMPOLINE_BASE >> 12)); /* SIPI */
      /* Wait in VM exits, not pause loops: a bound in wall time (seconds
         on any host), generous for a host too busy to run the AP at once. */
      for (spins = 0; spins < 1000000 && cpus_up <= i; spins++)
        inb (0x80);
    }
  for (spins = 0; spins < 1000000 && cpus_up < expected; spins++)
    inb (0x80);
  for (i = 1; i < cpus_up; i++)
    tg_printf ("smp: cpu with apic id %u is up\n", ap_apic_ids[i]);
  tg_printf ("smp: %d of %d cpus up\n", cpus_up, expected);
  return cpus_up == expected ? 0 : 2;
}

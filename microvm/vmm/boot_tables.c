/* GDT, identity page tables and the MP table: the CPU and interrupt view the
   guest starts with. */
#include <errno.h>
#include <string.h>

#include "microvm/vmm/boot.h"

uint64_t
boot_gdt_entry (uint16_t flags, uint32_t base, uint32_t limit)
{
  return ((uint64_t) (base & 0xff000000u) << 32) | ((uint64_t) (flags & 0xf0ffu) << 40)
         | ((uint64_t) (limit & 0x000f0000u) << 32) | ((uint64_t) (base & 0x00ffffffu) << 16)
         | (uint64_t) (limit & 0x0000ffffu);
}

void
boot_write_gdt (const struct guest_mem *m)
{
  uint64_t gdt[BOOT_GDT_ENTRIES] = {
    0,                                         /* null */
    0,                                         /* unused, keeps __BOOT_CS at 0x10 */
    boot_gdt_entry (0xa09b, 0, 0xfffff),       /* 0x10: 64-bit code, present, exec/read, 4K granular */
    boot_gdt_entry (0xc093, 0, 0xfffff),       /* 0x18: data, present, read/write, 32-bit, 4K granular */
    boot_gdt_entry (0x808b, 0, 0xfffff),       /* 0x20: TSS, busy */
  };
  uint64_t idt = 0;
  guest_mem_write (m, BOOT_GDT_ADDR, gdt, sizeof gdt);
  guest_mem_write (m, BOOT_IDT_ADDR, &idt, sizeof idt);
}

void
boot_write_page_tables (const struct guest_mem *m)
{
  uint64_t *pml4 = guest_mem_range (m, BOOT_PML4_ADDR, 0x1000);
  uint64_t *pdpt = guest_mem_range (m, BOOT_PDPT_ADDR, 0x1000);
  uint64_t *pd = guest_mem_range (m, BOOT_PD_ADDR, 0x1000 * BOOT_PD_PAGES);
  uint64_t i;

  if (pml4 == NULL || pdpt == NULL || pd == NULL)
    return;
  memset (pml4, 0, 0x1000);
  memset (pdpt, 0, 0x1000);
  pml4[0] = BOOT_PDPT_ADDR | 0x03;   /* present, writable */
  for (i = 0; i < BOOT_PD_PAGES; i++)
    pdpt[i] = (BOOT_PD_ADDR + i * 0x1000) | 0x03;
  for (i = 0; i < 512 * BOOT_PD_PAGES; i++)
    pd[i] = (i << 21) | 0x83;        /* present, writable, 2 MiB page */
}

/* ---- MP table (Intel MultiProcessor Specification 1.4, chapter 4) */

#define MP_SPEC_REV 4
#define MP_LAPIC_VERSION 0x14
#define MP_IOAPIC_VERSION 0x11

struct mpf_intel
{
  char signature[4];   /* "_MP_" */
  uint32_t physptr;
  uint8_t length;      /* in 16-byte units */
  uint8_t specification;
  uint8_t checksum;
  uint8_t feature[5];
} __attribute__ ((packed));

struct mpc_table
{
  char signature[4];   /* "PCMP" */
  uint16_t length;
  uint8_t spec;
  uint8_t checksum;
  char oem[8];
  char productid[12];
  uint32_t oemptr;
  uint16_t oemsize;
  uint16_t oemcount;
  uint32_t lapic;
  uint16_t ext_length;
  uint8_t ext_checksum;
  uint8_t reserved;
} __attribute__ ((packed));

struct mpc_cpu
{
  uint8_t type;        /* 0 */
  uint8_t apicid;
  uint8_t apicver;
  uint8_t cpuflag;     /* 1 enabled, 2 bootstrap processor */
  uint32_t cpufeature;
  uint32_t featureflag;
  uint32_t reserved[2];
} __attribute__ ((packed));

struct mpc_bus
{
  uint8_t type;        /* 1 */
  uint8_t busid;
  char bustype[6];
} __attribute__ ((packed));

struct mpc_ioapic
{
  uint8_t type;        /* 2 */
  uint8_t apicid;
  uint8_t apicver;
  uint8_t flags;       /* 1 enabled */
  uint32_t apicaddr;
} __attribute__ ((packed));

struct mpc_intsrc
{
  uint8_t type;        /* 3 I/O interrupt, 4 local interrupt */
  uint8_t irqtype;     /* 0 INT, 1 NMI, 3 ExtINT */
  uint16_t irqflag;    /* 0: conforms to the bus */
  uint8_t srcbus;
  uint8_t srcbusirq;
  uint8_t dstapic;
  uint8_t dstirq;
} __attribute__ ((packed));

static uint8_t
mp_checksum (const uint8_t *p, size_t len)
{
  uint8_t sum = 0;
  while (len--)
    sum += *p++;
  return (uint8_t) -sum;
}

int
boot_write_mptable (const struct guest_mem *m, unsigned int ncpus, struct vmm_err *err)
{
  const uint64_t base = BOOT_EBDA_ADDR;
  const uint64_t table_addr = base + sizeof (struct mpf_intel);
  const uint8_t ioapic_id = (uint8_t) ncpus;
  size_t size = sizeof (struct mpf_intel) + sizeof (struct mpc_table) + ncpus * sizeof (struct mpc_cpu)
                + sizeof (struct mpc_bus) + sizeof (struct mpc_ioapic)
                + BOOT_IOAPIC_PINS * sizeof (struct mpc_intsrc) + 2 * sizeof (struct mpc_intsrc);
  uint8_t *p, *start;
  struct mpf_intel *mpf;
  struct mpc_table *mpc;
  unsigned int i, entries = 0;

  if (ncpus == 0 || ncpus > VMM_MAX_CPUS)
    return vmm_errorf (err, 0, "MP table: %u CPUs out of range", ncpus);
  if (size > 0x100000 - base)
    return vmm_errorf (err, 0, "MP table: %zu bytes do not fit below 1 MiB", size);
  start = guest_mem_range (m, base, size);
  if (start == NULL)
    return vmm_errorf (err, 0, "MP table: guest memory too small");
  memset (start, 0, size);

  mpf = (struct mpf_intel *) start;
  memcpy (mpf->signature, "_MP_", 4);
  mpf->physptr = (uint32_t) table_addr;
  mpf->length = 1;
  mpf->specification = MP_SPEC_REV;

  mpc = (struct mpc_table *) (start + sizeof *mpf);
  memcpy (mpc->signature, "PCMP", 4);
  mpc->spec = MP_SPEC_REV;
  memcpy (mpc->oem, "HULL    ", 8);
  memcpy (mpc->productid, "MICROVM     ", 12);
  mpc->lapic = BOOT_LAPIC_ADDR;
  p = (uint8_t *) (mpc + 1);

  for (i = 0; i < ncpus; i++, entries++)
    {
      struct mpc_cpu c = {
        .type = 0,
        .apicid = (uint8_t) i,
        .apicver = MP_LAPIC_VERSION,
        .cpuflag = (uint8_t) (1 | (i == 0 ? 2 : 0)),
        .cpufeature = 0x600,           /* family 6 */
        .featureflag = 0x201,          /* FPU, APIC */
      };
      memcpy (p, &c, sizeof c);
      p += sizeof c;
    }
  {
    struct mpc_bus b = { .type = 1, .busid = 0 };
    memcpy (b.bustype, "ISA   ", 6);
    memcpy (p, &b, sizeof b);
    p += sizeof b;
    entries++;
  }
  {
    struct mpc_ioapic io = { .type = 2, .apicid = ioapic_id, .apicver = MP_IOAPIC_VERSION, .flags = 1,
                             .apicaddr = BOOT_IOAPIC_ADDR };
    memcpy (p, &io, sizeof io);
    p += sizeof io;
    entries++;
  }
  /* ISA IRQ n on IOAPIC pin n, except the timer: IRQ 0 is wired to pin 2
     (as KVM routes GSI 0), and pin 0 carries the PIC's ExtINT. */
  for (i = 0; i < BOOT_IOAPIC_PINS; i++, entries++)
    {
      struct mpc_intsrc s = { .type = 3, .irqtype = 0, .irqflag = 0, .srcbus = 0, .srcbusirq = (uint8_t) i,
                              .dstapic = ioapic_id, .dstirq = (uint8_t) i };
      if (i == 0)
        {
          s.irqtype = 3;   /* ExtINT */
        }
      else if (i == 2)
        s.srcbusirq = 0;   /* timer */
      memcpy (p, &s, sizeof s);
      p += sizeof s;
    }
  {
    struct mpc_intsrc lint0 = { .type = 4, .irqtype = 3, .srcbus = 0, .srcbusirq = 0, .dstapic = 0xff, .dstirq = 0 };
    struct mpc_intsrc lint1 = { .type = 4, .irqtype = 1, .srcbus = 0, .srcbusirq = 0, .dstapic = 0xff, .dstirq = 1 };
    memcpy (p, &lint0, sizeof lint0);
    p += sizeof lint0;
    memcpy (p, &lint1, sizeof lint1);
    p += sizeof lint1;
    entries += 2;
  }

  mpc->length = (uint16_t) (p - (uint8_t *) mpc);
  mpc->oemcount = (uint16_t) entries;
  mpc->checksum = mp_checksum ((uint8_t *) mpc, mpc->length);
  mpf->checksum = mp_checksum ((uint8_t *) mpf, sizeof *mpf);
  return 0;
}

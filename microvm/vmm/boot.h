/* The Linux x86-64 boot protocol, 64-bit entry: guest memory layout and the
   structures the VMM writes before the first instruction.  Pure functions
   over struct guest_mem so unit tests check their exact bytes. */
#ifndef HULL_VMM_BOOT_H
#define HULL_VMM_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "microvm/vmm/guest_mem.h"
#include "microvm/vmm/vmm.h"

/* Guest physical layout below 1 MiB (Firecracker's, with the GDT in the
   order Documentation/x86/boot.rst asks for: __BOOT_CS 0x10, __BOOT_DS 0x18). */
#define BOOT_GDT_ADDR 0x500ULL
#define BOOT_GDT_ENTRIES 5
#define BOOT_IDT_ADDR 0x520ULL
#define BOOT_ZERO_PAGE_ADDR 0x7000ULL
#define BOOT_STACK_ADDR 0x8ff0ULL
#define BOOT_PML4_ADDR 0x9000ULL
#define BOOT_PDPT_ADDR 0xa000ULL
#define BOOT_PD_ADDR 0xb000ULL      /* BOOT_PD_PAGES pages of 2 MiB entries */
#define BOOT_PD_PAGES 4             /* identity map of the first 4 GiB (RAM and the MMIO hole) */
#define BOOT_CMDLINE_ADDR 0x20000ULL
#define BOOT_CMDLINE_MAX 0x10000ULL /* up to the MP table's page, far above any kernel's cmdline_size */
#define BOOT_EBDA_ADDR 0x9fc00ULL   /* end of conventional RAM; the MP table lives here */
#define BOOT_HIMEM_ADDR 0x100000ULL

#define BOOT_SEL_CODE 0x10
#define BOOT_SEL_DATA 0x18
#define BOOT_SEL_TSS 0x20

/* Segment descriptor as the CPU reads it from the GDT. */
uint64_t boot_gdt_entry (uint16_t flags, uint32_t base, uint32_t limit);

struct boot_kernel
{
  uint64_t entry;        /* guest physical address of the 64-bit entry */
  uint64_t load_addr;    /* where the image (protected-mode part) starts */
  uint64_t end;          /* first byte above the kernel, incl. init_size for bzImage */
  int is_bzimage;
  uint32_t cmdline_max;     /* bytes of command line the kernel accepts (without NUL) */
  uint32_t initrd_addr_max; /* highest address the initrd may end at */
  uint8_t setup_header[0x80]; /* bzImage: bytes 0x1f1.. of the file, copied into the zero page */
  size_t setup_header_len;
};

/* Recognises a bzImage (HdrS, version >= 2.12, XLF_KERNEL_64) or an x86-64
   ELF, checks it fits and copies it into guest memory. */
int boot_load_kernel (const struct guest_mem *m, const uint8_t *img, size_t len, struct boot_kernel *k,
                      struct vmm_err *err);
/* Places an initrd as high as allowed (page aligned, below initrd_addr_max
   and RAM end, above the kernel). */
int boot_load_initrd (const struct guest_mem *m, const struct boot_kernel *k, const uint8_t *data, size_t len,
                      uint64_t *addr, struct vmm_err *err);
int boot_write_cmdline (const struct guest_mem *m, const struct boot_kernel *k, const char *cmdline,
                        struct vmm_err *err);
/* e820: [0, EBDA) RAM, [1 MiB, RAM end) RAM.  Returns the entry count. */
int boot_e820 (uint64_t mem_size, uint64_t (*entries)[3], int max);
int boot_write_zero_page (const struct guest_mem *m, const struct boot_kernel *k, size_t cmdline_len,
                          uint64_t initrd_addr, uint64_t initrd_size, struct vmm_err *err);
void boot_write_gdt (const struct guest_mem *m);
void boot_write_page_tables (const struct guest_mem *m);
/* Intel MP spec 1.4 floating pointer + configuration table at BOOT_EBDA_ADDR:
   ncpus processors (APIC ids 0..n-1), an ISA bus, the IOAPIC, and one
   interrupt entry per ISA IRQ 0..15 and per virtio GSI up to 23. */
int boot_write_mptable (const struct guest_mem *m, unsigned int ncpus, struct vmm_err *err);

#define BOOT_IOAPIC_ADDR 0xfec00000U
#define BOOT_LAPIC_ADDR 0xfee00000U
#define BOOT_IOAPIC_PINS 24

#endif

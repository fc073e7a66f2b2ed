/* Boot structures, byte for byte: GDT, page tables, e820, zero page,
   kernel/initrd placement, MP table, long-mode registers, CPUID and MSRs.
   Guest memory is simulated (a plain allocation); no KVM needed. */
#include <asm/bootparam.h>
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "microvm/vmm/boot.h"
#include "microvm/vmm/vcpu.h"
#include "tests/unit/tap.h"

#define MIB (1024ULL * 1024ULL)

static struct guest_mem
new_mem (uint64_t size)
{
  struct guest_mem m = { .host = calloc (1, size), .size = size, .memfd = -1 };
  if (m.host == NULL)
    abort ();
  return m;
}

static uint64_t
rd64 (const struct guest_mem *m, uint64_t gpa)
{
  uint64_t v = 0;
  guest_mem_read (m, gpa, &v, 8);
  return v;
}

static uint32_t
rd32 (const struct guest_mem *m, uint64_t gpa)
{
  uint32_t v = 0;
  guest_mem_read (m, gpa, &v, 4);
  return v;
}

static uint8_t
sum_bytes (const uint8_t *p, size_t n)
{
  uint8_t s = 0;
  while (n--)
    s += *p++;
  return s;
}

static void
test_gdt_and_page_tables (void)
{
  struct guest_mem m = new_mem (16 * MIB);

  TAP_EQ_INT (boot_gdt_entry (0xa09b, 0, 0xfffff), 0x00af9b000000ffffLL, "64-bit code descriptor");
  TAP_EQ_INT (boot_gdt_entry (0xc093, 0, 0xfffff), 0x00cf93000000ffffLL, "data descriptor");
  TAP_EQ_INT (boot_gdt_entry (0x808b, 0, 0xfffff), 0x008f8b000000ffffLL, "TSS descriptor");
  TAP_EQ_INT (boot_gdt_entry (0x4092, 0x12345678, 0xabcde), 0x124a92345678bcdeLL, "base 31:24 in byte 7, flags and limit 19:16 in byte 6");
  TAP_EQ_INT (boot_gdt_entry (0x4092, 0x12345678, 0xabcde) & 0xffffffffffffULL, 0x92345678bcdeLL,
              "base 23:0, access byte and limit 15:0");

  boot_write_gdt (&m);
  TAP_EQ_INT (rd64 (&m, 0x500), 0, "GDT[0] null");
  TAP_EQ_INT (rd64 (&m, 0x508), 0, "GDT[1] unused");
  TAP_EQ_INT (rd64 (&m, 0x510), 0x00af9b000000ffffLL, "GDT[2] = __BOOT_CS 0x10");
  TAP_EQ_INT (rd64 (&m, 0x518), 0x00cf93000000ffffLL, "GDT[3] = __BOOT_DS 0x18");
  TAP_EQ_INT (rd64 (&m, 0x520), 0, "IDT at 0x520 is one empty entry");

  boot_write_page_tables (&m);
  TAP_EQ_INT (rd64 (&m, 0x9000), 0xa003, "PML4[0] = PDPT | present | writable");
  TAP_EQ_INT (rd64 (&m, 0x9008), 0, "PML4[1] empty");
  TAP_EQ_INT (rd64 (&m, 0xa000), 0xb003, "PDPT[0] = 0xb003");
  TAP_EQ_INT (rd64 (&m, 0xa008), 0xc003, "PDPT[1] = 0xc003");
  TAP_EQ_INT (rd64 (&m, 0xa018), 0xe003, "PDPT[3] = 0xe003 (4 GiB mapped)");
  TAP_EQ_INT (rd64 (&m, 0xa020), 0, "PDPT[4] empty");
  TAP_EQ_INT (rd64 (&m, 0xb000), 0x83, "PD[0] = 2 MiB page at 0");
  TAP_EQ_INT (rd64 (&m, 0xb008), 0x200083, "PD[1] = 2 MiB page at 2 MiB");
  TAP_EQ_INT (rd64 (&m, 0xb000 + 8 * 1663), (1663ULL << 21) | 0x83, "PD entry for 0xcfe00000");
  TAP_EQ_INT (rd64 (&m, 0xb000 + 8 * 2047), 0xffe00083LL, "last PD entry maps 0xffe00000");
  free (m.host);
}

static void
test_sregs_and_msrs (void)
{
  struct kvm_sregs s;
  uint32_t idx[VCPU_MAX_BOOT_MSRS];
  uint64_t val[VCPU_MAX_BOOT_MSRS];
  int i, n, has_misc = 0, has_mtrr = 0, has_10a = 0;

  memset (&s, 0, sizeof s);
  vcpu_boot_sregs (&s);
  TAP_EQ_INT (s.cs.selector, 0x10, "CS selector 0x10");
  TAP_OK (s.cs.l == 1 && s.cs.db == 0 && s.cs.type == 0xb && s.cs.present, "CS is 64-bit code");
  TAP_EQ_INT (s.ds.selector, 0x18, "DS selector 0x18");
  TAP_EQ_INT (s.ss.selector, 0x18, "SS selector 0x18");
  TAP_EQ_INT (s.tr.selector, 0x20, "TR selector 0x20");
  TAP_EQ_INT (s.gdt.base, 0x500, "GDTR base");
  TAP_EQ_INT (s.gdt.limit, 39, "GDTR limit (5 entries)");
  TAP_EQ_INT (s.idt.base, 0x520, "IDTR base");
  TAP_EQ_INT (s.cr0, 0x80000011, "CR0 = PG | ET | PE");
  TAP_EQ_INT (s.cr3, 0x9000, "CR3 = PML4");
  TAP_EQ_INT (s.cr4, 0x20, "CR4 = PAE");
  TAP_EQ_INT (s.efer, 0x500, "EFER = LMA | LME");

  n = vcpu_boot_msrs (idx, val, VCPU_MAX_BOOT_MSRS);
  for (i = 0; i < n; i++)
    {
      if (idx[i] == 0x10a)
        has_10a = 1;
      if (idx[i] == 0x1a0 && val[i] == 1)
        has_misc = 1;
      if (idx[i] == 0x2ff && val[i] == 0x806)
        has_mtrr = 1;
    }
  TAP_OK (n >= 10, "boot MSR list has %d entries", n);
  TAP_OK (!has_10a, "never MSR 0x10a (IA32_ARCH_CAPABILITIES)");
  TAP_OK (has_misc, "IA32_MISC_ENABLE = fast strings");
  TAP_OK (has_mtrr, "MTRRdefType = enabled, write-back");
}

static void
test_e820 (void)
{
  uint64_t e[4][3];
  int n = boot_e820 (128 * MIB, e, 4);
  TAP_EQ_INT (n, 2, "two e820 entries");
  TAP_OK (e[0][0] == 0 && e[0][1] == 0x9fc00 && e[0][2] == 1, "e820[0] = RAM [0, 0x9fc00)");
  TAP_OK (e[1][0] == 0x100000 && e[1][1] == 128 * MIB - 0x100000 && e[1][2] == 1, "e820[1] = RAM [1 MiB, 128 MiB)");
}

/* A synthetic bzImage: setup_sects = 2, header per the boot protocol, a
   recognisable protected-mode payload. */
static uint8_t *
make_bzimage (size_t *len, uint16_t version, uint16_t xloadflags, uint32_t init_size)
{
  size_t setup = 3 * 512, payload = 8192;
  uint8_t *img = calloc (1, setup + payload);
  size_t i;

  img[0x1f1] = 2;                                   /* setup_sects */
  img[0x1fe] = 0x55, img[0x1ff] = 0xaa;             /* boot_flag */
  img[0x200] = 0xeb, img[0x201] = 0x66;             /* jump: header ends at 0x268 */
  memcpy (img + 0x202, "HdrS", 4);
  memcpy (img + 0x206, &version, 2);
  img[0x211] = 0x01;                                /* loadflags: LOADED_HIGH */
  {
    uint32_t initrd_max = 0x7fffffff, align = 0x200000, cmdline = 2047;
    uint64_t pref = 0x1000000;
    memcpy (img + 0x22c, &initrd_max, 4);
    memcpy (img + 0x230, &align, 4);
    img[0x234] = 1;                                 /* relocatable */
    memcpy (img + 0x236, &xloadflags, 2);
    memcpy (img + 0x238, &cmdline, 4);
    memcpy (img + 0x258, &pref, 8);
    memcpy (img + 0x260, &init_size, 4);
  }
  for (i = 0; i < payload; i++)
    img[setup + i] = (uint8_t) (i * 7 + 1);
  *len = setup + payload;
  return img;
}

static void
test_bzimage (void)
{
  struct guest_mem m = new_mem (64 * MIB);
  struct boot_kernel k;
  struct vmm_err err = { 0 };
  struct boot_params *bp;
  size_t len;
  uint8_t *img = make_bzimage (&len, 0x020f, 0x23, 4 * MIB);
  uint64_t initrd_addr = 0;
  uint8_t initrd[10000];
  int r;

  r = boot_load_kernel (&m, img, len, &k, &err);
  TAP_EQ_INT (r, 0, "bzImage accepted (%s)", err.msg);
  TAP_EQ_INT (k.load_addr, 0x1000000, "relocatable kernel loaded at pref_address");
  TAP_EQ_INT (k.entry, 0x1000200, "64-bit entry = load + 0x200");
  TAP_EQ_INT (k.end, 0x1000000 + 4 * MIB, "kernel end covers init_size");
  TAP_OK (memcmp (m.host + 0x1000000, img + 3 * 512, len - 3 * 512) == 0, "protected-mode part copied verbatim");

  memset (initrd, 0x5a, sizeof initrd);
  r = boot_load_initrd (&m, &k, initrd, sizeof initrd, &initrd_addr, &err);
  TAP_EQ_INT (r, 0, "initrd placed");
  TAP_EQ_INT (initrd_addr, (64 * MIB - sizeof initrd) & ~0xfffULL, "initrd at the top of RAM, page aligned");
  TAP_OK (m.host[initrd_addr] == 0x5a && m.host[initrd_addr + sizeof initrd - 1] == 0x5a, "initrd bytes copied");

  r = boot_write_cmdline (&m, &k, "console=ttyS0 reboot=k", &err);
  TAP_EQ_INT (r, 0, "command line written");
  TAP_EQ_STR ((char *) m.host + 0x20000, "console=ttyS0 reboot=k", "command line at 0x20000");
  r = boot_write_zero_page (&m, &k, 22, initrd_addr, sizeof initrd, &err);
  TAP_EQ_INT (r, 0, "zero page written");
  bp = (struct boot_params *) (m.host + 0x7000);
  TAP_EQ_INT (bp->hdr.boot_flag, 0xaa55, "zero page boot_flag");
  TAP_EQ_INT (bp->hdr.header, 0x53726448, "zero page header HdrS");
  TAP_EQ_INT (bp->hdr.version, 0x020f, "setup header copied from the image");
  TAP_EQ_INT (bp->hdr.type_of_loader, 0xff, "type_of_loader = undefined");
  TAP_EQ_INT (bp->hdr.cmd_line_ptr, 0x20000, "cmd_line_ptr");
  TAP_EQ_INT (bp->hdr.cmdline_size, 23, "cmdline_size includes the NUL");
  TAP_EQ_INT (bp->hdr.ramdisk_image, initrd_addr, "ramdisk_image");
  TAP_EQ_INT (bp->hdr.ramdisk_size, sizeof initrd, "ramdisk_size");
  TAP_EQ_INT (bp->hdr.code32_start, 0x1000000, "code32_start = load address");
  TAP_EQ_INT (bp->e820_entries, 2, "e820_entries");
  TAP_OK (bp->e820_table[1].addr == 0x100000 && bp->e820_table[1].size == 63 * MIB && bp->e820_table[1].type == 1,
          "e820_table[1] = RAM from 1 MiB to 64 MiB");
  TAP_EQ_INT (rd32 (&m, 0x7000 + 0x228), 0x20000, "cmd_line_ptr at zero page offset 0x228");
  TAP_EQ_INT (m.host[0x7000 + 0x1e8], 2, "e820_entries at zero page offset 0x1e8");
  free (img);

  {
    char longline[3000];
    memset (longline, 'x', sizeof longline - 1);
    longline[sizeof longline - 1] = '\0';
    r = boot_write_cmdline (&m, &k, longline, &err);
    TAP_OK (r < 0 && strstr (err.msg, "accepts 2047"), "overlong command line refused: %s", err.msg);
  }

  img = make_bzimage (&len, 0x020b, 0x23, 4 * MIB);
  r = boot_load_kernel (&m, img, len, &k, &err);
  TAP_OK (r < 0 && strstr (err.msg, "2.11"), "boot protocol 2.11 refused: %s", err.msg);
  free (img);
  img = make_bzimage (&len, 0x020f, 0x22, 4 * MIB);
  r = boot_load_kernel (&m, img, len, &k, &err);
  TAP_OK (r < 0 && strstr (err.msg, "XLF_KERNEL_64"), "no 64-bit entry refused: %s", err.msg);
  free (img);
  img = make_bzimage (&len, 0x020f, 0x23, 200 * MIB);
  r = boot_load_kernel (&m, img, len, &k, &err);
  TAP_OK (r < 0 && strstr (err.msg, "MiB of RAM"), "init_size beyond RAM refused: %s", err.msg);
  r = boot_load_kernel (&m, img, 0x400, &k, &err);
  TAP_OK (r < 0, "truncated bzImage refused: %s", err.msg);
  img[0x1fe] = 0;
  r = boot_load_kernel (&m, img, len, &k, &err);
  TAP_OK (r < 0 && strstr (err.msg, "boot flag"), "bad boot flag refused: %s", err.msg);
  free (img);
  r = boot_load_kernel (&m, (const uint8_t *) "garbage garbage garbage", 23, &k, &err);
  TAP_OK (r < 0 && strstr (err.msg, "not a bzImage"), "garbage refused: %s", err.msg);
  free (m.host);
}

static uint8_t *
make_elf (size_t *len, uint64_t paddr, uint64_t filesz, uint64_t memsz, uint64_t entry)
{
  size_t off = sizeof (Elf64_Ehdr) + sizeof (Elf64_Phdr);
  uint8_t *img = calloc (1, off + filesz);
  Elf64_Ehdr eh = { 0 };
  Elf64_Phdr ph = { 0 };
  size_t i;

  memcpy (eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_type = ET_EXEC;
  eh.e_machine = EM_X86_64;
  eh.e_entry = entry;
  eh.e_phoff = sizeof eh;
  eh.e_phentsize = sizeof ph;
  eh.e_phnum = 1;
  ph.p_type = PT_LOAD;
  ph.p_offset = off;
  ph.p_paddr = ph.p_vaddr = paddr;
  ph.p_filesz = filesz;
  ph.p_memsz = memsz;
  memcpy (img, &eh, sizeof eh);
  memcpy (img + sizeof eh, &ph, sizeof ph);
  for (i = 0; i < filesz; i++)
    img[off + i] = (uint8_t) (0xc0 + i);
  *len = off + filesz;
  return img;
}

static void
test_elf (void)
{
  struct guest_mem m = new_mem (16 * MIB);
  struct boot_kernel k;
  struct vmm_err err = { 0 };
  size_t len;
  uint8_t *img;
  int r;

  memset (m.host + 0x200000, 0xee, 0x2000);
  img = make_elf (&len, 0x200000, 16, 0x1000, 0x200004);
  r = boot_load_kernel (&m, img, len, &k, &err);
  TAP_EQ_INT (r, 0, "ELF accepted (%s)", err.msg);
  TAP_EQ_INT (k.entry, 0x200004, "ELF entry");
  TAP_EQ_INT (k.end, 0x201000, "ELF end = paddr + memsz");
  TAP_OK (m.host[0x200000] == 0xc0 && m.host[0x20000f] == 0xcf, "segment bytes copied");
  TAP_OK (m.host[0x200010] == 0 && m.host[0x200fff] == 0, "bss zeroed");
  TAP_EQ_INT (m.host[0x201000], 0xee, "nothing written past memsz");
  free (img);

  img = make_elf (&len, 0x8000, 16, 16, 0x8000);
  r = boot_load_kernel (&m, img, len, &k, &err);
  TAP_OK (r < 0 && strstr (err.msg, "below 1 MiB"), "segment over the boot area refused: %s", err.msg);
  free (img);
  img = make_elf (&len, 0x200000, 16, 16, 0x300000);
  r = boot_load_kernel (&m, img, len, &k, &err);
  TAP_OK (r < 0 && strstr (err.msg, "entry"), "entry outside segments refused: %s", err.msg);
  free (img);
  img = make_elf (&len, 15 * MIB, 16, 2 * MIB, 15 * MIB);
  r = boot_load_kernel (&m, img, len, &k, &err);
  TAP_OK (r < 0 && strstr (err.msg, "does not fit"), "segment beyond RAM refused: %s", err.msg);
  free (img);
  img = make_elf (&len, UINT64_MAX - 8, 16, 16, UINT64_MAX - 8);
  r = boot_load_kernel (&m, img, len, &k, &err);
  TAP_OK (r < 0, "wrapping segment address refused: %s", err.msg);
  r = boot_load_kernel (&m, img, len - 8, &k, &err);
  TAP_OK (r < 0 && strstr (err.msg, "outside the file"), "segment past end of file refused: %s", err.msg);
  free (img);
  free (m.host);
}

static void
test_mptable (void)
{
  struct guest_mem m = new_mem (16 * MIB);
  struct vmm_err err = { 0 };
  const uint8_t *mpf = m.host + 0x9fc00, *mpc = m.host + 0x9fc10, *e;
  int r, i, cpus = 0, intsrc = 0;
  uint16_t len;

  r = boot_write_mptable (&m, 2, &err);
  TAP_EQ_INT (r, 0, "MP table written");
  TAP_OK (memcmp (mpf, "_MP_", 4) == 0, "floating pointer signature at 0x9fc00");
  TAP_EQ_INT (rd32 (&m, 0x9fc04), 0x9fc10, "physptr points at the config table");
  TAP_EQ_INT (mpf[8], 1, "floating pointer length 16 bytes");
  TAP_EQ_INT (mpf[9], 4, "spec revision 1.4");
  TAP_EQ_INT (sum_bytes (mpf, 16), 0, "floating pointer checksum");
  TAP_OK (memcmp (mpc, "PCMP", 4) == 0, "config table signature");
  memcpy (&len, mpc + 4, 2);
  TAP_EQ_INT (len, 44 + 2 * 20 + 8 + 8 + 24 * 8 + 2 * 8, "config table length");
  TAP_EQ_INT (sum_bytes (mpc, len), 0, "config table checksum");
  TAP_EQ_INT (mpc[34], 2 + 1 + 1 + 24 + 2, "entry count");
  TAP_EQ_INT (rd32 (&m, 0x9fc10 + 36), 0xfee00000, "local APIC address");
  e = mpc + 44;
  TAP_OK (e[0] == 0 && e[1] == 0 && e[3] == 3, "CPU 0: APIC id 0, enabled, bootstrap");
  TAP_OK (e[20] == 0 && e[21] == 1 && e[23] == 1, "CPU 1: APIC id 1, enabled");
  e = mpc + 44 + 40;
  TAP_OK (e[0] == 1 && memcmp (e + 2, "ISA   ", 6) == 0, "ISA bus entry");
  e += 8;
  TAP_OK (e[0] == 2 && e[1] == 2 && e[3] == 1, "IOAPIC entry: id 2, enabled");
  TAP_EQ_INT (rd32 (&m, 0x9fc10 + (uint64_t) (e - mpc) + 4), 0xfec00000, "IOAPIC address");
  e += 8;
  for (i = 0; i < 24; i++, e += 8)
    if (e[0] == 3)
      intsrc++;
  TAP_EQ_INT (intsrc, 24, "one I/O interrupt entry per IOAPIC pin");
  e = mpc + 44 + 40 + 16 + 2 * 8;
  TAP_OK (e[5] == 0 && e[7] == 2, "ISA IRQ 0 (timer) on IOAPIC pin 2");
  e = mpc + 44 + 40 + 16 + 4 * 8;
  TAP_OK (e[5] == 4 && e[7] == 4, "ISA IRQ 4 (COM1) on IOAPIC pin 4");
  e = mpc + 44 + 40 + 16 + 24 * 8;
  TAP_OK (e[0] == 4 && e[1] == 3 && e[7] == 0, "LINT0 = ExtINT");
  TAP_OK (e[8] == 4 && e[9] == 1 && e[15] == 1, "LINT1 = NMI");
  for (i = 0, cpus = 0; i < 2; i++)
    cpus += mpc[44 + i * 20] == 0;
  TAP_EQ_INT (cpus, 2, "two processor entries");

  r = boot_write_mptable (&m, VMM_MAX_CPUS, &err);
  TAP_EQ_INT (r, 0, "MP table for %d CPUs fits the EBDA", VMM_MAX_CPUS);
  memcpy (&len, mpc + 4, 2);
  TAP_OK (0x9fc10 + len <= 0xa0000, "and stays below 0xa0000");
  TAP_EQ_INT (sum_bytes (mpc, len), 0, "its checksum holds");
  r = boot_write_mptable (&m, 0, &err);
  TAP_OK (r < 0, "0 CPUs refused");
  free (m.host);
}

static void
test_cpuid_filter (void)
{
  struct kvm_cpuid2 *c = calloc (1, sizeof *c + 8 * sizeof (struct kvm_cpuid_entry2));
  struct kvm_cpuid_entry2 *e;
  char sig[13] = { 0 };

  c->nent = 6;
  c->entries[0] = (struct kvm_cpuid_entry2){ .function = 1, .eax = 0x806f8, .ebx = 0xff0800, .ecx = 0x28, .edx = 0 };
  c->entries[1] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX };
  c->entries[2] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = 1, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX };
  c->entries[3] = (struct kvm_cpuid_entry2){ .function = 0xa, .eax = 0x7300403, .ebx = 1, .edx = 0x603 };
  c->entries[4] = (struct kvm_cpuid_entry2){ .function = 0x40000000, .eax = 0x40000001 };
  c->entries[5] = (struct kvm_cpuid_entry2){ .function = 6, .ecx = 0x9 };

  cpuid_filter (c, 3, 4);
  e = cpuid_find (c, 1, 0);
  TAP_EQ_INT (e->ebx >> 24, 3, "leaf 1: initial APIC id = vCPU index");
  TAP_EQ_INT ((e->ebx >> 16) & 0xff, 4, "leaf 1: logical processor count");
  TAP_EQ_INT (e->ebx & 0xffff, 0x0800, "leaf 1: CLFLUSH size kept");
  TAP_OK (e->ecx & (1u << 31), "leaf 1: hypervisor bit set");
  TAP_OK (!(e->ecx & (1u << 3)) && !(e->ecx & (1u << 5)), "leaf 1: MONITOR and VMX masked");
  TAP_OK (e->edx & (1u << 28), "leaf 1: HTT with more than one vCPU");
  e = cpuid_find (c, 0xb, 1);
  TAP_OK (e->eax == 2 && e->ebx == 4 && e->edx == 3 && (e->ecx >> 8) == 2, "leaf 0xb level 1: 4 cores, x2APIC id 3");
  e = cpuid_find (c, 0xb, 0);
  TAP_OK (e->eax == 0 && e->ebx == 1 && e->edx == 3, "leaf 0xb level 0: one thread per core");
  e = cpuid_find (c, 0xa, 0);
  TAP_OK (e->eax == 0 && e->ebx == 0 && e->edx == 0, "leaf 0xa: no PMU");
  e = cpuid_find (c, 6, 0);
  TAP_EQ_INT (e->ecx, 0x1, "leaf 6: EPB masked");
  e = cpuid_find (c, 0x40000000, 0);
  memcpy (sig, &e->ebx, 4);
  memcpy (sig + 4, &e->ecx, 4);
  memcpy (sig + 8, &e->edx, 4);
  TAP_EQ_STR (sig, "KVMKVMKVM", "leaf 0x40000000: KVM signature");
  TAP_OK (e->eax >= 0x40000001, "leaf 0x40000000: max KVM leaf");
  c->entries[0].ecx = (1u << 13) | (1u << 23) | (1u << 26) | (1u << 27) | (1u << 28) | 1u;
  c->entries[5] = (struct kvm_cpuid_entry2){ .function = 0xd, .eax = 0x7, .ebx = 0x340, .ecx = 0x340 };
  cpuid_mask_features (c, 0);
  TAP_EQ_INT (cpuid_find (c, 1, 0)->ecx, (1u << 13) | (1u << 23) | (1u << 26) | (1u << 27) | (1u << 28) | 1u,
              "empty mask changes nothing");
  cpuid_mask_features (c, VMM_CPUID_NO_CX16);
  TAP_EQ_INT (cpuid_find (c, 1, 0)->ecx, (1u << 23) | (1u << 26) | (1u << 27) | (1u << 28) | 1u, "cx16 masked");
  cpuid_mask_features (c, VMM_CPUID_NO_XSAVE | VMM_CPUID_NO_POPCNT);
  TAP_EQ_INT (cpuid_find (c, 1, 0)->ecx, 1, "xsave, osxsave, avx and popcnt masked, the rest kept");
  e = cpuid_find (c, 0xd, 0);
  TAP_OK (e->eax == 0 && e->ebx == 0 && e->ecx == 0, "no xsave: leaf 0xd emptied");
  cpuid_filter (c, 0, 1);
  e = cpuid_find (c, 1, 0);
  TAP_OK (!(e->edx & (1u << 28)) && e->ebx >> 24 == 0, "single vCPU: no HTT, APIC id 0");
  free (c);
}

int
main (void)
{
  test_gdt_and_page_tables ();
  test_sregs_and_msrs ();
  test_e820 ();
  test_bzimage ();
  test_elf ();
  test_mptable ();
  test_cpuid_filter ();
  return tap_done ();
}

/* Kernel, initrd, command line and zero page (Documentation/arch/x86/boot.rst). */
#include <asm/bootparam.h>
#include <elf.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "microvm/vmm/boot.h"

#define HDRS_MAGIC 0x53726448U   /* "HdrS" */
#define SETUP_HDR_OFFSET 0x1f1
#define BZ_ENTRY_64_OFFSET 0x200 /* 64-bit entry: start of the protected-mode part + 0x200 */
#define PAGE_SIZE_4K 0x1000ULL

static uint32_t
le32 (const uint8_t *p)
{
  return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t) p[3] << 24;
}

static int
load_bzimage (const struct guest_mem *m, const uint8_t *img, size_t len, struct boot_kernel *k,
              struct vmm_err *err)
{
  struct setup_header hdr;
  size_t setup_bytes, kernel_bytes, hdr_len;
  uint64_t load, need;

  memcpy (&hdr, img + SETUP_HDR_OFFSET, sizeof hdr);
  if (hdr.boot_flag != 0xaa55)
    return vmm_errorf (err, 0, "bzImage: bad boot flag 0x%04x", hdr.boot_flag);
  if (hdr.version < 0x020c)
    return vmm_errorf (err, 0, "bzImage: boot protocol %u.%02u is older than 2.12 (no 64-bit entry)",
                       hdr.version >> 8, hdr.version & 0xff);
  if (!(hdr.xloadflags & XLF_KERNEL_64))
    return vmm_errorf (err, 0, "bzImage: kernel has no 64-bit entry point (XLF_KERNEL_64 unset)");
  if (!(hdr.loadflags & LOADED_HIGH))
    return vmm_errorf (err, 0, "bzImage: kernel cannot be loaded high");
  setup_bytes = ((size_t) (hdr.setup_sects ? hdr.setup_sects : 4) + 1) * 512;
  if (setup_bytes >= len)
    return vmm_errorf (err, 0, "bzImage: truncated (setup %zu bytes, file %zu)", setup_bytes, len);
  kernel_bytes = len - setup_bytes;

  /* A relocatable kernel decompresses in place when loaded at its preferred
     address; otherwise 1 MiB, the protocol's fixed address. */
  load = BOOT_HIMEM_ADDR;
  if (hdr.relocatable_kernel && hdr.pref_address >= BOOT_HIMEM_ADDR
      && hdr.pref_address + (uint64_t) (hdr.init_size > kernel_bytes ? hdr.init_size : kernel_bytes) <= m->size)
    load = hdr.pref_address;
  need = hdr.init_size > kernel_bytes ? hdr.init_size : kernel_bytes;
  if (load + need > m->size)
    return vmm_errorf (err, 0, "bzImage: kernel needs %llu MiB of RAM at 0x%llx, the guest has %llu MiB",
                       (unsigned long long) ((load + need + (1 << 20) - 1) >> 20), (unsigned long long) load,
                       (unsigned long long) (m->size >> 20));
  if (!guest_mem_write (m, load, img + setup_bytes, kernel_bytes))
    return vmm_errorf (err, 0, "bzImage: kernel does not fit guest memory");

  /* The header runs from 0x1f1 to 0x202 + the byte at 0x201 (jump offset). */
  hdr_len = 0x202 + img[0x201] - SETUP_HDR_OFFSET;
  if (hdr_len > sizeof k->setup_header)
    hdr_len = sizeof k->setup_header;
  if (hdr_len > sizeof (struct setup_header))
    hdr_len = sizeof (struct setup_header);
  memcpy (k->setup_header, img + SETUP_HDR_OFFSET, hdr_len);
  k->setup_header_len = hdr_len;
  k->is_bzimage = 1;
  k->load_addr = load;
  k->entry = load + BZ_ENTRY_64_OFFSET;
  k->end = load + need;
  k->cmdline_max = hdr.cmdline_size ? hdr.cmdline_size : 255;
  k->initrd_addr_max = hdr.initrd_addr_max ? hdr.initrd_addr_max : 0x37ffffff;
  return 0;
}

static int
load_elf (const struct guest_mem *m, const uint8_t *img, size_t len, struct boot_kernel *k, struct vmm_err *err)
{
  Elf64_Ehdr eh;
  uint64_t lo = UINT64_MAX, hi = 0;
  int i, nload = 0;

  if (len < sizeof eh)
    return vmm_errorf (err, 0, "ELF: truncated header");
  memcpy (&eh, img, sizeof eh);
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64)
    return vmm_errorf (err, 0, "ELF: not a little-endian x86-64 image");
  if (eh.e_type != ET_EXEC)
    return vmm_errorf (err, 0, "ELF: not an executable (type %u)", eh.e_type);
  if (eh.e_phentsize != sizeof (Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phoff > len
      || (uint64_t) eh.e_phnum * sizeof (Elf64_Phdr) > len - eh.e_phoff)
    return vmm_errorf (err, 0, "ELF: bad program header table");

  for (i = 0; i < eh.e_phnum; i++)
    {
      Elf64_Phdr ph;
      memcpy (&ph, img + eh.e_phoff + (size_t) i * sizeof ph, sizeof ph);
      if (ph.p_type != PT_LOAD)
        continue;
      if (ph.p_filesz > ph.p_memsz || ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
        return vmm_errorf (err, 0, "ELF: segment %d lies outside the file", i);
      if (ph.p_paddr < BOOT_HIMEM_ADDR)
        return vmm_errorf (err, 0, "ELF: segment %d at 0x%llx overlaps the boot area below 1 MiB", i,
                           (unsigned long long) ph.p_paddr);
      if (guest_mem_range (m, ph.p_paddr, ph.p_memsz) == NULL)
        return vmm_errorf (err, 0, "ELF: segment %d [0x%llx, +0x%llx) does not fit %llu MiB of guest RAM", i,
                           (unsigned long long) ph.p_paddr, (unsigned long long) ph.p_memsz,
                           (unsigned long long) (m->size >> 20));
      guest_mem_write (m, ph.p_paddr, img + ph.p_offset, ph.p_filesz);
      memset (guest_mem_range (m, ph.p_paddr + ph.p_filesz, ph.p_memsz - ph.p_filesz), 0,
              ph.p_memsz - ph.p_filesz);
      if (ph.p_paddr < lo)
        lo = ph.p_paddr;
      if (ph.p_paddr + ph.p_memsz > hi)
        hi = ph.p_paddr + ph.p_memsz;
      nload++;
    }
  if (nload == 0)
    return vmm_errorf (err, 0, "ELF: no loadable segment");
  if (eh.e_entry < lo || eh.e_entry >= hi)
    return vmm_errorf (err, 0, "ELF: entry 0x%llx outside the loaded segments", (unsigned long long) eh.e_entry);
  k->is_bzimage = 0;
  k->load_addr = lo;
  k->entry = eh.e_entry;
  k->end = hi;
  k->cmdline_max = 2047;
  k->initrd_addr_max = 0x7fffffff;
  k->setup_header_len = 0;
  return 0;
}

int
boot_load_kernel (const struct guest_mem *m, const uint8_t *img, size_t len, struct boot_kernel *k,
                  struct vmm_err *err)
{
  memset (k, 0, sizeof *k);
  if (len >= 4 && memcmp (img, ELFMAG, SELFMAG) == 0)
    return load_elf (m, img, len, k, err);
  if (len >= 0x300 && le32 (img + 0x202) == HDRS_MAGIC)
    return load_bzimage (m, img, len, k, err);
  return vmm_errorf (err, 0, "not a bzImage (no HdrS magic) nor an ELF kernel");
}

int
boot_load_initrd (const struct guest_mem *m, const struct boot_kernel *k, const uint8_t *data, size_t len,
                  uint64_t *addr, struct vmm_err *err)
{
  uint64_t top = m->size, at;

  if ((uint64_t) k->initrd_addr_max + 1 < top)
    top = (uint64_t) k->initrd_addr_max + 1;
  if (len > top)
    return vmm_errorf (err, 0, "initrd of %zu bytes does not fit below 0x%llx", len, (unsigned long long) top);
  at = (top - len) & ~(PAGE_SIZE_4K - 1);
  if (at < ((k->end + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1)))
    return vmm_errorf (err, 0, "initrd of %zu bytes does not fit between the kernel and the end of RAM", len);
  if (!guest_mem_write (m, at, data, len))
    return vmm_errorf (err, 0, "initrd does not fit guest memory");
  *addr = at;
  return 0;
}

int
boot_write_cmdline (const struct guest_mem *m, const struct boot_kernel *k, const char *cmdline,
                    struct vmm_err *err)
{
  size_t len = strlen (cmdline);
  uint8_t *dst;

  if (len > k->cmdline_max || len + 1 > BOOT_CMDLINE_MAX)
    return vmm_errorf (err, 0, "kernel command line is %zu bytes, the kernel accepts %u", len, k->cmdline_max);
  dst = guest_mem_range (m, BOOT_CMDLINE_ADDR, len + 1);
  if (dst == NULL)
    return vmm_errorf (err, 0, "no room for the command line");
  memcpy (dst, cmdline, len + 1);
  return 0;
}

int
boot_e820 (uint64_t mem_size, uint64_t (*entries)[3], int max)
{
  int n = 0;
  if (n < max)
    {
      entries[n][0] = 0;
      entries[n][1] = BOOT_EBDA_ADDR;
      entries[n][2] = 1; /* E820_TYPE_RAM */
      n++;
    }
  if (n < max && mem_size > BOOT_HIMEM_ADDR)
    {
      entries[n][0] = BOOT_HIMEM_ADDR;
      entries[n][1] = mem_size - BOOT_HIMEM_ADDR;
      entries[n][2] = 1;
      n++;
    }
  return n;
}

int
boot_write_zero_page (const struct guest_mem *m, const struct boot_kernel *k, size_t cmdline_len,
                      uint64_t initrd_addr, uint64_t initrd_size, struct vmm_err *err)
{
  struct boot_params *bp = guest_mem_range (m, BOOT_ZERO_PAGE_ADDR, sizeof *bp);
  uint64_t e820[8][3];
  int i, n;

  if (bp == NULL)
    return vmm_errorf (err, 0, "no room for the zero page");
  memset (bp, 0, sizeof *bp);
  if (k->is_bzimage)
    memcpy (&bp->hdr, k->setup_header, k->setup_header_len);
  bp->hdr.boot_flag = 0xaa55;
  bp->hdr.header = HDRS_MAGIC;
  if (!k->is_bzimage)
    {
      bp->hdr.version = 0x020c;
      bp->hdr.kernel_alignment = 0x1000000;
    }
  bp->hdr.type_of_loader = 0xff;   /* undefined loader */
  bp->hdr.loadflags |= LOADED_HIGH;
  bp->hdr.code32_start = (uint32_t) k->load_addr;
  bp->hdr.cmd_line_ptr = (uint32_t) BOOT_CMDLINE_ADDR;
  bp->ext_cmd_line_ptr = 0;
  bp->hdr.cmdline_size = (uint32_t) cmdline_len + 1;
  bp->hdr.ramdisk_image = (uint32_t) initrd_addr;
  bp->hdr.ramdisk_size = (uint32_t) initrd_size;
  bp->ext_ramdisk_image = (uint32_t) (initrd_addr >> 32);
  bp->ext_ramdisk_size = (uint32_t) (initrd_size >> 32);
  n = boot_e820 (m->size, e820, 8);
  for (i = 0; i < n; i++)
    {
      bp->e820_table[i].addr = e820[i][0];
      bp->e820_table[i].size = e820[i][1];
      bp->e820_table[i].type = (uint32_t) e820[i][2];
    }
  bp->e820_entries = (uint8_t) n;
  return 0;
}

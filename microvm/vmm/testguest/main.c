/* Test guest entry and scenario table.  The command line chooses the
   scenario: `scenario=<name>` (default hello).  Each scenario prints what it
   checks and returns the exit code for the final TESTGUEST-EXIT line. */
#include "tg.h"
#include "virtio.h"

int tg_booted_by_pvh;
static const char *cmdline = "";
static const uint8_t *zero_page;

/* Layout of what the bootloader hands over (Linux boot_params, PVH start_info). */
#define ZP_E820_ENTRIES 0x1e8
#define ZP_CMD_LINE_PTR 0x228
#define ZP_E820_TABLE 0x2d0
#define PVH_MAGIC 0x336ec578u
#define PVH_CMDLINE_PADDR 24

const char *
tg_cmdline (void)
{
  return cmdline;
}

int
tg_param (const char *key, char *buf, size_t len)
{
  size_t klen = tg_strlen (key);
  const char *p = cmdline;

  while (*p)
    {
      while (*p == ' ')
        p++;
      if (tg_strncmp (p, key, klen) == 0 && p[klen] == '=')
        {
          size_t i = 0;
          p += klen + 1;
          while (p[i] && p[i] != ' ' && i + 1 < len)
            {
              buf[i] = p[i];
              i++;
            }
          buf[i] = '\0';
          return 1;
        }
      while (*p && *p != ' ')
        p++;
    }
  return 0;
}

long
tg_param_long (const char *key, long dflt)
{
  char buf[24];
  long v = 0;
  int i = 0, neg = 0;

  if (!tg_param (key, buf, sizeof buf))
    return dflt;
  if (buf[0] == '-')
    {
      neg = 1;
      i++;
    }
  for (; buf[i] >= '0' && buf[i] <= '9'; i++)
    v = v * 10 + (buf[i] - '0');
  return neg ? -v : v;
}

/* ---- base scenarios */

static int
scenario_hello (void)
{
  tg_printf ("hello from the hull test guest (%s entry)\n", tg_booted_by_pvh ? "PVH" : "64-bit");
  return 0;
}

static int
scenario_cmdline (void)
{
  tg_printf ("cmdline: %s\n", cmdline);
  return 0;
}

static int
scenario_exitcode (void)
{
  return (int) tg_param_long ("code", 0);
}

static int
scenario_triple_fault (void)
{
  tg_puts ("TESTGUEST-EXIT 0\n");
  tg_triple_fault ();
  return 1;
}

static int
scenario_mem (void)
{
  unsigned long ram = 0;
  unsigned n, i;

  if (zero_page == 0)
    {
      tg_puts ("mem: no zero page (PVH boot)\n");
      return 1;
    }
  n = zero_page[ZP_E820_ENTRIES];
  for (i = 0; i < n && i < 128; i++)
    {
      const uint8_t *e = zero_page + ZP_E820_TABLE + i * 20;
      uint64_t addr = *(const uint64_t *) e, size = *(const uint64_t *) (e + 8);
      uint32_t type = *(const uint32_t *) (e + 16);
      tg_printf ("e820: 0x%lx-0x%lx type %u\n", addr, addr + size - 1, type);
      if (type == 1)
        ram += size;
    }
  /* Touch the last page of RAM: it must be backed. */
  if (n > 0)
    {
      const uint8_t *e = zero_page + ZP_E820_TABLE + (n - 1) * 20;
      volatile uint64_t *last = (volatile uint64_t *) (*(const uint64_t *) e + *(const uint64_t *) (e + 8) - 8);
      *last = 0x1234567887654321ull;
      if (*last != 0x1234567887654321ull)
        return 2;
    }
  tg_printf ("mem: %lu KiB usable\n", ram >> 10);
  return 0;
}

/* Cost of an exit: `loops` writes to an unclaimed port, bracketed by two
   lines the host timestamps. */
static int
scenario_exits (void)
{
  long loops = tg_param_long ("loops", 100000), i;
  tg_puts ("EXITS-START\n");
  for (i = 0; i < loops; i++)
    outb (0x80, (uint8_t) i);
  tg_printf ("EXITS-END %ld\n", loops);
  return 0;
}

/* What CPUID tells the guest: the VMM's filtering and --cpuid-mask. */
static int
scenario_cpuid (void)
{
  uint32_t a, b, c, d;
  cpuid (1, 0, &a, &b, &c, &d);
  tg_printf ("cpuid: leaf1 ecx=0x%x edx=0x%x cx16=%u xsave=%u osxsave=%u hypervisor=%u\n", c, d, (c >> 13) & 1,
             (c >> 26) & 1, (c >> 27) & 1, c >> 31);
  return 0;
}

/* int3 with a #BP handler installed: on hardware KVM the CPU delivers it;
   kvm_pvm cannot emulate int3 and the VMM injects the #BP instead. */
extern char tg_int3_handler[];
extern volatile int tg_int3_count;

static int
scenario_int3 (void)
{
  static uint64_t idt[2 * 4] __attribute__ ((aligned (16)));
  struct __attribute__ ((packed))
  {
    uint16_t limit;
    uint64_t base;
  } idtr = { sizeof idt - 1, (uint64_t) (uintptr_t) idt };
  uint64_t handler = (uint64_t) (uintptr_t) tg_int3_handler;
  uint16_t cs;

  __asm__ volatile ("mov %%cs, %0" : "=r"(cs));
  /* 64-bit interrupt gate, present, DPL 3 (so int3 is allowed from any ring). */
  idt[2 * 3] = (handler & 0xffff) | ((uint64_t) cs << 16) | (0xeeull << 40) | ((handler >> 16 & 0xffff) << 48);
  idt[2 * 3 + 1] = handler >> 32;
  __asm__ volatile ("lidt %0" : : "m"(idtr));
  __asm__ volatile ("int3" ::: "memory");
  __asm__ volatile ("int3" ::: "memory");
  tg_printf ("int3: handled %d of 2\n", tg_int3_count);
  return tg_int3_count == 2 ? 0 : 1;
}

/* Serial input: reads one line from COM1 (polling LSR.DR) and echoes it. */
static int
scenario_echo (void)
{
  char line[128];
  unsigned n = 0;
  long spins = 0;

  tg_puts ("echo: ready\n");
  while (n + 1 < sizeof line)
    {
      char c;
      if (!(inb (0x3f8 + 5) & 0x01))
        {
          /* Some tens of seconds of polling exits before giving up. */
          if (++spins > 3000000)
            return 3;
          cpu_relax ();
          continue;
        }
      c = (char) inb (0x3f8);
      if (c == '\n' || c == '\r')
        break;
      line[n++] = c;
    }
  line[n] = '\0';
  tg_printf ("echo: %s\n", line);
  return 0;
}

/* Stays up (for memory measurements) until the VMM is stopped. */
static int
scenario_idle (void)
{
  static volatile int forever = 1;
  tg_puts ("IDLE\n");
  while (forever)
    __asm__ volatile ("cli; hlt");
  return 0;
}

struct scenario
{
  const char *name;
  int (*run) (void);
};

static const struct scenario scenarios[] = {
  { "hello", scenario_hello },
  { "cmdline", scenario_cmdline },
  { "exitcode", scenario_exitcode },
  { "triple-fault", scenario_triple_fault },
  { "mem", scenario_mem },
  { "smp", scenario_smp },
  { "exits", scenario_exits },
  { "idle", scenario_idle },
  { "echo", scenario_echo },
  { "cpuid", scenario_cpuid },
  { "int3", scenario_int3 },
  { "virtio-blk", scenario_virtio_blk },
  { "virtio-net", scenario_virtio_net },
  { "virtio-console", scenario_virtio_console },
  { "hull-agent", scenario_hull_agent },
};

void tg_main (const void *boot_info, int pvh) __attribute__ ((noreturn));

void
tg_main (const void *boot_info, int pvh)
{
  char name[32] = "hello";
  size_t i;

  tg_booted_by_pvh = pvh;
  if (pvh)
    {
      const uint8_t *si = boot_info;
      if (si && *(const uint32_t *) si == PVH_MAGIC && *(const uint64_t *) (si + PVH_CMDLINE_PADDR))
        cmdline = (const char *) (uintptr_t) * (const uint64_t *) (si + PVH_CMDLINE_PADDR);
    }
  else if (boot_info)
    {
      zero_page = boot_info;
      if (*(const uint32_t *) (zero_page + ZP_CMD_LINE_PTR))
        cmdline = (const char *) (uintptr_t) * (const uint32_t *) (zero_page + ZP_CMD_LINE_PTR);
    }
  tg_param ("scenario", name, sizeof name);
  for (i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
    if (tg_strcmp (scenarios[i].name, name) == 0)
      tg_exit (scenarios[i].run ());
  tg_printf ("unknown scenario `%s`\n", name);
  tg_exit (127);
}

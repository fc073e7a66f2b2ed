/* The freestanding test guest: shared helpers.  One file per concern
   (serial/exit in io.c, SMP in smp.c, one file per virtio driver); the
   scenario table lives in main.c only. */
#ifndef HULL_TESTGUEST_TG_H
#define HULL_TESTGUEST_TG_H

#include <stddef.h>
#include <stdint.h>

static inline void
outb (uint16_t port, uint8_t v)
{
  __asm__ volatile ("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t
inb (uint16_t port)
{
  uint8_t v;
  __asm__ volatile ("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

static inline uint32_t
mmio_read32 (uint64_t addr)
{
  return *(volatile uint32_t *) addr;
}

static inline void
mmio_write32 (uint64_t addr, uint32_t v)
{
  *(volatile uint32_t *) addr = v;
}

static inline void
cpu_relax (void)
{
  __asm__ volatile ("pause" ::: "memory");
}

static inline void
cpuid (uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
  __asm__ volatile ("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

/* io.c: COM1 output, formatted with a tiny printf (%s %d %u %x %lx %lu %c). */
void tg_putc (char c);
void tg_puts (const char *s);
void tg_printf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
/* Prints "TESTGUEST-EXIT <code>" and leaves the VM by the method chosen on
   the command line (reboot=k: i8042 reset, the default; reboot=t: triple
   fault).  Never returns. */
void tg_exit (int code) __attribute__ ((noreturn));
void tg_triple_fault (void) __attribute__ ((noreturn));
void tg_i8042_reset (void) __attribute__ ((noreturn));

/* main.c: the command line, "key=value" lookup. */
const char *tg_cmdline (void);
/* Copies the value of key into buf (NUL-terminated); returns 1 when found. */
int tg_param (const char *key, char *buf, size_t len);
long tg_param_long (const char *key, long dflt);

/* lib.c */
size_t tg_strlen (const char *s);
int tg_strcmp (const char *a, const char *b);
int tg_strncmp (const char *a, const char *b, size_t n);
void *memset (void *d, int c, size_t n);
void *memcpy (void *d, const void *s, size_t n);

/* smp.c */
int scenario_smp (void);

/* Boot information handed over by the entry code. */
extern int tg_booted_by_pvh;

#endif

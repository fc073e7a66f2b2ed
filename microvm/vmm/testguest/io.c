/* Polled COM1 output and the ways out of the VM. */
#include <stdarg.h>

#include "tg.h"

#define COM1 0x3f8
#define LSR_THRE 0x20

static volatile int print_lock;

void
tg_putc (char c)
{
  /* Bounded wait: a UART that never drains must not hang the guest. */
  int spins = 100000;
  while (!(inb (COM1 + 5) & LSR_THRE) && --spins)
    cpu_relax ();
  outb (COM1, (uint8_t) c);
}

void
tg_puts (const char *s)
{
  while (*s)
    tg_putc (*s++);
}

static void
put_unsigned (unsigned long v, unsigned base)
{
  char buf[24];
  int i = 0;
  do
    {
      unsigned d = (unsigned) (v % base);
      buf[i++] = (char) (d < 10 ? '0' + d : 'a' + d - 10);
      v /= base;
    }
  while (v);
  while (i)
    tg_putc (buf[--i]);
}

void
tg_printf (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  while (__atomic_exchange_n (&print_lock, 1, __ATOMIC_ACQUIRE))
    cpu_relax ();
  for (; *fmt; fmt++)
    {
      int is_long = 0;
      if (*fmt != '%')
        {
          tg_putc (*fmt);
          continue;
        }
      fmt++;
      if (*fmt == 'l')
        {
          is_long = 1;
          fmt++;
        }
      switch (*fmt)
        {
        case 's':
          tg_puts (va_arg (ap, const char *));
          break;
        case 'c':
          tg_putc ((char) va_arg (ap, int));
          break;
        case 'd':
          {
            long v = is_long ? va_arg (ap, long) : va_arg (ap, int);
            if (v < 0)
              {
                tg_putc ('-');
                v = -v;
              }
            put_unsigned ((unsigned long) v, 10);
            break;
          }
        case 'u':
          put_unsigned (is_long ? va_arg (ap, unsigned long) : va_arg (ap, unsigned), 10);
          break;
        case 'x':
          put_unsigned (is_long ? va_arg (ap, unsigned long) : va_arg (ap, unsigned), 16);
          break;
        case '%':
          tg_putc ('%');
          break;
        default:
          tg_putc ('?');
          break;
        }
    }
  __atomic_store_n (&print_lock, 0, __ATOMIC_RELEASE);
  va_end (ap);
}

void
tg_triple_fault (void)
{
  /* An empty IDT: the exception cannot be delivered, nor the double
     fault, so the CPU shuts down (KVM_EXIT_SHUTDOWN). */
  struct __attribute__ ((packed))
  {
    uint16_t limit;
    uint64_t base;
  } idt = { 0, 0 };
  /* A page fault (nothing maps 512 GiB) rather than int3: software
     virtualization (kvm_pvm) cannot emulate int3 in this state. */
  __asm__ volatile ("lidt %0; movq 0x8000000000, %%rax" : : "m"(idt) : "rax");
  for (;;)
    __asm__ volatile ("hlt");
}

void
tg_i8042_reset (void)
{
  outb (0x64, 0xfe);
  /* A VMM without an i8042 ignores the write; fall back to a triple fault. */
  tg_triple_fault ();
}

void
tg_exit (int code)
{
  char how[4];
  tg_printf ("TESTGUEST-EXIT %d\n", code);
  if (tg_param ("reboot", how, sizeof how) && how[0] == 't')
    tg_triple_fault ();
  tg_i8042_reset ();
}

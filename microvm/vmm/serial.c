/* 8250/16550A UART.  Transmit is immediate (THR always empty), receive goes
   through a 64-byte FIFO filled from the host fd by the event loop. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "microvm/vmm/serial.h"

enum
{
  UART_RBR_THR = 0, /* DLL when LCR.DLAB */
  UART_IER = 1,     /* DLM when LCR.DLAB */
  UART_IIR_FCR = 2,
  UART_LCR = 3,
  UART_MCR = 4,
  UART_LSR = 5,
  UART_MSR = 6,
  UART_SCR = 7,
};

#define IER_RDI 0x01      /* receive data available */
#define IER_THRI 0x02     /* transmitter holding register empty */
#define IIR_NO_INT 0x01
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_FIFO_ENABLED 0xc0
#define FCR_FIFO_ENABLE 0x01
#define FCR_CLEAR_RCVR 0x02
#define LCR_DLAB 0x80
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MCR_LOOP 0x10
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

void
serial_init (struct serial *s, int in_fd, int out_fd)
{
  memset (s, 0, sizeof *s);
  pthread_mutex_init (&s->lock, NULL);
  s->in_fd = in_fd;
  s->out_fd = out_fd;
  s->lsr = LSR_THRE | LSR_TEMT;
  s->msr = MSR_DCD | MSR_DSR | MSR_CTS;
  s->mcr = 0x08;   /* OUT2 */
  s->dll = 12;     /* 9600 baud, as after reset */
}

static uint8_t
iir_locked (struct serial *s)
{
  uint8_t fifo = (s->fcr & FCR_FIFO_ENABLE) ? IIR_FIFO_ENABLED : 0;
  if ((s->ier & IER_RDI) && (s->lsr & LSR_DR))
    return fifo | IIR_RDI;
  if ((s->ier & IER_THRI) && s->thr_interrupt)
    return fifo | IIR_THRI;
  return fifo | IIR_NO_INT;
}

static void
update_irq_locked (struct serial *s)
{
  int level = !(iir_locked (s) & IIR_NO_INT);
  if (level != s->irq_level)
    {
      s->irq_level = level;
      if (s->set_irq)
        s->set_irq (s->irq_opaque, level);
    }
}

static void
rx_push_locked (struct serial *s, uint8_t c)
{
  if (s->rx_len == SERIAL_FIFO_SIZE)
    return;   /* overrun: dropped, as a real UART would */
  s->rx[(s->rx_head + s->rx_len) % SERIAL_FIFO_SIZE] = c;
  s->rx_len++;
  s->lsr |= LSR_DR;
}

static void
transmit_locked (struct serial *s, uint8_t c)
{
  if (s->mcr & MCR_LOOP)
    rx_push_locked (s, c);
  else if (s->out_fd >= 0)
    {
      ssize_t r;
      do
        r = write (s->out_fd, &c, 1);
      while (r < 0 && errno == EINTR);
      /* An output error (closed pipe) drops the byte: the guest must not stall. */
    }
  s->thr_interrupt = true;
}

unsigned int
serial_rx_space (struct serial *s)
{
  unsigned int space;
  pthread_mutex_lock (&s->lock);
  space = SERIAL_FIFO_SIZE - s->rx_len;
  pthread_mutex_unlock (&s->lock);
  return space;
}

unsigned int
serial_receive (struct serial *s, const uint8_t *buf, unsigned int len)
{
  unsigned int i;
  pthread_mutex_lock (&s->lock);
  for (i = 0; i < len && s->rx_len < SERIAL_FIFO_SIZE; i++)
    rx_push_locked (s, buf[i]);
  update_irq_locked (s);
  pthread_mutex_unlock (&s->lock);
  return i;
}

static uint8_t
read_reg_locked (struct serial *s, unsigned int reg)
{
  uint8_t v = 0;
  switch (reg)
    {
    case UART_RBR_THR:
      if (s->lcr & LCR_DLAB)
        return s->dll;
      if (s->rx_len > 0)
        {
          v = s->rx[s->rx_head];
          s->rx_head = (s->rx_head + 1) % SERIAL_FIFO_SIZE;
          s->rx_len--;
          if (s->rx_len == 0)
            {
              s->lsr &= ~LSR_DR;
              if (s->rx_ready)
                s->rx_ready (s->rx_opaque);
            }
        }
      return v;
    case UART_IER:
      return (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
    case UART_IIR_FCR:
      v = iir_locked (s);
      /* Reading IIR acknowledges a THRE interrupt. */
      if ((v & 0x0f) == IIR_THRI)
        s->thr_interrupt = false;
      return v;
    case UART_LCR:
      return s->lcr;
    case UART_MCR:
      return s->mcr;
    case UART_LSR:
      return s->lsr;
    case UART_MSR:
      if (s->mcr & MCR_LOOP)
        {
          /* Loopback wires the modem outputs back to the inputs (the 8250
             driver's probe checks this). */
          v = 0;
          if (s->mcr & 0x01)
            v |= MSR_DSR;
          if (s->mcr & 0x02)
            v |= MSR_CTS;
          if (s->mcr & 0x04)
            v |= MSR_RI;
          if (s->mcr & 0x08)
            v |= MSR_DCD;
          return v;
        }
      return s->msr;
    case UART_SCR:
      return s->scr;
    default:
      return 0xff;
    }
}

static void
write_reg_locked (struct serial *s, unsigned int reg, uint8_t v)
{
  switch (reg)
    {
    case UART_RBR_THR:
      if (s->lcr & LCR_DLAB)
        s->dll = v;
      else
        transmit_locked (s, v);
      break;
    case UART_IER:
      if (s->lcr & LCR_DLAB)
        s->dlm = v;
      else
        {
          /* Enabling THRE interrupts with an empty THR raises one at once. */
          if ((v & IER_THRI) && !(s->ier & IER_THRI))
            s->thr_interrupt = true;
          s->ier = v & 0x0f;
        }
      break;
    case UART_IIR_FCR:
      s->fcr = v & 0xc9;
      if (v & FCR_CLEAR_RCVR)
        {
          s->rx_len = 0;
          s->lsr &= ~LSR_DR;
        }
      break;
    case UART_LCR:
      s->lcr = v;
      break;
    case UART_MCR:
      s->mcr = v & 0x1f;
      break;
    case UART_SCR:
      s->scr = v;
      break;
    default:   /* LSR, MSR: read-only */
      break;
    }
}

void
serial_read (void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
  struct serial *s = opaque;
  memset (data, 0xff, len);
  if (len != 1 || offset > UART_SCR)
    return;
  pthread_mutex_lock (&s->lock);
  data[0] = read_reg_locked (s, (unsigned int) offset);
  update_irq_locked (s);
  pthread_mutex_unlock (&s->lock);
}

void
serial_write (void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
  struct serial *s = opaque;
  if (len != 1 || offset > UART_SCR)
    return;
  pthread_mutex_lock (&s->lock);
  write_reg_locked (s, (unsigned int) offset, data[0]);
  update_irq_locked (s);
  pthread_mutex_unlock (&s->lock);
}

struct bus_device
serial_bus_device (struct serial *s, uint16_t base)
{
  struct bus_device d = {
    .name = "serial", .base = base, .len = 8, .opaque = s, .read = serial_read, .write = serial_write,
  };
  return d;
}

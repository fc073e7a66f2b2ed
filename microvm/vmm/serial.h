/* 16550A UART model for COM1 (I/O 0x3f8, IRQ 4): enough of the register
   set for Linux's 8250 driver and earlyprintk. */
#ifndef HULL_VMM_SERIAL_H
#define HULL_VMM_SERIAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "microvm/vmm/bus.h"

#define SERIAL_COM1_BASE 0x3f8
#define SERIAL_COM1_IRQ 4
#define SERIAL_FIFO_SIZE 64

struct serial
{
  pthread_mutex_t lock;
  int out_fd, in_fd;
  /* Raises or lowers the interrupt line; called with lock held. */
  void (*set_irq) (void *opaque, int level);
  void *irq_opaque;
  /* Called (lock held) when the receive FIFO drains and input may resume. */
  void (*rx_ready) (void *opaque);
  void *rx_opaque;

  uint8_t ier, lcr, mcr, lsr, msr, scr, dll, dlm, fcr;
  bool thr_interrupt;   /* THRE interrupt pending until IIR is read or THR written */
  int irq_level;
  uint8_t rx[SERIAL_FIFO_SIZE];
  unsigned int rx_head, rx_len;
};

void serial_init (struct serial *s, int in_fd, int out_fd);
/* The bus device for [base, base+8). */
struct bus_device serial_bus_device (struct serial *s, uint16_t base);
/* Host input: queues up to the free FIFO space, returns bytes taken. */
unsigned int serial_receive (struct serial *s, const uint8_t *buf, unsigned int len);
unsigned int serial_rx_space (struct serial *s);
void serial_read (void *opaque, uint64_t offset, uint8_t *data, uint32_t len);
void serial_write (void *opaque, uint64_t offset, const uint8_t *data, uint32_t len);

#endif

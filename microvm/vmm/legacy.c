/* The PC devices a microVM keeps: COM1 (8250 UART, IRQ 4) with its host
   input from the event loop, and the i8042 reset line. */
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "microvm/vmm/legacy.h"


static void
serial_set_irq (void *opaque, int level)
{
  struct vmm *vm = opaque;
  vmm_irq_line (vm, SERIAL_COM1_IRQ, level);
}

static void
serial_input_cb (void *opaque, uint32_t events)
{
  struct legacy_devices *d = opaque;
  uint8_t buf[SERIAL_FIFO_SIZE];
  unsigned int space = serial_rx_space (&d->serial);
  ssize_t n;

  if (space == 0)
    {
      /* Wait for the guest to drain the FIFO (rx_ready re-arms us).  Edge
         triggered with no events: a hang-up meanwhile is reported once,
         not in a busy loop (and re-arming it here would report it again). */
      if (!atomic_exchange (&d->input_paused, true))
        {
          event_loop_modify (d->vm->loop, d->serial.in_fd, EPOLLET);
          /* The guest may have drained the FIFO in between. */
          if (serial_rx_space (&d->serial) > 0 && atomic_exchange (&d->input_paused, false))
            event_loop_modify (d->vm->loop, d->serial.in_fd, EPOLLIN);
        }
      return;
    }
  n = read (d->serial.in_fd, buf, space);
  if (n > 0)
    serial_receive (&d->serial, buf, (unsigned int) n);
  else if (n == 0 || (errno != EAGAIN && errno != EINTR))
    {
      /* End of input: the guest keeps running, it just gets no more bytes. */
      event_loop_del (d->vm->loop, d->serial.in_fd);
      d->serial_input_registered = false;
    }
}

static void
serial_rx_ready (void *opaque)
{
  struct legacy_devices *d = opaque;
  if (d->serial_input_registered && atomic_exchange (&d->input_paused, false))
    event_loop_modify (d->vm->loop, d->serial.in_fd, EPOLLIN);
}

static void
i8042_reset (void *opaque)
{
  struct vmm *vm = opaque;
  vmm_request_exit (vm, VMM_EXIT_RESET, 0, "guest reset through the i8042 (reboot=k)");
}

int
add_legacy_devices (struct vmm *vm, struct legacy_devices *d, struct vmm_err *err)
{
  struct bus_device dev;
  int r;

  d->vm = vm;
  serial_init (&d->serial, vm->cfg->serial_in_fd, vm->cfg->serial_out_fd);
  d->serial.set_irq = serial_set_irq;
  d->serial.irq_opaque = vm;
  d->serial.rx_ready = serial_rx_ready;
  d->serial.rx_opaque = d;
  dev = serial_bus_device (&d->serial, SERIAL_COM1_BASE);
  if ((r = bus_add (&vm->pio_bus, &dev)) < 0)
    return vmm_errorf (err, -r, "serial port");
  i8042_init (&d->i8042, i8042_reset, vm);
  dev = i8042_data_device (&d->i8042);
  if ((r = bus_add (&vm->pio_bus, &dev)) < 0)
    return vmm_errorf (err, -r, "i8042");
  dev = i8042_command_device (&d->i8042);
  if ((r = bus_add (&vm->pio_bus, &dev)) < 0)
    return vmm_errorf (err, -r, "i8042");
  if (vm->cfg->serial_in_fd >= 0)
    {
      /* Blocking fd (it may be the user's terminal, shared with the shell):
         a single reader woken by epoll does not block. */
      r = event_loop_add (vm->loop, vm->cfg->serial_in_fd, EPOLLIN, serial_input_cb, d);
      /* A regular file or /dev/null cannot be polled: no input then. */
      if (r == 0)
        d->serial_input_registered = true;
      else if (r != -EPERM)
        return vmm_errorf (err, -r, "serial input fd");
    }
  return 0;
}

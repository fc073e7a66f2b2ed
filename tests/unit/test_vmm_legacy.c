/* Legacy devices and plumbing: 8250 UART registers and interrupts, i8042
   reset, bus dispatch, the epoll loop, virtio-mmio slot allocation and the
   VMM's error helpers. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "microvm/vmm/i8042.h"
#include "microvm/vmm/serial.h"
#include "microvm/vmm/vmm.h"
#include "tests/unit/tap.h"

static int irq_level = -1, irq_changes, rx_ready_calls;

static void
record_irq (void *opaque, int level)
{
  irq_level = level;
  irq_changes++;
}

static void
record_rx_ready (void *opaque)
{
  rx_ready_calls++;
}

static uint8_t
uart_in (struct serial *s, unsigned reg)
{
  uint8_t v = 0;
  serial_read (s, reg, &v, 1);
  return v;
}

static void
uart_out (struct serial *s, unsigned reg, uint8_t v)
{
  serial_write (s, reg, &v, 1);
}

static void
test_serial (void)
{
  struct serial s;
  int p[2];
  char buf[16] = { 0 };
  uint8_t wide[2] = { 0, 0 };

  if (pipe2 (p, O_NONBLOCK) < 0)
    abort ();
  serial_init (&s, -1, p[1]);
  s.set_irq = record_irq;
  s.rx_ready = record_rx_ready;

  TAP_EQ_INT (uart_in (&s, 5), 0x60, "LSR: THR empty, transmitter empty");
  TAP_EQ_INT (uart_in (&s, 2), 0x01, "IIR: no interrupt pending");
  uart_out (&s, 0, 'h');
  uart_out (&s, 0, 'i');
  TAP_EQ_INT (read (p[0], buf, sizeof buf), 2, "two bytes transmitted to the output fd");
  TAP_EQ_STR (buf, "hi", "THR writes reach the fd in order");

  uart_out (&s, 3, 0x83);   /* DLAB + 8N1 */
  uart_out (&s, 0, 0x01);
  uart_out (&s, 1, 0x00);
  TAP_EQ_INT (uart_in (&s, 0), 0x01, "DLL reads back under DLAB");
  TAP_EQ_INT (uart_in (&s, 1), 0x00, "DLM reads back under DLAB");
  TAP_EQ_INT (read (p[0], buf, sizeof buf), -1, "divisor writes are not transmitted");
  uart_out (&s, 3, 0x03);
  TAP_EQ_INT (uart_in (&s, 3), 0x03, "LCR reads back");
  uart_out (&s, 7, 0xa5);
  TAP_EQ_INT (uart_in (&s, 7), 0xa5, "scratch register");

  uart_out (&s, 2, 0x07);   /* FIFO on, clear both */
  TAP_EQ_INT (uart_in (&s, 2), 0xc1, "IIR reports FIFOs (16550A) and no interrupt");

  irq_changes = 0;
  uart_out (&s, 1, 0x02);   /* THRE interrupt */
  TAP_EQ_INT (irq_level, 1, "enabling THRE interrupts with an empty THR raises IRQ 4");
  TAP_EQ_INT (uart_in (&s, 2), 0xc2, "IIR: THR empty");
  TAP_EQ_INT (irq_level, 0, "reading IIR acknowledges THRE and lowers the line");
  uart_out (&s, 0, 'x');
  TAP_EQ_INT (irq_level, 1, "a transmitted byte raises THRE again");
  uart_out (&s, 1, 0x00);
  TAP_EQ_INT (irq_level, 0, "masking interrupts lowers the line");
  TAP_EQ_INT (read (p[0], buf, sizeof buf), 1, "and the byte went out");

  uart_out (&s, 1, 0x01);   /* receive interrupt */
  TAP_EQ_INT (serial_receive (&s, (const uint8_t *) "ok", 2), 2, "host input queued");
  TAP_EQ_INT (uart_in (&s, 5) & 0x01, 1, "LSR: data ready");
  TAP_EQ_INT (irq_level, 1, "received data raises IRQ 4");
  TAP_EQ_INT (uart_in (&s, 2), 0xc4, "IIR: received data available");
  TAP_EQ_INT (uart_in (&s, 0), 'o', "RBR: first byte");
  TAP_EQ_INT (rx_ready_calls, 0, "FIFO not yet drained");
  TAP_EQ_INT (uart_in (&s, 0), 'k', "RBR: second byte");
  TAP_EQ_INT (uart_in (&s, 5) & 0x01, 0, "LSR: no more data");
  TAP_EQ_INT (irq_level, 0, "line lowered once the FIFO is empty");
  TAP_EQ_INT (rx_ready_calls, 1, "drained FIFO asks for more input");
  TAP_EQ_INT (uart_in (&s, 0), 0, "reading an empty RBR gives 0");

  {
    uint8_t big[100];
    memset (big, 'z', sizeof big);
    TAP_EQ_INT (serial_receive (&s, big, sizeof big), SERIAL_FIFO_SIZE, "input beyond the FIFO is refused");
    TAP_EQ_INT (serial_rx_space (&s), 0, "FIFO full");
    uart_out (&s, 2, 0x03);
    TAP_EQ_INT (serial_rx_space (&s), SERIAL_FIFO_SIZE, "FCR clears the receive FIFO");
  }

  uart_out (&s, 4, 0x1f);   /* loopback with all modem outputs */
  TAP_EQ_INT (uart_in (&s, 6), 0xf0, "loopback: MSR mirrors MCR");
  uart_out (&s, 0, 'L');
  TAP_EQ_INT (uart_in (&s, 0), 'L', "loopback: THR comes back on RBR");
  TAP_EQ_INT (read (p[0], buf, sizeof buf), -1, "loopback: nothing reaches the fd");
  uart_out (&s, 4, 0x08);
  TAP_EQ_INT (uart_in (&s, 6), 0xb0, "out of loopback: DCD, DSR, CTS");

  serial_read (&s, 0, wide, 2);
  TAP_OK (wide[0] == 0xff && wide[1] == 0xff, "2-byte access reads all ones");
  TAP_EQ_INT (uart_in (&s, 9), 0xff, "offset beyond the 8 registers reads all ones");

  close (p[0]);
  signal (SIGPIPE, SIG_IGN);   /* as vmm_run() blocks it */
  uart_out (&s, 0, '!');
  TAP_OK (1, "writing with the reader gone does not crash the VMM");
  close (p[1]);
}

static int resets;

static void
count_reset (void *opaque)
{
  resets++;
}

static void
test_i8042 (void)
{
  struct i8042 k;
  struct bus b;
  struct bus_device d;
  uint8_t v;

  bus_init (&b);
  i8042_init (&k, count_reset, NULL);
  d = i8042_data_device (&k);
  TAP_EQ_INT (bus_add (&b, &d), 0, "i8042 data port on the bus");
  d = i8042_command_device (&k);
  TAP_EQ_INT (bus_add (&b, &d), 0, "i8042 command port on the bus");

  bus_access (&b, 0x64, &v, 1, false);
  TAP_EQ_INT (v, 0, "status: output buffer empty");
  v = 0x20;
  bus_access (&b, 0x64, &v, 1, true);
  bus_access (&b, 0x64, &v, 1, false);
  TAP_EQ_INT (v, 1, "status: command byte waiting");
  bus_access (&b, 0x60, &v, 1, false);
  TAP_EQ_INT (v, 0x45, "command byte read back");
  v = 0xad;
  bus_access (&b, 0x64, &v, 1, true);
  TAP_EQ_INT (resets, 0, "other commands do not reset");
  v = 0xfe;
  bus_access (&b, 0x64, &v, 1, true);
  TAP_EQ_INT (resets, 1, "0xFE pulses the reset line");
}

struct probe
{
  uint64_t last_offset;
  uint32_t last_len;
  int reads, writes;
};

static void
probe_read (void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
  struct probe *p = opaque;
  p->reads++;
  p->last_offset = off;
  p->last_len = len;
  memset (data, 0x42, len);
}

static void
probe_write (void *opaque, uint64_t off, const uint8_t *data, uint32_t len)
{
  struct probe *p = opaque;
  p->writes++;
  p->last_offset = off;
  p->last_len = len;
}

static void
test_bus (void)
{
  struct bus b;
  struct probe pr = { 0 };
  struct bus_device d = { .name = "probe", .base = 0x1000, .len = 0x100, .opaque = &pr,
                          .read = probe_read, .write = probe_write };
  struct bus_device o = d;
  uint8_t data[8];
  int i, r = 0;

  bus_init (&b);
  TAP_EQ_INT (bus_add (&b, &d), 0, "device added");
  o.base = 0x10ff;
  TAP_EQ_INT (bus_add (&b, &o), -EBUSY, "overlapping device refused");
  o.base = 0x0f01;
  TAP_EQ_INT (bus_add (&b, &o), -EBUSY, "overlap from below refused");
  o.len = 0;
  TAP_EQ_INT (bus_add (&b, &o), -EINVAL, "empty range refused");
  o.base = UINT64_MAX - 4;
  o.len = 16;
  TAP_EQ_INT (bus_add (&b, &o), -EINVAL, "wrapping range refused");

  TAP_OK (bus_access (&b, 0x1010, data, 4, false), "read in range claimed");
  TAP_OK (pr.last_offset == 0x10 && pr.last_len == 4 && data[0] == 0x42, "device sees the offset from its base");
  TAP_OK (bus_access (&b, 0x10fc, data, 4, true), "write ending at the last byte claimed");
  TAP_EQ_INT (pr.writes, 1, "write delivered");
  TAP_OK (!bus_access (&b, 0x10fe, data, 4, false), "access straddling the end not claimed");
  TAP_OK (data[0] == 0xff && data[3] == 0xff, "unclaimed read gives all ones");
  TAP_OK (!bus_access (&b, 0x2000, data, 1, true), "write to nothing not claimed");

  for (i = 1; i < BUS_MAX_DEVICES + 1; i++)
    {
      o = d;
      o.base = 0x10000 + (uint64_t) i * 0x100;
      r = bus_add (&b, &o);
      if (r < 0)
        break;
    }
  TAP_EQ_INT (r, -ENOSPC, "bus full after %d devices", BUS_MAX_DEVICES);
}

static int cb_calls;
static uint32_t cb_events;

static void
eventfd_cb (void *opaque, uint32_t events)
{
  uint64_t v;
  cb_calls++;
  cb_events = events;
  if (read (*(int *) opaque, &v, sizeof v) < 0)
    abort ();
}

static void *
stop_later (void *loop)
{
  usleep (20000);
  event_loop_stop (loop);
  return NULL;
}

static void
test_event_loop (void)
{
  struct event_loop *loop = event_loop_new ();
  int efd = eventfd (0, EFD_NONBLOCK), other = eventfd (0, 0);
  uint64_t one = 1;
  pthread_t t;

  TAP_OK (loop != NULL, "event loop created");
  TAP_EQ_INT (event_loop_add (loop, efd, EPOLLIN, eventfd_cb, &efd), 0, "eventfd registered");
  TAP_EQ_INT (event_loop_add (loop, efd, EPOLLIN, eventfd_cb, &efd), -EEXIST, "double registration refused");
  TAP_EQ_INT (event_loop_add (loop, -1, EPOLLIN, eventfd_cb, &efd), -EINVAL, "negative fd refused");
  TAP_EQ_INT (event_loop_run_once (loop, 0), 0, "nothing ready, nothing run");
  if (write (efd, &one, sizeof one) != sizeof one)
    abort ();
  TAP_EQ_INT (event_loop_run_once (loop, 1000), 1, "ready fd runs its callback");
  TAP_OK (cb_calls == 1 && (cb_events & EPOLLIN), "callback got EPOLLIN");
  TAP_EQ_INT (event_loop_modify (loop, efd, 0), 0, "interest cleared");
  if (write (efd, &one, sizeof one) != sizeof one)
    abort ();
  TAP_EQ_INT (event_loop_run_once (loop, 0), 0, "no callback without interest");
  TAP_EQ_INT (event_loop_modify (loop, efd, EPOLLIN), 0, "interest restored");
  TAP_EQ_INT (event_loop_run_once (loop, 1000), 1, "pending event delivered");
  TAP_EQ_INT (event_loop_del (loop, efd), 0, "fd removed");
  TAP_EQ_INT (event_loop_del (loop, efd), -ENOENT, "second removal refused");
  TAP_EQ_INT (event_loop_modify (loop, other, EPOLLIN), -ENOENT, "modify of an unknown fd refused");

  pthread_create (&t, NULL, stop_later, loop);
  TAP_EQ_INT (event_loop_run (loop), 0, "event_loop_run returns after a stop from another thread");
  pthread_join (t, NULL);
  event_loop_free (loop);
  close (efd);
  close (other);
}

static void
nop_rw (void *o, uint64_t off, uint8_t *d, uint32_t l)
{
}

static void
test_mmio_slots (void)
{
  struct vmm vm;
  struct bus_device d = { .name = "virtio-test", .len = 0x200, .read = nop_rw };
  struct vmm_err err = { 0 };
  uint64_t base = 0;
  unsigned gsi = 0;
  int i, r = 0;

  memset (&vm, 0, sizeof vm);
  bus_init (&vm.mmio_bus);
  TAP_EQ_INT (vmm_add_mmio_device (&vm, &d, &base, &gsi, &err), 0, "first virtio-mmio device placed");
  TAP_OK (base == 0xd0000000 && gsi == 5, "first slot: 0xd0000000, GSI 5");
  TAP_EQ_INT (vmm_add_mmio_device (&vm, &d, &base, &gsi, &err), 0, "second placed");
  TAP_OK (base == 0xd0001000 && gsi == 6, "second slot: 0xd0001000, GSI 6");
  TAP_EQ_STR (vm.mmio_cmdline, "virtio_mmio.device=4K@0xd0000000:5 virtio_mmio.device=4K@0xd0001000:6",
              "command-line entries generated");
  d.len = 0x2000;
  TAP_OK (vmm_add_mmio_device (&vm, &d, &base, &gsi, &err) < 0, "window larger than a slot refused: %s", err.msg);
  d.len = 0x200;
  for (i = 2; i < VMM_MMIO_MAX_DEVICES + 1; i++)
    if ((r = vmm_add_mmio_device (&vm, &d, &base, &gsi, &err)) < 0)
      break;
  TAP_OK (r == -ENOSPC && i == VMM_MMIO_MAX_DEVICES, "slots run out after %d devices: %s", VMM_MMIO_MAX_DEVICES,
          err.msg);
  TAP_EQ_INT (gsi, VMM_MMIO_FIRST_IRQ + VMM_MMIO_MAX_DEVICES - 1, "last GSI stays on the IOAPIC (<= 23)");
  TAP_OK (gsi <= 23, "GSI within 24 IOAPIC pins");
}

static void
test_errors (void)
{
  struct vmm_err err = { 0 };
  TAP_EQ_INT (vmm_errorf (&err, ENOENT, "open `%s`", "/dev/kvm"), -ENOENT, "vmm_errorf returns -errno");
  TAP_EQ_STR (err.msg, "open `/dev/kvm`: No such file or directory", "message carries strerror");
  TAP_EQ_INT (vmm_error_wrap (&err, "kernel"), -ENOENT, "wrap keeps errno");
  TAP_EQ_STR (err.msg, "kernel: open `/dev/kvm`: No such file or directory", "wrap prefixes");
  TAP_EQ_INT (vmm_errorf (&err, 0, "plain"), -EINVAL, "errnum 0 gives -EINVAL");
  TAP_EQ_STR (err.msg, "plain", "no strerror without errno");
  TAP_EQ_INT (vmm_errorf (NULL, EIO, "x"), -EIO, "NULL err is allowed");
}

int
main (void)
{
  test_serial ();
  test_i8042 ();
  test_bus ();
  test_event_loop ();
  test_mmio_slots ();
  test_errors ();
  return tap_done ();
}

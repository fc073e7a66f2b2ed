/* The part of the i8042 keyboard controller a microVM needs: the CPU reset
   line (command 0xFE on port 0x64), which Linux pulses for `reboot=k`. */
#ifndef HULL_VMM_I8042_H
#define HULL_VMM_I8042_H

#include "microvm/vmm/bus.h"

#define I8042_DATA_PORT 0x60
#define I8042_COMMAND_PORT 0x64
#define I8042_CMD_RESET 0xfe

struct i8042
{
  void (*reset) (void *opaque);   /* the guest pulsed the reset line */
  void *opaque;
  unsigned char command_byte;
  unsigned char pending_cmd;
};

void i8042_init (struct i8042 *k, void (*reset) (void *), void *opaque);
/* Two bus devices: data port 0x60 and command/status port 0x64. */
struct bus_device i8042_data_device (struct i8042 *k);
struct bus_device i8042_command_device (struct i8042 *k);

#endif

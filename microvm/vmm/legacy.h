/* Legacy PC devices of the VM (internal to the VMM). */
#ifndef HULL_VMM_LEGACY_H
#define HULL_VMM_LEGACY_H

#include <stdatomic.h>
#include <stdbool.h>

#include "microvm/vmm/i8042.h"
#include "microvm/vmm/serial.h"
#include "microvm/vmm/vmm.h"

struct legacy_devices
{
  struct serial serial;
  struct i8042 i8042;
  struct vmm *vm;
  bool serial_input_registered;
  atomic_bool input_paused;   /* host input waits for FIFO space */
};

/* COM1 on 0x3f8 (output to cfg->serial_out_fd, input from
   cfg->serial_in_fd through vm->loop), i8042 on 0x60/0x64. */
int add_legacy_devices (struct vmm *vm, struct legacy_devices *d, struct vmm_err *err);

#endif

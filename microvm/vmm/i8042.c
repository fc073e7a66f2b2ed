/* i8042: no keyboard, no mouse; status reads "nothing pending", the
   command byte can be read back, and 0xFE resets the machine. */
#include <string.h>

#include "microvm/vmm/i8042.h"

#define I8042_CMD_READ_CTR 0x20
#define I8042_CMD_WRITE_CTR 0x60

void
i8042_init (struct i8042 *k, void (*reset) (void *), void *opaque)
{
  memset (k, 0, sizeof *k);
  k->reset = reset;
  k->opaque = opaque;
  k->command_byte = 0x45;   /* keyboard interrupt, system flag, translation */
}

static void
data_read (void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
  struct i8042 *k = opaque;
  memset (data, 0, len);
  if (k->pending_cmd == I8042_CMD_READ_CTR)
    {
      data[0] = k->command_byte;
      k->pending_cmd = 0;
    }
}

static void
data_write (void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
  struct i8042 *k = opaque;
  if (k->pending_cmd == I8042_CMD_WRITE_CTR && len >= 1)
    k->command_byte = data[0];
  k->pending_cmd = 0;
}

static void
command_read (void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
  struct i8042 *k = opaque;
  memset (data, 0, len);
  /* Output buffer full only while a command byte waits to be read. */
  if (k->pending_cmd == I8042_CMD_READ_CTR)
    data[0] = 0x01;
}

static void
command_write (void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
  struct i8042 *k = opaque;
  if (len < 1)
    return;
  switch (data[0])
    {
    case I8042_CMD_RESET:
      if (k->reset)
        k->reset (k->opaque);
      break;
    case I8042_CMD_READ_CTR:
    case I8042_CMD_WRITE_CTR:
      k->pending_cmd = data[0];
      break;
    default:
      k->pending_cmd = 0;
      break;
    }
}

struct bus_device
i8042_data_device (struct i8042 *k)
{
  struct bus_device d = { .name = "i8042-data", .base = I8042_DATA_PORT, .len = 1, .opaque = k,
                          .read = data_read, .write = data_write };
  return d;
}

struct bus_device
i8042_command_device (struct i8042 *k)
{
  struct bus_device d = { .name = "i8042-cmd", .base = I8042_COMMAND_PORT, .len = 1, .opaque = k,
                          .read = command_read, .write = command_write };
  return d;
}

/* scenario=hull-agent: a stand-in for hull-init that speaks the microVM
   control protocol (microvm/guest/proto.h) on the hull.control port, so
   the whole microVM lifecycle with hull's own VMM runs on hosts whose KVM
   cannot boot Linux.  Processes are played, not run; what a process does
   is read from its args:

     exit N     prints "agent: exit N" on stdout, exits with N
     wait       stays until a SIGNAL frame, then dies of that signal
     (other)    prints its args joined by spaces, exits 0

   EXEC frames are served the same way while the container's process
   waits.  When the container's process has exited the VM ends. */
#include "tg.h"
#include "virtio.h"

#define MAGIC 0x4c4c5548u
#define VERSION 1u
#define HDR 12u

enum
{
  HELLO = 1, CONFIG = 2, READY = 3, START = 4, STARTED = 5, SIGNAL = 6, EXEC = 7, STDIN = 8, STDOUT = 9,
  EXIT = 12, TAG_ARG = 1
};

#define MAX_ARGS 4
#define ARG_LEN 64

struct play
{
  char args[MAX_ARGS][ARG_LEN];
  unsigned n;
};

static unsigned port;
static uint8_t in[16384];
static uint32_t in_len;
static uint8_t out[HDR + 256];

static uint32_t
le32 (const uint8_t *p)
{
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static void
put32 (uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t) v;
  p[1] = (uint8_t) (v >> 8);
  p[2] = (uint8_t) (v >> 16);
  p[3] = (uint8_t) (v >> 24);
}

static int
send (uint16_t type, uint32_t id, const void *payload, uint32_t len)
{
  if (len > sizeof out - HDR)
    len = sizeof out - HDR;
  put32 (out, len);
  out[4] = (uint8_t) type;
  out[5] = (uint8_t) (type >> 8);
  out[6] = out[7] = 0;
  put32 (out + 8, id);
  memcpy (out + HDR, payload, len);
  return console_port_write (port, out, HDR + len);
}

static int
send32 (uint16_t type, uint32_t id, uint32_t v)
{
  uint8_t p[4];
  put32 (p, v);
  return send (type, id, p, 4);
}

/* The next whole frame at the start of `in` (0 on timeout or one too big
   to hold); drop() removes it. */
static int
next_frame (uint16_t *type, uint32_t *id, const uint8_t **payload, uint32_t *len, unsigned seconds)
{
  while (in_len < HDR || in_len < HDR + le32 (in))
    {
      int n;
      if (in_len >= HDR && HDR + le32 (in) > sizeof in - 256)
        {
          tg_printf ("agent: a frame of %u bytes is too big for me\n", le32 (in));
          return 0;
        }
      n = console_port_read (port, in + in_len, (uint32_t) (sizeof in - in_len), seconds, 1);
      if (n < 0)
        return 0;
      in_len += (uint32_t) n;
    }
  *len = le32 (in);
  *type = (uint16_t) (in[4] | in[5] << 8);
  *id = le32 (in + 8);
  *payload = in + HDR;
  return 1;
}

static void
drop (void)
{
  uint32_t n = HDR + le32 (in), i;
  for (i = n; i < in_len; i++)
    in[i - n] = in[i];
  in_len -= n;
}

/* The ARG tags of a CONFIG or EXEC payload (u16 tag, u32 len, value). */
static void
parse_args (const uint8_t *p, uint32_t len, struct play *pl)
{
  uint32_t off = 0;
  pl->n = 0;
  while (off + 6 <= len)
    {
      uint16_t tag = (uint16_t) (p[off] | p[off + 1] << 8);
      uint32_t n = le32 (p + off + 2);
      if (n > len - off - 6)
        return;
      if (tag == TAG_ARG && pl->n < MAX_ARGS)
        {
          uint32_t k = n < ARG_LEN - 1 ? n : ARG_LEN - 1;
          memcpy (pl->args[pl->n], p + off + 6, k);
          pl->args[pl->n][k] = '\0';
          pl->n++;
        }
      off += 6 + n;
    }
}

static long
number (const char *s)
{
  long v = 0;
  while (*s >= '0' && *s <= '9')
    v = v * 10 + (*s++ - '0');
  return v;
}

/* Starts a played process; 1 when it waits for a signal, else its wait
   status is sent at once. */
static int
play_start (uint32_t id, const struct play *pl)
{
  char line[256];
  uint32_t n = 0, i;

  send32 (STARTED, id, 100 + id);
  if (pl->n >= 1 && tg_strcmp (pl->args[0], "wait") == 0)
    return 1;
  if (pl->n >= 2 && tg_strcmp (pl->args[0], "exit") == 0)
    {
      long code = number (pl->args[1]) & 0xff;
      const char *msg = "agent: exit ";
      memcpy (line, msg, tg_strlen (msg));
      n = (uint32_t) tg_strlen (msg);
      memcpy (line + n, pl->args[1], tg_strlen (pl->args[1]));
      n += (uint32_t) tg_strlen (pl->args[1]);
      line[n++] = '\n';
      send (STDOUT, id, line, n);
      send32 (EXIT, id, (uint32_t) code << 8);
      return 0;
    }
  for (i = 0; i < pl->n && n + ARG_LEN + 1 < sizeof line; i++)
    {
      if (i)
        line[n++] = ' ';
      memcpy (line + n, pl->args[i], tg_strlen (pl->args[i]));
      n += (uint32_t) tg_strlen (pl->args[i]);
    }
  line[n++] = '\n';
  send (STDOUT, id, line, n);
  send32 (EXIT, id, 0);
  return 0;
}

int
scenario_hull_agent (void)
{
  uint8_t hello[8];
  struct play main_proc, exec_proc;
  uint16_t type;
  uint32_t id, len;
  const uint8_t *p;
  int started = 0, waiting = 0;
  long idle_limit = tg_param_long ("agent.idle", 600);

  int opened = console_open_port ("hull.control");
  if (opened < 0)
    return 2;
  port = (unsigned) opened;
  put32 (hello, MAGIC);
  put32 (hello + 4, VERSION);
  send (HELLO, 0, hello, 8);
  if (!next_frame (&type, &id, &p, &len, 60) || type != HELLO || len != 8 || le32 (p) != MAGIC)
    {
      tg_puts ("agent: no HELLO from the host\n");
      return 3;
    }
  drop ();
  if (!next_frame (&type, &id, &p, &len, 60) || type != CONFIG)
    {
      tg_puts ("agent: no CONFIG from the host\n");
      return 3;
    }
  parse_args (p, len, &main_proc);
  drop ();
  send (READY, 0, NULL, 0);
  tg_puts ("agent: ready\n");
  for (;;)
    {
      if (!next_frame (&type, &id, &p, &len, (unsigned) idle_limit))
        {
          tg_puts ("agent: the host went quiet\n");
          return 4;
        }
      switch (type)
        {
        case START:
          if (!started)
            {
              started = 1;
              waiting = play_start (0, &main_proc);
            }
          break;
        case EXEC:
          parse_args (p, len, &exec_proc);
          if (play_start (id, &exec_proc))
            send32 (EXIT, id, 9);   /* an exec that waits is killed */
          break;
        case SIGNAL:
          if (id == 0 && waiting && len == 4)
            {
              send32 (EXIT, 0, le32 (p) & 0x7f);
              waiting = 0;
            }
          break;
        default:   /* STDIN, WINSIZE: nothing plays with them */
          break;
        }
      drop ();
      if (started && !waiting)
        {
          tg_puts ("agent: the process exited\n");
          return 0;
        }
    }
}

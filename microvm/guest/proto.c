/* Encoder and decoder of the host–guest protocol (see proto.h).  Compiled
   into the host runtime and into the static guest init; libc only. */
#include "microvm/guest/proto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint16_t
get_u16 (const uint8_t *p)
{
  return (uint16_t) (p[0] | (p[1] << 8));
}

static uint32_t
get_u32 (const uint8_t *p)
{
  return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

static void
set_u16 (uint8_t *p, uint16_t v)
{
  p[0] = v & 0xff;
  p[1] = v >> 8;
}

static void
set_u32 (uint8_t *p, uint32_t v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (v >> (8 * i)) & 0xff;
}

long
hull_msg_max_payload (unsigned type)
{
  switch (type)
    {
    case HULL_MSG_HELLO:
      return 8;
    case HULL_MSG_CONFIG:
    case HULL_MSG_EXEC:
      return HULL_PROTO_MAX_PAYLOAD;
    case HULL_MSG_READY:
    case HULL_MSG_START:
      return 0;
    case HULL_MSG_STARTED:
    case HULL_MSG_SIGNAL:
    case HULL_MSG_EXIT:
    case HULL_MSG_WINSIZE:
      return 4;
    case HULL_MSG_STDIN:
    case HULL_MSG_STDOUT:
    case HULL_MSG_STDERR:
      return HULL_PROTO_MAX_DATA;
    case HULL_MSG_ERROR:
      return HULL_PROTO_MAX_TEXT;
    default:
      return -1;
    }
}

const char *
hull_msg_type_name (unsigned type)
{
  static const char *const names[] = {
    [HULL_MSG_HELLO] = "HELLO",     [HULL_MSG_CONFIG] = "CONFIG", [HULL_MSG_READY] = "READY",
    [HULL_MSG_START] = "START",     [HULL_MSG_STARTED] = "STARTED", [HULL_MSG_SIGNAL] = "SIGNAL",
    [HULL_MSG_EXEC] = "EXEC",       [HULL_MSG_STDIN] = "STDIN",   [HULL_MSG_STDOUT] = "STDOUT",
    [HULL_MSG_STDERR] = "STDERR",   [HULL_MSG_WINSIZE] = "WINSIZE", [HULL_MSG_EXIT] = "EXIT",
    [HULL_MSG_ERROR] = "ERROR",
  };
  if (type < HULL_MSG__MAX && names[type])
    return names[type];
  return "UNKNOWN";
}

int
hull_msg_parse_header (const uint8_t hdr[HULL_PROTO_HDR_SIZE], struct hull_msg *out)
{
  uint32_t len = get_u32 (hdr);
  uint16_t type = get_u16 (hdr + 4);
  uint16_t flags = get_u16 (hdr + 6);
  long max = hull_msg_max_payload (type);

  if (max < 0 || flags != 0)
    return -EBADMSG;
  if (len > (unsigned long) max)
    return -EMSGSIZE;
  out->type = type;
  out->len = len;
  out->id = get_u32 (hdr + 8);
  out->payload = NULL;
  return 0;
}

void
hull_msg_clear (struct hull_msg *m)
{
  free (m->payload);
  memset (m, 0, sizeof *m);
}

void
hull_msg_reader_init (struct hull_msg_reader *r)
{
  memset (r, 0, sizeof *r);
}

void
hull_msg_reader_release (struct hull_msg_reader *r)
{
  hull_msg_clear (&r->cur);
  r->have = 0;
  r->in_payload = false;
}

int
hull_msg_reader_feed (struct hull_msg_reader *r, const uint8_t *data, size_t len, size_t *used,
                      struct hull_msg *out)
{
  size_t off = 0;

  *used = 0;
  if (r->error)
    return r->error;
  while (off < len)
    {
      if (! r->in_payload)
        {
          size_t n = HULL_PROTO_HDR_SIZE - r->have;
          if (n > len - off)
            n = len - off;
          memcpy (r->hdr + r->have, data + off, n);
          r->have += n;
          off += n;
          if (r->have < HULL_PROTO_HDR_SIZE)
            break;
          int ret = hull_msg_parse_header (r->hdr, &r->cur);
          if (ret < 0)
            {
              *used = off;
              return r->error = ret;
            }
          /* One spare byte keeps text payloads NUL-terminated for free. */
          r->cur.payload = malloc (r->cur.len + 1);
          if (r->cur.payload == NULL)
            return r->error = -ENOMEM;
          r->cur.payload[r->cur.len] = 0;
          r->in_payload = true;
        }
      size_t got = r->have - HULL_PROTO_HDR_SIZE;
      size_t n = r->cur.len - got;
      if (n > len - off)
        n = len - off;
      memcpy (r->cur.payload + got, data + off, n);
      r->have += n;
      off += n;
      if (r->have == HULL_PROTO_HDR_SIZE + r->cur.len)
        {
          *out = r->cur;
          if (out->len == 0)
            {
              free (out->payload);
              out->payload = NULL;
            }
          memset (&r->cur, 0, sizeof r->cur);
          r->have = 0;
          r->in_payload = false;
          *used = off;
          return 1;
        }
    }
  *used = off;
  return 0;
}

static int
read_full (int fd, void *buf, size_t len)
{
  size_t off = 0;
  while (off < len)
    {
      ssize_t n = read (fd, (uint8_t *) buf + off, len - off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -errno;
      if (n == 0)
        return off == 0 ? -EPIPE : -EBADMSG;
      off += n;
    }
  return 0;
}

int
hull_msg_read (int fd, struct hull_msg *out)
{
  uint8_t hdr[HULL_PROTO_HDR_SIZE];
  int ret;

  memset (out, 0, sizeof *out);
  ret = read_full (fd, hdr, sizeof hdr);
  if (ret < 0)
    return ret;
  ret = hull_msg_parse_header (hdr, out);
  if (ret < 0)
    return ret;
  if (out->len == 0)
    return 0;
  out->payload = malloc (out->len + 1);
  if (out->payload == NULL)
    return -ENOMEM;
  out->payload[out->len] = 0;
  ret = read_full (fd, out->payload, out->len);
  if (ret < 0)
    {
      hull_msg_clear (out);
      return ret == -EPIPE ? -EBADMSG : ret;
    }
  return 0;
}

static int
write_full (int fd, const void *buf, size_t len)
{
  size_t off = 0;
  while (off < len)
    {
      ssize_t n = write (fd, (const uint8_t *) buf + off, len - off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -errno;
      off += n;
    }
  return 0;
}

int
hull_msg_write (int fd, uint16_t type, uint32_t id, const void *payload, uint32_t len)
{
  struct hull_buf b = { 0 };
  int ret = hull_msg_encode (&b, type, id, payload, len);
  if (ret == 0)
    ret = write_full (fd, b.data, b.len);
  hull_buf_release (&b);
  return ret;
}

void
hull_buf_release (struct hull_buf *b)
{
  free (b->data);
  memset (b, 0, sizeof *b);
}

void
hull_buf_put (struct hull_buf *b, const void *p, size_t n)
{
  if (b->oom)
    return;
  if (n > b->cap - b->len)
    {
      size_t cap = b->cap ? b->cap : 256;
      while (cap - b->len < n)
        {
          if (cap > SIZE_MAX / 2)
            {
              b->oom = true;
              return;
            }
          cap *= 2;
        }
      uint8_t *d = realloc (b->data, cap);
      if (d == NULL)
        {
          b->oom = true;
          return;
        }
      b->data = d;
      b->cap = cap;
    }
  if (n)
    memcpy (b->data + b->len, p, n);
  b->len += n;
}

void
hull_buf_put_u16 (struct hull_buf *b, uint16_t v)
{
  uint8_t p[2];
  set_u16 (p, v);
  hull_buf_put (b, p, 2);
}

void
hull_buf_put_u32 (struct hull_buf *b, uint32_t v)
{
  uint8_t p[4];
  set_u32 (p, v);
  hull_buf_put (b, p, 4);
}

void
hull_buf_put_u64 (struct hull_buf *b, uint64_t v)
{
  hull_buf_put_u32 (b, (uint32_t) v);
  hull_buf_put_u32 (b, (uint32_t) (v >> 32));
}

int
hull_msg_encode (struct hull_buf *b, uint16_t type, uint32_t id, const void *payload, uint32_t len)
{
  long max = hull_msg_max_payload (type);
  if (max < 0)
    return -EINVAL;
  if (len > (unsigned long) max)
    return -EMSGSIZE;
  hull_buf_put_u32 (b, len);
  hull_buf_put_u16 (b, type);
  hull_buf_put_u16 (b, 0);
  hull_buf_put_u32 (b, id);
  hull_buf_put (b, payload, len);
  return b->oom ? -ENOMEM : 0;
}

int
hull_hello_decode (const struct hull_msg *m, struct hull_hello *out)
{
  if (m->type != HULL_MSG_HELLO || m->len != 8)
    return -EBADMSG;
  out->magic = get_u32 (m->payload);
  out->version = get_u32 (m->payload + 4);
  if (out->magic != HULL_PROTO_MAGIC || out->version != HULL_PROTO_VERSION)
    return -EPROTO;
  return 0;
}

void
hull_hello_encode (uint8_t out[8])
{
  set_u32 (out, HULL_PROTO_MAGIC);
  set_u32 (out + 4, HULL_PROTO_VERSION);
}

int
hull_u32_decode (const struct hull_msg *m, uint32_t *out)
{
  if (m->len != 4)
    return -EBADMSG;
  *out = get_u32 (m->payload);
  return 0;
}

void
hull_u32_encode (uint8_t out[4], uint32_t v)
{
  set_u32 (out, v);
}

int
hull_winsize_decode (const struct hull_msg *m, struct hull_winsize *out)
{
  if (m->type != HULL_MSG_WINSIZE || m->len != 4)
    return -EBADMSG;
  out->rows = get_u16 (m->payload);
  out->cols = get_u16 (m->payload + 2);
  return 0;
}

void
hull_winsize_encode (uint8_t out[4], const struct hull_winsize *ws)
{
  set_u16 (out, ws->rows);
  set_u16 (out + 2, ws->cols);
}

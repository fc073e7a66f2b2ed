/* The sync socket between ns_spawn() and the container's init.  Each
   message is one SOCK_SEQPACKET datagram: a small header and an optional
   payload (an error message, a pid).  Everything read here comes from a
   process that is being set up from an untrusted image, so lengths are
   checked and messages are NUL-terminated before use. */
#include "namespaces/ns_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

struct sync_hdr
{
  uint32_t type;
  int32_t errnum;
  uint32_t len;
};

int
sync_send (int fd, enum sync_type type, const void *data, size_t len, hull_err *err)
{
  char buf[sizeof (struct sync_hdr) + SYNC_MAX_PAYLOAD];
  struct sync_hdr h = { .type = type, .errnum = 0, .len = len };
  ssize_t r;

  if (len > SYNC_MAX_PAYLOAD)
    len = h.len = SYNC_MAX_PAYLOAD;
  memcpy (buf, &h, sizeof h);
  if (len > 0)
    memcpy (buf + sizeof h, data, len);
  do
    r = send (fd, buf, sizeof h + len, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return hull_error (err, errno, "sync socket: send");
  return 0;
}

void
sync_send_error (int fd, const hull_err e)
{
  char buf[sizeof (struct sync_hdr) + SYNC_MAX_PAYLOAD];
  const char *msg = e != NULL && e->msg != NULL ? e->msg : "container init failed";
  size_t len = strlen (msg);
  struct sync_hdr h = { .type = SYNC_ERROR, .errnum = e != NULL ? e->errnum : 0 };
  ssize_t r;

  if (len > SYNC_MAX_PAYLOAD)
    len = SYNC_MAX_PAYLOAD;
  h.len = len;
  memcpy (buf, &h, sizeof h);
  memcpy (buf + sizeof h, msg, len);
  do
    r = send (fd, buf, sizeof h + len, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
}

int
sync_recv (int fd, enum sync_type *type, void *out, size_t outsz, size_t *outlen, hull_err *err)
{
  char buf[sizeof (struct sync_hdr) + SYNC_MAX_PAYLOAD + 1];
  struct sync_hdr h;
  ssize_t r;
  size_t len;

  do
    r = recv (fd, buf, sizeof buf - 1, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return hull_error (err, errno, "sync socket: receive");
  if (r == 0)
    return hull_error (err, 0, "container init exited unexpectedly");
  if ((size_t) r < sizeof h)
    return hull_error (err, 0, "sync socket: short message (%zd bytes)", r);
  memcpy (&h, buf, sizeof h);
  len = (size_t) r - sizeof h;
  if (h.len != len)
    return hull_error (err, 0, "sync socket: malformed message");

  if (h.type == SYNC_ERROR)
    {
      char *msg = buf + sizeof h;
      msg[len] = '\0';
      /* The message is shown to the user: keep it on one printable line. */
      for (char *p = msg; *p; p++)
        if ((unsigned char) *p < 0x20 || *p == 0x7f)
          *p = ' ';
      int errnum = h.errnum >= 0 && h.errnum < 4096 ? h.errnum : 0;
      return hull_error_from_wire (err, errnum, len > 0 ? msg : "container init failed");
    }
  if (type != NULL)
    *type = h.type;
  if (out != NULL)
    {
      if (len > outsz)
        return hull_error (err, 0, "sync socket: message too large");
      memcpy (out, buf + sizeof h, len);
    }
  if (outlen != NULL)
    *outlen = len;
  return 0;
}

int
sync_expect (int fd, enum sync_type want, void *out, size_t outsz, size_t *outlen, hull_err *err)
{
  enum sync_type got;
  int ret = sync_recv (fd, &got, out, outsz, outlen, err);
  if (ret < 0)
    return ret;
  if (got != want)
    return hull_error (err, 0, "sync socket: unexpected message %u (wanted %u)", (unsigned) got, (unsigned) want);
  return 0;
}

int
sync_wait_exec (int fd, hull_err *err)
{
  char buf[sizeof (struct sync_hdr) + SYNC_MAX_PAYLOAD + 1];
  ssize_t r;

  do
    r = recv (fd, buf, sizeof buf - 1, MSG_PEEK);
  while (r < 0 && errno == EINTR);
  if (r == 0)
    return 0;
  if (r < 0)
    return hull_error (err, errno, "sync socket: receive");
  if (sync_recv (fd, NULL, NULL, 0, NULL, err) < 0)
    return -1;
  return hull_error (err, 0, "sync socket: unexpected message");
}

/* sync.c: what the parent reads from a child being set up from an
   untrusted image is checked: lengths, types, error text. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "namespaces/ns_internal.h"
#include "runtime/util.h"
#include "tests/unit/tap.h"

struct hdr
{
  uint32_t type;
  int32_t errnum;
  uint32_t len;
};

static void
raw (int fd, uint32_t type, int32_t errnum, uint32_t len, const void *payload, size_t plen)
{
  char buf[8192];
  struct hdr h = { type, errnum, len };
  memcpy (buf, &h, sizeof h);
  memcpy (buf + sizeof h, payload, plen);
  if (send (fd, buf, sizeof h + plen, 0) < 0)
    perror ("send");
}

int
main (void)
{
  int sv[2];
  hull_err err = NULL;
  enum sync_type t;
  char buf[64];
  size_t len;
  pid_t pid = 42, got = 0;

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return 1;

  TAP_EQ_INT (sync_send (sv[1], SYNC_PID, &pid, sizeof pid, &err), 0, "send a pid");
  TAP_OK (sync_recv (sv[0], &t, &got, sizeof got, &len, &err) == 0 && t == SYNC_PID && got == 42 && len == sizeof got,
          "receive it");

  hull_error (&err, EACCES, "mount `%s`", "/proc");
  sync_send_error (sv[1], err);
  hull_error_release (&err);
  TAP_EQ_INT (sync_recv (sv[0], &t, NULL, 0, NULL, &err), -1, "an error message becomes an error");
  TAP_EQ_STR (err ? err->msg : NULL, "mount `/proc`: Permission denied", "with the child's text");
  TAP_EQ_INT (err ? err->errnum : -1, EACCES, "and errno");
  hull_error_release (&err);

  raw (sv[1], SYNC_ERROR, 5, 12, "evil\n\x1b[2Jmsg", 12);
  TAP_EQ_INT (sync_recv (sv[0], &t, NULL, 0, NULL, &err), -1, "hostile error text");
  TAP_EQ_STR (err ? err->msg : NULL, "evil  [2Jmsg", "control characters are blanked: one printable line");
  hull_error_release (&err);

  raw (sv[1], SYNC_ERROR, 999999, 3, "abc", 3);
  sync_recv (sv[0], &t, NULL, 0, NULL, &err);
  TAP_EQ_INT (err ? err->errnum : -1, 0, "an errno out of range is dropped");
  hull_error_release (&err);

  raw (sv[1], SYNC_PID, 0, 100, "abcd", 4);
  TAP_EQ_INT (sync_recv (sv[0], &t, buf, sizeof buf, &len, &err), -1, "a length that does not match is refused");
  hull_error_release (&err);

  if (send (sv[1], "ab", 2, 0) < 0)
    return 1;
  TAP_EQ_INT (sync_recv (sv[0], &t, buf, sizeof buf, &len, &err), -1, "a short message is refused");
  hull_error_release (&err);

  char big[200];
  memset (big, 'x', sizeof big);
  raw (sv[1], SYNC_PID, 0, sizeof big, big, sizeof big);
  TAP_EQ_INT (sync_recv (sv[0], &t, buf, sizeof buf, &len, &err), -1, "a payload larger than the buffer is refused");
  hull_error_release (&err);

  TAP_EQ_INT (sync_send (sv[1], SYNC_GO, NULL, 0, &err), 0, "send GO");
  TAP_EQ_INT (sync_expect (sv[0], SYNC_CREATED, NULL, 0, NULL, &err), -1, "an unexpected type is an error");
  hull_error_release (&err);

  TAP_EQ_INT (sync_send (sv[1], SYNC_CREATED, NULL, 0, &err), 0, "send CREATED");
  TAP_EQ_INT (sync_wait_exec (sv[0], &err), -1, "a message where EOF was expected is an error");
  hull_error_release (&err);

  close (sv[1]);
  TAP_EQ_INT (sync_wait_exec (sv[0], &err), 0, "EOF: the peer exec'd");
  TAP_EQ_INT (sync_recv (sv[0], &t, NULL, 0, NULL, &err), -1, "EOF is an error for a receive");
  TAP_EQ_STR (err ? err->msg : NULL, "container init exited unexpectedly", "saying the init went away");
  hull_error_release (&err);
  close (sv[0]);
  return tap_done ();
}

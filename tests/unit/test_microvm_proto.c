/* The host–guest protocol: round trips and hostile input. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "microvm/guest/proto.h"
#include "tests/unit/tap.h"

static void
hdr (uint8_t *p, uint32_t len, uint16_t type, uint16_t flags, uint32_t id)
{
  for (int i = 0; i < 4; i++)
    p[i] = len >> (8 * i), p[8 + i] = id >> (8 * i);
  p[4] = type & 0xff, p[5] = type >> 8, p[6] = flags & 0xff, p[7] = flags >> 8;
}

static void
test_header (void)
{
  uint8_t h[HULL_PROTO_HDR_SIZE];
  struct hull_msg m;

  hdr (h, 4, HULL_MSG_EXIT, 0, 7);
  TAP_EQ_INT (hull_msg_parse_header (h, &m), 0, "EXIT header parses");
  TAP_OK (m.type == HULL_MSG_EXIT && m.id == 7 && m.len == 4, "header fields decoded");
  hdr (h, 4, 0, 0, 0);
  TAP_EQ_INT (hull_msg_parse_header (h, &m), -EBADMSG, "type 0 rejected");
  hdr (h, 4, HULL_MSG__MAX, 0, 0);
  TAP_EQ_INT (hull_msg_parse_header (h, &m), -EBADMSG, "unknown type rejected");
  hdr (h, 0, 0xffff, 0, 0);
  TAP_EQ_INT (hull_msg_parse_header (h, &m), -EBADMSG, "type 0xffff rejected");
  hdr (h, 4, HULL_MSG_EXIT, 1, 0);
  TAP_EQ_INT (hull_msg_parse_header (h, &m), -EBADMSG, "non-zero flags rejected");
  hdr (h, 5, HULL_MSG_EXIT, 0, 0);
  TAP_EQ_INT (hull_msg_parse_header (h, &m), -EMSGSIZE, "EXIT with 5 bytes is oversized");
  hdr (h, 1, HULL_MSG_START, 0, 0);
  TAP_EQ_INT (hull_msg_parse_header (h, &m), -EMSGSIZE, "START carries no payload");
  hdr (h, HULL_PROTO_MAX_DATA + 1, HULL_MSG_STDOUT, 0, 0);
  TAP_EQ_INT (hull_msg_parse_header (h, &m), -EMSGSIZE, "STDOUT over 64 KiB rejected");
  hdr (h, UINT32_MAX, HULL_MSG_CONFIG, 0, 0);
  TAP_EQ_INT (hull_msg_parse_header (h, &m), -EMSGSIZE, "4 GiB CONFIG rejected before allocation");
  hdr (h, HULL_PROTO_MAX_TEXT + 1, HULL_MSG_ERROR, 0, 0);
  TAP_EQ_INT (hull_msg_parse_header (h, &m), -EMSGSIZE, "oversized ERROR text rejected");
}

static void
test_reader (void)
{
  struct hull_buf b = { 0 };
  struct hull_msg_reader r;
  struct hull_msg m;
  uint8_t st[4];
  size_t used, off = 0;
  int got = 0, ret;

  hull_u32_encode (st, 3 << 8);
  hull_msg_encode (&b, HULL_MSG_STDOUT, 0, "hello\n", 6);
  hull_msg_encode (&b, HULL_MSG_READY, 0, NULL, 0);
  hull_msg_encode (&b, HULL_MSG_EXIT, 0, st, 4);
  TAP_OK (! b.oom && b.len == 3 * HULL_PROTO_HDR_SIZE + 10, "three frames encoded");

  /* Byte by byte: every split point of the stream. */
  hull_msg_reader_init (&r);
  uint16_t types[3] = { 0 };
  while (off < b.len)
    {
      ret = hull_msg_reader_feed (&r, b.data + off, 1, &used, &m);
      off += used;
      if (ret < 0 || used != 1)
        break;
      if (ret == 1)
        {
          if (got == 0)
            TAP_OK (m.len == 6 && memcmp (m.payload, "hello\n", 6) == 0, "STDOUT payload intact after byte-wise feed");
          if (got == 1)
            TAP_OK (m.len == 0 && m.payload == NULL, "empty READY has no payload");
          if (got == 2)
            {
              uint32_t status = 0;
              TAP_OK (hull_u32_decode (&m, &status) == 0 && status == 3 << 8, "EXIT status decoded");
            }
          if (got < 3)
            types[got] = m.type;
          got++;
          hull_msg_clear (&m);
        }
    }
  TAP_EQ_INT (got, 3, "three frames from a byte-wise stream");
  TAP_OK (types[0] == HULL_MSG_STDOUT && types[1] == HULL_MSG_READY && types[2] == HULL_MSG_EXIT, "frame order kept");
  hull_msg_reader_release (&r);

  /* All at once: feed returns after each frame. */
  hull_msg_reader_init (&r);
  off = 0, got = 0;
  while (off < b.len && (ret = hull_msg_reader_feed (&r, b.data + off, b.len - off, &used, &m)) == 1)
    {
      off += used;
      got++;
      hull_msg_clear (&m);
    }
  TAP_EQ_INT (got, 3, "three frames from one buffer");
  hull_msg_reader_release (&r);

  /* A corrupt header poisons the stream for good. */
  uint8_t bad[HULL_PROTO_HDR_SIZE];
  hdr (bad, 0, 99, 0, 0);
  hull_msg_reader_init (&r);
  TAP_EQ_INT (hull_msg_reader_feed (&r, bad, sizeof bad, &used, &m), -EBADMSG, "reader rejects unknown type");
  TAP_EQ_INT (hull_msg_reader_feed (&r, b.data, b.len, &used, &m), -EBADMSG, "error is sticky");
  hull_msg_reader_release (&r);

  /* Truncated stream: a partial frame stays pending, nothing leaks. */
  hull_msg_reader_init (&r);
  TAP_EQ_INT (hull_msg_reader_feed (&r, b.data, HULL_PROTO_HDR_SIZE + 3, &used, &m), 0, "partial frame waits for more");
  hull_msg_reader_release (&r);
  hull_buf_release (&b);
}

static void
test_blocking_io (void)
{
  int sv[2];
  struct hull_msg m;
  uint8_t hello[8];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    {
      TAP_OK (0, "socketpair");
      return;
    }
  hull_hello_encode (hello);
  TAP_EQ_INT (hull_msg_write (sv[0], HULL_MSG_HELLO, 0, hello, 8), 0, "HELLO written");
  TAP_EQ_INT (hull_msg_read (sv[1], &m), 0, "HELLO read");
  struct hull_hello h;
  TAP_EQ_INT (hull_hello_decode (&m, &h), 0, "HELLO decodes");
  hull_msg_clear (&m);

  /* Bad version. */
  uint8_t b[HULL_PROTO_HDR_SIZE + 8];
  hdr (b, 8, HULL_MSG_HELLO, 0, 0);
  memcpy (b + HULL_PROTO_HDR_SIZE, hello, 8);
  b[HULL_PROTO_HDR_SIZE + 4] = 99;
  write (sv[0], b, sizeof b);
  TAP_EQ_INT (hull_msg_read (sv[1], &m), 0, "HELLO with version 99 frames fine");
  TAP_EQ_INT (hull_hello_decode (&m, &h), -EPROTO, "version 99 rejected");
  hull_msg_clear (&m);
  memcpy (b + HULL_PROTO_HDR_SIZE, hello, 8);
  b[HULL_PROTO_HDR_SIZE] = 'X';
  write (sv[0], b, sizeof b);
  hull_msg_read (sv[1], &m);
  TAP_EQ_INT (hull_hello_decode (&m, &h), -EPROTO, "bad magic rejected");
  hull_msg_clear (&m);
  hdr (b, 4, HULL_MSG_HELLO, 0, 0);
  write (sv[0], b, HULL_PROTO_HDR_SIZE + 4);
  hull_msg_read (sv[1], &m);
  TAP_EQ_INT (hull_hello_decode (&m, &h), -EBADMSG, "short HELLO rejected");
  hull_msg_clear (&m);

  /* Truncated payload then EOF. */
  hdr (b, 6, HULL_MSG_STDOUT, 0, 0);
  memcpy (b + HULL_PROTO_HDR_SIZE, "abc", 3);
  write (sv[0], b, HULL_PROTO_HDR_SIZE + 3);
  close (sv[0]);
  TAP_EQ_INT (hull_msg_read (sv[1], &m), -EBADMSG, "EOF inside a payload is an error");
  TAP_OK (m.payload == NULL, "no payload kept after a truncated read");
  TAP_EQ_INT (hull_msg_read (sv[1], &m), -EPIPE, "clean EOF reads as -EPIPE");
  close (sv[1]);
}

static struct hull_process
sample_process (void)
{
  static char *args[] = { "/bin/sh", "-c", "echo hi", NULL };
  static char *env[] = { "PATH=/bin", "TERM=xterm", NULL };
  static uint32_t agids[] = { 10, 20 };
  static struct hull_rlimit rl[] = { { 7, 1024, 4096 } };
  static struct hull_mount mnt[] = { { 6, "/proc", "proc", "proc", "" }, { 2, "/tmp", "tmpfs", "tmpfs", "size=1m" } };
  static char *sysctls[] = { "net.ipv4.ip_forward=1", NULL };
  static char *masked[] = { "/proc/kcore", "/sys/firmware", NULL };
  static char *ro[] = { "/proc/sys", NULL };
  static uint8_t filter[16] = { 6, 0, 0, 0, 0, 0, 0xff, 0x7f, 6, 0, 0, 0, 0, 0, 0xff, 0x7f };
  struct hull_process p = {
    .args = args, .n_args = 3, .env = env, .n_env = 2, .cwd = "/tmp", .uid = 1000, .gid = 1000,
    .agids = agids, .n_agids = 2, .has_umask = true, .umask = 022, .hostname = "box",
    .rlimits = rl, .n_rlimits = 1, .terminal = true, .console_size = { 24, 80 }, .has_caps = true,
    .caps = { 1, 2, 3, 4, 5 }, .no_new_privs = true, .mounts = mnt, .n_mounts = 2,
    .seccomp = filter, .seccomp_len = 16, .root_readonly = true,
    .has_net = true, .net = { { 2, 0, 0, 0, 0, 9 }, 1500, { 10, 1, 2, 3 }, 24, { 10, 1, 2, 1 } },
    .sysctl = sysctls, .n_sysctl = 1, .masked = masked, .n_masked = 2, .readonly = ro, .n_readonly = 1,
    .has_oom_score_adj = true, .oom_score_adj = -500,
    .has_personality = true, .personality = 8, .has_ioprio = true, .ioprio = (3 << 13) | 0,
    .has_sched = true, .sched = { 3, 1, -7, 0, 10, 20, 30 }, .root_propagation = MS_SHARED | MS_REC,
  };
  return p;
}

static void
test_process_roundtrip (void)
{
  struct hull_process in = sample_process (), out;
  struct hull_buf b = { 0 };
  char why[128];

  TAP_EQ_INT (hull_process_encode (&b, &in), 0, "process encodes");
  TAP_EQ_INT (hull_process_decode (b.data, b.len, &out, why, sizeof why), 0, "process decodes");
  TAP_OK (out.n_args == 3 && strcmp (out.args[2], "echo hi") == 0 && out.args[3] == NULL, "args round trip, NULL-terminated");
  TAP_OK (out.n_env == 2 && strcmp (out.env[1], "TERM=xterm") == 0 && out.env[2] == NULL, "env round trips");
  TAP_EQ_STR (out.cwd, "/tmp", "cwd round trips");
  TAP_OK (out.uid == 1000 && out.gid == 1000 && out.n_agids == 2 && out.agids[1] == 20, "user and groups round trip");
  TAP_OK (out.has_umask && out.umask == 022, "umask round trips");
  TAP_EQ_STR (out.hostname, "box", "hostname round trips");
  TAP_OK (out.n_rlimits == 1 && out.rlimits[0].resource == 7 && out.rlimits[0].soft == 1024 && out.rlimits[0].hard == 4096,
          "rlimits round trip");
  TAP_OK (out.terminal && out.console_size.rows == 24 && out.console_size.cols == 80, "terminal and size round trip");
  TAP_OK (out.has_caps && out.caps[0] == 1 && out.caps[4] == 5, "capability sets round trip");
  TAP_OK (out.no_new_privs && out.root_readonly, "flags round trip");
  TAP_OK (out.n_mounts == 2 && out.mounts[1].flags == 2 && strcmp (out.mounts[1].data, "size=1m") == 0
              && strcmp (out.mounts[0].destination, "/proc") == 0 && out.mounts[0].data[0] == 0,
          "mounts round trip");
  TAP_OK (out.seccomp_len == 16 && out.seccomp[7] == 0x7f, "seccomp program round trips");
  TAP_OK (out.has_net && out.net.mac[5] == 9 && out.net.mtu == 1500 && out.net.addr[3] == 3 && out.net.prefix == 24
              && out.net.gateway[3] == 1,
          "network config round trips");
  TAP_OK (out.n_sysctl == 1 && strcmp (out.sysctl[0], "net.ipv4.ip_forward=1") == 0 && out.n_masked == 2
              && strcmp (out.masked[1], "/sys/firmware") == 0 && out.n_readonly == 1 && out.has_oom_score_adj
              && out.oom_score_adj == -500,
          "sysctl, masked and read-only paths, oom_score_adj round trip");
  TAP_OK (out.has_personality && out.personality == 8 && out.has_ioprio && out.ioprio == 3 << 13 && out.has_sched
              && out.sched.policy == 3 && out.sched.flags == 1 && out.sched.nice == -7 && out.sched.runtime == 10
              && out.sched.deadline == 20 && out.sched.period == 30,
          "personality, ioprio and scheduler round trip");
  TAP_OK (out.root_propagation == (MS_SHARED | MS_REC), "root propagation round trips");
  hull_process_release (&out);

  /* Every truncation of a valid payload either decodes (cut on a field
     boundary, with args present) or fails cleanly. */
  int clean = 1;
  for (size_t cut = 0; cut < b.len; cut++)
    {
      int ret = hull_process_decode (b.data, cut, &out, why, sizeof why);
      if (ret == 0)
        hull_process_release (&out);
      else if (ret != -EBADMSG || out.args != NULL || why[0] == 0)
        clean = 0;
    }
  TAP_OK (clean, "every truncation fails cleanly with a reason");

  /* Flip each byte: never crashes, never leaks (checked under ASan). */
  for (size_t i = 0; i < b.len; i++)
    {
      uint8_t saved = b.data[i];
      b.data[i] ^= 0xff;
      if (hull_process_decode (b.data, b.len, &out, why, sizeof why) == 0)
        hull_process_release (&out);
      b.data[i] = saved;
    }
  TAP_OK (1, "byte flips survive");
  hull_buf_release (&b);
}

static struct hull_buf
tlv (uint16_t tag, const void *v, uint32_t len)
{
  struct hull_buf b = { 0 };
  hull_buf_put_u16 (&b, HULL_TAG_ARG);
  hull_buf_put_u32 (&b, 2);
  hull_buf_put (&b, "sh", 2);
  hull_buf_put_u16 (&b, tag);
  hull_buf_put_u32 (&b, len);
  hull_buf_put (&b, v, len);
  return b;
}

static int
decode_one (uint16_t tag, const void *v, uint32_t len)
{
  struct hull_buf b = tlv (tag, v, len);
  struct hull_process p;
  char why[128];
  int ret = hull_process_decode (b.data, b.len, &p, why, sizeof why);
  if (ret == 0)
    hull_process_release (&p);
  hull_buf_release (&b);
  return ret;
}

static void
test_process_hostile (void)
{
  struct hull_process p;
  char why[128];

  TAP_EQ_INT (hull_process_decode ((const uint8_t *) "", 0, &p, why, sizeof why), -EBADMSG, "empty process rejected");
  TAP_OK (strstr (why, "args") != NULL, "reason names the missing args");
  TAP_EQ_INT (decode_one (HULL_TAG_ARG, "a\0b", 3), -EBADMSG, "NUL inside a string rejected");
  TAP_EQ_INT (decode_one (HULL_TAG_ENV, "NOEQUALS", 8), -EBADMSG, "env entry without '=' rejected");
  TAP_EQ_INT (decode_one (HULL_TAG_CWD, "relative", 8), -EBADMSG, "relative cwd rejected");
  TAP_EQ_INT (decode_one (HULL_TAG_UID, "\1\2", 2), -EBADMSG, "short uid rejected");
  TAP_EQ_INT (decode_one (HULL_TAG_RLIMIT, "0123456789", 10), -EBADMSG, "short rlimit rejected");
  TAP_EQ_INT (decode_one (HULL_TAG_TERMINAL, "\2", 1), -EBADMSG, "boolean 2 rejected");
  TAP_EQ_INT (decode_one (HULL_TAG_CAPS, "12345678", 8), -EBADMSG, "short caps rejected");
  TAP_EQ_INT (decode_one (HULL_TAG_SECCOMP, "1234567", 7), -EBADMSG, "seccomp not a multiple of 8 rejected");
  TAP_EQ_INT (decode_one (HULL_TAG_MOUNT, "\0\0\0\0\0\0\0\0/x\0t\0s\0d", 16), -EBADMSG, "unterminated mount field rejected");
  TAP_EQ_INT (decode_one (HULL_TAG_MOUNT, "\0\0\0\0\0\0\0\0x\0t\0s\0d\0", 17), -EBADMSG, "relative mount destination rejected");
  TAP_EQ_INT (decode_one (HULL_TAG_MOUNT, "\0\0\0\0\0\0\0\0/x\0t\0s\0d\0z", 19), -EBADMSG, "mount trailing bytes rejected");
  TAP_EQ_INT (decode_one (0x7777, "whatever", 8), 0, "unknown tag skipped");
  TAP_EQ_INT (decode_one (HULL_TAG_NET, "\2\0\0\0\0\1\xdc\5\0\0\12\0\0\2\41\0\0\0\0", 19), -EBADMSG,
              "prefix /33 rejected");
  TAP_EQ_INT (decode_one (HULL_TAG_NET, "\2\0\0\0\0\1\xdc\5\0\0\12\0\0\2\30\0\0\0\0", 19), 0,
              "a valid net entry accepted");
  TAP_EQ_INT (decode_one (HULL_TAG_NET, "\2\0\0\0\0\1", 6), -EBADMSG, "short net entry rejected");
  TAP_EQ_INT (decode_one (HULL_TAG_SYSCTL, "../../etc/x=1", 13), -EBADMSG, "sysctl escaping /proc/sys rejected");
  TAP_EQ_INT (decode_one (HULL_TAG_SYSCTL, "kernel/../../x=1", 16), -EBADMSG, "sysctl with .. inside rejected");
  TAP_EQ_INT (decode_one (HULL_TAG_SYSCTL, "noequals", 8), -EBADMSG, "sysctl without a value rejected");
  TAP_EQ_INT (decode_one (HULL_TAG_MASKED, "proc/kcore", 10), -EBADMSG, "relative masked path rejected");
  TAP_EQ_INT (decode_one (HULL_TAG_OOM_SCORE_ADJ, "\xe9\x03\0\0", 4), -EBADMSG, "oom_score_adj 1001 rejected");

  /* Field length past the end of the message. */
  struct hull_buf b = tlv (HULL_TAG_CWD, "/", 1);
  b.data[b.len - 5] = 0xff;   /* high byte of the cwd length */
  TAP_EQ_INT (hull_process_decode (b.data, b.len, &p, why, sizeof why), -EBADMSG, "overrunning field length rejected");
  hull_buf_release (&b);

  /* Repeated scalar string. */
  b = tlv (HULL_TAG_CWD, "/a", 2);
  hull_buf_put_u16 (&b, HULL_TAG_CWD);
  hull_buf_put_u32 (&b, 2);
  hull_buf_put (&b, "/b", 2);
  TAP_EQ_INT (hull_process_decode (b.data, b.len, &p, why, sizeof why), -EBADMSG, "repeated cwd rejected");
  hull_buf_release (&b);

  /* Count limits: too many groups. */
  b = tlv (HULL_TAG_AGID, "\0\0\0\0", 4);
  for (unsigned i = 0; i < HULL_CFG_MAX_GROUPS; i++)
    {
      hull_buf_put_u16 (&b, HULL_TAG_AGID);
      hull_buf_put_u32 (&b, 4);
      hull_buf_put_u32 (&b, i);
    }
  TAP_EQ_INT (hull_process_decode (b.data, b.len, &p, why, sizeof why), -E2BIG, "more than 256 groups rejected");
  hull_buf_release (&b);

  /* Oversized string. */
  static char big[HULL_CFG_MAX_STRING + 1];
  memset (big, 'a', sizeof big);
  TAP_EQ_INT (decode_one (HULL_TAG_ARG, big, sizeof big), -E2BIG, "64 KiB + 1 string rejected");

  /* Encoder refuses what the decoder would refuse. */
  struct hull_process none = { 0 };
  struct hull_buf e = { 0 };
  TAP_EQ_INT (hull_process_encode (&e, &none), -EINVAL, "encoder refuses a process without args");
  hull_buf_release (&e);
}

int
main (void)
{
  test_header ();
  test_reader ();
  test_blocking_io ();
  test_process_roundtrip ();
  test_process_hostile ();
  return tap_done ();
}

/* The host end of the control protocol against a scripted, hostile guest on
   a socketpair: frames are queued before the host reads them. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "microvm/microvm.h"
#include "runtime/util.h"
#include "tests/unit/tap.h"

static int host_fd, guest_fd;
static struct microvm_ctl ctl;

static void
open_pair (void)
{
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    abort ();
  host_fd = sv[0];
  guest_fd = sv[1];
  microvm_ctl_init (&ctl, host_fd, 0);
}

static void
close_pair (void)
{
  microvm_ctl_release (&ctl);
  close (host_fd);
  if (guest_fd >= 0)
    close (guest_fd);
}

static void
guest_send (uint16_t type, uint32_t id, const void *p, uint32_t len)
{
  if (hull_msg_write (guest_fd, type, id, p, len) < 0)
    abort ();
}

static void
guest_hello (uint32_t version)
{
  uint8_t h[8];
  hull_hello_encode (h);
  h[4] = (uint8_t) version;
  guest_send (HULL_MSG_HELLO, 0, h, 8);
}

static void
guest_u32 (uint16_t type, uint32_t id, uint32_t v)
{
  uint8_t p[4];
  hull_u32_encode (p, v);
  guest_send (type, id, p, 4);
}

static struct hull_process
process (void)
{
  static char *args[] = { "echo", "hi", NULL };
  struct hull_process p = { .args = args, .n_args = 2, .cwd = "/" };
  return p;
}

static int
boot (hull_err *err, int timeout_ms)
{
  struct hull_process p = process ();
  return microvm_ctl_boot (&ctl, &p, timeout_ms, err);
}

static void
test_boot_ok (void)
{
  hull_err err = NULL;
  struct hull_msg m;

  open_pair ();
  guest_hello (HULL_PROTO_VERSION);
  guest_send (HULL_MSG_READY, 0, NULL, 0);
  TAP_EQ_INT (boot (&err, 5000), 0, "boot: HELLO, CONFIG, READY");
  if (err)
    printf ("# %s\n", err->msg), hull_error_release (&err);
  TAP_OK (hull_msg_read (guest_fd, &m) == 0 && m.type == HULL_MSG_HELLO, "host answered HELLO");
  hull_msg_clear (&m);
  TAP_OK (hull_msg_read (guest_fd, &m) == 0 && m.type == HULL_MSG_CONFIG, "host sent CONFIG");
  struct hull_process got;
  TAP_OK (hull_process_decode (m.payload, m.len, &got, NULL, 0) == 0 && got.n_args == 2
              && strcmp (got.args[1], "hi") == 0,
          "CONFIG carries the process");
  hull_process_release (&got);
  hull_msg_clear (&m);
  close_pair ();
}

static void
expect_boot_error (const char *what, const char *needle, int timeout_ms)
{
  hull_err err = NULL;
  int ret = boot (&err, timeout_ms);
  TAP_OK (ret < 0 && err && strstr (err->msg, needle), "%s", what);
  if (err && ! strstr (err->msg, needle))
    printf ("# message: %s\n", err->msg);
  hull_error_release (&err);
  close_pair ();
}

static void
test_boot_hostile (void)
{
  open_pair ();
  guest_hello (99);
  expect_boot_error ("wrong protocol version refused", "another protocol version", 5000);

  open_pair ();
  if (write (guest_fd, "GARBAGE-GARBAGE-GARBAGE", 23) != 23)
    abort ();
  expect_boot_error ("garbage refused as a corrupt frame", "corrupt frame", 5000);

  open_pair ();
  uint8_t big[HULL_PROTO_HDR_SIZE] = { 0xff, 0xff, 0xff, 0x7f, HULL_MSG_STDOUT, 0, 0, 0, 0, 0, 0, 0 };
  if (write (guest_fd, big, sizeof big) != sizeof big)
    abort ();
  expect_boot_error ("a 2 GiB frame is refused before allocation", "corrupt frame", 5000);

  open_pair ();
  guest_hello (HULL_PROTO_VERSION);
  static const char text[] = "mount \x1b[31m/dev/vda\x07 failed";
  guest_send (HULL_MSG_ERROR, 0, text, sizeof text - 1);
  expect_boot_error ("a guest ERROR is reported, control bytes neutralized", "guest: mount ?[31m/dev/vda? failed", 5000);

  open_pair ();
  guest_send (HULL_MSG_STDOUT, 0, "early", 5);
  expect_boot_error ("a frame out of turn is refused", "sent STDOUT while booting", 5000);

  open_pair ();
  guest_hello (HULL_PROTO_VERSION);
  guest_send (HULL_MSG_READY, 7, NULL, 0);
  expect_boot_error ("READY for another id is refused", "sent READY", 5000);

  open_pair ();
  close (guest_fd);
  guest_fd = -1;
  expect_boot_error ("a closed port before HELLO is an error", "closed the control port", 5000);

  open_pair ();
  expect_boot_error ("a silent guest times out", "timed out waiting for the guest", 200);

  /* The VMM dies before the guest says anything. */
  open_pair ();
  microvm_ctl_release (&ctl);
  pid_t vmm = fork ();
  if (vmm == 0)
    _exit (3);
  microvm_ctl_init (&ctl, host_fd, vmm);
  expect_boot_error ("a dead VMM is reported as such", "VM stopped (VMM exit status 3)", 5000);
}

static int
run_guest (uint32_t *status, char *out, size_t out_len, hull_err *err)
{
  int pipefd[2];
  if (pipe2 (pipefd, O_CLOEXEC | O_NONBLOCK) < 0)
    abort ();
  struct microvm_relay r = { -1, pipefd[1], pipefd[1], -1, -1, NULL };
  int st = -1;
  int ret = microvm_ctl_run (&ctl, &r, &st, err);
  close (pipefd[1]);
  ssize_t n = read (pipefd[0], out, out_len - 1);
  out[n > 0 ? n : 0] = 0;
  close (pipefd[0]);
  *status = (uint32_t) st;
  return ret;
}

static void
test_run (void)
{
  hull_err err = NULL;
  uint32_t st;
  char out[256];
  struct hull_msg m;

  open_pair ();
  guest_u32 (HULL_MSG_STARTED, 0, 42);
  guest_send (HULL_MSG_STDOUT, 0, "hello ", 6);
  guest_send (HULL_MSG_STDERR, 0, "world", 5);
  guest_send (HULL_MSG_STDOUT, 0, NULL, 0);
  guest_u32 (HULL_MSG_EXIT, 0, 3 << 8);
  TAP_EQ_INT (run_guest (&st, out, sizeof out, &err), 0, "run: relays until EXIT");
  TAP_EQ_INT (st, 3 << 8, "run: exit status as the guest reported it");
  TAP_EQ_STR (out, "hello world", "run: stdout and stderr relayed");
  TAP_OK (hull_msg_read (guest_fd, &m) == 0 && m.type == HULL_MSG_START, "run: START sent");
  hull_msg_clear (&m);
  TAP_OK (hull_msg_read (guest_fd, &m) == 0 && m.type == HULL_MSG_STDIN && m.len == 0, "run: no stdin is an EOF");
  hull_msg_clear (&m);
  close_pair ();

  open_pair ();
  guest_send (HULL_MSG_ERROR, 0, "exec `x`: not found", 19);
  guest_u32 (HULL_MSG_EXIT, 0, 127 << 8);
  TAP_EQ_INT (run_guest (&st, out, sizeof out, &err), 0, "run: a failed exec still ends with EXIT");
  TAP_OK (ctl.guest_error && strcmp (ctl.guest_error, "exec `x`: not found") == 0, "run: the reason is kept");
  close_pair ();

  open_pair ();
  guest_u32 (HULL_MSG_EXIT, 0, 0x10000);
  TAP_EQ_INT (run_guest (&st, out, sizeof out, &err), -1, "run: an impossible wait status is refused");
  hull_error_release (&err);
  close_pair ();

  open_pair ();
  guest_send (HULL_MSG_STDOUT, 9, "x", 1);
  TAP_EQ_INT (run_guest (&st, out, sizeof out, &err), -1, "run: a frame for an unknown process is refused");
  TAP_OK (err && strstr (err->msg, "unknown process 9"), "run: the error names the id");
  if (err && ! strstr (err->msg, "unknown process 9"))
    printf ("# message: %s\n", err->msg);
  hull_error_release (&err);
  close_pair ();

  open_pair ();
  guest_send (HULL_MSG_CONFIG, 0, "x", 1);
  TAP_EQ_INT (run_guest (&st, out, sizeof out, &err), -1, "run: a host-only message from the guest is refused");
  hull_error_release (&err);
  close_pair ();
}

/* A guest that answers: START -> STARTED; EXEC{id} -> the first arg on
   STDOUT{id}, then EXIT{id} with `exec_status`, then EXIT{0}. */
static void __attribute__ ((noreturn))
fake_guest (int fd, uint32_t exec_status)
{
  struct hull_msg m;
  uint8_t p[4];
  while (hull_msg_read (fd, &m) == 0)
    {
      if (m.type == HULL_MSG_START)
        {
          hull_u32_encode (p, 77);
          hull_msg_write (fd, HULL_MSG_STARTED, 0, p, 4);
        }
      else if (m.type == HULL_MSG_EXEC)
        {
          struct hull_process proc;
          if (hull_process_decode (m.payload, m.len, &proc, NULL, 0) == 0)
            {
              hull_msg_write (fd, HULL_MSG_STDOUT, m.id, proc.args[0], (uint32_t) strlen (proc.args[0]));
              hull_process_release (&proc);
            }
          hull_u32_encode (p, exec_status);
          hull_msg_write (fd, HULL_MSG_EXIT, m.id, p, 4);
          hull_u32_encode (p, 0);
          hull_msg_write (fd, HULL_MSG_EXIT, 0, p, 4);
        }
      hull_msg_clear (&m);
    }
  _exit (0);
}

static void
test_exec_server (uint32_t exec_status, bool expect_ok)
{
  char dir[] = "/tmp/hull-unit-exec-XXXXXX";
  hull_err err = NULL;
  struct microvm_exec_server srv;
  int out[2];

  if (mkdtemp (dir) == NULL || pipe2 (out, O_CLOEXEC) < 0)
    abort ();
  int dirfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  open_pair ();
  /* The monitor's stdin is the container's: opening the server keeps it. */
  struct stat in_before, in_after;
  if (fstat (STDIN_FILENO, &in_before) < 0 && (open ("/dev/null", O_RDONLY) != STDIN_FILENO || fstat (STDIN_FILENO, &in_before) < 0))
    abort ();
  TAP_EQ_INT (microvm_exec_server_open (&srv, dirfd, MICROVM_EXEC_SOCKET, &err), 0, "exec server listens");
  TAP_OK (fstat (STDIN_FILENO, &in_after) == 0 && in_after.st_ino == in_before.st_ino
          && in_after.st_dev == in_before.st_dev && srv.listen_fd != STDIN_FILENO,
          "opening the exec server leaves fd 0 alone");
  pid_t guest = fork ();
  if (guest == 0)
    {
      close (host_fd);
      fake_guest (guest_fd, exec_status);
    }
  close (guest_fd);
  guest_fd = -1;
  pid_t client = fork ();
  if (client == 0)
    {
      static char *args[] = { "echo-me", NULL };
      struct hull_process p = { .args = args, .n_args = 1, .cwd = "/" };
      int fds[3] = { -1, out[1], out[1] };
      int null = open ("/dev/null", O_RDONLY);
      fds[0] = null;
      int st = 0;
      char *why = NULL;
      hull_err e = NULL;
      if (microvm_exec_request (dirfd, MICROVM_EXEC_SOCKET, &p, fds, -1, -1, &st, &why, &e) < 0)
        _exit (100);
      _exit (WEXITSTATUS (st));
    }
  close (out[1]);
  struct microvm_relay r = { -1, -1, -1, -1, -1, &srv };
  int st = -1;
  int ret = microvm_ctl_run (&ctl, &r, &st, &err);
  if (expect_ok)
    {
      TAP_EQ_INT (ret, 0, "exec: the container's process ends normally");
      int cst;
      waitpid (client, &cst, 0);
      TAP_EQ_INT (WEXITSTATUS (cst), exec_status >> 8, "exec: the client gets the guest process's status");
      char buf[64] = "";
      ssize_t n = read (out[0], buf, sizeof buf - 1);
      buf[n > 0 ? n : 0] = 0;
      TAP_EQ_STR (buf, "echo-me", "exec: the guest's output reaches the client's fd");
    }
  else
    {
      TAP_EQ_INT (ret, -1, "exec: an impossible exec status from the guest ends the run");
      kill (client, SIGKILL);
      waitpid (client, NULL, 0);
    }
  hull_error_release (&err);
  microvm_exec_server_close (&srv);
  unlinkat (dirfd, MICROVM_EXEC_SOCKET, 0);
  close (dirfd);
  close (out[0]);
  rmdir (dir);
  kill (guest, SIGKILL);
  waitpid (guest, NULL, 0);
  close_pair ();
}

int
main (void)
{
  signal (SIGPIPE, SIG_IGN);
  test_boot_ok ();
  test_boot_hostile ();
  test_run ();
  test_exec_server (5 << 8, true);
  test_exec_server (0x10000, false);
  return tap_done ();
}

/* hull-init: pid 1 of the microVM.
 *
 * Mounts what the init itself needs, finds the control port by name, says
 * HELLO, receives the CONFIG (the OCI process and mounts), switches to the
 * container rootfs on /dev/vda, answers READY and hands over to the agent
 * loop, which runs the process on START.  Whatever happens, the VM powers
 * off at the end: the guest kernel runs with reboot=t, so RB_AUTOBOOT is a
 * triple fault the VMM sees as the guest's exit. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>

#include "microvm/guest/guest.h"

void
guest_log (const char *fmt, ...)
{
  char buf[512];
  va_list ap;
  int n = snprintf (buf, sizeof buf, "hull-init: ");
  va_start (ap, fmt);
  vsnprintf (buf + n, sizeof buf - n - 1, fmt, ap);
  va_end (ap);
  strcat (buf, "\n");
  int fd = open ("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    fd = dup (2);
  if (fd >= 0)
    {
      if (write (fd, buf, strlen (buf)) < 0)
        { /* nowhere else to say it */ }
      close (fd);
    }
}

void
guest_poweroff (void)
{
  sync ();
  reboot (RB_AUTOBOOT);
  /* Only reached if reboot() failed: there is nothing left to do. */
  for (;;)
    pause ();
}

static void
sleep_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep (&ts, NULL);
}

/* /sys/class/virtio-ports/vportNpM/name holds the port's name; the device
   node is /dev/vportNpM.  Ports appear asynchronously after the driver
   binds, so poll for a while. */
static int
open_control_port (void)
{
  for (int tries = 0; tries < 1500; tries++)   /* 30 s: TCG on a loaded host is slow */
    {
      DIR *d = opendir ("/sys/class/virtio-ports");
      struct dirent *de;
      while (d && (de = readdir (d)))
        {
          char path[300], name[64] = "";
          if (de->d_name[0] == '.')
            continue;
          snprintf (path, sizeof path, "/sys/class/virtio-ports/%s/name", de->d_name);
          int fd = open (path, O_RDONLY | O_CLOEXEC);
          if (fd < 0)
            continue;
          ssize_t n = read (fd, name, sizeof name - 1);
          close (fd);
          if (n <= 0)
            continue;
          name[n] = 0;
          name[strcspn (name, "\n")] = 0;
          if (strcmp (name, HULL_PROTO_PORT_NAME) != 0)
            continue;
          snprintf (path, sizeof path, "/dev/%s", de->d_name);
          fd = open (path, O_RDWR | O_CLOEXEC);
          if (fd >= 0)
            {
              closedir (d);
              return fd;
            }
        }
      if (d)
        closedir (d);
      sleep_ms (20);
    }
  return -1;
}

static void
send_error (int ctl, uint32_t id, const char *why)
{
  size_t len = strlen (why);
  if (len > HULL_PROTO_MAX_TEXT)
    len = HULL_PROTO_MAX_TEXT;
  hull_msg_write (ctl, HULL_MSG_ERROR, id, why, len);
}

/* A failure before the process runs: tell the host, report the exit as
   status 127 (as a shell does for a command that cannot run), power off. */
static void __attribute__ ((noreturn))
fail_boot (int ctl, const char *why)
{
  uint8_t st[4];
  guest_log ("%s", why);
  if (ctl >= 0)
    {
      /* A port whose host end is gone blocks writers forever. */
      fcntl (ctl, F_SETFL, O_NONBLOCK);
      send_error (ctl, 0, why);
      hull_u32_encode (st, 127 << 8);
      hull_msg_write (ctl, HULL_MSG_EXIT, 0, st, 4);
    }
  guest_poweroff ();
}

static int
handshake (int ctl, struct hull_process *cfg, char *why, size_t why_len)
{
  uint8_t hello[8];
  struct hull_msg m;
  struct hull_hello h;
  int ret;

  hull_hello_encode (hello);
  if ((ret = hull_msg_write (ctl, HULL_MSG_HELLO, 0, hello, sizeof hello)) < 0)
    return snprintf (why, why_len, "write HELLO: %s", strerror (-ret)), -1;
  if ((ret = hull_msg_read (ctl, &m)) < 0)
    return snprintf (why, why_len, "read HELLO: %s", strerror (-ret)), -1;
  ret = hull_hello_decode (&m, &h);
  hull_msg_clear (&m);
  if (ret < 0)
    return snprintf (why, why_len, "host speaks another protocol (want version %u)", HULL_PROTO_VERSION), -1;
  if ((ret = hull_msg_read (ctl, &m)) < 0)
    return snprintf (why, why_len, "read CONFIG: %s", strerror (-ret)), -1;
  if (m.type != HULL_MSG_CONFIG)
    {
      snprintf (why, why_len, "expected CONFIG, got %s", hull_msg_type_name (m.type));
      hull_msg_clear (&m);
      return -1;
    }
  char reason[200];
  ret = hull_process_decode (m.payload, m.len, cfg, reason, sizeof reason);
  hull_msg_clear (&m);
  if (ret < 0)
    return snprintf (why, why_len, "bad CONFIG: %s", reason), -1;
  return 0;
}

int
main (int argc, char **argv)
{
  struct hull_process cfg;
  char why[512];
  int ctl;

  if (getpid () != 1)
    {
      fprintf (stderr, "hull-init: the microVM guest init; runs only as pid 1 inside the VM\n");
      return 2;
    }
  if (guest_early_mounts (why, sizeof why) < 0)
    fail_boot (-1, why);
  ctl = open_control_port ();
  if (ctl < 0)
    fail_boot (-1, "no virtio-console port named " HULL_PROTO_PORT_NAME);
  if (handshake (ctl, &cfg, why, sizeof why) < 0)
    fail_boot (ctl, why);
  if (cfg.hostname && sethostname (cfg.hostname, strlen (cfg.hostname)) < 0)
    {
      snprintf (why, sizeof why, "sethostname `%s`: %s", cfg.hostname, strerror (errno));
      fail_boot (ctl, why);
    }
  if (guest_net_setup (&cfg, why, sizeof why) < 0)
    fail_boot (ctl, why);
  if (guest_enter_rootfs (&cfg, why, sizeof why) < 0)
    fail_boot (ctl, why);
  if (guest_check_executable (&cfg, why, sizeof why) < 0)
    fail_boot (ctl, why);
  if (hull_msg_write (ctl, HULL_MSG_READY, 0, NULL, 0) < 0)
    fail_boot (ctl, "write READY failed");
  guest_agent_run (ctl, &cfg);
  hull_process_release (&cfg);
  guest_poweroff ();
}

/* The virtio devices wired into a real VM: vmm_run() in this process boots
   the test guest on /dev/kvm, the guest drives virtio-blk, virtio-console
   and virtio-net through irqfd/ioeventfd-backed transports, and after each
   run no fd or thread is left (also when attaching a device fails).  Under
   ASan this covers the attach/detach path with real KVM.  Skipped where
   /dev/kvm or the test guest is missing. */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_packet.h>

#include "microvm/vmm/virtio_net.h"
#include "microvm/vmm/vmm.h"
#include "tests/unit/count_dir.h"
#include "tests/unit/tap.h"

#define TESTGUEST "build/testguest/testguest.elf"

/* Runs the guest with cfg, its serial output into out (NUL-terminated). */
static int
run_guest (struct vmm_config *cfg, const char *cmdline, char *out, size_t size, struct vmm_exit *ex,
           struct vmm_err *err)
{
  int p[2], r;
  ssize_t n, total = 0;

  if (pipe2 (p, O_CLOEXEC) < 0)
    abort ();
  cfg->kernel_path = TESTGUEST;
  cfg->cmdline = cmdline;
  cfg->mem_mib = 32;
  cfg->serial_out_fd = p[1];
  r = vmm_run (cfg, ex, err);
  close (p[1]);
  while (total < (ssize_t) size - 1 && (n = read (p[0], out + total, size - 1 - (size_t) total)) > 0)
    total += n;
  out[total] = '\0';
  close (p[0]);
  return r;
}

static void
test_blk (void)
{
  char path[] = "/tmp/hull-test-devices-XXXXXX", out[4096], sector[512];
  struct vmm_config cfg;
  struct vmm_exit ex;
  struct vmm_err err = { 0 };
  int fd = mkstemp (path), fds, threads = count_dir ("/proc/self/task");

  if (fd < 0 || pwrite (fd, "HULL-DISK-SECTOR0 hello", 23, 0) != 23 || ftruncate (fd, 1 << 20) < 0)
    abort ();
  close (fd);
  fds = count_dir ("/proc/self/fd");
  vmm_config_init (&cfg);
  cfg.disks[0] = (struct vmm_disk_config) { .path = path, .readonly = false, .id = "unit-disk" };
  cfg.n_disks = 1;
  TAP_EQ_INT (run_guest (&cfg, "scenario=virtio-blk", out, sizeof out, &ex, &err), 0, "blk: guest ran (%s)", err.msg);
  TAP_OK (strstr (out, "blk: get-id status 0 id unit-disk\n") != NULL, "blk: configured device id reached the guest");
  TAP_OK (strstr (out, "blk: read sector 0 status 0: HULL-DISK-SECTOR0 hello\n") != NULL, "blk: guest read the disk");
  TAP_OK (strstr (out, "blk: read back sector 1 status 0: match\n") != NULL, "blk: guest wrote and read back");
  TAP_OK (strstr (out, "TESTGUEST-EXIT 0\n") != NULL, "blk: scenario passed");
  if (!strstr (out, "TESTGUEST-EXIT 0"))
    printf ("# guest output:\n# %s\n", out);
  fd = open (path, O_RDONLY);
  TAP_OK (fd >= 0 && pread (fd, sector, sizeof sector, 512) == 512 && memcmp (sector, "written by the hull test guest", 30) == 0,
          "blk: the write reached the file");
  close (fd);
  TAP_EQ_INT (count_dir ("/proc/self/fd"), fds, "blk: no fd left after the run");
  TAP_EQ_INT (count_dir ("/proc/self/task"), threads, "blk: no thread left after the run");
  unlink (path);
}

static void
test_console (void)
{
  struct vmm_config cfg;
  struct vmm_exit ex;
  struct vmm_err err = { 0 };
  char out[4096], host[256] = { 0 };
  int in[2], ctl[2], fds;

  if (pipe2 (in, O_CLOEXEC) < 0 || socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) < 0)
    abort ();
  TAP_EQ_INT (write (in[1], "line for stdio\n", 15), 15, "console: host input queued");
  fds = count_dir ("/proc/self/fd");
  vmm_config_init (&cfg);
  cfg.console_ports[0] = (struct vmm_console_port_config) { .in_fd = -1, .out_fd = -1 };
  cfg.console_ports[1] = (struct vmm_console_port_config) { .name = "hull.control", .in_fd = ctl[0], .out_fd = ctl[0] };
  cfg.console_ports[2] = (struct vmm_console_port_config) { .name = "hull.stdio", .in_fd = in[0], .out_fd = ctl[0] };
  cfg.n_console_ports = 3;
  TAP_EQ_INT (run_guest (&cfg, "scenario=virtio-console port=hull.stdio", out, sizeof out, &ex, &err), 0,
              "console: guest ran (%s)", err.msg);
  TAP_OK (strstr (out, "console: received line for stdio\n") != NULL, "console: host input reached the guest's port");
  TAP_OK (strstr (out, "TESTGUEST-EXIT 0\n") != NULL, "console: scenario passed");
  if (!strstr (out, "TESTGUEST-EXIT 0"))
    printf ("# guest output:\n# %s\n", out);
  TAP_OK (read (ctl[1], host, sizeof host - 1) > 0 && strcmp (host, "hello from the guest on hull.stdio\n") == 0,
          "console: guest output reached the host socket (shared with another port)");
  TAP_EQ_INT (count_dir ("/proc/self/fd"), fds, "console: no fd left, the caller's fds untouched");

  /* Two ports reading one fd, and an input file that does not exist. */
  cfg.console_ports[2].in_fd = ctl[0];
  TAP_OK (run_guest (&cfg, "scenario=hello", out, sizeof out, &ex, &err) < 0 && strstr (err.msg, "same input"),
          "console: two ports on one input fd refused (%s)", err.msg);
  cfg.console_ports[2].in_fd = -1;
  cfg.console_ports[2].in_path = "/nonexistent/port-input";
  TAP_OK (run_guest (&cfg, "scenario=hello", out, sizeof out, &ex, &err) < 0 && strstr (err.msg, "port-input"),
          "console: missing port input file refused (%s)", err.msg);
  TAP_EQ_INT (count_dir ("/proc/self/fd"), fds, "console: no fd left after failed set-ups");
  close (in[0]);
  close (in[1]);
  close (ctl[0]);
  close (ctl[1]);
}

/* Answers the guest's broadcast frame on the TAP, like tests/tools/vmm_frame_peer. */
static void *
frame_peer (void *arg)
{
  int s = *(int *) arg;
  unsigned char f[2048], reply[64] = { 0 };
  struct pollfd pfd = { .fd = s, .events = POLLIN };
  int answered = 0;

  while (poll (&pfd, 1, answered ? 1000 : 30000) == 1)
    {
      ssize_t n = recv (s, f, sizeof f, 0);
      if (n < 30 || memcmp (f + 14, "hull-guest-frame", 16) != 0)
        continue;
      memcpy (reply, f + 6, 6);
      memcpy (reply + 6, "\x02\x00\x00\x00\x00\x99", 6);
      reply[12] = 0x88;
      reply[13] = 0xb5;
      memcpy (reply + 14, "hull-host-frame", 16);
      send (s, reply, sizeof reply, 0);
      answered = 1;
    }
  return NULL;
}

static void
test_net (void)
{
  struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons (0x88b5) };
  struct vmm_config cfg;
  struct vmm_exit ex;
  struct vmm_err err = { 0 };
  struct ifreq ifr = { 0 };
  char out[4096];
  pthread_t peer;
  int tap, s, ctl, fds;

  /* The test's own network namespace: the TAP dies with the process. */
  if (unshare (CLONE_NEWNET) < 0)
    {
      TAP_OK (1, "# skip net: no network namespace (%s)", strerror (errno));
      return;
    }
  tap = virtio_net_open_tap ("hullunit0", &err);
  ctl = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  strcpy (ifr.ifr_name, "hullunit0");
  TAP_OK (tap >= 0 && ioctl (ctl, SIOCGIFFLAGS, &ifr) == 0, "net: TAP created (%s)", err.msg);
  ifr.ifr_flags |= IFF_UP;
  TAP_OK (ioctl (ctl, SIOCSIFFLAGS, &ifr) == 0, "net: link up");
  close (ctl);
  sll.sll_ifindex = (int) if_nametoindex ("hullunit0");
  s = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons (0x88b5));
  TAP_OK (s >= 0 && bind (s, (struct sockaddr *) &sll, sizeof sll) == 0, "net: packet socket");
  pthread_create (&peer, NULL, frame_peer, &s);

  fds = count_dir ("/proc/self/fd");
  vmm_config_init (&cfg);
  cfg.nets[0] = (struct vmm_net_config) { .tap_fd = tap, .mac = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 }, .has_mac = true };
  cfg.n_nets = 1;
  TAP_EQ_INT (run_guest (&cfg, "scenario=virtio-net", out, sizeof out, &ex, &err), 0, "net: guest ran (%s)", err.msg);
  TAP_OK (strstr (out, "net: mac 2:11:22:33:44:55 link up\n") != NULL, "net: configured MAC reached the guest");
  TAP_OK (strstr (out, "net: received hull-host-frame (num_buffers 1)\n") != NULL, "net: frames both ways");
  if (!strstr (out, "TESTGUEST-EXIT 0"))
    printf ("# guest output:\n# %s\n", out);
  TAP_EQ_INT (count_dir ("/proc/self/fd"), fds, "net: the VMM's TAP dup closed, the caller's fd kept");
  TAP_OK (fcntl (tap, F_GETFD) >= 0, "net: caller's TAP fd still open");
  pthread_join (peer, NULL);
  close (s);
  close (tap);
}

int
main (void)
{
  int kvm = open ("/dev/kvm", O_RDWR | O_CLOEXEC);

  if (kvm < 0 || access (TESTGUEST, R_OK) != 0)
    {
      printf ("ok 1 # skip needs /dev/kvm and %s\n1..1\n", TESTGUEST);
      return 0;
    }
  close (kvm);
  test_blk ();
  test_console ();
  if (geteuid () == 0)
    test_net ();
  return tap_done ();
}

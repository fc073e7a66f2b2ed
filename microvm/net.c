/* Networking for a microVM: the VMM runs in the container's network
 * namespace.  If that namespace holds an interface with an IPv4 address (a
 * veth from podman or CNI), a TAP is created beside it and tc mirred
 * redirects every frame between the two, and the guest's eth0 takes over
 * the interface's MAC, address, prefix, MTU and default route (as Kata's
 * tcfilter mode does).  With nothing but lo, the guest has lo only. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "microvm/microvm.h"
#include "runtime/util.h"

static int
run_tc (char *const argv[], hull_err *err)
{
  pid_t pid = fork ();
  int status;
  if (pid < 0)
    return hull_error (err, errno, "fork");
  if (pid == 0)
    {
      int null = open ("/dev/null", O_WRONLY);
      if (null >= 0)
        dup2 (null, 1);
      execvp (argv[0], argv);
      _exit (127);
    }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return hull_error (err, errno, "waitpid");
  if (! WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return hull_error (err, 0, "`%s %s %s %s %s` failed", argv[0], argv[1], argv[2], argv[3], argv[4]);
  return 0;
}

static int
redirect (const char *from, const char *to, hull_err *err)
{
  char *qdisc[] = { "tc", "qdisc", "add", "dev", (char *) from, "handle", "ffff:", "ingress", NULL };
  char *filter[] = { "tc", "filter", "add", "dev", (char *) from, "parent", "ffff:", "protocol", "all", "u32", "match",
                     "u8", "0", "0", "action", "mirred", "egress", "redirect", "dev", (char *) to, NULL };
  if (run_tc (qdisc, err) < 0 || run_tc (filter, err) < 0)
    return hull_error_wrap (err, "redirect %s to %s", from, to);
  return 0;
}

/* The interface the container was given: the first one other than lo with
   an IPv4 address. */
static int
probe (int sock, struct microvm_net *n)
{
  struct if_nameindex *ifs = if_nameindex ();
  int found = -1;
  for (struct if_nameindex *i = ifs; i && i->if_index && found < 0; i++)
    {
      struct ifreq ifr = { 0 };
      if (strcmp (i->if_name, "lo") == 0)
        continue;
      snprintf (ifr.ifr_name, IFNAMSIZ, "%s", i->if_name);
      if (ioctl (sock, SIOCGIFADDR, &ifr) < 0)
        continue;
      memcpy (n->cfg.addr, &((struct sockaddr_in *) &ifr.ifr_addr)->sin_addr, 4);
      if (ioctl (sock, SIOCGIFNETMASK, &ifr) < 0)
        continue;
      n->cfg.prefix = (uint8_t) __builtin_popcount (((struct sockaddr_in *) &ifr.ifr_netmask)->sin_addr.s_addr);
      if (ioctl (sock, SIOCGIFHWADDR, &ifr) < 0)
        continue;
      memcpy (n->cfg.mac, ifr.ifr_hwaddr.sa_data, 6);
      if (ioctl (sock, SIOCGIFMTU, &ifr) < 0)
        continue;
      n->cfg.mtu = (uint32_t) ifr.ifr_mtu;
      snprintf (n->dev, sizeof n->dev, "%s", i->if_name);
      found = 0;
    }
  if (ifs)
    if_freenameindex (ifs);
  if (found < 0)
    return -1;
  /* The default route through it, if any. */
  cleanup_fclose FILE *f = fopen ("/proc/net/route", "re");
  char line[256], dev[IFNAMSIZ + 1];
  unsigned long dest, gw;
  while (f && fgets (line, sizeof line, f))
    if (sscanf (line, "%16s %lx %lx", dev, &dest, &gw) == 3 && strcmp (dev, n->dev) == 0 && dest == 0 && gw != 0)
      {
        uint32_t g = (uint32_t) gw;   /* printed as the in-memory (network order) word */
        memcpy (n->cfg.gateway, &g, 4);
        break;
      }
  return 0;
}

int
microvm_net_open_tun (int *fd, hull_err *err)
{
  *fd = open ("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (*fd < 0)
    return hull_error (err, errno, "open /dev/net/tun");
  return 0;
}

int
microvm_net_prepare (struct microvm_net *n, int tun_fd, hull_err *err)
{
  struct ifreq ifr = { 0 };
  cleanup_close int sock = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  memset (n, 0, sizeof *n);
  n->tap_fd = tun_fd;
  if (sock < 0)
    {
      microvm_net_release (n);
      return hull_error (err, errno, "socket");
    }
  if (probe (sock, n) < 0)
    {
      microvm_net_release (n);   /* nothing but lo */
      return 0;
    }
  if (n->tap_fd < 0 && microvm_net_open_tun (&n->tap_fd, err) < 0)
    return -1;
  /* With the virtio-net header: the built-in VMM needs it, QEMU probes it. */
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  snprintf (ifr.ifr_name, IFNAMSIZ, "hulltap%%d");
  if (ioctl (n->tap_fd, TUNSETIFF, &ifr) < 0)
    {
      hull_error (err, errno, "create a TAP device");
      goto fail;
    }
  snprintf (n->tap, sizeof n->tap, "%s", ifr.ifr_name);
  ifr.ifr_mtu = (int) n->cfg.mtu;
  if (ioctl (sock, SIOCSIFMTU, &ifr) < 0 || ioctl (sock, SIOCGIFFLAGS, &ifr) < 0)
    {
      hull_error (err, errno, "configure %s", n->tap);
      goto fail;
    }
  ifr.ifr_flags |= IFF_UP;
  if (ioctl (sock, SIOCSIFFLAGS, &ifr) < 0)
    {
      hull_error (err, errno, "bring up %s", n->tap);
      goto fail;
    }
  if (redirect (n->dev, n->tap, err) < 0 || redirect (n->tap, n->dev, err) < 0)
    goto fail;
  n->present = true;
  return 0;
fail:
  microvm_net_release (n);
  return -1;
}

void
microvm_net_release (struct microvm_net *n)
{
  /* The TAP goes away with its last fd; the veth stays with its netns, so
     take our redirect off it. */
  if (n->dev[0] && n->tap[0])
    {
      hull_err ignored = NULL;
      char *del[] = { "tc", "qdisc", "del", "dev", n->dev, "ingress", NULL };
      run_tc (del, &ignored);
      hull_error_release (&ignored);
    }
  if (n->tap_fd >= 0)
    close (n->tap_fd);
  n->tap_fd = -1;
  n->present = false;
}

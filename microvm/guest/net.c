/* Guest networking: lo always; eth0 (virtio-net) with the address, MAC,
   MTU and default route the host found on the container's interface.
   Plain ioctls: enough for one IPv4 interface, no netlink library. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "microvm/guest/guest.h"

static int
fail (char *why, size_t len, const char *what, const char *dev)
{
  snprintf (why, len, "%s %s: %s", what, dev, strerror (errno));
  return -1;
}

static int
set_up (int sock, const char *dev)
{
  struct ifreq ifr = { 0 };
  snprintf (ifr.ifr_name, IFNAMSIZ, "%s", dev);
  if (ioctl (sock, SIOCGIFFLAGS, &ifr) < 0)
    return -1;
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  return ioctl (sock, SIOCSIFFLAGS, &ifr);
}

static void
set_inet (struct sockaddr *sa, const uint8_t a[4])
{
  struct sockaddr_in *in = (struct sockaddr_in *) sa;
  memset (in, 0, sizeof *in);
  in->sin_family = AF_INET;
  memcpy (&in->sin_addr, a, 4);
}

/* The first interface that is not lo; virtio-net probes during boot, but
   give it a moment. */
static int
find_ethernet (char name[IFNAMSIZ])
{
  for (int tries = 0; tries < 500; tries++)   /* 10 s */
    {
      struct if_nameindex *ifs = if_nameindex ();
      for (struct if_nameindex *i = ifs; i && i->if_index; i++)
        if (strcmp (i->if_name, "lo") != 0)
          {
            snprintf (name, IFNAMSIZ, "%s", i->if_name);
            if_freenameindex (ifs);
            return 0;
          }
      if (ifs)
        if_freenameindex (ifs);
      struct timespec ts = { 0, 20 * 1000000L };
      nanosleep (&ts, NULL);
    }
  return -1;
}

int
guest_net_setup (const struct hull_process *cfg, char *why, size_t len)
{
  char dev[IFNAMSIZ];
  struct ifreq ifr;
  int ret = -1;

  int sock = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return fail (why, len, "socket for", "lo");
  if (set_up (sock, "lo") < 0)
    {
      fail (why, len, "bring up", "lo");
      goto out;
    }
  if (! cfg->has_net)
    {
      ret = 0;
      goto out;
    }
  if (find_ethernet (dev) < 0)
    {
      errno = ENODEV;
      fail (why, len, "no network interface for", "eth0");
      goto out;
    }
  memset (&ifr, 0, sizeof ifr);
  snprintf (ifr.ifr_name, IFNAMSIZ, "%s", dev);
  ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
  memcpy (ifr.ifr_hwaddr.sa_data, cfg->net.mac, 6);
  if (ioctl (sock, SIOCSIFHWADDR, &ifr) < 0)
    {
      fail (why, len, "set the MAC address of", dev);
      goto out;
    }
  ifr.ifr_mtu = (int) cfg->net.mtu;
  if (ioctl (sock, SIOCSIFMTU, &ifr) < 0)
    {
      fail (why, len, "set the MTU of", dev);
      goto out;
    }
  set_inet (&ifr.ifr_addr, cfg->net.addr);
  if (ioctl (sock, SIOCSIFADDR, &ifr) < 0)
    {
      fail (why, len, "set the address of", dev);
      goto out;
    }
  uint32_t mask = cfg->net.prefix ? htonl (~0u << (32 - cfg->net.prefix)) : 0;
  set_inet (&ifr.ifr_netmask, (const uint8_t *) &mask);
  if (ioctl (sock, SIOCSIFNETMASK, &ifr) < 0)
    {
      fail (why, len, "set the netmask of", dev);
      goto out;
    }
  if (set_up (sock, dev) < 0)
    {
      fail (why, len, "bring up", dev);
      goto out;
    }
  static const uint8_t none[4];
  if (memcmp (cfg->net.gateway, none, 4) != 0)
    {
      struct rtentry rt;
      memset (&rt, 0, sizeof rt);
      set_inet (&rt.rt_dst, none);
      set_inet (&rt.rt_genmask, none);
      set_inet (&rt.rt_gateway, cfg->net.gateway);
      rt.rt_flags = RTF_UP | RTF_GATEWAY;
      rt.rt_dev = dev;
      if (ioctl (sock, SIOCADDRT, &rt) < 0 && errno != EEXIST)
        {
          fail (why, len, "add the default route via", dev);
          goto out;
        }
    }
  ret = 0;
out:
  close (sock);
  return ret;
}

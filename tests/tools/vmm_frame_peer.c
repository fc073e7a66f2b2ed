/* The host end of the test guest's virtio-net scenario: on interface IFNAME
   (a TAP the VMM serves), waits for the guest's broadcast frame
   (EtherType 0x88b5, payload "hull-guest-frame"), answers each one with a
   frame to the sender carrying "hull-host-frame", and exits 0 one second
   after the first answer (the guest may resend).  Exits 1 when no guest
   frame came within TIMEOUT seconds.

     vmm_frame_peer IFNAME TIMEOUT */
#include <arpa/inet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_packet.h>

#define ETHERTYPE 0x88b5

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int
main (int argc, char **argv)
{
  static const char guest_payload[] = "hull-guest-frame", host_payload[] = "hull-host-frame";
  struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons (ETHERTYPE) };
  double deadline, answered_at = 0;
  unsigned char frame[2048], reply[64];
  int s, answers = 0;

  if (argc != 3)
    {
      fprintf (stderr, "usage: %s IFNAME TIMEOUT\n", argv[0]);
      return 2;
    }
  sll.sll_ifindex = (int) if_nametoindex (argv[1]);
  s = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons (ETHERTYPE));
  if (sll.sll_ifindex == 0 || s < 0 || bind (s, (struct sockaddr *) &sll, sizeof sll) < 0)
    {
      perror ("vmm_frame_peer: packet socket");
      return 2;
    }
  printf ("peer: listening on %s\n", argv[1]);
  fflush (stdout);
  deadline = now () + atof (argv[2]);

  for (;;)
    {
      double limit = answers ? answered_at + 1.0 : deadline;
      struct pollfd pfd = { .fd = s, .events = POLLIN };
      ssize_t n;
      int ms = (int) ((limit - now ()) * 1000);

      if (ms <= 0)
        break;
      if (poll (&pfd, 1, ms) <= 0)
        continue;
      n = recv (s, frame, sizeof frame, 0);
      if (n < 14 + (ssize_t) sizeof guest_payload - 1 || frame[12] != (ETHERTYPE >> 8) || frame[13] != (ETHERTYPE & 0xff)
          || memcmp (frame + 14, guest_payload, sizeof guest_payload - 1) != 0)
        continue;
      if (answers == 0)
        {
          printf ("peer: got %s from %02x:%02x:%02x:%02x:%02x:%02x\n", guest_payload, frame[6], frame[7], frame[8],
                  frame[9], frame[10], frame[11]);
          fflush (stdout);
          answered_at = now ();
        }
      memset (reply, 0, sizeof reply);
      memcpy (reply, frame + 6, 6);      /* to the guest */
      memcpy (reply + 6, "\x02\x00\x00\x00\x00\x99", 6);   /* a locally administered source */
      reply[12] = ETHERTYPE >> 8;
      reply[13] = ETHERTYPE & 0xff;
      memcpy (reply + 14, host_payload, sizeof host_payload);
      if (send (s, reply, sizeof reply, 0) != (ssize_t) sizeof reply)
        {
          perror ("vmm_frame_peer: send");
          return 1;
        }
      answers++;
    }
  if (answers == 0)
    {
      printf ("peer: no frame from the guest\n");
      return 1;
    }
  printf ("peer: answered %d frame(s)\n", answers);
  return 0;
}

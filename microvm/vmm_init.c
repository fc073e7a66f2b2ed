/* The built-in VMM as the container's init pid.
 *
 * The VM monitor, forked by create into the container's cgroup and
 * namespaces, splits in two once everything the jail would forbid is done
 * (hooks, the TAP and its redirect, the console log): the process itself,
 * the init pid, becomes the jailed VMM, and a child carries on as the
 * monitor (protocol, stdio, exec server, start, the redirect's removal).
 * So `kill`, `ps`, the pid file and containerd see the VMM itself, as with a
 * container's init:
 *
 *  - signals for the container reach the VMM, whose forwarding thread
 *    writes each one (a signalfd record) to a pipe the monitor reads as it
 *    would its own signalfd;
 *  - the monitor writes the workload's wait status to a second pipe; the
 *    VMM exits with it when the VM has ended (128+n for a signal: as pid 1
 *    of a pid namespace it cannot die of one), or at once when the monitor
 *    closes the pipe (the VM did not end in time, or the monitor failed);
 *  - the monitor dies with the VMM (PR_SET_PDEATHSIG, and the pid
 *    namespace).
 *
 * QEMU stays the monitor's child (microvm_vmm_spawn): its exit status is
 * not the workload's. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "microvm/microvm.h"
#include "runtime/util.h"

struct forwarder
{
  int signal_fd, signals_out, status_in;
  volatile int status;
  volatile int have_status;
};

static void __attribute__ ((noreturn))
exit_with (int status)
{
  _exit (WIFSIGNALED (status) ? 128 + WTERMSIG (status) : WEXITSTATUS (status));
}

static void *
forward (void *arg)
{
  struct forwarder *f = arg;
  for (;;)
    {
      struct pollfd pfd[2] = { { f->signal_fd, POLLIN, 0 }, { f->status_in, POLLIN, 0 } };
      if (poll (pfd, 2, -1) < 0)
        continue;
      if (pfd[0].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          while (read (f->signal_fd, &si, sizeof si) == sizeof si)
            if (write (f->signals_out, &si, sizeof si) != sizeof si)
              break;   /* the monitor is gone; its death ends us soon */
        }
      if (pfd[1].revents)
        {
          uint32_t st;
          ssize_t n = read (f->status_in, &st, sizeof st);
          if (n == sizeof st)
            {
              f->status = (int) st;
              __atomic_store_n (&f->have_status, 1, __ATOMIC_RELEASE);
              continue;
            }
          if (n < 0 && errno == EINTR)
            continue;
          /* Closed: the monitor says stop now. */
          exit_with (__atomic_load_n (&f->have_status, __ATOMIC_ACQUIRE) ? f->status : 255 << 8);
        }
    }
  return NULL;
}

static int
start_forwarder (void *arg)
{
  pthread_t t;
  int e = pthread_create (&t, NULL, forward, arg);
  if (e != 0)
    {
      errno = e;
      return -1;
    }
  return 0;
}

static void __attribute__ ((noreturn))
be_the_vmm (const struct microvm_qemu_config *qc, struct forwarder *f)
{
  hull_err err = NULL;
  int extra[] = { f->signal_fd, f->signals_out, f->status_in };
  int vm_status;

  if (microvm_builtin_become (qc, extra, ARRAY_SIZE (extra), start_forwarder, f, &vm_status, &err) < 0)
    {
      dprintf (2, "hull-vmm: %s\n", err->msg);
      _exit (1);   /* the monitor sees the control port close */
    }
  /* The VM ended: the guest powered off after EXIT, or it died.  Without
     the control port the monitor stops waiting for frames. */
  close (qc->control_fd);
  for (;;)
    {
      if (__atomic_load_n (&f->have_status, __ATOMIC_ACQUIRE))
        exit_with (f->status);
      struct timespec ts = { 0, 10 * 1000000L };
      nanosleep (&ts, NULL);
    }
}

int
microvm_vmm_init_split (const struct microvm_qemu_config *qc, int signal_fd, int *signals_in, int *status_out,
                        hull_err *err)
{
  int sig[2], st[2];

  /* What the VMM would refuse is said here, by the monitor, to create. */
  if (microvm_builtin_check (qc, err) < 0)
    return -1;
  if (pipe2 (sig, O_CLOEXEC) < 0)
    return hull_error (err, errno, "pipe");
  if (pipe2 (st, O_CLOEXEC) < 0)
    {
      close (sig[0]);
      close (sig[1]);
      return hull_error (err, errno, "pipe");
    }
  pid_t vmm = getpid ();
  pid_t pid = fork ();
  if (pid < 0)
    {
      int e = errno;
      close (sig[0]);
      close (sig[1]);
      close (st[0]);
      close (st[1]);
      return hull_error (err, e, "fork the VM monitor");
    }
  if (pid > 0)
    {
      struct forwarder f = { .signal_fd = signal_fd, .signals_out = sig[1], .status_in = st[0] };
      be_the_vmm (qc, &f);
    }
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != vmm)
    _exit (1);
  prctl (PR_SET_NAME, "hull-microvm");
  close (sig[1]);
  close (st[0]);
  fcntl (sig[0], F_SETFL, O_NONBLOCK);
  *signals_in = sig[0];
  *status_out = st[1];
  return 0;
}

void
microvm_vmm_init_finish (int status_out, int status, int grace_ms)
{
  uint32_t st = (uint32_t) status;
  int parent = (int) syscall (SYS_pidfd_open, getppid (), 0);

  if (write (status_out, &st, sizeof st) == sizeof st && parent >= 0)
    {
      /* The VMM exits by itself once the guest has powered off. */
      struct pollfd pfd = { parent, POLLIN, 0 };
      while (poll (&pfd, 1, grace_ms) < 0 && errno == EINTR)
        ;
    }
  close (status_out);
  for (;;)
    pause ();   /* the VMM's end ends us */
}

/* The "microvm" isolation level.
 *
 * With the built-in VMM the monitor described below becomes the VMM once
 * its privileged work is done and goes on as its child (vmm_init.c), so the
 * init pid is the VMM itself.
 *
 * The container's init pid is a small host process, the VM monitor, forked
 * by create.  It is placed in the container's cgroup before it starts QEMU
 * (so QEMU is accounted there too), boots the guest, and create returns
 * once the guest has mounted the rootfs and waits (READY).  The monitor then
 * blocks on exec.fifo like a container's init; `start` releases it, the
 * guest runs process.args, and the monitor relays stdio (its own, inherited
 * from create as runc's init does), forwards every catchable signal it gets
 * (`kill`) to the guest process, and finally dies the way the guest process
 * did: exit(n), or killed by the same signal.  SIGKILL ends the monitor and
 * QEMU with it (PR_SET_PDEATHSIG).  The rootfs image and the guest console
 * log live in the state directory and go away with it.
 *
 * With terminal: true the guest process gets a pty in the guest; a host pty
 * stands for it, its master sent to --console-socket.
 *
 * exec: the monitor serves exec requests on a socket in the state
 * directory (exec.c); a proxy child of `hull exec` stands for the process.
 *
 * The monitor is forked into the container's pid namespace (as its pid 1
 * when the namespace is new) and enters its network, IPC, UTS and cgroup
 * namespaces (monitor_ns.c); the VMM, its child, is in all of them. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "microvm/microvm.h"
#include "microvm/microvm_backend.h"
#include "runtime/util.h"

#define IMAGE_FILE "microvm-rootfs.ext4"
#define CONSOLE_FILE "microvm-console.log"
#define BOOT_TIMEOUT_MS (300 * 1000)

static const int forwarded_signals[] = { SIGHUP,  SIGINT,  SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM,
                                         SIGTERM, SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH, SIGURG };

struct monitor
{
  const struct ns_spawn_opts *opts;
  struct hull_process cfg;
  struct microvm_host_files files;
  struct microvm_qemu_config qc;
  char *kernel, *initrd, *image, *console, *state_dir;
  int go_fd;      /* parent says: placed in the cgroup, hooks ran */
  int report_fd;  /* we say: READY, or why not */
};

/* The pid 1 of a pid namespace cannot kill itself with a signal: there the
   raise is ignored and the exit code is 128+n. */
static void __attribute__ ((noreturn))
die_like (int status)
{
  if (WIFSIGNALED (status))
    {
      int sig = WTERMSIG (status);
      struct rlimit none = { 0, 0 };
      sigset_t all;
      setrlimit (RLIMIT_CORE, &none);
      signal (sig, SIG_DFL);
      sigfillset (&all);
      sigprocmask (SIG_UNBLOCK, &all, NULL);
      raise (sig);
      _exit (128 + sig);
    }
  _exit (WIFEXITED (status) ? WEXITSTATUS (status) : 255);
}

static void
report (int fd, const char *msg)
{
  if (write_all (fd, msg, strlen (msg)) < 0)
    { /* the parent is gone; it reaps us or we die with QEMU */ }
}

/* Opens exec.fifo for writing once `start` opened it for reading, meanwhile
   serving exec requests and honouring signals: before start a signal ends
   the container as it would a blocked runc init.  Returns 0, the signal
   number, or -1 when the guest misbehaved or the VM ended. */
static int
wait_for_start (const char *fifo_path, int sfd, struct microvm_ctl *ctl, struct microvm_exec_server *execs)
{
  /* Held until the byte is written: `start` checks that the init pid
     still holds the fifo, as a container's init does. */
  cleanup_close int held = open (fifo_path, O_PATH | O_CLOEXEC);
  hull_err err = NULL;
  for (;;)
    {
      int fd = open (fifo_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd >= 0)
        {
          char one = 0;
          int ret = write (fd, &one, 1) == 1 ? 0 : -1;
          close (fd);
          if (ret == 0)
            return 0;
        }
      else if (errno != ENXIO && errno != EINTR)
        return SIGKILL;   /* the fifo is gone: we are being deleted */
      struct pollfd pfd[3 + MICROVM_EXEC_POLLFDS] = { { sfd, POLLIN, 0 }, { ctl->fd, POLLIN, 0 },
                                                      { ctl->vmm_pidfd, POLLIN, 0 } };
      size_t n = 3;
      if (execs)
        n += microvm_exec_server_pollfds (execs, pfd + 3);
      /* Frames already read from the port are handled without waiting. */
      bool buffered = ctl->in_off < ctl->in_len;
      if (poll (pfd, n, buffered ? 0 : 50) <= 0 && ! buffered)
        continue;
      if (pfd[0].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          if (read (sfd, &si, sizeof si) == sizeof si && si.ssi_signo != SIGCHLD && si.ssi_signo != SIGWINCH
              && si.ssi_signo != SIGURG && si.ssi_signo != SIGCONT)
            return (int) si.ssi_signo;
        }
      if (execs && microvm_exec_server_handle (execs, ctl, pfd + 3, &err) < 0)
        break;
      if (pfd[1].revents || pfd[2].revents || ctl->in_off < ctl->in_len)
        {
          struct hull_msg m;
          if (microvm_ctl_recv (ctl, &m, 0, &err) < 0)
            {
              if (err->errnum == ETIMEDOUT)
                {
                  hull_error_release (&err);
                  continue;
                }
              break;
            }
          /* Before start only exec processes speak. */
          int handled = m.id != 0 ? microvm_exec_server_guest_frame (execs, &m) : -1;
          hull_msg_clear (&m);
          if (handled <= 0)
            {
              hull_error (&err, EPROTO, "the guest spoke out of turn before start");
              break;
            }
        }
    }
  fprintf (stderr, "hull: microvm: %s\n", err->msg);
  hull_error_release (&err);
  return -1;
}

static int
send_fd (int sock, int fd)
{
  char data = 0;
  struct iovec iov = { &data, 1 };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  struct cmsghdr *cm = CMSG_FIRSTHDR (&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cm), &fd, sizeof fd);
  ssize_t r;
  do
    r = sendmsg (sock, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -1 : 0;
}

/* terminal: true.  The guest runs the process on a pty of its own; here a
   host pty stands for it: its master goes to --console-socket, its slave
   (raw, since the guest's pty does the line discipline) is relayed, and as
   our controlling terminal it tells us of resizes (SIGWINCH). */
static int
host_terminal (struct monitor *m, int *slave_out, char *why, size_t why_len)
{
  int master, slave;
  struct winsize ws = { .ws_row = m->cfg.console_size.rows, .ws_col = m->cfg.console_size.cols };
  struct termios t;

  if (openpty (&master, &slave, NULL, NULL, ws.ws_row || ws.ws_col ? &ws : NULL) < 0)
    return snprintf (why, why_len, "openpty: %s", strerror (errno)), -1;
  if (tcgetattr (slave, &t) == 0)
    {
      cfmakeraw (&t);
      tcsetattr (slave, TCSANOW, &t);
    }
  if (m->opts->console_socket_fd < 0 || send_fd (m->opts->console_socket_fd, master) < 0)
    {
      snprintf (why, why_len, "send the terminal to the console socket: %s",
                m->opts->console_socket_fd < 0 ? "no console socket" : strerror (errno));
      close (master);
      close (slave);
      return -1;
    }
  close (master);
  close (m->opts->console_socket_fd);
  setsid ();
  ioctl (slave, TIOCSCTTY, 0);
  fcntl (slave, F_SETFD, FD_CLOEXEC);
  *slave_out = slave;
  return 0;
}

/* QEMU, our child; the built-in VMM (vmm < 1) is our parent and ends when
   we do. */
static void
kill_vmm (pid_t vmm)
{
  if (vmm > 0)
    kill (vmm, SIGKILL);
}

static void __attribute__ ((noreturn))
monitor_main (struct monitor *m)
{
  hull_err err = NULL;
  struct microvm_ctl ctl;
  int sv[2];
  pid_t vmm = 0;
  char go;
  sigset_t mask;

  /* Nothing of create's may stay open here: above all not the state
     directory's fd, whose flock would block every later command. */
  int keep[] = { m->go_fd, m->report_fd, m->opts->console_socket_fd };
  close_fds_except (keep, ARRAY_SIZE (keep));

  sigemptyset (&mask);
  for (size_t i = 0; i < ARRAY_SIZE (forwarded_signals); i++)
    sigaddset (&mask, forwarded_signals[i]);
  sigprocmask (SIG_BLOCK, &mask, NULL);
  int sfd = signalfd (-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);

  /* The VMM lives in the container's network namespace.  The TAP's fd is
     opened before the cgroup's device rules apply to us; the interface is
     looked at only after the hooks ran (CNI may set it up in prestart). */
  bool joined, ignored;
  int tun_fd = -1;
  if (microvm_ns_enter (m->opts->spec, OCI_NS_IPC, &ignored, &err) < 0
      || microvm_ns_enter (m->opts->spec, OCI_NS_UTS, &ignored, &err) < 0
      || microvm_ns_enter (m->opts->spec, OCI_NS_NETWORK, &joined, &err) < 0
      || (joined && microvm_net_open_tun (&tun_fd, &err) < 0))
    {
      report (m->report_fd, err->msg);
      _exit (1);
    }
  report (m->report_fd, "N");
  if (read (m->go_fd, &go, 1) != 1)
    _exit (1);   /* create gave up on us */
  close (m->go_fd);
  /* Placed in the container's cgroup by now: that is the new namespace's
     root. */
  if (microvm_ns_enter (m->opts->spec, OCI_NS_CGROUP, &ignored, &err) < 0)
    {
      report (m->report_fd, err->msg);
      _exit (1);
    }

  if (sfd < 0 || socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    {
      report (m->report_fd, "monitor setup failed");
      _exit (1);
    }
  /* createContainer hooks run in the VMM's namespaces (the container's
     network namespace; its rootfs lives in the guest). */
  const struct ns_callbacks *hooks = m->opts->cb;
  if (hooks && hooks->in_container_before_pivot
      && hooks->in_container_before_pivot (hooks->ctx, getpid (), &err) < 0)
    {
      report (m->report_fd, err->msg);
      if (tun_fd >= 0)
        close (tun_fd);
      _exit (1);
    }
  /* QEMU's NIC is bridged to the container's interface. */
  struct microvm_net net = { .tap_fd = -1 };
  if (joined && microvm_net_prepare (&net, tun_fd, &err) < 0)
    {
      report (m->report_fd, err->msg);
      _exit (1);
    }
  if (net.present)
    {
      m->cfg.has_net = true;
      m->cfg.net = net.cfg;
      m->qc.tap_fd = net.tap_fd;
      memcpy (m->qc.mac, net.cfg.mac, 6);
    }
  int log_fd = open (m->console, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  m->qc.control_fd = sv[1];
  m->qc.console_fd = log_fd;
  /* The built-in VMM becomes the init pid, we its child (vmm_init.c);
     QEMU is our child. */
  int status_out = -1, signals_in = -1;
  if (m->qc.engine == MICROVM_ENGINE_BUILTIN
          ? microvm_vmm_init_split (&m->qc, sfd, &signals_in, &status_out, &err) < 0
          : microvm_vmm_spawn (&m->qc, &vmm, &err) < 0)
    {
      report (m->report_fd, err->msg);
      microvm_net_release (&net);
      _exit (1);
    }
  if (signals_in >= 0)
    {
      close (sfd);
      sfd = signals_in;
    }
  const pid_t init_pid = status_out >= 0 ? getppid () : getpid ();
  close (sv[1]);
  if (log_fd >= 0)
    close (log_fd);
  microvm_ctl_init (&ctl, sv[0], vmm);
  if (microvm_ctl_boot (&ctl, &m->cfg, BOOT_TIMEOUT_MS, &err) < 0)
    {
      cleanup_free char *tail = microvm_console_tail (m->console, 4);
      cleanup_free char *msg = tail && *tail ? xasprintf ("%s (guest console: %s)", err->msg, tail)
                                             : xstrdup (err->msg);
      report (m->report_fd, msg);
      kill_vmm (vmm);
      _exit (1);
    }
  int tty = -1;
  if (m->cfg.terminal)
    {
      char why[512];
      if (host_terminal (m, &tty, why, sizeof why) < 0)
        {
          report (m->report_fd, why);
          kill_vmm (vmm);
          _exit (1);
        }
    }
  /* exec works from now on, before start too (as with runc). */
  struct microvm_exec_server exec_server = { .listen_fd = -1 };
  struct microvm_exec_server *execs = &exec_server;
  int state_fd = open (m->state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (state_fd < 0 || microvm_exec_server_open (execs, state_fd, MICROVM_EXEC_SOCKET, &err) < 0)
    {
      /* exec will say the container is not reachable; the process runs. */
      execs = NULL;
      hull_error_release (&err);
    }
  report (m->report_fd, "READY");
  close (m->report_fd);

  int sig = wait_for_start (m->opts->exec_fifo, sfd, &ctl, execs);
  if (sig != 0)
    {
      if (execs)
        {
          microvm_exec_server_close (execs);
          unlinkat (state_fd, MICROVM_EXEC_SOCKET, 0);
        }
      kill_vmm (vmm);
      microvm_stop_vmm (vmm, 0);
      /* A wait status of "killed by sig". */
      if (status_out >= 0)
        microvm_vmm_init_finish (status_out, sig < 0 ? 255 << 8 : sig, 0);
      if (sig < 0)
        _exit (255);
      die_like (sig);
    }
  const struct ns_callbacks *cb = m->opts->cb;
  if (cb && cb->in_container_before_exec && cb->in_container_before_exec (cb->ctx, init_pid, &err) < 0)
    {
      fprintf (stderr, "hull: %s\n", err->msg);
      kill_vmm (vmm);
      _exit (1);
    }

  int status = 0;
  struct microvm_relay relay = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO, sfd, -1, execs };
  if (tty >= 0)
    relay = (struct microvm_relay) { tty, tty, tty, sfd, tty, execs };
  signal (SIGPIPE, SIG_IGN);
  if (microvm_ctl_run (&ctl, &relay, &status, &err) < 0)
    {
      fprintf (stderr, "hull: microvm: %s\n", err->msg);
      status = 255 << 8;
      if (! ctl.vmm_exited)
        kill_vmm (vmm);
    }
  else if (ctl.guest_error)
    fprintf (stderr, "hull: microvm: %s\n", ctl.guest_error);
  if (execs)
    {
      microvm_exec_server_close (execs);
      unlinkat (state_fd, MICROVM_EXEC_SOCKET, 0);
    }
  if (! ctl.vmm_exited)
    microvm_stop_vmm (vmm, 5000);
  microvm_net_release (&net);
  if (status_out >= 0)
    microvm_vmm_init_finish (status_out, status, 5000);
  die_like (status);
}

static void
monitor_release (struct monitor *m)
{
  microvm_guest_config_release (&m->cfg, &m->files);
  free (m->kernel);
  free (m->initrd);
  free (m->image);
  free (m->console);
  free (m->state_dir);
}

static int
prepare (struct hull_container *c, const struct ns_spawn_opts *opts, struct monitor *m, hull_err *err)
{
  const struct oci_spec *spec = opts->spec;
  struct microvm_vm_settings vm;
  const char *cache = getenv ("HULL_IMAGE_CACHE");

  if (spec->process == NULL)
    return hull_error (err, EINVAL, "config.json: process is required");
  if (microvm_vm_settings (spec, &vm, err) < 0 || microvm_find_kernel (&m->kernel, err) < 0
      || microvm_find_initrd (&m->initrd, err) < 0)
    return -1;
  if (microvm_guest_config (spec, opts->bundle, &m->cfg, &m->files, err) < 0)
    return -1;
  m->image = hull_state_path (c->sd, IMAGE_FILE);
  m->state_dir = xstrdup (c->sd->path);
  m->console = hull_state_path (c->sd, CONSOLE_FILE);
  struct microvm_image_opts io = {
    .rootfs = opts->rootfs, .cache_dir = cache && *cache ? cache : "/var/cache/hull/images", .output = m->image,
    .size_mib = vm.disk_mib, .inject = m->files.inject, .n_inject = m->files.n_inject,
  };
  if (microvm_image_prepare (&io, err) < 0)
    return -1;
  struct microvm_ids ids;
  microvm_vmm_ids (spec, &ids);
  /* The VMM writes the image as the container's root. */
  if (ids.set && chown (m->image, ids.uid, ids.gid) < 0)
    return hull_error (err, errno, "chown `%s`", m->image);
  /* The engine in the state: later commands (and people) need not guess
     the default this host picked. */
  oci_map_set (&c->st.extra, "vmm", vm.engine == MICROVM_ENGINE_BUILTIN ? "builtin" : "qemu");
  m->qc = (struct microvm_qemu_config) {
    .engine = vm.engine, .qemu = getenv ("HULL_QEMU"), .kernel = m->kernel, .initrd = m->initrd, .disk = m->image, .cpus = vm.cpus,
    .memory_mib = vm.memory_mib, .kvm = microvm_host_has_hw_kvm (), .control_fd = -1, .console_fd = -1, .tap_fd = -1,
    .shares = m->files.shares, .n_shares = m->files.n_shares, .jail = true, .ids = ids,
    .extra_cmdline = getenv ("HULL_GUEST_APPEND"),
  };
  return 0;
}

/* LISTEN_FDS meant for this process (create passes them on as preserved
   fds, as systemd socket activation asks). */
static bool
listen_fds_given (void)
{
  const char *fds = getenv ("LISTEN_FDS"), *pid = getenv ("LISTEN_PID");
  return fds != NULL && atoi (fds) > 0 && pid != NULL && atol (pid) == (long) getpid ();
}

static int
microvm_create (struct hull_container *c, struct ns_spawn_opts *opts, pid_t *pid_out, hull_err *err)
{
  struct monitor m = { .opts = opts };
  int go[2] = { -1, -1 }, rep[2] = { -1, -1 };
  pid_t pid = -1;
  int ret = -1;

  /* Host fds cannot cross into the VM: refuse them before anything
     starts rather than dropping them silently (exec refuses them too). */
  if (opts->preserve_fds > 0)
    return hull_error (err, ENOTSUP, "%s is not supported with microvm isolation",
                       listen_fds_given () ? "LISTEN_FDS (socket activation)" : "--preserve-fds");
  if (prepare (c, opts, &m, err) < 0)
    goto out;
  if (pipe2 (go, O_CLOEXEC) < 0 || pipe2 (rep, O_CLOEXEC) < 0)
    {
      hull_error (err, errno, "pipe");
      goto out;
    }
  int own_pidns;
  if (microvm_pidns_for_next_child (opts->spec, &own_pidns, err) < 0)
    goto out;
  pid = fork ();
  int fork_errno = errno;
  if (pid != 0 && microvm_pidns_restore (own_pidns, err) < 0)
    goto out;   /* never go on (hooks, exec) in the container's namespace */
  if (pid < 0)
    {
      hull_error (err, fork_errno, "fork the VM monitor");
      goto out;
    }
  if (pid == 0)
    {
      close (go[1]);
      close (rep[0]);
      m.go_fd = go[0];
      m.report_fd = rep[1];
      prctl (PR_SET_NAME, "hull-microvm");
      monitor_main (&m);
    }
  close (go[0]);
  close (rep[1]);
  go[0] = rep[1] = -1;

  char first = 0;
  if (read (rep[0], &first, 1) != 1 || first != 'N')
    {
      char rest[HULL_PROTO_MAX_TEXT];
      ssize_t k = first ? read_all (rep[0], rest, sizeof rest - 1) : 0;
      rest[k > 0 ? k : 0] = 0;
      if (first)
        hull_error (err, 0, "microvm: %c%s", first, rest);
      else
        hull_error (err, 0, "microvm: the VM monitor died while starting");
      goto out;
    }
  const struct ns_callbacks *cb = opts->cb;
  if (cb && cb->on_clone && cb->on_clone (cb->ctx, pid, err) < 0)
    goto out;
  if (cb && cb->on_runtime_ready && cb->on_runtime_ready (cb->ctx, pid, err) < 0)
    goto out;
  if (write (go[1], "g", 1) != 1)
    {
      hull_error (err, errno, "release the VM monitor");
      goto out;
    }
  char buf[HULL_PROTO_MAX_TEXT + 64];
  ssize_t n = read_all (rep[0], buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  if (n <= 0 || strcmp (buf, "READY") != 0)
    {
      hull_error (err, 0, "microvm: %s", n > 0 ? buf : "the VM monitor died while booting");
      goto out;
    }
  *pid_out = pid;
  pid = -1;
  ret = 0;
out:
  if (pid > 0)
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
    }
  for (int i = 0; i < 2; i++)
    {
      if (go[i] >= 0)
        close (go[i]);
      if (rep[i] >= 0)
        close (rep[i]);
    }
  if (ret < 0 && m.image)
    unlink (m.image);
  monitor_release (&m);
  return ret;
}

static int
microvm_delete (struct hull_container *c, hull_err *err)
{
  /* The image and console log are in the state directory, which the
     lifecycle removes next. */
  return 0;
}

/* exec: a proxy child stands for the guest process (its pid is what
   containerd waits on): it asks the monitor to run the process, relays its
   stdio (or a host pty sent to the console socket), forwards the signals it
   gets, and dies the way the guest process did. */
static void __attribute__ ((noreturn))
exec_proxy (const char *state_dir, const struct hull_exec_request *req)
{
  hull_err err = NULL;
  struct hull_process p;
  cleanup_free char *guest_error = NULL;
  int fds[3] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };
  int tty = -1, status = 0;
  sigset_t mask;

  /* A fresh fd for the state directory: the caller's holds its lock. */
  int dirfd = open (state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  int keep[] = { dirfd, req->console_socket_fd };
  close_fds_except (keep, ARRAY_SIZE (keep));
  if (dirfd < 0 || microvm_guest_process (req->process, &p, &err) < 0 || microvm_guest_seccomp (req->spec, &p, &err) < 0)
    {
      fprintf (stderr, "hull: microvm exec: %s\n", err ? err->msg : strerror (errno));
      _exit (255);
    }
  if (p.terminal)
    {
      int master;
      struct winsize ws = { .ws_row = p.console_size.rows, .ws_col = p.console_size.cols };
      struct termios t;
      if (openpty (&master, &tty, NULL, NULL, ws.ws_row || ws.ws_col ? &ws : NULL) < 0
          || req->console_socket_fd < 0 || send_fd (req->console_socket_fd, master) < 0)
        {
          fprintf (stderr, "hull: microvm exec: cannot hand a terminal to the console socket: %s\n", strerror (errno));
          _exit (255);
        }
      close (master);
      close (req->console_socket_fd);
      if (tcgetattr (tty, &t) == 0)
        {
          cfmakeraw (&t);
          tcsetattr (tty, TCSANOW, &t);
        }
      setsid ();
      ioctl (tty, TIOCSCTTY, 0);
      fds[0] = fds[1] = fds[2] = tty;
    }
  sigemptyset (&mask);
  for (size_t i = 0; i < ARRAY_SIZE (forwarded_signals); i++)
    sigaddset (&mask, forwarded_signals[i]);
  sigprocmask (SIG_BLOCK, &mask, NULL);
  int sfd = signalfd (-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (microvm_exec_request (dirfd, MICROVM_EXEC_SOCKET, &p, fds, sfd, tty, &status, &guest_error, &err) < 0)
    {
      fprintf (stderr, "hull: microvm exec: %s\n", err->msg);
      _exit (255);
    }
  if (guest_error)
    fprintf (stderr, "hull: microvm exec: %s\n", guest_error);
  die_like (status);
}

static int
microvm_exec (struct hull_container *c, const struct hull_exec_request *req, pid_t *pid_out, hull_err *err)
{
  if (req->preserve_fds > 0)
    return hull_error (err, ENOTSUP, "--preserve-fds is not supported with microvm isolation");
  if (! hull_state_has (c->sd, MICROVM_EXEC_SOCKET))
    return hull_error (err, 0, "container %s: its VM monitor does not serve exec (not running?)", c->st.id);
  pid_t pid = fork ();
  if (pid < 0)
    return hull_error (err, errno, "fork the exec proxy");
  if (pid == 0)
    {
      prctl (PR_SET_NAME, "hull-vm-exec");
      exec_proxy (c->sd->path, req);
    }
  /* The proxy stands for the guest process: in the container's cgroup it
     is listed by ps, frozen by pause and counted by pids.max, as a
     container's exec process is (runtime/exec_container.c).  Placed here,
     not by the proxy itself, so it is there when exec --detach returns. */
  if (c->cgroup != NULL && cgroup_enter (c->cgroup, pid, err) < 0)
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      return hull_error_wrap (err, "place the exec proxy in the container's cgroup");
    }
  *pid_out = pid;
  return 0;
}

static size_t
microvm_cgroup_devices (const struct oci_spec *spec, struct oci_device *out, size_t max)
{
  struct microvm_vm_settings vm;
  hull_err err = NULL;
  /* A bad annotation is refused by create a moment later, clearly. */
  if (microvm_vm_settings (spec, &vm, &err) < 0)
    {
      hull_error_release (&err);
      return 0;
    }
  return microvm_vmm_devices (vm.engine, microvm_host_has_hw_kvm (), out, max);
}

const struct hull_backend hull_backend_microvm = {
  .name = HULL_ISOLATION_MICROVM,
  .create = microvm_create,
  .start = hull_backend_start_fifo,
  .kill = hull_backend_kill_init,
  .delete = microvm_delete,
  .exec = microvm_exec,
  .cgroup_devices = microvm_cgroup_devices,
};

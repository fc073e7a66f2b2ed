/* hull's own VMM (microvm/vmm/) as the engine: the same devices, guest
 * kernel, init and control port as with QEMU, run in a child process
 * through vmm_run().  Linux guests need hardware KVM (vmx/svm): on hosts
 * whose /dev/kvm is software virtualization, QEMU/TCG is the engine. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "microvm/microvm.h"
#include "microvm/vmm/vmm.h"
#include "runtime/util.h"

int
microvm_builtin_config (const struct microvm_qemu_config *c, const char *cmdline, struct vmm_config *cfg,
                        hull_err *err)
{
  if (c->n_shares > 0)
    return hull_error (err, 0, "directory bind mounts need io.hull.vmm=qemu (the built-in VMM has no virtio-9p)");
  vmm_config_init (cfg);
  cfg->kernel_path = c->kernel;
  cfg->initrd_path = c->initrd;
  cfg->cmdline = cmdline;
  cfg->cpus = c->cpus ? c->cpus : 1;
  cfg->mem_mib = c->memory_mib ? c->memory_mib : 256;
  if (cfg->cpus > VMM_MAX_CPUS || cfg->mem_mib > VMM_MAX_MEM_MIB)
    return hull_error (err, EINVAL, "the built-in VMM runs at most %d vCPUs and %d MiB", VMM_MAX_CPUS,
                       VMM_MAX_MEM_MIB);
  cfg->serial_in_fd = -1;
  cfg->serial_out_fd = c->console_fd;
  cfg->disks[0] = (struct vmm_disk_config) { .path = c->disk, .readonly = false, .id = "rootfs" };
  cfg->n_disks = 1;
  if (c->tap_fd >= 0)
    {
      cfg->nets[0] = (struct vmm_net_config) { .tap_name = NULL, .tap_fd = c->tap_fd, .has_mac = true };
      memcpy (cfg->nets[0].mac, c->mac, 6);
      cfg->n_nets = 1;
    }
  /* Port 0 is hvc0, unused; the control port is read and written through
     the one socket. */
  cfg->console_ports[0] = (struct vmm_console_port_config) { .name = NULL, .in_fd = -1, .out_fd = -1 };
  cfg->console_ports[1] = (struct vmm_console_port_config) {
    .name = HULL_PROTO_PORT_NAME, .in_fd = c->control_fd, .out_fd = c->control_fd,
  };
  cfg->n_console_ports = 2;
  return 0;
}

/* Everything built before the VMM's process is jailed (after
   microvm_builtin_check): paths as the jail shows them, the VMM's config
   (pointing into this struct). */
struct builtin_plan
{
  struct vmm_config cfg;
  struct microvm_jail_entry jail[MICROVM_JAIL_MAX_ENTRIES];
  size_t n_jail;
  struct microvm_share no_shares[1];
  char no_share_paths[1][32];
  struct microvm_qemu_config jc;
  char *cmdline;
};

int
microvm_builtin_check (const struct microvm_qemu_config *c, hull_err *err)
{
  /* HULL_VMM_SOFT_KVM=1: a guest that software KVM runs (the test
     guest's hull-agent scenario) may use it. */
  const char *soft = getenv ("HULL_VMM_SOFT_KVM");

  if (! c->kvm && ! (soft && strcmp (soft, "1") == 0))
    return hull_error (err, 0, "io.hull.vmm=builtin needs hardware KVM (vmx/svm): this host's /dev/kvm "
                                     "cannot run Linux guests; use io.hull.vmm=qemu");
  if (access (c->kernel, R_OK) < 0)
    return hull_error (err, errno, "guest kernel `%s`", c->kernel);
  if (c->n_shares > 0)
    return hull_error (err, 0, "directory bind mounts need io.hull.vmm=qemu (the built-in VMM has no virtio-9p)");
  return 0;
}

static int
builtin_plan (const struct microvm_qemu_config *c, struct builtin_plan *p, hull_err *err)
{
  memset (p, 0, sizeof *p);
  p->jc = *c;
  p->cmdline = microvm_guest_cmdline (c);
  if (c->jail)
    p->n_jail = microvm_jail_entries (c, p->jail, &p->jc, p->no_shares, p->no_share_paths);
  if (microvm_builtin_config (&p->jc, p->cmdline, &p->cfg, err) < 0)
    {
      free (p->cmdline);
      return -1;
    }
  if (c->jail)
    p->cfg.kvm_path = "/dev/kvm";
  return 0;
}

/* In the process that becomes the VMM: stdio on the console log, only the
   VMM's fds (keep) left open, the jail, /dev/kvm opened as root before the
   VMM becomes the container's root (c->ids, who may not open the node), no
   capabilities, the allowlist, then ready (when given, under the
   allowlist) and vmm_run().  Returns the VMM's status; never returns when
   the jail fails. */
static int
builtin_run_here (const struct microvm_qemu_config *c, struct builtin_plan *p, const int *keep, size_t n_keep,
                  int (*ready) (void *), void *ctx)
{
  struct vmm_exit ex;
  struct vmm_err verr = { 0 };
  char why[512] = "";

  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  int con = c->console_fd >= 0 ? c->console_fd : null;
  if (null < 0 || dup2 (null, 0) < 0 || dup2 (con, 1) < 0 || dup2 (con, 2) < 0)
    _exit (1);
  /* No exec closes the parent's O_CLOEXEC fds here: a pipe the runtime
     waits on for EOF (create's report) must not stay open in the VMM. */
  close_fds_except (keep, n_keep);
  prctl (PR_SET_NAME, "hull-vmm");
  if (c->jail
      && (microvm_jail_enter (p->jail, p->n_jail, why, sizeof why) < 0
          || ((p->cfg.kvm_fd = open ("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0
              && snprintf (why, sizeof why, "open /dev/kvm: %s", strerror (errno)))
          || (microvm_jail_drop_privileges (0, &c->ids) < 0
              && snprintf (why, sizeof why, "drop privileges: %s", strerror (errno)))
          || microvm_jail_seccomp_builtin (why, sizeof why) < 0))
    {
      dprintf (2, "hull-vmm: %s\n", why);
      _exit (1);
    }
  if (ready && ready (ctx) < 0)
    {
      dprintf (2, "hull-vmm: %s\n", strerror (errno));
      _exit (1);
    }
  if (vmm_run (&p->cfg, &ex, &verr) < 0)
    {
      dprintf (2, "hull-vmm: %s\n", verr.msg);
      return 1 << 8;
    }
  if (ex.reason == VMM_EXIT_ERROR)
    dprintf (2, "hull-vmm: guest stopped: %s\n", ex.detail);
  return (ex.status & 0xff) << 8;
}

int
microvm_builtin_spawn (const struct microvm_qemu_config *c, pid_t *pid_out, hull_err *err)
{
  struct builtin_plan p;

  if (microvm_builtin_check (c, err) < 0 || builtin_plan (c, &p, err) < 0)
    return -1;
  pid_t parent = getpid ();
  pid_t pid = fork ();
  if (pid < 0)
    {
      free (p.cmdline);
      return hull_error (err, errno, "fork the VMM");
    }
  if (pid == 0)
    {
      int keep[] = { c->control_fd, c->tap_fd, c->console_fd };
      sigset_t none;
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      if (getppid () != parent)
        _exit (1);
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      _exit (WEXITSTATUS (builtin_run_here (c, &p, keep, ARRAY_SIZE (keep), NULL, NULL)));
    }
  free (p.cmdline);
  *pid_out = pid;
  return 0;
}

int
microvm_builtin_become (const struct microvm_qemu_config *c, const int *extra, size_t n_extra,
                        int (*ready) (void *), void *ctx, int *status, hull_err *err)
{
  struct builtin_plan p;
  int keep[3 + MICROVM_BUILTIN_MAX_EXTRA_FDS] = { c->control_fd, c->tap_fd, c->console_fd };
  size_t n = 3;

  if (n_extra > MICROVM_BUILTIN_MAX_EXTRA_FDS)
    return hull_error (err, EINVAL, "too many fds for the VMM");
  if (builtin_plan (c, &p, err) < 0)
    return -1;
  /* The container's signals are the guest process's: ready's forwarder
     takes them, they do not stop the VM. */
  p.cfg.keep_stop_signals = true;
  for (size_t i = 0; i < n_extra; i++)
    keep[n++] = extra[i];
  *status = builtin_run_here (c, &p, keep, n, ready, ctx);
  free (p.cmdline);
  return 0;
}

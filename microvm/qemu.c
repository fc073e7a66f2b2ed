/* QEMU `-M microvm` as the VMM: the same virtio-mmio devices, guest kernel
 * and init as hull's own VMM.  Hardware KVM where the host has it, TCG
 * elsewhere.  ACPI is off so QEMU passes the devices on the kernel command
 * line (virtio_mmio.device=), which the guest kernel is built to read.
 *
 * The control port's host end is a connected stream socket handed to QEMU
 * as an fd (`-chardev socket,fd=N`): it is connected before the guest
 * boots, so the guest never sees a disconnected port.  QEMU runs without
 * capabilities, with no_new_privs and its own seccomp sandbox. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "microvm/microvm.h"
#include "runtime/util.h"

#define QEMU_CONTROL_FD 3
#define QEMU_TAP_FD 4

/* Measured under TCG with the project's kernel: quiet is what matters;
   reboot=t turns the init's reboot() into a triple fault, and -no-reboot
   turns that into QEMU's exit. */
#define GUEST_CMDLINE "console=ttyS0 quiet panic=-1 reboot=t tsc=reliable no_timer_check random.trust_cpu=on"

bool
microvm_host_has_hw_kvm (void)
{
  cleanup_fclose FILE *f = fopen ("/proc/cpuinfo", "re");
  char line[4096];
  if (f == NULL)
    return false;
  while (fgets (line, sizeof line, f))
    if (strncmp (line, "flags", 5) == 0)
      return strstr (line, " vmx") != NULL || strstr (line, " svm") != NULL;
  return false;
}

struct argv_builder
{
  char **v;
  size_t n;
};

static void __attribute__ ((format (printf, 2, 3)))
add (struct argv_builder *b, const char *fmt, ...)
{
  va_list ap;
  char *s;
  va_start (ap, fmt);
  if (vasprintf (&s, fmt, ap) < 0)
    s = NULL;
  va_end (ap);
  if (s == NULL)
    abort ();
  b->v = xrealloc (b->v, (b->n + 2) * sizeof *b->v);
  b->v[b->n++] = s;
  b->v[b->n] = NULL;
}

/* QEMU's option parser splits on commas; a path with one would be read as
   more options, so commas are doubled as QEMU expects. */
static char *
qemu_escape (const char *s)
{
  size_t n = 0;
  for (const char *p = s; *p; p++)
    n += *p == ',' ? 2 : 1;
  char *out = xmalloc (n + 1), *o = out;
  for (const char *p = s; *p; p++)
    {
      *o++ = *p;
      if (*p == ',')
        *o++ = ',';
    }
  *o = 0;
  return out;
}

char *
microvm_guest_cmdline (const struct microvm_qemu_config *c)
{
  return xasprintf ("%s%s%s", GUEST_CMDLINE, c->extra_cmdline ? " " : "", c->extra_cmdline ? c->extra_cmdline : "");
}

char **
microvm_qemu_argv (const struct microvm_qemu_config *c, int control_fd)
{
  struct argv_builder b = { 0 };
  cleanup_free char *disk = qemu_escape (c->disk);
  cleanup_free char *cmdline = microvm_guest_cmdline (c);

  add (&b, "%s", c->qemu ? c->qemu : "qemu-system-x86_64");
  add (&b, "-M");
  add (&b, "microvm,acpi=off");
  add (&b, "-accel");
  add (&b, "%s", c->kvm ? "kvm" : "tcg");
  add (&b, "-cpu");
  /* -cpu host makes QEMU write MSR 0x10a, which some hosts refuse. */
  add (&b, "%s", c->kvm ? "host,-arch-capabilities" : "max");
  add (&b, "-m");
  add (&b, "%u", c->memory_mib ? c->memory_mib : 256);
  add (&b, "-smp");
  add (&b, "%u", c->cpus ? c->cpus : 1);
  /* QEMU's own seccomp filter: no spawning, no privilege changes. */
  add (&b, "-sandbox");
  add (&b, "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
  add (&b, "-nodefaults");
  add (&b, "-no-user-config");
  add (&b, "-no-reboot");
  add (&b, "-display");
  add (&b, "none");
  add (&b, "-serial");
  add (&b, "stdio");
  add (&b, "-kernel");
  add (&b, "%s", c->kernel);
  add (&b, "-initrd");
  add (&b, "%s", c->initrd);
  add (&b, "-append");
  add (&b, "%s", cmdline);
  add (&b, "-drive");
  add (&b, "id=root,file=%s,format=raw,if=none,cache=unsafe", disk);
  add (&b, "-device");
  add (&b, "virtio-blk-device,drive=root");
  add (&b, "-chardev");
  add (&b, "socket,id=control,fd=%d", control_fd);
  if (c->tap_fd >= 0)
    {
      add (&b, "-netdev");
      add (&b, "tap,id=net0,fd=%d", QEMU_TAP_FD);
      add (&b, "-device");
      add (&b, "virtio-net-device,netdev=net0,mac=%02x:%02x:%02x:%02x:%02x:%02x", c->mac[0], c->mac[1], c->mac[2],
           c->mac[3], c->mac[4], c->mac[5]);
    }
  for (size_t i = 0; i < c->n_shares; i++)
    {
      cleanup_free char *path = qemu_escape (c->shares[i].path);
      add (&b, "-fsdev");
      /* security_model=none: files keep the host's ownership; the guest's
         chown of a shared file fails rather than lying. */
      add (&b, "local,id=fs%zu,path=%s,security_model=none%s", i, path, c->shares[i].readonly ? ",readonly=on" : "");
      add (&b, "-device");
      add (&b, "virtio-9p-device,fsdev=fs%zu,mount_tag=%s", i, c->shares[i].tag);
    }
  add (&b, "-device");
  add (&b, "virtio-serial-device,max_ports=2");
  add (&b, "-device");
  add (&b, "virtserialport,chardev=control,name=" HULL_PROTO_PORT_NAME);
  return b.v;
}

/* Everything QEMU needs is open or readable by its owner (the image is
   ours, the TAP fd is passed), so it runs with no capabilities and cannot
   gain any; with shared directories it keeps only what serving the
   container's files as root needs. */
static uint64_t
qemu_caps (bool shares)
{
  if (! shares)
    return 0;
  return (1ull << CAP_CHOWN) | (1ull << CAP_DAC_OVERRIDE) | (1ull << CAP_DAC_READ_SEARCH) | (1ull << CAP_FOWNER)
         | (1ull << CAP_FSETID);
}

/* The QEMU binary by absolute path (the jail has no $PATH search worth
   trusting), or NULL. */
static char *
qemu_binary (const char *qemu)
{
  const char *name = qemu ? qemu : "qemu-system-x86_64";
  if (strchr (name, '/'))
    return realpath (name, NULL);
  const char *path = getenv ("PATH");
  cleanup_free char *dirs = xstrdup (path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
  char *save = NULL;
  for (char *d = strtok_r (dirs, ":", &save); d; d = strtok_r (NULL, ":", &save))
    {
      cleanup_free char *p = xasprintf ("%s/%s", d, name);
      if (access (p, X_OK) == 0)
        return realpath (p, NULL);
    }
  return NULL;
}

static void __attribute__ ((noreturn))
child_fail (int pipe_fd, int e, const char *why)
{
  char buf[sizeof (int) + 512];
  size_t n = why ? strnlen (why, 511) : 0;
  memcpy (buf, &e, sizeof e);
  if (n)
    memcpy (buf + sizeof e, why, n);
  if (write (pipe_fd, buf, sizeof e + n) < 0)
    _exit (127);
  _exit (127);
}

int
microvm_qemu_spawn (const struct microvm_qemu_config *c, pid_t *pid_out, hull_err *err)
{
  struct microvm_jail_entry jail[MICROVM_JAIL_MAX_ENTRIES];
  struct microvm_share jailed_shares[MICROVM_JAIL_MAX_ENTRIES];
  char share_paths[MICROVM_JAIL_MAX_ENTRIES][32];
  struct microvm_qemu_config jc = *c;
  size_t n_jail = 0;
  int pipefd[2];

  if (access (c->kernel, R_OK) < 0)
    return hull_error (err, errno, "guest kernel `%s`", c->kernel);
  if (access (c->initrd, R_OK) < 0)
    return hull_error (err, errno, "guest initramfs `%s`", c->initrd);
  cleanup_free char *binary = qemu_binary (c->qemu);
  if (binary == NULL)
    return hull_error (err, ENOENT, "start `%s`", c->qemu ? c->qemu : "qemu-system-x86_64");
  if (c->jail)
    {
      if (c->n_shares > MICROVM_JAIL_MAX_ENTRIES - 8)
        return hull_error (err, E2BIG, "at most %d directory bind mounts reach a microVM", MICROVM_JAIL_MAX_ENTRIES - 8);
      n_jail = microvm_jail_entries (c, jail, &jc, jailed_shares, share_paths);
      if (strncmp (binary, "/usr/", 5) != 0)
        {
          /* A QEMU outside /usr is bound in by itself. */
          jail[n_jail++] = (struct microvm_jail_entry) { .source = binary, .name = "vm/qemu" };
          free (binary);
          binary = xstrdup ("/vm/qemu");
        }
    }
  cleanup_strv char **argv = microvm_qemu_argv (&jc, QEMU_CONTROL_FD);
  /* Tells the parent whether exec worked. */
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return hull_error (err, errno, "pipe");
  pid_t parent = getpid ();
  pid_t pid = fork ();
  if (pid < 0)
    {
      close (pipefd[0]);
      close (pipefd[1]);
      return hull_error (err, errno, "fork");
    }
  if (pid == 0)
    {
      char why[512] = "";
      /* QEMU must not outlive whoever holds the other end. */
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      if (getppid () != parent)
        _exit (1);
      int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
      int con = c->console_fd >= 0 ? c->console_fd : null;
      if (null < 0 || dup2 (null, 0) < 0 || dup2 (con, 1) < 0 || dup2 (con, 2) < 0)
        child_fail (pipefd[1], errno, NULL);
      /* Both away from 3 and 4 first, so neither dup2 clobbers the other. */
      int ctl = fcntl (c->control_fd, F_DUPFD_CLOEXEC, 10);
      int tap = c->tap_fd >= 0 ? fcntl (c->tap_fd, F_DUPFD_CLOEXEC, 10) : -1;
      if (ctl < 0 || dup2 (ctl, QEMU_CONTROL_FD) < 0 || (c->tap_fd >= 0 && (tap < 0 || dup2 (tap, QEMU_TAP_FD) < 0)))
        child_fail (pipefd[1], errno, NULL);
      sigset_t none;
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      if (c->jail && microvm_jail_enter (jail, n_jail, why, sizeof why) < 0)
        child_fail (pipefd[1], errno, why);
      if (microvm_jail_drop_privileges (qemu_caps (c->n_shares > 0), &c->ids) < 0)
        child_fail (pipefd[1], errno, "drop privileges");
      execv (binary, argv);
      child_fail (pipefd[1], errno, NULL);
    }
  close (pipefd[1]);
  char buf[sizeof (int) + 512];
  ssize_t n;
  do
    n = read (pipefd[0], buf, sizeof buf - 1);
  while (n < 0 && errno == EINTR);
  close (pipefd[0]);
  if (n > 0)
    {
      int st, child_errno = 0;
      memcpy (&child_errno, buf, n >= (ssize_t) sizeof child_errno ? sizeof child_errno : 0);
      buf[n] = 0;
      waitpid (pid, &st, 0);
      if (n > (ssize_t) sizeof (int))
        return hull_error (err, 0, "start `%s`: %s", argv[0], buf + sizeof (int));
      return hull_error (err, child_errno, "start `%s`", argv[0]);
    }
  *pid_out = pid;
  return 0;
}

int
microvm_vmm_spawn (const struct microvm_qemu_config *c, pid_t *pid, hull_err *err)
{
  if (c->engine == MICROVM_ENGINE_BUILTIN)
    return microvm_builtin_spawn (c, pid, err);
  return microvm_qemu_spawn (c, pid, err);
}

/* hull-microvm-run: runs a bundle's process in a microVM (QEMU unless
 * --vmm or the annotation io.hull.vmm says otherwise), as a debug and test
 * driver for the microVM pieces without the runtime's lifecycle.  It builds the rootfs image, boots the guest kernel
 * with hull-init, relays stdio and signals, and exits with the process's
 * status (128+n for a signal).  Nothing is left behind: the image copy, the
 * console log and the VMM go away with it (the image cache stays).
 *
 *   hull-microvm-run [--kernel BZIMAGE] [--initrd CPIO] [--qemu PATH]
 *                    [--cpus N] [--memory MIB] [--disk-size MIB]
 *                    [--image-cache DIR] [--boot-timeout SECONDS]
 *                    [--console-log FILE] [--exec-server DIR] [--vmm qemu|builtin] BUNDLE
 *   hull-microvm-run --exec DIR [--] ARGS...
 *
 * --exec-server DIR also serves exec requests on DIR/microvm-exec.sock
 * while the process runs; --exec DIR runs ARGS in that VM (as root, in /,
 * with a default PATH) and exits with its status.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "microvm/microvm.h"
#include "runtime/util.h"

#define PROG "hull-microvm-run"

struct opts
{
  const char *kernel, *initrd, *qemu, *cache, *console_log, *bundle, *exec_server, *exec_dir, *vmm;
  char **exec_args;
  unsigned cpus, memory_mib, boot_timeout_s;
  uint64_t disk_mib;
};

static void __attribute__ ((noreturn))
usage (int code)
{
  fprintf (code ? stderr : stdout,
           "usage: " PROG " [--kernel BZIMAGE] [--initrd CPIO] [--qemu PATH] [--cpus N] [--memory MIB]\n"
           "       [--disk-size MIB] [--image-cache DIR] [--boot-timeout SECONDS] [--console-log FILE]\n"
           "       [--exec-server DIR] [--vmm qemu|builtin] BUNDLE\n"
           "       " PROG " --exec DIR [--] ARGS...\n");
  exit (code);
}

static unsigned long
number (const char *flag, const char *s, unsigned long max)
{
  char *end;
  errno = 0;
  unsigned long v = strtoul (s, &end, 10);
  if (errno || *end || end == s || v == 0 || v > max)
    {
      fprintf (stderr, PROG ": %s: `%s` is not a number in 1..%lu\n", flag, s, max);
      exit (2);
    }
  return v;
}

static void
parse_args (int argc, char **argv, struct opts *o)
{
  static const struct option longopts[] = {
    { "kernel", required_argument, NULL, 'k' },       { "initrd", required_argument, NULL, 'i' },
    { "qemu", required_argument, NULL, 'q' },         { "cpus", required_argument, NULL, 'c' },
    { "memory", required_argument, NULL, 'm' },       { "disk-size", required_argument, NULL, 'd' },
    { "image-cache", required_argument, NULL, 'C' },  { "boot-timeout", required_argument, NULL, 't' },
    { "console-log", required_argument, NULL, 'l' },  { "help", no_argument, NULL, 'h' },
    { "exec-server", required_argument, NULL, 'S' },  { "exec", required_argument, NULL, 'E' },
    { "vmm", required_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
  };
  int ch;
  while ((ch = getopt_long (argc, argv, "+h", longopts, NULL)) != -1)
    switch (ch)
      {
      case 'k': o->kernel = optarg; break;
      case 'i': o->initrd = optarg; break;
      case 'q': o->qemu = optarg; break;
      case 'c': o->cpus = number ("--cpus", optarg, 64); break;
      case 'm': o->memory_mib = number ("--memory", optarg, 1 << 20); break;
      case 'd': o->disk_mib = number ("--disk-size", optarg, 1 << 24); break;
      case 'C': o->cache = optarg; break;
      case 't': o->boot_timeout_s = number ("--boot-timeout", optarg, 3600); break;
      case 'l': o->console_log = optarg; break;
      case 'S': o->exec_server = optarg; break;
      case 'E': o->exec_dir = optarg; break;
      case 'V':
        if (strcmp (optarg, "qemu") != 0 && strcmp (optarg, "builtin") != 0)
          {
            fprintf (stderr, PROG ": --vmm: `%s` is not qemu or builtin\n", optarg);
            exit (2);
          }
        o->vmm = optarg;
        break;
      case 'h': usage (0);
      default: usage (2);
      }
  if (o->exec_dir)
    {
      if (optind >= argc)
        usage (2);
      o->exec_args = argv + optind;
      return;
    }
  if (optind != argc - 1)
    usage (2);
  o->bundle = argv[optind];
}

/* The last lines of the guest console, to explain a failed boot; printed
   after the error itself. */
static char *console_tail;

static void
show_console_tail (const char *path)
{
  free (console_tail);
  console_tail = microvm_console_tail (path, 16);
}

static int
run (const struct opts *o, char *workdir, int *status, hull_err *err)
{
  cleanup_oci_spec struct oci_spec *spec = NULL;
  cleanup_free char *config = xasprintf ("%s/config.json", o->bundle);
  cleanup_free char *rootfs = NULL;
  cleanup_free char *image = xasprintf ("%s/rootfs.ext4", workdir);
  cleanup_free char *log = o->console_log ? xstrdup (o->console_log) : xasprintf ("%s/console.log", workdir);
  cleanup_free char *initrd = o->initrd ? xstrdup (o->initrd) : NULL;
  cleanup_free char *kernel = o->kernel ? xstrdup (o->kernel) : NULL;
  struct microvm_vm_settings vm;
  cleanup_close int log_fd = -1;
  struct hull_process cfg;
  struct microvm_host_files files = { 0 };
  int sv[2] = { -1, -1 };
  pid_t vmm = 0;
  struct microvm_ctl ctl;
  struct microvm_net net = { .tap_fd = -1 };
  struct microvm_exec_server execs = { .listen_fd = -1 };
  cleanup_close int exec_dirfd = -1;
  int sfd = -1;
  int ret = -1;

  spec = oci_spec_parse_file (config, err);
  if (spec == NULL)
    return -1;
  if (spec->root == NULL || spec->root->path == NULL)
    return hull_error (err, EINVAL, "config.json: root.path is required");
  if ((kernel == NULL && microvm_find_kernel (&kernel, err) < 0)
      || (initrd == NULL && microvm_find_initrd (&initrd, err) < 0)
      || microvm_vm_settings (spec, &vm, err) < 0)
    return -1;
  rootfs = spec->root->path[0] == '/' ? xstrdup (spec->root->path) : xasprintf ("%s/%s", o->bundle, spec->root->path);
  if (microvm_guest_config (spec, o->bundle, &cfg, &files, err) < 0)
    return -1;

  struct microvm_image_opts io = {
    .rootfs = rootfs, .cache_dir = o->cache ? o->cache : "/var/cache/hull/images", .output = image,
    .size_mib = o->disk_mib ? o->disk_mib : vm.disk_mib, .inject = files.inject, .n_inject = files.n_inject,
  };
  if (microvm_image_prepare (&io, err) < 0)
    goto out;
  log_fd = open (log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (log_fd < 0)
    {
      hull_error (err, errno, "open console log `%s`", log);
      goto out;
    }
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    {
      hull_error (err, errno, "socketpair");
      goto out;
    }
  bool joined;
  if (microvm_ns_enter (spec, OCI_NS_NETWORK, &joined, err) < 0 || (joined && microvm_net_prepare (&net, -1, err) < 0))
    goto out;
  if (net.present)
    {
      cfg.has_net = true;
      cfg.net = net.cfg;
    }
  struct microvm_qemu_config qc = {
    .engine = o->vmm ? (strcmp (o->vmm, "builtin") == 0 ? MICROVM_ENGINE_BUILTIN : MICROVM_ENGINE_QEMU)
              : oci_annotation (spec, MICROVM_ANNOTATION_VMM) ? vm.engine : MICROVM_ENGINE_QEMU,
    .qemu = o->qemu, .kernel = kernel, .initrd = initrd, .disk = image, .cpus = o->cpus ? o->cpus : vm.cpus,
    .memory_mib = o->memory_mib ? o->memory_mib : vm.memory_mib, .kvm = microvm_host_has_hw_kvm (), .control_fd = sv[1], .console_fd = log_fd,
    .tap_fd = net.tap_fd, .shares = files.shares, .n_shares = files.n_shares,
  };
  memcpy (qc.mac, net.cfg.mac, 6);
  if (microvm_vmm_spawn (&qc, &vmm, err) < 0)
    goto out;
  close (sv[1]);
  sv[1] = -1;

  sigset_t mask;
  sigemptyset (&mask);
  int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
  for (size_t i = 0; i < ARRAY_SIZE (forwarded); i++)
    sigaddset (&mask, forwarded[i]);
  sigprocmask (SIG_BLOCK, &mask, NULL);
  sfd = signalfd (-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);

  microvm_ctl_init (&ctl, sv[0], vmm);
  if (microvm_ctl_boot (&ctl, &cfg, (int) (o->boot_timeout_s ? o->boot_timeout_s : 120) * 1000, err) < 0)
    {
      show_console_tail (log);
      goto out_ctl;
    }
  if (o->exec_server)
    {
      exec_dirfd = open (o->exec_server, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (exec_dirfd < 0)
        {
          hull_error (err, errno, "exec server directory `%s`", o->exec_server);
          goto out_ctl;
        }
      if (microvm_exec_server_open (&execs, exec_dirfd, MICROVM_EXEC_SOCKET, err) < 0)
        goto out_ctl;
    }
  struct microvm_relay relay = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO, sfd, -1,
                                 o->exec_server ? &execs : NULL };
  if (microvm_ctl_run (&ctl, &relay, status, err) < 0)
    {
      show_console_tail (log);
      goto out_ctl;
    }
  if (ctl.guest_error)
    fprintf (stderr, PROG ": guest: %s\n", ctl.guest_error);
  ret = 0;
out_ctl:
  if (execs.listen_fd >= 0)
    {
      microvm_exec_server_close (&execs);
      unlinkat (exec_dirfd, MICROVM_EXEC_SOCKET, 0);
    }
  if (ctl.vmm_exited)
    vmm = 0;
  microvm_ctl_release (&ctl);
out:
  if (sv[0] >= 0)
    close (sv[0]);
  if (sv[1] >= 0)
    close (sv[1]);
  if (sfd >= 0)
    close (sfd);
  /* After EXIT the guest powers off by itself; otherwise make sure. */
  if (vmm > 0 && ret < 0)
    kill (vmm, SIGKILL);
  microvm_stop_vmm (vmm, 5000);
  microvm_net_release (&net);
  unlink (image);
  if (! o->console_log)
    unlink (log);
  microvm_guest_config_release (&cfg, &files);
  return ret;
}

static int
exec_client (const struct opts *o)
{
  static char *env[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL };
  struct hull_process p = { .env = env, .n_env = 1, .cwd = "/" };
  int fds[3] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };
  cleanup_free char *guest_error = NULL;
  hull_err err = NULL;
  int status = 0;
  sigset_t mask;

  p.args = o->exec_args;
  while (p.args[p.n_args])
    p.n_args++;
  sigemptyset (&mask);
  sigaddset (&mask, SIGINT);
  sigaddset (&mask, SIGTERM);
  sigaddset (&mask, SIGHUP);
  sigprocmask (SIG_BLOCK, &mask, NULL);
  int sfd = signalfd (-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  int dirfd = open (o->exec_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    {
      fprintf (stderr, PROG ": %s: %s\n", o->exec_dir, strerror (errno));
      return 1;
    }
  int ret = microvm_exec_request (dirfd, MICROVM_EXEC_SOCKET, &p, fds, sfd, -1, &status, &guest_error, &err);
  close (dirfd);
  if (ret < 0)
    {
      fprintf (stderr, PROG ": %s\n", err->msg);
      hull_error_release (&err);
      return 1;
    }
  if (guest_error)
    fprintf (stderr, PROG ": guest: %s\n", guest_error);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return WEXITSTATUS (status);
}

int
main (int argc, char **argv)
{
  struct opts o = { 0 };
  hull_err err = NULL;
  int status = 0;
  const char *tmp = getenv ("TMPDIR");
  cleanup_free char *workdir = xasprintf ("%s/hull-microvm-XXXXXX", tmp && *tmp ? tmp : "/tmp");

  parse_args (argc, argv, &o);
  signal (SIGPIPE, SIG_IGN);
  if (o.exec_dir)
    return exec_client (&o);
  if (mkdtemp (workdir) == NULL)
    {
      fprintf (stderr, PROG ": mkdtemp: %s\n", strerror (errno));
      return 1;
    }
  int ret = run (&o, workdir, &status, &err);
  rmdir (workdir);
  if (ret < 0)
    {
      fprintf (stderr, PROG ": %s\n", err->msg);
      if (console_tail)
        fprintf (stderr, PROG ": guest console (last lines): %s\n", console_tail);
      free (console_tail);
      hull_error_release (&err);
      return 1;
    }
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return WEXITSTATUS (status);
}

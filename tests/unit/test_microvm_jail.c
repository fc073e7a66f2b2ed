/* The built-in VMM jailed (microvm/jail.c, jail_seccomp.c) on the real
   kernel: the test guest (build/testguest/testguest.elf, a raw guest that
   this project's /dev/kvm runs) boots to its exit through
   microvm_builtin_spawn with jail = true: empty root, no capabilities,
   no_new_privs and the seccomp allowlist.  A syscall missing from the
   list kills the VMM with SIGSYS. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "microvm/microvm.h"
#include "tests/unit/tap.h"

#define TESTGUEST "build/testguest/testguest.elf"

static int
skip_rest (const char *why)
{
  printf ("# SKIP the jailed boot: %s\n", why);
  return tap_done ();
}

/* The device cgroup gets /dev/kvm exactly when the VMM opens it. */
static void
device_rules (void)
{
  struct oci_device d[4];
  TAP_EQ_INT ((int) microvm_vmm_devices (MICROVM_ENGINE_QEMU, false, d, 4), 0, "QEMU/TCG: no device");
  TAP_EQ_INT ((int) microvm_vmm_devices (MICROVM_ENGINE_QEMU, true, d, 4), 1, "QEMU/KVM: one device");
  TAP_OK (strcmp (d[0].path, "/dev/kvm") == 0 && strcmp (d[0].type, "c") == 0 && d[0].major == 10 && d[0].minor == 232,
          "... c 10:232 /dev/kvm");
  TAP_EQ_INT ((int) microvm_vmm_devices (MICROVM_ENGINE_BUILTIN, false, d, 4), 1, "built-in VMM: /dev/kvm");
  TAP_EQ_INT ((int) microvm_vmm_devices (MICROVM_ENGINE_BUILTIN, true, d, 0), 0, "never more than max");
}

/* The test guest to its end through the jailed built-in VMM, as root or
   as ids (the container's root under a user namespace: /dev/kvm, mode
   0600 here, is opened before the VMM becomes them). */
static void
jailed_boot (const struct microvm_ids *ids, const char *as)
{
  char disk[] = "/tmp/hull-jail-disk-XXXXXX";
  int dfd = mkstemp (disk);
  TAP_OK (dfd >= 0 && ftruncate (dfd, 1 << 20) == 0 && (! ids->set || fchown (dfd, ids->uid, ids->gid) == 0),
          "%s: a 1 MiB disk", as);
  close (dfd);
  int sv[2], con[2];
  TAP_OK (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0 && pipe2 (con, O_CLOEXEC) == 0, "%s: control and console", as);

  struct microvm_qemu_config c = {
    .engine = MICROVM_ENGINE_BUILTIN, .kernel = TESTGUEST, .disk = disk, .cpus = 1, .memory_mib = 64,
    .kvm = true, .control_fd = sv[1], .console_fd = con[1], .tap_fd = -1, .jail = true, .ids = *ids,
  };
  hull_err err = NULL;
  pid_t pid = 0;
  int r = microvm_builtin_spawn (&c, &pid, &err);
  TAP_OK (r == 0, "%s: spawned: %s", as, r == 0 ? "ok" : err->msg);
  hull_error_release (&err);
  close (con[1]);
  close (sv[1]);

  char out[8192];
  size_t len = 0;
  for (;;)
    {
      struct pollfd p = { con[0], POLLIN, 0 };
      if (poll (&p, 1, 60000) <= 0)
        break;
      ssize_t n = read (con[0], out + len, sizeof out - 1 - len);
      if (n <= 0)
        break;
      len += (size_t) n;
      if (len == sizeof out - 1)
        break;
    }
  out[len] = 0;
  int status = -1;
  if (pid > 0)
    {
      kill (pid, SIGKILL);   /* only if still running after the console closed */
      waitpid (pid, &status, 0);
    }
  TAP_OK (strstr (out, "TESTGUEST-EXIT 0") != NULL, "%s: the guest ran to its end in the jail", as);
  TAP_OK (! (WIFSIGNALED (status) && WTERMSIG (status) == SIGSYS), "%s: no syscall outside the allowlist", as);
  TAP_OK (WIFEXITED (status) && WEXITSTATUS (status) == 0, "%s: the VMM exited 0 (status %#x)", as, status);
  if (! strstr (out, "TESTGUEST-EXIT 0"))
    printf ("# console: %s\n", out);
  unlink (disk);
}

int
main (void)
{
  device_rules ();
#if defined(__SANITIZE_ADDRESS__)
  return skip_rest ("the sanitizer runtime's own syscalls are not the VMM's");
#endif
  if (geteuid () != 0)
    return skip_rest ("needs root");
  if (access ("/dev/kvm", R_OK | W_OK) < 0)
    return skip_rest ("needs /dev/kvm");
  if (access (TESTGUEST, R_OK) < 0)
    return skip_rest ("needs " TESTGUEST " (make check-vmm builds it)");

  jailed_boot (&(struct microvm_ids) { .set = false }, "as root");
  jailed_boot (&(struct microvm_ids) { .set = true, .uid = 100000, .gid = 100000 }, "as 100000:100000");
  return tap_done ();
}

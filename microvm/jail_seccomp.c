/* The built-in VMM's seccomp allowlist, loaded in the VMM's process after
 * the jail is entered and capabilities are dropped, just before vmm_run().
 *
 * Measured with `strace -f -c` on `hull vm boot` of the test guest
 * (build/testguest/testguest.elf: vCPU thread, virtio blk, net and console)
 * and read off microvm/vmm/: KVM ioctls, guest memory (memfd, mmap), the
 * event loop (epoll, eventfd, signalfd), vCPU threads (clone, futex,
 * tgkill to kick a vCPU out of KVM_RUN), disk and TAP I/O, the control
 * socket.  open/openat stay allowed because vmm_run() opens /dev/kvm, the
 * kernel, initrd and disk itself: the jail's read-only root holds nothing
 * else.  Anything outside the list kills the VMM (and so the container). */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "microvm/microvm.h"
#include "runtime/util.h"

static const char *const builtin_vmm_syscalls[] = {
  /* I/O on the disk, TAP, control socket and console */
  "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2",
  "recvfrom", "sendto", "recvmsg", "sendmsg", "fsync", "fdatasync", "lseek",
  /* files: only the jail's (kernel, initrd, disk, /dev/kvm) */
  "open", "openat", "close", "fstat", "newfstatat", "statx", "fcntl", "dup", "dup3", "ioctl",
  /* guest and host memory */
  "mmap", "munmap", "mprotect", "madvise", "mremap", "brk", "memfd_create", "ftruncate",
  /* the event loop */
  "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "eventfd2", "signalfd4", "poll", "ppoll",
  /* signals and vCPU threads */
  "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait", "sigaltstack", "tgkill", "tkill",
  "getpid", "gettid", "clone", "clone3", "set_robust_list", "rseq", "futex", "sched_yield",
  "sched_getaffinity", "exit", "exit_group",
  /* time and randomness */
  "clock_gettime", "clock_nanosleep", "nanosleep", "gettimeofday", "getrandom",
};

int
microvm_jail_seccomp_builtin (char *why, size_t len)
{
  scmp_filter_ctx ctx = seccomp_init (SCMP_ACT_KILL_PROCESS);
  int r = 0;

  if (ctx == NULL)
    return snprintf (why, len, "seccomp_init failed"), -1;
  for (size_t i = 0; i < ARRAY_SIZE (builtin_vmm_syscalls) && r == 0; i++)
    {
      int nr = seccomp_syscall_resolve_name (builtin_vmm_syscalls[i]);
      if (nr == __NR_SCMP_ERROR)
        continue;   /* not on this architecture */
      r = seccomp_rule_add (ctx, SCMP_ACT_ALLOW, nr, 0);
      if (r < 0)
        snprintf (why, len, "seccomp: allow %s: %s", builtin_vmm_syscalls[i], strerror (-r));
    }
  /* no_new_privs is already set: the filter needs no privilege. */
  if (r == 0 && (r = seccomp_load (ctx)) < 0)
    snprintf (why, len, "seccomp: load the VMM's filter: %s", strerror (-r));
  seccomp_release (ctx);
  return r < 0 ? -1 : 0;
}

/* The VMM's jail, entered by the VMM process itself between fork and exec
 * (QEMU) or vmm_run() (the built-in VMM), inside the container's cgroup and
 * network namespace where the monitor already is:
 *
 *   - a new mount namespace whose root is an empty tmpfs (pivot_root), made
 *     read-only once it holds what the VMM opens by name: the guest kernel,
 *     initramfs and rootfs image under /vm, /dev/kvm when KVM is used, the
 *     shared directories of virtio-9p, and for QEMU /usr read-only (see
 *     microvm/README.md, "The VMM's jail");
 *   - the control socket, TAP and console are inherited fds;
 *   - capabilities dropped in every set, the bounding set included, and
 *     no_new_privs (microvm_jail_drop_caps);
 *   - a seccomp allowlist: QEMU's own -sandbox, or jail_seccomp.c for the
 *     built-in VMM.
 *
 * Everything is opened (O_PATH) before the tmpfs goes over anything, and
 * bound from /proc/self/fd, so a source path under the mount point or a
 * symlink swapped in later cannot redirect a bind. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "microvm/microvm.h"
#include "runtime/util.h"

/* Where the tmpfs is built before it becomes the root: any directory will
   do in the private mount namespace, since every source is an open fd. */
#define JAIL_BUILD_DIR "/tmp"

static int
failf (char *why, size_t len, const char *what, const char *path)
{
  snprintf (why, len, "jail: %s `%s`: %s", what, path, strerror (errno));
  return -1;
}

static int
bind_fd (int fd, const char *target, bool dir, bool writable, char *why, size_t len)
{
  char src[64];
  snprintf (src, sizeof src, "/proc/self/fd/%d", fd);
  if (dir ? mkdir (target, 0755) < 0 : mknod (target, S_IFREG | 0600, 0) < 0)
    return failf (why, len, "create", target);
  if (mount (src, target, NULL, MS_BIND | MS_REC, NULL) < 0)
    return failf (why, len, "bind", target);
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_NOSUID | (writable ? 0 : MS_RDONLY);
  /* A device node keeps working on a nodev-free mount; everything else gets nodev. */
  if (strncmp (target, JAIL_BUILD_DIR "/dev/", sizeof JAIL_BUILD_DIR "/dev/" - 1) != 0)
    flags |= MS_NODEV;
  if (mount (NULL, target, NULL, flags, NULL) < 0)
    return failf (why, len, "remount", target);
  return 0;
}

/* A procfs of its own (QEMU's 9p backend sets modes and times through
   /proc/self/fd): read-only, process directories only (no /proc/sys,
   kcore or sysrq-trigger).  Without CAP_SYS_PTRACE the VMM passes no
   ptrace access check there, so it reads no other process's private
   files. */
static int
mount_proc (const char *target, char *why, size_t len)
{
  unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY;
  if (mkdir (target, 0555) < 0)
    return failf (why, len, "create", target);
  if (mount ("proc", target, "proc", flags, "subset=pid") < 0)
    return failf (why, len, "mount proc on", target);
  return 0;
}

int
microvm_jail_enter (const struct microvm_jail_entry *entries, size_t n, char *why, size_t len)
{
  int fds[MICROVM_JAIL_MAX_ENTRIES];
  char target[256];

  if (n > MICROVM_JAIL_MAX_ENTRIES)
    return snprintf (why, len, "jail: too many entries"), -1;
  /* Its own mount namespace, and no SysV IPC or hostname to share. */
  if (unshare (CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS) < 0)
    return failf (why, len, "unshare", "mount, ipc and uts namespaces");
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return failf (why, len, "make private", "/");
  /* Opened in the new namespace: a bind's source must be one of its mounts. */
  for (size_t i = 0; i < n; i++)
    {
      fds[i] = -1;
      if (entries[i].source == NULL)
        continue;
      fds[i] = open (entries[i].source, O_PATH | O_CLOEXEC);
      if (fds[i] < 0)
        return failf (why, len, "open", entries[i].source);
    }
  if (mount ("tmpfs", JAIL_BUILD_DIR, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=64k,nr_inodes=64") < 0)
    return failf (why, len, "mount tmpfs on", JAIL_BUILD_DIR);
  for (size_t i = 0; i < n; i++)
    {
      const struct microvm_jail_entry *e = &entries[i];
      /* Parents first: entry names are at most two levels deep ("vm/kernel", "dev/kvm"). */
      const char *slash = strchr (e->name, '/');
      if (slash)
        {
          snprintf (target, sizeof target, JAIL_BUILD_DIR "/%.*s", (int) (slash - e->name), e->name);
          if (mkdir (target, 0755) < 0 && errno != EEXIST)
            return failf (why, len, "create", target);
        }
      snprintf (target, sizeof target, JAIL_BUILD_DIR "/%s", e->name);
      if (e->source == NULL)
        {
          if (mount_proc (target, why, len) < 0)
            return -1;
          continue;
        }
      if (bind_fd (fds[i], target, e->dir, e->writable, why, len) < 0)
        return -1;
      close (fds[i]);
    }
  /* With /usr (QEMU): the dynamic loader and the libraries' usual paths,
     as on the host. */
  bool with_usr = false;
  for (size_t i = 0; i < n; i++)
    with_usr |= strcmp (entries[i].name, "usr") == 0;
  if (with_usr
      && (symlink ("usr/lib64", JAIL_BUILD_DIR "/lib64") < 0 || symlink ("usr/lib", JAIL_BUILD_DIR "/lib") < 0
          || symlink ("usr/bin", JAIL_BUILD_DIR "/bin") < 0))
    return failf (why, len, "symlink in", JAIL_BUILD_DIR);
  if (chdir (JAIL_BUILD_DIR) < 0)
    return failf (why, len, "chdir", JAIL_BUILD_DIR);
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return failf (why, len, "pivot_root", JAIL_BUILD_DIR);
  /* The old root is stacked under the new one: detach it. */
  if (umount2 (".", MNT_DETACH) < 0)
    return failf (why, len, "detach the old root", "/");
  if (chdir ("/") < 0)
    return failf (why, len, "chdir", "/");
  if (mount (NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    return failf (why, len, "remount read-only", "/");
  return 0;
}

/* setgroups, setresgid, setresuid: still root, with CAP_SETUID/SETGID;
   the uid change clears the permitted and effective sets.  The one
   supplementary group is /dev/kvm's when the jail has it and the group may
   use it (QEMU on hardware KVM opens the node itself), never gid 0. */
static int
become (const struct microvm_ids *ids)
{
  struct stat kvm;
  pid_t parent = getppid ();
  int deathsig = 0;
  int n = stat ("/dev/kvm", &kvm) == 0 && kvm.st_gid != 0 && (kvm.st_mode & 060) == 060 ? 1 : 0;
  gid_t groups[1] = { n ? kvm.st_gid : 0 };

  if (prctl (PR_GET_PDEATHSIG, &deathsig) < 0)
    return -1;
  if (setgroups ((size_t) n, groups) < 0 || setresgid (ids->gid, ids->gid, ids->gid) < 0
      || setresuid (ids->uid, ids->uid, ids->uid) < 0)
    return -1;
  /* The id change cleared the parent-death signal: set it again where
     there was one (a VMM forked by the monitor; the init pid has none). */
  if (deathsig == 0)
    return 0;
  if (prctl (PR_SET_PDEATHSIG, deathsig) < 0)
    return -1;
  if (getppid () != parent)
    {
      errno = ESRCH;   /* the parent died before the signal was set again */
      return -1;
    }
  return 0;
}

int
microvm_jail_drop_privileges (uint64_t keep, const struct microvm_ids *ids)
{
  struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[2] = { { 0, 0, 0 }, { 0, 0, 0 } };

  if (ids != NULL && ids->set)
    keep = 0;
  data[0].effective = data[0].permitted = (uint32_t) keep;
  data[1].effective = data[1].permitted = (uint32_t) (keep >> 32);
  /* The bounding set first: dropping from it needs CAP_SETPCAP. */
  for (int cap = 0; cap < 64; cap++)
    if (! (keep & (1ull << cap)) && prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EINVAL)
      break;
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return -1;
  if (ids != NULL && ids->set && become (ids) < 0)
    return -1;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return -1;
  return (int) syscall (SYS_capset, &hdr, data);
}

size_t
microvm_jail_entries (const struct microvm_qemu_config *c, struct microvm_jail_entry *out,
                      struct microvm_qemu_config *jailed, struct microvm_share *shares, char (*share_paths)[32])
{
  size_t n = 0;
  *jailed = *c;
  out[n++] = (struct microvm_jail_entry) { .source = c->kernel, .name = "vm/kernel" };
  jailed->kernel = MICROVM_JAIL_KERNEL;
  if (c->initrd)
    {
      out[n++] = (struct microvm_jail_entry) { .source = c->initrd, .name = "vm/initrd" };
      jailed->initrd = MICROVM_JAIL_INITRD;
    }
  out[n++] = (struct microvm_jail_entry) { .source = c->disk, .name = "vm/disk", .writable = true };
  jailed->disk = MICROVM_JAIL_DISK;
  if (c->kvm || c->engine == MICROVM_ENGINE_BUILTIN)
    out[n++] = (struct microvm_jail_entry) { .source = "/dev/kvm", .name = "dev/kvm", .writable = true };
  if (c->engine == MICROVM_ENGINE_QEMU)
    {
      /* QEMU, its libraries, modules and firmware (README: "The VMM's jail"). */
      out[n++] = (struct microvm_jail_entry) { .source = "/usr", .name = "usr", .dir = true };
      /* QEMU probes file locking on it. */
      out[n++] = (struct microvm_jail_entry) { .source = "/dev/null", .name = "dev/null", .writable = true };
    }
  /* QEMU's 9p backend needs /proc/self/fd; nothing else does. */
  if (c->n_shares > 0 && c->engine == MICROVM_ENGINE_QEMU)
    out[n++] = (struct microvm_jail_entry) { .name = "proc", .dir = true };
  for (size_t i = 0; i < c->n_shares && n < MICROVM_JAIL_MAX_ENTRIES; i++)
    {
      out[n] = (struct microvm_jail_entry) { .source = c->shares[i].path, .dir = true,
                                             .writable = ! c->shares[i].readonly };
      snprintf (out[n].name, sizeof out[n].name, "vm/share%zu", i);
      snprintf (share_paths[i], 32, "/vm/share%zu", i);
      shares[i] = c->shares[i];
      shares[i].path = share_paths[i];
      n++;
    }
  jailed->shares = shares;
  return n;
}

/* Host side of the microVM isolation level: the rootfs image, the guest
 * configuration sent over the control port, the QEMU launcher and the host
 * end of the control protocol (microvm/guest/proto.h).
 *
 * Everything the guest sends is hostile: frames are bounded before any
 * allocation, ids and states are checked, and text is sanitized before it
 * reaches a terminal or a log. */
#ifndef HULL_MICROVM_H
#define HULL_MICROVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <poll.h>
#include <sys/types.h>

#include "microvm/guest/proto.h"
#include "oci-spec/oci_spec.h"
#include "runtime/error.h"

/* ---- rootfs_image.c ---- */

/* A host file copied into the image (file bind mounts such as /etc/hosts). */
struct microvm_inject
{
  const char *source;        /* host path */
  const char *destination;   /* absolute path in the rootfs */
};

struct microvm_image_opts
{
  const char *rootfs;        /* the bundle's rootfs directory */
  const char *cache_dir;     /* pristine images, keyed by the tree's listing */
  const char *output;        /* the container's own copy (writable by the guest) */
  uint64_t size_mib;         /* 0: the tree's usage plus headroom */
  const struct microvm_inject *inject;
  size_t n_inject;
};

/* Builds (or reuses) the ext4 image of opts->rootfs and writes the
   container's copy to opts->output, with the injected files in it.  A tree
   larger than size_mib is a clear error.  Nothing is left on failure. */
int microvm_image_prepare (const struct microvm_image_opts *opts, hull_err *err);
/* The cache key of a tree (hex, 32 chars + NUL) and its usage in bytes. */
int microvm_tree_scan (const char *rootfs, char key[33], uint64_t *usage, uint64_t *inodes, hull_err *err);
/* Default image size for a tree's usage. */
uint64_t microvm_image_default_mib (uint64_t usage_bytes, uint64_t inodes);

/* ---- guest_config.c ---- */

/* A host directory shared with the guest over virtio-9p (a directory bind
   mount); the guest mounts it by tag. */
struct microvm_share
{
  char *tag;
  char *path;
  bool readonly;
};

/* What of the host the guest gets besides its image. */
struct microvm_host_files
{
  struct microvm_inject *inject; size_t n_inject;   /* file binds, copied into the image */
  struct microvm_share *shares; size_t n_shares;    /* directory binds, over virtio-9p */
};

/* Translates the OCI spec's process and mounts into the protocol's process
   description.  File bind mounts go to files->inject (copied into the
   image), directory bind mounts to files->shares (virtio-9p, QEMU only). */
int microvm_guest_config (const struct oci_spec *spec, const char *bundle, struct hull_process *out,
                          struct microvm_host_files *files, hull_err *err);
/* An exec process (no mounts, no hostname). */
int microvm_guest_process (const struct oci_process *proc, struct hull_process *out, hull_err *err);
/* The container's linux.seccomp as the BPF program the guest loads (for
   exec processes too, as runc applies the container's profile to them). */
int microvm_guest_seccomp (const struct oci_spec *spec, struct hull_process *out, hull_err *err);
/* Frees what microvm_guest_config allocated. */
void microvm_guest_config_release (struct hull_process *p, struct microvm_host_files *files);
/* OCI mount options to MS_* flags and a data string (malloc'd).
   HULL_MOUNT_IDMAP_ASKED (never sent to the guest) marks idmap/ridmap. */
#define HULL_MOUNT_IDMAP_ASKED (1ull << 62)
int microvm_mount_options (const struct oci_strv *options, uint64_t *flags, char **data, bool *bind, hull_err *err);

/* ---- net.c ---- */

struct microvm_net
{
  bool present;              /* a TAP redirected to/from the container's interface */
  char dev[16], tap[16];
  int tap_fd;
  struct hull_net cfg;       /* for the guest's eth0 */
};

/* Moves the caller into the spec's namespace of `type` (pid, network, ipc,
   uts, cgroup): the one at its path, or a new one; nothing when the spec
   has none.  *joined says whether it was an existing one (podman's, CNI's).
   For pid that is the namespace of the caller's next children. */
int microvm_ns_enter (const struct oci_spec *spec, enum oci_namespace_type type, bool *joined, hull_err *err);
/* The next fork() lands in the container's pid namespace (as its pid 1
   when new); *restore_fd (-1 without one) takes the caller back to its own
   with microvm_pidns_restore, which closes it. */
int microvm_pidns_for_next_child (const struct oci_spec *spec, int *restore_fd, hull_err *err);
int microvm_pidns_restore (int restore_fd, hull_err *err);
struct microvm_ids
{
  bool set;
  uid_t uid;
  gid_t gid;
};
/* The host ids of the container's root when config.json asks for a new
   user namespace mapping it: the VMM runs as them.  ids->set false
   otherwise (no user namespace, or one joined by path). */
void microvm_vmm_ids (const struct oci_spec *spec, struct microvm_ids *ids);
/* /dev/net/tun opened in the current namespace: before the caller enters
   a cgroup whose device rules would refuse it. */
int microvm_net_open_tun (int *fd, hull_err *err);
/* In the current namespace: the TAP (on tun_fd, which it takes, or a new
   one when -1) and tc redirects when an interface with an IPv4 address is
   there; n->present false otherwise. */
int microvm_net_prepare (struct microvm_net *n, int tun_fd, hull_err *err);
void microvm_net_release (struct microvm_net *n);

/* ---- qemu.c ---- */

enum microvm_engine
{
  MICROVM_ENGINE_QEMU,       /* qemu-system-x86_64 -M microvm (KVM or TCG) */
  MICROVM_ENGINE_BUILTIN,    /* microvm/vmm/ (hardware KVM only) */
};

/* One VM to start, whichever the engine (the name is historical). */
struct microvm_qemu_config
{
  enum microvm_engine engine;
  const char *qemu;          /* NULL: qemu-system-x86_64 from $PATH */
  const char *kernel;        /* bzImage */
  const char *initrd;        /* initramfs.cpio.gz holding hull-init */
  const char *disk;          /* the container's rootfs image */
  unsigned cpus;
  unsigned memory_mib;
  bool kvm;                  /* hardware KVM; else TCG */
  const char *extra_cmdline;
  int control_fd;            /* host end of the control port: a connected stream socket */
  int console_fd;            /* where the guest's ttyS0 goes (a log), or -1 for /dev/null */
  int tap_fd;                /* virtio-net over this TAP, or -1 */
  const struct microvm_share *shares;   /* virtio-9p devices */
  size_t n_shares;
  uint8_t mac[6];            /* the guest NIC's MAC with a TAP */
  bool jail;                 /* run the VMM jailed (jail.c); the debug driver does not */
  struct microvm_ids ids;    /* run the jailed VMM as these, not as root */
};

/* True when /proc/cpuinfo shows vmx or svm: Linux guests need real KVM.
   (This project's development hosts expose a software /dev/kvm on which
   they do not boot, so TCG is used there.) */
bool microvm_host_has_hw_kvm (void);
/* The argv QEMU is started with (NULL-terminated, malloc'd strings). */
char **microvm_qemu_argv (const struct microvm_qemu_config *c, int control_fd_in_child);
/* Starts QEMU with the control socket as fd 3, the TAP as fd 4 and the
   console on stdout/stderr.  Returns the pid. */
int microvm_qemu_spawn (const struct microvm_qemu_config *c, pid_t *pid, hull_err *err);
/* The guest kernel's command line for c (malloc'd). */
char *microvm_guest_cmdline (const struct microvm_qemu_config *c);
/* Starts c->engine. */
int microvm_vmm_spawn (const struct microvm_qemu_config *c, pid_t *pid, hull_err *err);

/* ---- jail.c ---- */

/* One thing the jailed VMM opens by name: source (host path) appears at
   /name in the jail ("vm/kernel", "dev/kvm", "usr"); a NULL source is a
   fresh read-only procfs ("proc", for QEMU with virtio-9p shares). */
struct microvm_jail_entry
{
  const char *source;
  char name[32];
  bool dir, writable;
};
#define MICROVM_JAIL_MAX_ENTRIES 16
/* Where the jailed VMM finds its files. */
#define MICROVM_JAIL_KERNEL "/vm/kernel"
#define MICROVM_JAIL_INITRD "/vm/initrd"
#define MICROVM_JAIL_DISK "/vm/disk"
/* In the VMM's process, after fork: a new mount namespace whose root is a
   read-only tmpfs holding only the entries (bound from fds opened first).
   On failure why says what failed. */
int microvm_jail_enter (const struct microvm_jail_entry *entries, size_t n, char *why, size_t len);
/* Drops every capability but keep (bounding set included), clears the
   ambient set, becomes ids when set (no capabilities kept then; the only
   supplementary group is /dev/kvm's where the jail has it; the parent-death
   signal, which an id change clears, is set again) and sets
   no_new_privs. */
int microvm_jail_drop_privileges (uint64_t keep, const struct microvm_ids *ids);
/* The entries for c (kernel, initrd, disk, /dev/kvm when used, shares,
   /usr for QEMU) and c with its paths as the jail sees them; share paths
   are written to share_paths (n_shares entries of 32 bytes). */
size_t microvm_jail_entries (const struct microvm_qemu_config *c, struct microvm_jail_entry *out,
                             struct microvm_qemu_config *jailed, struct microvm_share *shares, char (*share_paths)[32]);

/* The built-in VMM's seccomp allowlist (jail_seccomp.c), loaded in its
   process with no_new_privs set. */
int microvm_jail_seccomp_builtin (char *why, size_t len);

/* ---- builtin.c ---- */

struct vmm_config;
/* The built-in VMM's configuration for c (pointers into c and cmdline). */
int microvm_builtin_config (const struct microvm_qemu_config *c, const char *cmdline, struct vmm_config *cfg,
                            hull_err *err);
/* What the built-in VMM refuses before anything starts: no hardware KVM
   (unless HULL_VMM_SOFT_KVM=1), an unreadable kernel, directory shares. */
int microvm_builtin_check (const struct microvm_qemu_config *c, hull_err *err);
/* Runs vmm_run() in a child process; refused without hardware KVM. */
int microvm_builtin_spawn (const struct microvm_qemu_config *c, pid_t *pid, hull_err *err);
/* Makes this process the jailed built-in VMM (c passed
   microvm_builtin_check, as microvm_vmm_init_split sees to): stdio on the console log,
   every fd closed but c's control, TAP and console and `extra`, the jail,
   the allowlist, then ready(ctx) (from there on under the allowlist; it
   may start threads) and the VM.  *status is the VMM's wait status when
   the VM has ended; -1 with err (nothing changed yet) when it cannot
   start, and no return at all when the jail fails (exit status 1). */
#define MICROVM_BUILTIN_MAX_EXTRA_FDS 4
int microvm_builtin_become (const struct microvm_qemu_config *c, const int *extra, size_t n_extra,
                            int (*ready) (void *), void *ctx, int *status, hull_err *err);

/* ---- vmm_init.c: the built-in VMM as the container's init pid ---- */

/* Splits the calling process (the monitor, holding qc's fds and the
   signalfd of the signals it forwards) once microvm_builtin_check passed
   (else -1 with err, nothing changed): it becomes the jailed VMM and
   never returns; the child returning here carries on as the monitor,
   reading the forwarded signals from *signals_in (signalfd records, non
   blocking) and owing the VMM the workload's status on *status_out. */
int microvm_vmm_init_split (const struct microvm_qemu_config *qc, int signal_fd, int *signals_in, int *status_out,
                            hull_err *err);
/* In the monitor: hands the VMM the workload's wait status, gives the VM
   grace_ms to end by itself, then tells it to stop; waits to be ended
   with it. */
void microvm_vmm_init_finish (int status_out, int status, int grace_ms) __attribute__ ((noreturn));

/* ---- vm_setup.c ---- */

#define MICROVM_ANNOTATION_CPUS "io.hull.vm.cpus"
#define MICROVM_ANNOTATION_MEMORY "io.hull.vm.memory"   /* MiB */
#define MICROVM_ANNOTATION_DISK "io.hull.vm.disk-size"  /* MiB of the rootfs image */
#define MICROVM_ANNOTATION_VMM "io.hull.vmm"            /* qemu | builtin */

/* $HULL_GUEST_KERNEL, else the newest bzImage `make guest-kernel` cached. */
int microvm_find_kernel (char **out, hull_err *err);
/* $HULL_GUEST_INITRD, else the installed one (PREFIX/lib/hull/), else the
   one in the build tree hull was built in. */
int microvm_find_initrd (char **out, hull_err *err);
/* vCPUs and MiB: the annotations, else the OCI cpu quota and memory
   limit, else 1 and 256; the image size from io.hull.vm.disk-size (0: from
   the rootfs).  Unknown io.hull.vm.* keys and io.hull.vmm values are
   errors. */
struct microvm_vm_settings
{
  unsigned cpus, memory_mib;
  uint64_t disk_mib;
  enum microvm_engine engine;   /* io.hull.vmm; default: builtin with hardware KVM, else qemu */
};
int microvm_vm_settings (const struct oci_spec *spec, struct microvm_vm_settings *out, hull_err *err);
/* The device nodes the VMM opens itself, for the container's device cgroup
   and its jail: /dev/kvm (c 10:232) with the built-in VMM or QEMU on
   hardware KVM; nothing with QEMU/TCG.  (/dev/net/tun is opened before
   the device rules apply and passed as an fd.)  Fills at most max. */
#define MICROVM_KVM_MAJOR 10
#define MICROVM_KVM_MINOR 232
size_t microvm_vmm_devices (enum microvm_engine engine, bool hw_kvm, struct oci_device *out, size_t max);
/* The last lines of a guest console log on one line (control bytes
   replaced), to explain a failed boot; NULL if unreadable. */
char *microvm_console_tail (const char *path, int lines);
/* Waits up to grace_ms for the VMM to exit by itself, then SIGKILLs it;
   reaps it either way. */
void microvm_stop_vmm (pid_t pid, int grace_ms);

/* ---- control.c ---- */

struct microvm_ctl
{
  int fd;                    /* our end of the control port */
  pid_t vmm_pid;             /* for noticing a dead VMM while waiting; 0: none */
  int vmm_pidfd;
  struct hull_msg_reader reader;
  uint8_t in[16384];         /* read but not yet fed to the reader */
  size_t in_off, in_len;
  char *guest_error;         /* the last ERROR text, sanitized */
  bool vmm_exited;
  int vmm_status;
};

void microvm_ctl_init (struct microvm_ctl *c, int fd, pid_t vmm_pid);
void microvm_ctl_release (struct microvm_ctl *c);
/* Waits up to timeout_ms for one frame from the guest (-1: forever).  The
   VMM dying first is an error that says so. */
int microvm_ctl_recv (struct microvm_ctl *c, struct hull_msg *m, int timeout_ms, hull_err *err);
int microvm_ctl_send (struct microvm_ctl *c, uint16_t type, uint32_t id, const void *p, uint32_t len, hull_err *err);
/* HELLO both ways, CONFIG, then waits for READY.  A guest ERROR comes back
   as the error. */
int microvm_ctl_boot (struct microvm_ctl *c, const struct hull_process *cfg, int timeout_ms, hull_err *err);
/* Guest text made safe for a terminal: control bytes become '?'. */
char *microvm_sanitize_text (const uint8_t *p, size_t len);

/* ---- exec.c ---- */

#define MICROVM_MAX_EXECS 32
#define MICROVM_EXEC_SOCKET "microvm-exec.sock"

struct microvm_exec_slot
{
  int client;          /* the exec client's connection; -1: free */
  uint32_t id;
  bool started;
  int fds[3];          /* the client's stdin, stdout, stderr */
};

struct microvm_exec_server
{
  int listen_fd;
  uint32_t next_id;
  struct microvm_exec_slot slots[MICROVM_MAX_EXECS];
};

/* Listens on dirfd/name (SOCK_SEQPACKET). */
int microvm_exec_server_open (struct microvm_exec_server *s, int dirfd, const char *name, hull_err *err);
void microvm_exec_server_close (struct microvm_exec_server *s);
#define MICROVM_EXEC_POLLFDS (1 + 2 * MICROVM_MAX_EXECS)
/* Fills MICROVM_EXEC_POLLFDS entries (fd -1 where unused). */
size_t microvm_exec_server_pollfds (struct microvm_exec_server *s, struct pollfd *pfd);
int microvm_exec_server_handle (struct microvm_exec_server *s, struct microvm_ctl *c, const struct pollfd *pfd,
                                hull_err *err);
/* A guest frame for an exec id: 1 handled, 0 not an exec of ours, -1 malformed. */
int microvm_exec_server_guest_frame (struct microvm_exec_server *s, const struct hull_msg *m);
/* The client side: runs p in the guest with fds as its stdio, forwards the
   signals read from signal_fd (or -1; SIGWINCH becomes WINSIZE with the
   size of winsize_fd when that is a terminal, else -1), and returns its
   wait status; the guest's reason when it could not start goes to
   *guest_error. */
int microvm_exec_request (int dirfd, const char *name, const struct hull_process *p, const int fds[3], int signal_fd,
                          int winsize_fd, int *wait_status, char **guest_error, hull_err *err);

/* A run of the container's process after READY: START, stdio relayed
   between the frames and the given fds, signals forwarded, until EXIT.
   Returns the wait status the guest reported; when the process could not
   be started, c->guest_error says why (and the status is 127). */
struct microvm_relay
{
  int stdin_fd;              /* -1: no input (an EOF is sent at once) */
  int stdout_fd, stderr_fd;
  int signal_fd;             /* a signalfd whose signals are forwarded, or -1 */
  int winsize_fd;            /* a terminal: SIGWINCH sends its size as WINSIZE; -1: none */
  struct microvm_exec_server *execs;   /* serve exec requests meanwhile, or NULL */
};
int microvm_ctl_run (struct microvm_ctl *c, const struct microvm_relay *r, int *wait_status, hull_err *err);

#endif

/* Internal interfaces of namespaces/: shared by the files of this directory
   only.  The public contract is namespaces.h. */
#ifndef HULL_NS_INTERNAL_H
#define HULL_NS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "namespaces/namespaces.h"
#include "runtime/error.h"

/* ---- sync.c: the SOCK_SEQPACKET channel between ns_spawn() and the child ---- */
enum sync_type
{
  SYNC_GO = 1,            /* parent -> child: placed in the cgroup, maps written */
  SYNC_USERMAP_PLS,       /* child -> parent: write my uid/gid maps */
  SYNC_USERMAP_ACK,
  SYNC_RUNTIME_READY,     /* child -> parent: mounts prepared, run createRuntime hooks */
  SYNC_RUNTIME_DONE,      /* parent -> child */
  SYNC_PID,               /* intermediate -> parent: the init's pid (payload: pid_t) */
  SYNC_CREATED,           /* child -> parent: everything done, about to block on the fifo */
  SYNC_ERROR,             /* either way: errnum + message */
};

#define SYNC_MAX_PAYLOAD 4000

int sync_send (int fd, enum sync_type type, const void *data, size_t len, hull_err *err);
/* Sends *e (or a generic text when NULL) as SYNC_ERROR.  Never fails loudly. */
void sync_send_error (int fd, const hull_err e);
/* Receives one message; a SYNC_ERROR becomes a hull_err with the peer's
   message.  EOF is an error "init exited unexpectedly".  `buf` may be NULL. */
int sync_recv (int fd, enum sync_type *type, void *buf, size_t bufsz, size_t *len, hull_err *err);
/* Receives one message and checks its type. */
/* 0 on EOF (the peer's close-on-exec socket went away in execve), -1 with
   the peer's error otherwise. */
int sync_wait_exec (int fd, hull_err *err);
int sync_expect (int fd, enum sync_type want, void *buf, size_t bufsz, size_t *len, hull_err *err);

/* ---- mount_options.c: pure parsing of mounts[].options ---- */
struct mount_opts
{
  unsigned long flags;        /* MS_* set by the options */
  unsigned long clear_flags;  /* MS_* explicitly cleared ("rw", "suid", ...) */
  unsigned long propagation;  /* MS_SHARED/SLAVE/PRIVATE/UNBINDABLE [| MS_REC] */
  uint64_t attr_set;          /* MOUNT_ATTR_* from the recursive "r*" options */
  uint64_t attr_clr;
  char *data;                 /* comma-joined filesystem options, or NULL */
  bool tmpcopyup;
  bool idmap, ridmap;
  int idmap_fd;               /* set by the caller: the detached idmapped tree */
};
int mount_opts_parse (const struct oci_strv *options, struct mount_opts *out, hull_err *err);
void mount_opts_free (struct mount_opts *o);
/* rootfsPropagation: "rslave" -> MS_SLAVE|MS_REC; returns 0 for NULL, -1 if unknown. */
long mount_propagation_from_name (const char *name);

/* ---- paths.c: resolve paths inside the rootfs, never leaving it ---- */
enum in_root_create
{
  IN_ROOT_NO_CREATE,
  IN_ROOT_MKDIR,       /* create missing directories, the last one included */
  IN_ROOT_MKFILE,      /* create missing parents and an empty regular file */
};
/* Open `path` (absolute, relative to the container root) below `rootfd`,
   symlinks resolved as if rootfd were "/".  Returns an O_PATH fd. */
int open_in_root (int rootfd, const char *path, enum in_root_create create, int mode, hull_err *err);
/* Open the parent directory of `path` in root (creating it) and return its
   fd; *base receives a pointer into path to the last component. */
int open_parent_in_root (int rootfd, const char *path, const char **base, hull_err *err);
/* "/proc/self/fd/N" for mount(2) targets. */
#define FD_PATH_MAX 32
void fd_path (int fd, char buf[FD_PATH_MAX]);

/* seccomp.c */
int seccomp_validate (const struct oci_spec *spec, hull_err *err);
int seccomp_action_from_name (const char *name, uint32_t errno_ret, uint32_t *action, hull_err *err);
int seccomp_flag_from_name (const char *name, unsigned long *flag, hull_err *err);
int seccomp_arch_from_name (const char *name, uint32_t *arch, hull_err *err);
bool seccomp_uses_notify (const struct oci_seccomp *s);
/* A socket connected to listenerPath when the profile notifies, else -1;
   -2 with err set on failure. */
int seccomp_listener_connect (const struct oci_seccomp *s, hull_err *err);
/* The BPF program, built at create time so errors surface there. */
struct seccomp_prog
{
  void *prog;
  size_t len;
  unsigned long flags;  /* SECCOMP_FILTER_FLAG_* */
  bool notify;
};
int seccomp_prepare (const struct oci_seccomp *s, struct seccomp_prog *out, hull_err *err);
void seccomp_prog_free (struct seccomp_prog *p);
/* Loads the filter; with SCMP_ACT_NOTIFY sends the listener fd and
   state_json over listener_sock. */
int seccomp_prog_load (const struct seccomp_prog *p, int listener_sock, const char *state_json, hull_err *err);

/* ---- the container init's state, private to the child ---- */
struct ns_init
{
  const struct ns_spawn_opts *opts;
  const struct oci_spec *spec;
  const struct oci_process *process;
  int sync_fd;
  int rootfd;          /* O_PATH of the rootfs, before pivot */
  int fifo_fd;         /* O_PATH of exec.fifo, or -1 */
  int proc_fd;         /* O_PATH of the host /proc, for reopening the fifo */
  int fifo_w;          /* exec.fifo write end, held until execve, or -1 */
  bool new_userns;     /* we are in a user namespace we created */
  bool in_userns;      /* new or joined user namespace */
  bool new_netns, new_ipcns, new_utsns, new_cgroupns, new_mntns;
  bool has_netns, has_ipcns, has_utsns, has_cgroupns;  /* new or joined */
  /* Without a mount namespace (new or joined) nothing is mounted: that
     would change the host.  The init only chroots into the rootfs. */
  bool has_mntns;
  bool userns_via_setns; /* the user namespace was set up before clone() */
  bool affinity_initial_done;
  char *exec_path;     /* resolved process.args[0] */
  char **envp;         /* process.env, HOME added */
  int console_fd;      /* pty slave when terminal, else -1 */
  int seccomp_sock;    /* connected to linux.seccomp.listenerPath, or -1 */
  pid_t host_pid;      /* our pid as the host sees it */
  struct seccomp_prog seccomp;
  int *idmap_fds;      /* per mounts[] entry: detached idmapped tree of an idmap mount, or -1 */
};

/* nstypes.c (ns_clone_flag and ns_open_path: namespaces.h) */
const char *ns_proc_name (enum oci_namespace_type type);

/* idmap.c: idmap/ridmap bind mounts, idmapped by the parent (it holds
   CAP_SYS_ADMIN where the source filesystem lives) as detached trees. */
int idmap_prepare (const struct oci_spec *spec, const char *bundle, int **fds, hull_err *err);
void idmap_release (const struct oci_spec *spec, int **fds);
/* In the init: attach the detached tree on `target`. */
int idmap_mount (int tree, int target, const char *what, hull_err *err);

/* userns.c */
char *userns_format_map (const struct oci_id_mapping *m, size_t n);
int userns_write_maps (pid_t pid, const struct oci_linux *l, hull_err *err);
int timens_write_offsets (const struct oci_linux *l, hull_err *err);

/* spawn.c / init.c */
int ns_enter_late (struct ns_init *in, hull_err *err);
int ns_init_run (struct ns_init *in, hull_err *err);
int ns_wait_fifo (struct ns_init *in, hull_err *err);

/* rootfs.c */
int rootfs_prepare (struct ns_init *in, hull_err *err);
int rootfs_pivot (struct ns_init *in, hull_err *err);
int rootfs_finalize (struct ns_init *in, hull_err *err);

/* mounts.c */
int mounts_apply (struct ns_init *in, hull_err *err);
/* Bind-remount the mount at fd with `flags` (MS_RDONLY...), keeping the
   flags the kernel locks in a user namespace.  fd < 0: `what` is the path. */
unsigned long mount_flags_from_statvfs (unsigned long f_flag, bool with_atime);
int remount_bind (int fd, const char *what, unsigned long flags, hull_err *err);

/* copyup.c: copy the tree at src_dir (readable dir fd) into dst_dir. */
int copyup_dir (int src_dir, int dst_dir, hull_err *err);

/* cgroup_mount.c: a "cgroup" mount (v1 tmpfs layout or cgroup2). */
int cgroup_mount (struct ns_init *in, const struct oci_mount *m, const struct mount_opts *o, hull_err *err);

/* devices.c */
int devices_create (struct ns_init *in, hull_err *err);

/* masked.c: masked and read-only paths, after pivot. */
int paths_mask_and_readonly (struct ns_init *in, hull_err *err);

/* process.c */
/* process.env plus HOME from the container's passwd when missing. */
char **process_env_with_home (const struct oci_process *p);
int process_find_executable (const struct oci_process *p, char **out, hull_err *err);
int process_apply_rlimits (const struct oci_process *p, hull_err *err);
int process_apply_before_user (struct ns_init *in, hull_err *err);
int process_set_hostname (struct ns_init *in, hull_err *err);
int process_chdir (const char *cwd, hull_err *err);
int process_close_fds (int preserve_fds, hull_err *err);
int rlimit_from_name (const char *name);

/* process_attrs.c */
#include <sched.h>
int cpu_list_parse (const char *list, cpu_set_t *set, hull_err *err);
int process_set_cpu_affinity (const char *list, const char *what, hull_err *err);
int personality_from_name (const char *name);
int ioprio_from_spec (const struct oci_io_priority *io, int *value, hull_err *err);
/* Fills a struct sched_attr (48 bytes, SCHED_ATTR_SIZE_VER1). */
int scheduler_from_spec (const struct oci_scheduler *s, void *out_attr, hull_err *err);
int process_apply_sched_io (const struct oci_process *p, hull_err *err);
int process_apply_personality (const struct oci_personality *pers, hull_err *err);
int process_join_keyring (bool no_new_keyring, hull_err *err);

/* lsm.c */
int lsm_validate (const struct oci_process *p, hull_err *err);
int lsm_apply (const struct oci_process *p, hull_err *err);

/* sysctl.c */
int sysctl_apply (struct ns_init *in, hull_err *err);
int sysctl_validate (const char *key, bool has_netns, bool has_ipcns, bool has_utsns, hull_err *err);

/* caps.c */
int caps_validate (const struct oci_capabilities *caps, hull_err *err);
int caps_drop_bounding (const struct oci_capabilities *caps, hull_err *err);
int caps_apply (const struct oci_capabilities *caps, hull_err *err);
int cap_from_name_checked (const char *name, hull_err *err);

/* user.c */
int user_apply (const struct oci_user *user, bool keep_caps, hull_err *err);

/* terminal.c */
int terminal_setup (struct ns_init *in, hull_err *err);
/* After setsid(): pty from /dev/ptmx, master sent over console_sock, slave
   as controlling terminal and stdio; /dev/console bound when rootfd >= 0. */
int terminal_open (const struct oci_process *p, int console_sock, int rootfd, hull_err *err);

#endif

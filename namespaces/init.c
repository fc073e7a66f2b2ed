/* The container's init, from clone() to execve().  Runs in the child; any
   failure is reported to ns_spawn() over the sync socket.  The order is the
   one namespaces.h documents. */
#include "namespaces/ns_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci-spec/hull_status.h"
#include "runtime/util.h"

/* Signal dispositions and the mask are inherited from the runtime (which
   may block signals to forward them): give the process a clean slate. */
static void
reset_signals (void)
{
  sigset_t all;
  for (int sig = 1; sig < _NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      signal (sig, SIG_DFL);
  sigemptyset (&all);
  sigprocmask (SIG_SETMASK, &all, NULL);
}

/* The host's /proc stays reachable through proc_fd after pivot_root: for
   the fifo, and for our pid as the host sees it. */
static int
open_host_proc (struct ns_init *in, hull_err *err)
{
  char buf[32];
  ssize_t n;

  in->proc_fd = open ("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (in->proc_fd < 0)
    return hull_error (err, errno, "open /proc");
  n = readlinkat (in->proc_fd, "self", buf, sizeof buf - 1);
  if (n > 0)
    {
      buf[n] = '\0';
      in->host_pid = (pid_t) atoi (buf);
    }
  return 0;
}

static char *
seccomp_state_json (struct ns_init *in)
{
  const struct oci_spec *spec = in->spec;
  struct oci_state st = {
    .oci_version = spec->oci_version ? spec->oci_version : "1.2.0",
    .id = in->opts->id ? in->opts->id : "",
    .status = "running",
    .pid = in->host_pid,
    .bundle = in->opts->bundle,
    .annotations = &spec->annotations,
  };
  return oci_seccomp_notify_state_json (&st, in->host_pid, spec->linux_->seccomp->listener_metadata);
}

static int
load_seccomp (struct ns_init *in, hull_err *err)
{
  const struct oci_seccomp *s = in->spec->linux_ ? in->spec->linux_->seccomp : NULL;
  cleanup_free char *state = NULL;
  int ret;

  if (s == NULL)
    return 0;
  if (in->seccomp_sock >= 0)
    state = seccomp_state_json (in);
  ret = seccomp_prog_load (&in->seccomp, in->seccomp_sock, state, err);
  seccomp_prog_free (&in->seccomp);
  if (in->seccomp_sock >= 0)
    close (in->seccomp_sock);
  in->seccomp_sock = -1;
  return ret;
}

/* Blocks until `start` opens the fifo for reading, then hands it the byte
   that tells it the init is alive (runc's handshake).  The fd is reopened
   through the host's /proc opened before pivot_root, so it works whether or
   not the container mounts its own /proc.  The write end stays open,
   close-on-exec, until execve: `start` reads to EOF and fails with what an
   init that died before the workload wrote there (a startContainer hook). */
int
ns_wait_fifo (struct ns_init *in, hull_err *err)
{
  char path[64];
  int w = -1;

  if (in->fifo_fd < 0)
    return 0;
  snprintf (path, sizeof path, "self/fd/%d", in->fifo_fd);
  do
    w = openat (in->proc_fd, path, O_WRONLY | O_CLOEXEC);
  while (w < 0 && errno == EINTR);
  if (w < 0)
    return hull_error (err, errno, "open exec fifo for writing");
  if (write_all (w, "0", 1) < 0)
    {
      close (w);
      return hull_error (err, errno, "write exec fifo");
    }
  in->fifo_w = w;
  close (in->fifo_fd);
  close (in->proc_fd);
  in->fifo_fd = in->proc_fd = -1;
  return 0;
}

static int
before_pivot (struct ns_init *in, hull_err *err)
{
  const struct ns_callbacks *cb = in->opts->cb;

  if (!in->has_mntns)
    {
      in->rootfd = open (in->opts->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (in->rootfd < 0)
        return hull_error (err, errno, "rootfs `%s`", in->opts->rootfs);
    }
  else if (rootfs_prepare (in, err) < 0 || mounts_apply (in, err) < 0 || devices_create (in, err) < 0)
    return -1;
  /* A missing cwd is created, as runc does (inside the rootfs).  When that
     is impossible chdir() reports it later, with the right message. */
  if (in->has_mntns && in->process->cwd != NULL && in->process->cwd[0] == '/' && in->process->cwd[1] != '\0')
    {
      hull_err ignored = NULL;
      int fd = open_in_root (in->rootfd, in->process->cwd, IN_ROOT_MKDIR, 0755, &ignored);
      if (fd >= 0)
        close (fd);
      hull_error_release (&ignored);
    }

  /* createRuntime / prestart run in the parent now. */
  if (sync_send (in->sync_fd, SYNC_RUNTIME_READY, NULL, 0, err) < 0
      || sync_expect (in->sync_fd, SYNC_RUNTIME_DONE, NULL, 0, NULL, err) < 0)
    return -1;
  if (cb != NULL && cb->in_container_before_pivot != NULL
      && cb->in_container_before_pivot (cb->ctx, getpid (), err) < 0)
    return -1;
  return 0;
}

static int
after_pivot (struct ns_init *in, hull_err *err)
{
  const struct oci_process *p = in->process;

  /* A session of its own, as runc gives every container; the pty (if any)
     becomes its controlling terminal. */
  if (setsid () < 0)
    return hull_error (err, errno, "setsid");
  if (terminal_setup (in, err) < 0)
    return -1;
  if (sysctl_apply (in, err) < 0)
    return -1;
  if (in->has_mntns && (paths_mask_and_readonly (in, err) < 0 || rootfs_finalize (in, err) < 0))
    return -1;
  if (in->has_utsns && process_set_hostname (in, err) < 0)
    return -1;
  if (process_apply_before_user (in, err) < 0)
    return -1;
  if (process_apply_rlimits (p, err) < 0)
    return -1;
  /* cwd before dropping privileges (the user may not be able to search the
     path to it) and checked against fd leaks (CVE-2024-21626). */
  if (process_chdir (p->cwd, err) < 0)
    return -1;
  if (in->spec->linux_ != NULL && seccomp_prepare (in->spec->linux_->seccomp, &in->seccomp, err) < 0)
    return -1;
  if (in->opts->payload == NULL && process_find_executable (p, &in->exec_path, err) < 0)
    return -1;
  in->envp = process_env_with_home (p);
  return 0;
}

static int
after_start (struct ns_init *in, hull_err *err)
{
  const struct oci_process *p = in->process;
  const struct ns_callbacks *cb = in->opts->cb;

  /* Credentials change only now: the fifo is reopened through /proc with
     the runtime's permissions on it, whatever user the process runs as.
     Everything that can be checked was checked before `created`.  Without
     no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it first. */
  if (process_close_fds (in->opts->preserve_fds, err) < 0 || lsm_apply (p, err) < 0)
    return -1;
  if (!p->no_new_privileges && load_seccomp (in, err) < 0)
    return -1;
  if (caps_drop_bounding (p->capabilities, err) < 0)
    return -1;
  if (user_apply (&p->user, p->capabilities != NULL, err) < 0)
    return -1;
  if (caps_apply (p->capabilities, err) < 0)
    return -1;
  if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return hull_error (err, errno, "prctl PR_SET_NO_NEW_PRIVS");
  if (cb != NULL && cb->in_container_before_exec != NULL && cb->in_container_before_exec (cb->ctx, getpid (), err) < 0)
    return -1;
  if (p->no_new_privileges && load_seccomp (in, err) < 0)
    return -1;
  if (in->opts->payload != NULL)
    {
      /* A payload runs for the container's life: `start` is done now. */
      close (in->fifo_w);
      in->fifo_w = -1;
      return in->opts->payload (in->opts->payload_ctx, err);
    }
  execve (in->exec_path, p->args.items, in->envp);
  return hull_error (err, errno, "exec `%s`", in->exec_path);
}

int
ns_init_run (struct ns_init *in, hull_err *err)
{
  reset_signals ();
  /* Until execve nobody but root on the host may look into us. */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);

  {
    const struct oci_exec_cpu_affinity *aff = in->process->exec_cpu_affinity;
    if (aff != NULL && !in->affinity_initial_done && process_set_cpu_affinity (aff->initial, "initial", err) < 0)
      return -1;
    if (sync_expect (in->sync_fd, SYNC_GO, NULL, 0, NULL, err) < 0)
      return -1;
    /* In the container's cgroup now. */
    if (aff != NULL && process_set_cpu_affinity (aff->final, "final", err) < 0)
      return -1;
  }
  if (ns_enter_late (in, err) < 0)
    return -1;
  if (open_host_proc (in, err) < 0)
    return -1;
  if (before_pivot (in, err) < 0)
    return -1;
  if (rootfs_pivot (in, err) < 0)
    return -1;
  if (after_pivot (in, err) < 0)
    return -1;

  if (sync_send (in->sync_fd, SYNC_CREATED, NULL, 0, err) < 0)
    return -1;
  close (in->sync_fd);
  in->sync_fd = -1;

  if (ns_wait_fifo (in, err) < 0)
    return -1;
  return after_start (in, err);
}

/* After the parent placed us in the cgroup (and wrote the id maps). */
int
ns_enter_late (struct ns_init *in, hull_err *err)
{
  if (in->new_userns && !in->userns_via_setns && (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0))
    return hull_error (err, errno, "become root in the user namespace (is uid/gid 0 mapped?)");
  if (in->new_cgroupns && unshare (CLONE_NEWCGROUP) < 0)
    return hull_error (err, errno, "unshare the cgroup namespace");
  return 0;
}

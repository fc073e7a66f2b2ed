/* ns_exec(): a new process in a running container (`hull exec`).
 *
 * An intermediate child enters the container's cgroup, then every
 * namespace of the init that differs from ours in one setns() on a pidfd
 * (the kernel orders them, user first, and the pidfd pins the right
 * process), and chroots to the init's root.  It then clones the process
 * with CLONE_PARENT, so the caller can wait for it, and exits.  The process
 * applies process.* (cwd, rlimits, terminal, user, capabilities,
 * no_new_privs), the container's seccomp profile as runc does, closes every
 * fd but stdio and the preserved ones, and execs.  Errors up to execve come
 * back over a close-on-exec SEQPACKET socket; EOF means the exec happened.
 */
#include "namespaces/ns_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci-spec/hull_status.h"
#include "runtime/util.h"

static const struct
{
  const char *name;
  int flag;
} exec_ns[] = {
  { "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS },   { "pid", CLONE_NEWPID },        { "net", CLONE_NEWNET },
  { "ipc", CLONE_NEWIPC },   { "uts", CLONE_NEWUTS },  { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

static int
namespaces_to_join (pid_t pid, hull_err *err)
{
  int flags = 0;
  for (size_t i = 0; i < ARRAY_SIZE (exec_ns); i++)
    {
      char path[64];
      struct stat theirs, ours;
      snprintf (path, sizeof path, "/proc/%d/ns/%s", (int) pid, exec_ns[i].name);
      if (stat (path, &theirs) < 0)
        {
          if (errno == ENOENT && i > 0)
            continue; /* a namespace type this kernel lacks */
          return hull_error (err, errno, "container init %d: %s", (int) pid,
                             errno == ENOENT ? "container not running" : "inspect namespaces");
        }
      snprintf (path, sizeof path, "/proc/self/ns/%s", exec_ns[i].name);
      if (stat (path, &ours) < 0 || theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev)
        flags |= exec_ns[i].flag;
    }
  return flags;
}

static int
enter_cgroup (const char *procs, hull_err *err)
{
  cleanup_close int fd = -1;
  if (procs == NULL)
    return 0;
  fd = open (procs, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return hull_error (err, errno, "open `%s`", procs);
  if (write (fd, "0", 1) != 1)
    return hull_error (err, errno, "join the container's cgroup `%s`", procs);
  return 0;
}

static int
exec_process (const struct ns_exec_opts *o, int sync_fd, int host_proc, int seccomp_sock, hull_err *err)
{
  const struct oci_process *p = o->process;
  const struct oci_seccomp *sc = o->spec && o->spec->linux_ ? o->spec->linux_->seccomp : NULL;
  cleanup_free char *exe = NULL;
  struct seccomp_prog prog = { 0 };
  cleanup_free char *state = NULL;
  char **envp;
  int ret = -1;
  sigset_t all;

  for (int sig = 1; sig < _NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      signal (sig, SIG_DFL);
  sigemptyset (&all);
  sigprocmask (SIG_SETMASK, &all, NULL);

  /* A session of its own, as runc gives every process it starts. */
  if (setsid () < 0)
    return hull_error (err, errno, "setsid");
  if (p->terminal && terminal_open (p, o->console_socket_fd, -1, err) < 0)
    return -1;
  if (p->oom_score_adj.set)
    {
      char buf[32];
      int n = snprintf (buf, sizeof buf, "%lld", (long long) p->oom_score_adj.v);
      if (write_file ("/proc/self/oom_score_adj", buf, n, 0, err) < 0)
        return -1;
    }
  umask (p->user.umask.set ? (mode_t) (p->user.umask.v & 0777) : 022);
  if (process_apply_sched_io (p, err) < 0)
    return -1;
  if (process_apply_rlimits (p, err) < 0 || process_chdir (p->cwd, err) < 0)
    return -1;
  if (process_find_executable (p, &exe, err) < 0)
    return -1;
  envp = process_env_with_home (p);
  if (sc != NULL && seccomp_prepare (sc, &prog, err) < 0)
    return -1;
  if (prog.notify)
    {
      char buf[32];
      ssize_t n = readlinkat (host_proc, "self", buf, sizeof buf - 1);
      struct oci_state st = {
        .oci_version = o->spec->oci_version ? o->spec->oci_version : "1.2.0",
        .id = o->id ? o->id : "",
        .status = "running",
        .bundle = o->bundle ? o->bundle : "",
        .annotations = &o->spec->annotations,
      };
      buf[n > 0 ? n : 0] = '\0';
      st.pid = atoi (buf);
      state = oci_seccomp_notify_state_json (&st, st.pid, sc->listener_metadata);
    }
  close (host_proc);
  /* sync_fd is close-on-exec already: its EOF tells the parent execve
     worked. */
  if (process_close_fds (o->preserve_fds, err) < 0 || lsm_apply (p, err) < 0)
    goto out;
  if (!p->no_new_privileges && seccomp_prog_load (&prog, seccomp_sock, state, err) < 0)
    goto out;
  if (caps_drop_bounding (p->capabilities, err) < 0 || user_apply (&p->user, p->capabilities != NULL, err) < 0
      || caps_apply (p->capabilities, err) < 0)
    goto out;
  if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    {
      hull_error (err, errno, "prctl PR_SET_NO_NEW_PRIVS");
      goto out;
    }
  if (p->no_new_privileges && seccomp_prog_load (&prog, seccomp_sock, state, err) < 0)
    goto out;
  execve (exe, p->args.items, envp);
  hull_error (err, errno, "exec `%s`", exe);
out:
  if (seccomp_sock >= 0)
    close (seccomp_sock);
  seccomp_prog_free (&prog);
  return ret;
}

static _Noreturn void
intermediate (const struct ns_exec_opts *o, int pidfd, int rootfd, int flags, int sync_fd)
{
  const struct oci_seccomp *sc = o->spec && o->spec->linux_ ? o->spec->linux_->seccomp : NULL;
  hull_err err = NULL;
  int host_proc, seccomp_sock = -1;
  int gate[2];
  pid_t pid;

  /* Both live on the host: open them before leaving it. */
  host_proc = open ("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (host_proc < 0)
    {
      hull_error (&err, errno, "open /proc");
      goto fail;
    }
  if (sc != NULL)
    {
      seccomp_sock = seccomp_listener_connect (sc, &err);
      if (seccomp_sock < -1)
        goto fail;
    }
  if (o->process->exec_cpu_affinity != NULL
      && process_set_cpu_affinity (o->process->exec_cpu_affinity->initial, "initial", &err) < 0)
    goto fail;
  if (enter_cgroup (o->cgroup_procs_path, &err) < 0)
    goto fail;
  if (o->process->exec_cpu_affinity != NULL
      && process_set_cpu_affinity (o->process->exec_cpu_affinity->final, "final", &err) < 0)
    goto fail;
  if (flags && setns (pidfd, flags) < 0)
    {
      hull_error (&err, errno, "join the container's namespaces");
      goto fail;
    }
  if (fchdir (rootfd) < 0 || chroot (".") < 0 || chdir ("/") < 0)
    {
      hull_error (&err, errno, "enter the container's root");
      goto fail;
    }
  close (rootfd);
  close (pidfd);
  if (flags & CLONE_NEWUSER)
    {
      if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
        {
          hull_error (&err, errno, "become root in the container's user namespace");
          goto fail;
        }
    }
  /* The process speaks on the sync socket only after its pid went out, or
     the caller would see an error for a pid it never learnt (and never
     reaps: a zombie that blocks the death of the container's pid
     namespace). */
  if (pipe2 (gate, O_CLOEXEC) < 0)
    {
      hull_error (&err, errno, "pipe");
      goto fail;
    }
  pid = (pid_t) syscall (SYS_clone, (unsigned long) CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0)
    {
      hull_error (&err, errno, "clone");
      goto fail;
    }
  if (pid == 0)
    {
      char c;
      close (gate[1]);
      if (read (gate[0], &c, 1) != 0)
        _exit (127);
      close (gate[0]);
      if (exec_process (o, sync_fd, host_proc, seccomp_sock, &err) < 0)
        sync_send_error (sync_fd, err);
      _exit (127);
    }
  close (gate[0]);
  if (sync_send (sync_fd, SYNC_PID, &pid, sizeof pid, &err) < 0)
    {
      kill (pid, SIGKILL);
      goto fail;
    }
  /* EOF on the gate releases the process. */
  _exit (0);
fail:
  sync_send_error (sync_fd, err);
  _exit (1);
}

int
ns_exec (const struct ns_exec_opts *o, pid_t *pidp, hull_err *err)
{
  cleanup_close int pidfd = -1;
  cleanup_close int rootfd = -1;
  cleanup_close int parent_fd = -1;
  cleanup_pid pid_t mid = -1;
  cleanup_pid pid_t pid = -1;
  char path[64];
  int flags, fds[2], status;
  size_t len;
  enum sync_type t;

  if (o->process == NULL || o->process->args.len == 0)
    return hull_error (err, 0, "exec: process.args: must be a non-empty array");
  if (o->process->terminal && o->console_socket_fd < 0)
    return hull_error (err, 0, "exec: process.terminal is true: --console-socket is required");
  if (caps_validate (o->process->capabilities, err) < 0 || lsm_validate (o->process, err) < 0)
    return -1;
  pidfd = (int) syscall (SYS_pidfd_open, o->init_pid, 0);
  if (pidfd < 0)
    return hull_error (err, errno == ESRCH ? 0 : errno, "container init %d: %s", (int) o->init_pid,
                       errno == ESRCH ? "container not running" : "pidfd_open");
  snprintf (path, sizeof path, "/proc/%d/root", (int) o->init_pid);
  rootfd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return hull_error (err, errno, "open the container's root");
  flags = namespaces_to_join (o->init_pid, err);
  if (flags < 0)
    return -1;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
    return hull_error (err, errno, "socketpair");
  parent_fd = fds[0];
  fflush (NULL);
  mid = fork ();
  if (mid < 0)
    {
      close (fds[1]);
      return hull_error (err, errno, "fork");
    }
  if (mid == 0)
    {
      close (parent_fd);
      intermediate (o, pidfd, rootfd, flags, fds[1]);
    }
  close (fds[1]);

  if (sync_recv (parent_fd, &t, &pid, sizeof pid, &len, err) < 0)
    return -1;
  if (t != SYNC_PID || len != sizeof pid || pid <= 0)
    {
      pid = -1;
      return hull_error (err, 0, "exec: expected the process pid");
    }
  while (waitpid (mid, &status, 0) < 0 && errno == EINTR)
    ;
  mid = -1;
  /* EOF: execve closed the socket.  A message: an error before it. */
  if (sync_wait_exec (parent_fd, err) < 0)
    return -1;
  *pidp = pid;
  pid = -1;
  return 0;
}

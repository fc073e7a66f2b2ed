/* Runs one OCI process in the guest: stdio on pipes or a pty, rlimits,
   groups and user, capabilities, no_new_privs, seccomp, cwd, then execve.
   Capabilities go through capset/prctl directly so the init stays a static
   binary without libcap. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "microvm/guest/guest.h"

/* In the child: report why it could not exec over the error pipe, exit 127. */
static void __attribute__ ((noreturn, format (printf, 2, 3)))
child_fail (int errpipe, const char *fmt, ...)
{
  char buf[HULL_PROTO_MAX_TEXT];
  int saved = errno;
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  if (n >= 0 && (size_t) n < sizeof buf - 2)
    snprintf (buf + n, sizeof buf - n, ": %s", strerror (saved));
  if (write (errpipe, buf, strlen (buf)) < 0)
    { /* the parent sees EOF and the 127 status */ }
  _exit (127);
}

static const char *
env_get (char **env, const char *key)
{
  size_t k = strlen (key);
  for (; env && *env; env++)
    if (strncmp (*env, key, k) == 0 && (*env)[k] == '=')
      return *env + k + 1;
  return NULL;
}

/* execvpe() with the process's own PATH (not the init's). */
static void
exec_in_path (const struct hull_process *p, int errpipe)
{
  const char *file = p->args[0];
  if (strchr (file, '/'))
    {
      execve (file, p->args, p->env);
      child_fail (errpipe, "exec `%s`", file);
    }
  const char *path = env_get (p->env, "PATH");
  if (path == NULL)
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  int last = ENOENT;
  while (*path)
    {
      const char *end = strchrnul (path, ':');
      char full[4096];
      int n = snprintf (full, sizeof full, "%.*s/%s", (int) (end - path), path, file);
      if (end > path && n > 0 && (size_t) n < sizeof full)
        {
          execve (full, p->args, p->env);
          if (errno != ENOENT && errno != ENOTDIR)
            last = errno;
        }
      path = *end ? end + 1 : end;
    }
  errno = last;
  child_fail (errpipe, "exec `%s`: not found in $PATH or not executable", file);
}

static bool
is_executable_file (const char *path, int *errnum)
{
  struct stat st;
  if (stat (path, &st) < 0)
    return *errnum = errno, false;
  if (S_ISDIR (st.st_mode))
    return *errnum = EISDIR, false;
  if (access (path, X_OK) < 0)
    return *errnum = errno, false;
  return true;
}

/* The check a container's create makes (namespaces/process.c), with runc's
   words, so a missing executable fails at create here too instead of at
   start.  Runs in the container's root, before READY. */
int
guest_check_executable (const struct hull_process *p, char *why, size_t why_len)
{
  const char *name = p->args ? p->args[0] : NULL;
  int errnum = ENOENT;

  if (name == NULL || *name == '\0')
    return snprintf (why, why_len, "process.args: must be a non-empty array"), -1;
  if (strchr (name, '/'))
    {
      char full[4096];
      int n = snprintf (full, sizeof full, "%s%s%s", name[0] == '/' || ! p->cwd ? "" : p->cwd,
                        name[0] == '/' || ! p->cwd ? "" : "/", name);
      if (n < 0 || (size_t) n >= sizeof full)
        return snprintf (why, why_len, "exec: \"%s\": %s", name, strerror (ENAMETOOLONG)), -1;
      if (! is_executable_file (full, &errnum))
        return snprintf (why, why_len, "exec: \"%s\": %s", name, strerror (errnum)), -1;
      return 0;
    }
  const char *path = env_get (p->env, "PATH");
  if (path == NULL)
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const char *dir = path;;)
    {
      size_t l = strcspn (dir, ":");
      char full[4096];
      int n = snprintf (full, sizeof full, "%.*s/%s", (int) (l ? l : 1), l ? dir : ".", name);
      int e = 0;
      if (n > 0 && (size_t) n < sizeof full && is_executable_file (full, &e))
        return 0;
      if (e == EACCES)
        errnum = EACCES;
      if (dir[l] == '\0')
        break;
      dir += l + 1;
    }
  if (errnum == EACCES)
    return snprintf (why, why_len, "exec: \"%s\": permission denied", name), -1;
  return snprintf (why, why_len, "exec: \"%s\": executable file not found in $PATH", name), -1;
}

/* Needs CAP_SETPCAP, so it runs before the switch to the process's user. */
static void
drop_bounding (const struct hull_process *p, int errpipe)
{
  for (int cap = 0; cap < 64; cap++)
    if (! (p->caps[HULL_CAP_BOUNDING] & (1ull << cap)) && prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
      {
        if (errno == EINVAL)
          break;   /* past the kernel's last capability */
        child_fail (errpipe, "drop capability %d from the bounding set", cap);
      }
}

static void
apply_caps (const struct hull_process *p, int errpipe)
{
  struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[2];

  for (int i = 0; i < 2; i++)
    {
      data[i].effective = (uint32_t) (p->caps[HULL_CAP_EFFECTIVE] >> (32 * i));
      data[i].permitted = (uint32_t) (p->caps[HULL_CAP_PERMITTED] >> (32 * i));
      data[i].inheritable = (uint32_t) (p->caps[HULL_CAP_INHERITABLE] >> (32 * i));
    }
  if (syscall (SYS_capset, &hdr, data) < 0)
    child_fail (errpipe, "capset");
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
    child_fail (errpipe, "clear ambient capabilities");
  for (int cap = 0; cap < 64; cap++)
    if ((p->caps[HULL_CAP_AMBIENT] & (1ull << cap)) && prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      {
        /* As runc: an ambient capability that is not also permitted and
           inheritable is silently not raised. */
        if (errno != EPERM && errno != EINVAL)
          child_fail (errpipe, "raise ambient capability %d", cap);
      }
}

static void
load_seccomp (const struct hull_process *p, int errpipe)
{
  if (p->seccomp_len == 0)
    return;
  struct sock_fprog prog = { (unsigned short) (p->seccomp_len / 8), (struct sock_filter *) p->seccomp };
  if (prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
    child_fail (errpipe, "load the seccomp filter");
}

/* HOME from the container's /etc/passwd when the env has none, as runc
   (and container isolation, namespaces/process.c) do; "/" without an
   entry.  In the child, read while still root: a fresh env or p->env. */
static char **
env_with_home (const struct hull_process *p)
{
  if (env_get (p->env, "HOME"))
    return p->env;
  char *home = NULL, *line = NULL;
  size_t cap = 0, n = 0;
  FILE *f = fopen ("/etc/passwd", "re");
  while (f && ! home && getline (&line, &cap, f) > 0)
    {
      /* name:passwd:uid:gid:gecos:home:shell */
      char *fields[7] = { 0 }, *q = line;
      int k = 0;
      line[strcspn (line, "\n")] = '\0';
      while (k < 7 && q)
        {
          fields[k++] = q;
          q = strchr (q, ':');
          if (q)
            *q++ = '\0';
        }
      if (k >= 6 && fields[2][0] && strtoul (fields[2], NULL, 10) == p->uid && fields[5][0] == '/')
        home = fields[5];
    }
  while (p->env && p->env[n])
    n++;
  char **env = calloc (n + 2, sizeof *env);
  if (env == NULL || asprintf (&env[n], "HOME=%s", home ? home : "/") < 0)
    return p->env;
  memcpy (env, p->env, n * sizeof *env);
  return env;   /* the child execs or exits: nothing to free */
}

static void __attribute__ ((noreturn))
child (const struct hull_process *p, int errpipe, int fds[3], int tty_slave)
{
  struct hull_process with_home = *p;
  with_home.env = env_with_home (p);
  p = &with_home;
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  for (int sig = 1; sig < NSIG; sig++)
    signal (sig, SIG_DFL);
  setsid ();
  if (tty_slave >= 0)
    {
      if (ioctl (tty_slave, TIOCSCTTY, 0) < 0)
        child_fail (errpipe, "set the controlling terminal");
      fds[0] = fds[1] = fds[2] = tty_slave;
    }
  for (int i = 0; i < 3; i++)
    if (dup2 (fds[i], i) < 0)
      child_fail (errpipe, "dup2 stdio");
  if (p->has_oom_score_adj)
    {
      /* Through the container's /proc, when it mounted one. */
      int fd = open ("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
      char v[16];
      int n = snprintf (v, sizeof v, "%d", (int) p->oom_score_adj);
      if (fd >= 0 && write (fd, v, (size_t) n) < 0)
        child_fail (errpipe, "set oom_score_adj");
      if (fd >= 0)
        close (fd);
    }
  for (size_t i = 0; i < p->n_rlimits; i++)
    {
      struct rlimit rl = { p->rlimits[i].soft, p->rlimits[i].hard };
      if (setrlimit ((int) p->rlimits[i].resource, &rl) < 0)
        child_fail (errpipe, "setrlimit %u", p->rlimits[i].resource);
    }
  /* Before the user switch: raising a priority needs privileges. */
  if (p->has_ioprio && syscall (SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, (int) p->ioprio) < 0)
    child_fail (errpipe, "process.ioPriority: ioprio_set");
  if (p->has_sched)
    {
      struct
      {
        uint32_t size, policy;
        uint64_t flags;
        int32_t nice;
        uint32_t priority;
        uint64_t runtime, deadline, period;
      } a = { 48, p->sched.policy, p->sched.flags, p->sched.nice, p->sched.priority,
              p->sched.runtime, p->sched.deadline, p->sched.period };
      if (syscall (SYS_sched_setattr, 0, &a, 0) < 0)
        child_fail (errpipe, "process.scheduler: sched_setattr policy %u", p->sched.policy);
    }
  if (p->has_personality && personality (p->personality) < 0)
    child_fail (errpipe, "personality %#x", p->personality);
  if (p->has_umask)
    umask (p->umask);
  if (p->no_new_privs && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    child_fail (errpipe, "set no_new_privs");
  /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it
     now, while the process still has it (as runc does). */
  if (! p->no_new_privs)
    load_seccomp (p, errpipe);
  if (p->has_caps)
    {
      drop_bounding (p, errpipe);
      if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        child_fail (errpipe, "keep capabilities");
    }
  if (setgroups (p->n_agids, p->agids) < 0)
    child_fail (errpipe, "setgroups");
  if (setresgid (p->gid, p->gid, p->gid) < 0)
    child_fail (errpipe, "setgid %u", p->gid);
  if (setresuid (p->uid, p->uid, p->uid) < 0)
    child_fail (errpipe, "setuid %u", p->uid);
  if (p->has_caps)
    apply_caps (p, errpipe);
  if (chdir (p->cwd ? p->cwd : "/") < 0)
    child_fail (errpipe, "chdir to cwd `%s`", p->cwd ? p->cwd : "/");
  if (p->no_new_privs)
    load_seccomp (p, errpipe);
  exec_in_path (p, errpipe);
  _exit (127);
}

static int
open_pty (int *master, int *slave, const struct hull_process *p)
{
  *master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*master < 0)
    return -1;
  if (grantpt (*master) < 0 || unlockpt (*master) < 0)
    return -1;
  const char *name = ptsname (*master);
  if (name == NULL || (*slave = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
    return -1;
  if (p->console_size.rows || p->console_size.cols)
    {
      struct winsize ws = { .ws_row = p->console_size.rows, .ws_col = p->console_size.cols };
      ioctl (*master, TIOCSWINSZ, &ws);
    }
  return 0;
}

static void
close_all (int *fds, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (fds[i] >= 0)
      {
        close (fds[i]);
        fds[i] = -1;
      }
}

int
guest_spawn (const struct hull_process *p, struct guest_proc *out, char *why, size_t why_len)
{
  int in[2] = { -1, -1 }, o[2] = { -1, -1 }, e[2] = { -1, -1 }, err[2] = { -1, -1 };
  int master = -1, slave = -1;

  out->pid = 0;
  out->in_fd = out->out_fd = out->err_fd = -1;
  out->terminal = p->terminal;
  if (pipe2 (err, O_CLOEXEC) < 0)
    return snprintf (why, why_len, "pipe: %s", strerror (errno)), -1;
  if (p->terminal ? open_pty (&master, &slave, p) < 0
                  : (pipe2 (in, O_CLOEXEC) < 0 || pipe2 (o, O_CLOEXEC) < 0 || pipe2 (e, O_CLOEXEC) < 0))
    {
      snprintf (why, why_len, "%s: %s", p->terminal ? "allocate a pty" : "pipe", strerror (errno));
      int all[] = { in[0], in[1], o[0], o[1], e[0], e[1], err[0], err[1], master, slave };
      close_all (all, 10);
      return -1;
    }
  pid_t pid = fork ();
  if (pid == 0)
    {
      int fds[3] = { in[0], o[1], e[1] };
      close (err[0]);
      child (p, err[1], fds, slave);
    }
  int child_ends[] = { in[0], o[1], e[1], err[1], slave };
  close_all (child_ends, 5);
  if (pid < 0)
    {
      snprintf (why, why_len, "fork: %s", strerror (errno));
      int rest[] = { in[1], o[0], e[0], err[0], master };
      close_all (rest, 5);
      return -1;
    }
  /* The error pipe closes on a successful exec; text means it failed. */
  char buf[HULL_PROTO_MAX_TEXT];
  ssize_t n;
  do
    n = read (err[0], buf, sizeof buf - 1);
  while (n < 0 && errno == EINTR);
  close (err[0]);
  out->pid = pid;
  if (p->terminal)
    {
      out->in_fd = master;
      out->out_fd = dup (master);
      fcntl (out->out_fd, F_SETFD, FD_CLOEXEC);
    }
  else
    {
      out->in_fd = in[1];
      out->out_fd = o[0];
      out->err_fd = e[0];
    }
  fcntl (out->out_fd, F_SETFL, O_NONBLOCK);
  if (out->err_fd >= 0)
    fcntl (out->err_fd, F_SETFL, O_NONBLOCK);
  if (n > 0)
    {
      buf[n] = 0;
      snprintf (why, why_len, "%s", buf);
      return -1;   /* the child is still to be reaped by the caller */
    }
  return 0;
}

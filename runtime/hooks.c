#include "runtime/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/log.h"
#include "runtime/util.h"

static int
wait_hook (const char *kind, const struct oci_hook *hook, pid_t pid, hull_err *err)
{
  int status = 0;

  if (hook->timeout.set)
    {
      cleanup_close int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
      if (pidfd < 0)
        {
          int saved = errno;
          cleanup_pid pid_t owned = pid;
          return hull_error (err, saved, "%s hook `%s`: pidfd_open", kind, hook->path);
        }
      struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
      long long ms = hook->timeout.v * 1000LL;
      int ready;
      do
        ready = poll (&pfd, 1, ms > 0x7fffffff ? 0x7fffffff : (int) ms);
      while (ready < 0 && errno == EINTR);
      if (ready == 0)
        {
          cleanup_pid pid_t owned = pid;
          return hull_error (err, 0, "%s hook `%s` timed out after %llds, killed", kind, hook->path,
                             (long long) hook->timeout.v);
        }
    }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return hull_error (err, errno, "%s hook `%s`: waitpid", kind, hook->path);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  if (WIFSIGNALED (status))
    return hull_error (err, 0, "%s hook `%s` killed by signal %d", kind, hook->path, WTERMSIG (status));
  return hull_error (err, 0, "%s hook `%s` exited with status %d", kind, hook->path, WEXITSTATUS (status));
}

static int
run_hook (const char *kind, const struct oci_hook *hook, const char *state_json, hull_err *err)
{
  static char *const no_env[] = { NULL };
  char *default_args[] = { hook->path, NULL };
  char *const *args = hook->args.len > 0 ? hook->args.items : default_args;
  char *const *env = hook->env.len > 0 ? hook->env.items : no_env;
  struct sigaction ignore = { .sa_handler = SIG_IGN }, old;
  int fds[2];
  pid_t pid;

  if (pipe2 (fds, O_CLOEXEC) < 0)
    return hull_error (err, errno, "%s hook `%s`: pipe", kind, hook->path);
  pid = fork ();
  if (pid < 0)
    {
      int saved = errno;
      close (fds[0]);
      close (fds[1]);
      return hull_error (err, saved, "%s hook `%s`: fork", kind, hook->path);
    }
  if (pid == 0)
    {
      sigset_t all;
      sigemptyset (&all);
      sigprocmask (SIG_SETMASK, &all, NULL);
      if (dup2 (fds[0], 0) < 0)
        _exit (127);
      syscall (SYS_close_range, 3, ~0U, 0);
      execve (hook->path, args, env);
      dprintf (2, "hull: %s hook `%s`: %s\n", kind, hook->path, strerror (errno));
      _exit (127);
    }
  close (fds[0]);
  /* A hook that does not read its stdin must not kill us with SIGPIPE. */
  sigaction (SIGPIPE, &ignore, &old);
  write_all (fds[1], state_json, strlen (state_json));
  sigaction (SIGPIPE, &old, NULL);
  close (fds[1]);
  return wait_hook (kind, hook, pid, err);
}

int
hull_hooks_run (const char *kind, const struct oci_hook_list *hooks, const char *state_json, hull_err *err)
{
  if (hooks == NULL)
    return 0;
  for (size_t i = 0; i < hooks->len; i++)
    {
      hull_log_debug ("running %s hook %zu: %s", kind, i, hooks->items[i].path);
      if (run_hook (kind, &hooks->items[i], state_json, err) < 0)
        return -1;
    }
  return 0;
}

void
hull_hooks_run_warn (const char *kind, const struct oci_hook_list *hooks, const char *state_json)
{
  if (hooks == NULL)
    return;
  for (size_t i = 0; i < hooks->len; i++)
    {
      hull_err err = NULL;
      if (run_hook (kind, &hooks->items[i], state_json, &err) < 0)
        {
          hull_log_warning ("%s", err->msg);
          hull_error_release (&err);
        }
    }
}

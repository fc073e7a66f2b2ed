/* run: create + start, and without --detach stay the container's parent:
   forward signals, proxy a terminal, reap, delete, report the exit status. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/console.h"
#include "runtime/lifecycle.h"
#include "runtime/log.h"
#include "runtime/util.h"

/* Signals that mean something to the caller's process only, or that the
   kernel raises synchronously: never forwarded. */
static bool
forwardable (int sig)
{
  switch (sig)
    {
    case SIGKILL: case SIGSTOP: case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE: case SIGABRT:
    case SIGTRAP: case SIGSYS: case SIGCHLD: case SIGPIPE: case SIGTTIN: case SIGTTOU: case SIGURG:
      return false;
    default:
      return true;
    }
}

static int
exit_code_of (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return 255;
}

static void
resize_terminal (int master)
{
  struct winsize ws;
  if (master >= 0 && isatty (0) && ioctl (0, TIOCGWINSZ, &ws) == 0)
    ioctl (master, TIOCSWINSZ, &ws);
}

/* Reap every child (we are a subreaper); returns true once `init` is. */
static bool
reap (pid_t init, int *status)
{
  bool done = false;
  for (;;)
    {
      int st;
      pid_t p = waitpid (-1, &st, WNOHANG);
      if (p <= 0)
        return done;
      if (p == init)
        {
          *status = st;
          done = true;
        }
    }
}

static int
wait_container (pid_t init, int master, int *status)
{
  sigset_t set;
  sigfillset (&set);

  if (reap (init, status))
    return 0;
  for (;;)
    {
      siginfo_t info;
      int sig = sigwaitinfo (&set, &info);
      if (sig < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      if (sig == SIGCHLD)
        {
          if (reap (init, status))
            return 0;
          continue;
        }
      if (sig == SIGWINCH && master >= 0)
        {
          resize_terminal (master);
          continue;
        }
      if (forwardable (sig))
        kill (init, sig);
    }
}

int
hull_run (const struct hull_context *ctx, const char *id, const struct hull_create_opts *opts, bool detach,
          int *exit_code, hull_err *err)
{
  struct hull_create_extra extra = { .own_terminal = !detach };
  sigset_t all, old;
  int status = 0;
  int ret;

  *exit_code = 0;
  if (!detach && prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    return hull_error (err, errno, "prctl PR_SET_CHILD_SUBREAPER");
  if (hull_create_container (ctx, id, opts, &extra, err) < 0)
    return -1;

  /* Blocked only now: the init must not inherit a blocked mask. */
  sigfillset (&all);
  if (!detach)
    sigprocmask (SIG_BLOCK, &all, &old);
  if (extra.terminal_fd >= 0)
    {
      resize_terminal (extra.terminal_fd);
      if (hull_console_proxy_start (extra.terminal_fd, err) < 0)
        goto fail;
    }
  if (hull_start (ctx, id, err) < 0)
    goto fail;
  if (detach)
    return 0;

  wait_container (extra.pid, extra.terminal_fd, &status);
  hull_console_proxy_stop ();
  if (extra.terminal_fd >= 0)
    close (extra.terminal_fd);
  *exit_code = exit_code_of (status);
  sigprocmask (SIG_SETMASK, &old, NULL);
  ret = hull_delete (ctx, id, true, err);
  /* Someone else deleted it meanwhile (delete --force): nothing left to do. */
  if (ret < 0 && strstr ((*err)->msg, "does not exist") != NULL)
    {
      hull_error_release (err);
      ret = 0;
    }
  return ret;

fail:
  {
    hull_err ignored = NULL;
    if (extra.terminal_fd >= 0)
      close (extra.terminal_fd);
    hull_console_proxy_stop ();
    if (hull_delete (ctx, id, true, &ignored) < 0)
      hull_error_release (&ignored);
    while (waitpid (-1, NULL, WNOHANG) > 0)
      ;
    if (!detach)
      sigprocmask (SIG_SETMASK, &old, NULL);
  }
  return -1;
}

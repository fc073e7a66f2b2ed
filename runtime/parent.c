/* Staying the parent of a container's process: shared by run and exec. */
#include "runtime/parent.h"

#include <errno.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

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

void
hull_parent_resize_terminal (int master)
{
  struct winsize ws;
  if (master >= 0 && isatty (0) && ioctl (0, TIOCGWINSZ, &ws) == 0)
    ioctl (master, TIOCSWINSZ, &ws);
}

/* Reap every child (we are a subreaper); true once `pid` is. */
static bool
reap (pid_t pid, int *status)
{
  bool done = false;
  for (;;)
    {
      int st;
      pid_t p = waitpid (-1, &st, WNOHANG);
      if (p <= 0)
        return done;
      if (p == pid)
        {
          *status = st;
          done = true;
        }
    }
}

void
hull_parent_wait (pid_t pid, int master, int *status)
{
  sigset_t set;
  sigfillset (&set);

  if (reap (pid, status))
    return;
  for (;;)
    {
      siginfo_t info;
      int sig = sigwaitinfo (&set, &info);
      if (sig < 0)
        {
          if (errno == EINTR)
            continue;
          /* Cannot wait for signals: wait for the process alone. */
          while (waitpid (pid, status, 0) < 0 && errno == EINTR)
            ;
          return;
        }
      if (sig == SIGCHLD)
        {
          if (reap (pid, status))
            return;
        }
      else if (sig == SIGWINCH && master >= 0)
        hull_parent_resize_terminal (master);
      else if (forwardable (sig))
        kill (pid, sig);
    }
}

int
hull_parent_exit_code (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return 255;
}

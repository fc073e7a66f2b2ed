/* benchrun: run one command once and print "<wall ns> <peak RSS KiB> <status>".
 *
 *   benchrun [--mntns FILE] [--stderr FILE] [--timeout SEC] -- CMD [ARG...]
 *
 * Wall time is taken around fork/exec/wait only, so the caller's (shell's)
 * own cost is not in it.  Peak RSS is wait4()'s ru_maxrss of the child: the
 * runtime process, or the largest of the descendants it waited for (what
 * `/usr/bin/time -f %M` reports).  --mntns enters a mount namespace first
 * (outside the timed part): bench/run.sh uses it to run crun in a namespace
 * whose /sys/fs/cgroup crun accepts.  Status is the exit code, or 128+signal.
 * stdin and stdout are /dev/null; stderr goes to --stderr FILE or /dev/null.
 * The command runs in its own process group; after --timeout seconds the
 * whole group is killed and the status is 124 (as timeout(1)).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void
die (const char *what)
{
  fprintf (stderr, "benchrun: %s: %s\n", what, strerror (errno));
  exit (125);
}

static pid_t child;

static void
on_alarm (int sig)
{
  (void) sig;
  kill (-child, SIGKILL);
  kill (child, SIGKILL);
}

static long long
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int
main (int argc, char **argv)
{
  const char *mntns = NULL, *errfile = NULL;
  struct rusage ru;
  long long start, end;
  int i, status, null_fd, err_fd, timed_out = 0;
  unsigned timeout = 0;
  struct sigaction sa;
  pid_t pid;

  for (i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--mntns") == 0 && i + 1 < argc)
        mntns = argv[++i];
      else if (strcmp (argv[i], "--stderr") == 0 && i + 1 < argc)
        errfile = argv[++i];
      else if (strcmp (argv[i], "--timeout") == 0 && i + 1 < argc)
        timeout = (unsigned) atoi (argv[++i]);
      else if (strcmp (argv[i], "--") == 0)
        {
          i++;
          break;
        }
      else
        break;
    }
  if (i >= argc)
    {
      fprintf (stderr, "usage: benchrun [--mntns FILE] [--stderr FILE] [--timeout SEC] -- CMD [ARG...]\n");
      return 125;
    }
  if (mntns != NULL)
    {
      int fd = open (mntns, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        die (mntns);
      if (setns (fd, CLONE_NEWNS) < 0)
        die ("setns");
      close (fd);
    }
  null_fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0)
    die ("/dev/null");
  err_fd = errfile ? open (errfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : null_fd;
  if (err_fd < 0)
    die (errfile);

  start = now_ns ();
  pid = fork ();
  if (pid < 0)
    die ("fork");
  if (pid == 0)
    {
      setpgid (0, 0);
      dup2 (null_fd, 0);
      dup2 (null_fd, 1);
      dup2 (err_fd, 2);
      execvp (argv[i], argv + i);
      _exit (127);
    }
  child = pid;
  setpgid (pid, pid);
  if (timeout > 0)
    {
      memset (&sa, 0, sizeof (sa));
      sa.sa_handler = on_alarm;
      sigaction (SIGALRM, &sa, NULL);
      alarm (timeout);
    }
  while (wait4 (pid, &status, 0, &ru) < 0)
    {
      if (errno != EINTR)
        die ("wait4");
      timed_out = 1;
    }
  end = now_ns ();
  alarm (0);

  printf ("%lld %ld %d\n", end - start, ru.ru_maxrss,
          timed_out ? 124 : WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status));
  return 0;
}

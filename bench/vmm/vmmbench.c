/* vmmbench: run one VMM command once with the guest's serial console on a
 * pipe and time what the guest prints.
 *
 *   vmmbench run -- CMD [ARG...]
 *       prints "<first byte us> <ns per exit> <exit us> <status>"
 *       first byte: process start (fork) to the guest's first serial byte,
 *         i.e. VMM set-up + boot + the first guest instructions;
 *       ns per exit: (EXITS-END - EXITS-START) / loops for the test guest's
 *         `exits` scenario (0 when the guest did not print both lines);
 *       exit: process start to the VMM's exit; status: exit code or 128+sig.
 *   vmmbench rss -- CMD [ARG...]
 *       waits for the guest's "IDLE" line, then prints
 *       "<VmRSS> <RssAnon> <RssFile> <RssShmem>" (KiB) of the VMM process
 *       and kills it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
die (const char *what)
{
  fprintf (stderr, "vmmbench: %s: %s\n", what, strerror (errno));
  exit (125);
}

static pid_t
spawn (char **argv, int *out_fd)
{
  int p[2];
  pid_t pid;

  if (pipe2 (p, O_CLOEXEC) < 0)
    die ("pipe");
  pid = fork ();
  if (pid < 0)
    die ("fork");
  if (pid == 0)
    {
      int null = open ("/dev/null", O_RDWR);
      dup2 (null, 0);
      dup2 (p[1], 1);
      dup2 (null, 2);
      execvp (argv[0], argv);
      _exit (127);
    }
  close (p[1]);
  *out_fd = p[0];
  return pid;
}

static long
status_field (pid_t pid, const char *name)
{
  char path[64], line[256];
  size_t n = strlen (name);
  long v = -1;
  FILE *f;

  snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
  f = fopen (path, "r");
  if (f == NULL)
    return -1;
  while (fgets (line, sizeof line, f))
    if (strncmp (line, name, n) == 0 && line[n] == ':')
      v = strtol (line + n + 1, NULL, 10);
  fclose (f);
  return v;
}

int
main (int argc, char **argv)
{
  char buf[4096], line[256];
  size_t line_len = 0;
  long long t0, t_first = 0, t_start = 0, t_end = 0, t_exit;
  long loops = 0;
  int fd, wst, status, rss_mode;
  pid_t pid;
  ssize_t n;

  if (argc < 4 || strcmp (argv[2], "--") != 0 || (strcmp (argv[1], "run") && strcmp (argv[1], "rss")))
    {
      fprintf (stderr, "usage: vmmbench run|rss -- CMD [ARG...]\n");
      return 2;
    }
  rss_mode = strcmp (argv[1], "rss") == 0;
  t0 = now_ns ();
  pid = spawn (argv + 3, &fd);
  while ((n = read (fd, buf, sizeof buf)) != 0)
    {
      long long t = now_ns ();
      ssize_t i;
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          die ("read");
        }
      if (t_first == 0)
        t_first = t;
      for (i = 0; i < n; i++)
        {
          if (buf[i] != '\n')
            {
              if (line_len + 1 < sizeof line)
                line[line_len++] = buf[i];
              continue;
            }
          line[line_len] = '\0';
          line_len = 0;
          if (strcmp (line, "EXITS-START") == 0)
            t_start = t;
          else if (strncmp (line, "EXITS-END ", 10) == 0)
            {
              t_end = t;
              loops = strtol (line + 10, NULL, 10);
            }
          else if (rss_mode && strcmp (line, "IDLE") == 0)
            {
              /* Let the VMM settle (its last writes, the guest's halt). */
              usleep (200000);
              printf ("%ld %ld %ld %ld\n", status_field (pid, "VmRSS"), status_field (pid, "RssAnon"),
                      status_field (pid, "RssFile"), status_field (pid, "RssShmem"));
              kill (pid, SIGKILL);
              waitpid (pid, &wst, 0);
              return 0;
            }
        }
    }
  if (waitpid (pid, &wst, 0) < 0)
    die ("waitpid");
  t_exit = now_ns ();
  status = WIFEXITED (wst) ? WEXITSTATUS (wst) : 128 + WTERMSIG (wst);
  if (rss_mode)
    {
      fprintf (stderr, "vmmbench: the guest never printed IDLE (status %d)\n", status);
      return 1;
    }
  printf ("%lld %lld %lld %d\n", t_first ? (t_first - t0) / 1000 : -1,
          (t_start && t_end && loops > 0) ? (t_end - t_start) / loops : 0, (t_exit - t0) / 1000, status);
  return 0;
}

/* The sealed re-exec (CVE-2019-5736): the test re-executes itself and
   checks, in the copy, that its executable is an immutable memfd. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/rexec.h"
#include "runtime/util.h"
#include "tests/unit/tap.h"

static int
in_copy (void)
{
  hull_err err = NULL;
  char exe[256];
  ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
  int fd;

  exe[n > 0 ? n : 0] = '\0';
  TAP_OK (hull_rexec_is_sealed (), "the copy runs from a sealed memfd (%s)", exe);
  TAP_OK (strncmp (exe, "/memfd:hull", 11) == 0, "/proc/self/exe names the memfd");
  /* Writing through /proc/self/exe, the CVE's attack, is refused. */
  fd = open ("/proc/self/exe", O_WRONLY);
  TAP_OK (fd < 0 || write (fd, "x", 1) < 0, "the executable cannot be written");
  if (fd >= 0)
    close (fd);
  TAP_EQ_INT (hull_rexec_sealed (NULL, &err), 0, "a second re-exec is a no-op");
  TAP_EQ_STR (getenv ("HULL_REXEC_TEST"), "1", "the environment is kept");
  return tap_done ();
}

int
main (int argc, char **argv)
{
  hull_err err = NULL;

  if (argc > 2 && strcmp (argv[1], "copy") == 0)
    {
      tap_n = atoi (argv[2]);   /* continue the numbering of the original */
      return in_copy ();
    }
  TAP_OK (!hull_rexec_is_sealed (), "the test binary itself is not sealed");
  setenv ("HULL_REXEC_TEST", "1", 1);
  {
    char count[16];
    char *args[] = { argv[0], (char *) "copy", count, NULL };
    snprintf (count, sizeof count, "%d", tap_n);
    /* Flush the TAP lines so far: the copy continues the same stream. */
    fflush (stdout);
    hull_rexec_sealed (args, &err);
  }
  TAP_OK (0, "re-exec failed: %s", err ? err->msg : "returned");
  return tap_done ();
}

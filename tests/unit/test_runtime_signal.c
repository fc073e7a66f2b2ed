#include <signal.h>
#include <string.h>

#include "runtime/container.h"
#include "runtime/util.h"
#include "tests/unit/tap.h"

static int
parse (const char *s)
{
  hull_err err = NULL;
  int sig = -1;
  if (hull_signal_parse (s, &sig, &err) < 0)
    {
      hull_error_release (&err);
      return -1;
    }
  return sig;
}

int
main (void)
{
  struct { const char *in; int sig; } cases[] = {
    { "KILL", SIGKILL }, { "SIGKILL", SIGKILL }, { "kill", SIGKILL }, { "sigterm", SIGTERM },
    { "9", SIGKILL }, { "15", SIGTERM }, { "1", SIGHUP }, { "HUP", SIGHUP }, { "SIGUSR1", SIGUSR1 },
    { "USR2", SIGUSR2 }, { "WINCH", SIGWINCH }, { "SIGCHLD", SIGCHLD }, { "STOP", SIGSTOP }, { "CONT", SIGCONT },
    { "RTMIN", SIGRTMIN }, { "SIGRTMIN+3", SIGRTMIN + 3 }, { "RTMAX-1", SIGRTMAX - 1 }, { "64", 64 },
    { "sigusr1", SIGUSR1 }, { "RTMIN+3", SIGRTMIN + 3 }, { "SIGRTMAX-1", SIGRTMAX - 1 },
  };
  const char *bad[] = { "", "0", "65", "-9", "SIG", "NOPE", "SIGKILLX", "SIGFOO", "9x", "RTMIN+99", "RTMAX+1", "1000000" };
  hull_err err = NULL;
  int sig;

  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    TAP_EQ_INT (parse (cases[i].in), cases[i].sig, "signal `%s`", cases[i].in);
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    TAP_EQ_INT (parse (bad[i]), -1, "invalid signal `%s`", bad[i]);
  hull_signal_parse ("FOO", &sig, &err);
  TAP_EQ_STR (err ? err->msg : NULL, "invalid signal `FOO`", "error names the signal");
  hull_error_release (&err);
  return tap_done ();
}

/* Signal names for `kill`: "KILL", "SIGKILL", "kill", "9", "RTMIN+3". */
#include "namespaces/namespaces.h"

#include <ctype.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct
{
  const char *name;
  int sig;
} signals[] = {
  { "HUP", SIGHUP },     { "INT", SIGINT },       { "QUIT", SIGQUIT },   { "ILL", SIGILL },
  { "TRAP", SIGTRAP },   { "ABRT", SIGABRT },     { "IOT", SIGIOT },     { "BUS", SIGBUS },
  { "FPE", SIGFPE },     { "KILL", SIGKILL },     { "USR1", SIGUSR1 },   { "SEGV", SIGSEGV },
  { "USR2", SIGUSR2 },   { "PIPE", SIGPIPE },     { "ALRM", SIGALRM },   { "TERM", SIGTERM },
  { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },   { "CLD", SIGCHLD },    { "CONT", SIGCONT },
  { "STOP", SIGSTOP },   { "TSTP", SIGTSTP },     { "TTIN", SIGTTIN },   { "TTOU", SIGTTOU },
  { "URG", SIGURG },     { "XCPU", SIGXCPU },     { "XFSZ", SIGXFSZ },   { "VTALRM", SIGVTALRM },
  { "PROF", SIGPROF },   { "WINCH", SIGWINCH },   { "IO", SIGIO },       { "POLL", SIGPOLL },
  { "PWR", SIGPWR },     { "SYS", SIGSYS },
};

static int
parse_number (const char *s, int min, int max)
{
  char *end;
  long v;
  if (*s == '\0' || !isdigit ((unsigned char) *s))
    return -1;
  v = strtol (s, &end, 10);
  if (*end != '\0' || v < min || v > max)
    return -1;
  return (int) v;
}

int
ns_signal_parse (const char *name)
{
  if (name == NULL || *name == '\0')
    return -1;
  if (isdigit ((unsigned char) name[0]))
    return parse_number (name, 1, SIGRTMAX);
  if (strncasecmp (name, "SIG", 3) == 0)
    name += 3;
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
    if (strcasecmp (name, signals[i].name) == 0)
      return signals[i].sig;
  if (strncasecmp (name, "RTMIN", 5) == 0)
    {
      int off = 0;
      if (name[5] == '+')
        off = parse_number (name + 6, 0, SIGRTMAX - SIGRTMIN);
      else if (name[5] != '\0')
        return -1;
      return off < 0 ? -1 : SIGRTMIN + off;
    }
  if (strncasecmp (name, "RTMAX", 5) == 0)
    {
      int off = 0;
      if (name[5] == '-')
        off = parse_number (name + 6, 0, SIGRTMAX - SIGRTMIN);
      else if (name[5] != '\0')
        return -1;
      return off < 0 ? -1 : SIGRTMAX - off;
    }
  return -1;
}

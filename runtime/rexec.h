/* CVE-2019-5736: a container process must never be able to open and rewrite
   the hull binary through /proc/<pid>/exe.  Commands that start container
   processes re-execute hull from a sealed memfd copy first (as crun's
   libcrun_rexec and runc's exeseal do): the container then only ever sees
   an immutable anonymous file. */
#ifndef HULL_REXEC_H
#define HULL_REXEC_H

#include "runtime/error.h"

/* Returns 0 when already running from a sealed memfd; otherwise does not
   return on success (execs the copy with the same argv and environment). */
int hull_rexec_sealed (char **argv, hull_err *err);
/* True when /proc/self/exe is a sealed memfd. */
int hull_rexec_is_sealed (void);

#endif

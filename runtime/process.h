/* Facts about host processes the lifecycle relies on. */
#ifndef HULL_PROCESS_H
#define HULL_PROCESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "runtime/error.h"

/* /proc/<pid>/stat: start time (field 22) and state letter (field 3). */
int hull_process_stat (pid_t pid, unsigned long long *start_time, char *state, hull_err *err);
/* Parse the text of a /proc/<pid>/stat file (pure; comm may hold ')' and spaces). */
int hull_process_stat_parse (const char *text, unsigned long long *start_time, char *state);
/* The process exists, is not a zombie, and started at start_time (so the pid
   was not reused by another process). */
bool hull_process_alive (pid_t pid, unsigned long long start_time);

#endif

/* Staying the parent of a container's process (run without --detach, exec
   without --detach): forward signals, follow the terminal's size, reap. */
#ifndef HULL_PARENT_H
#define HULL_PARENT_H

#include <stdbool.h>
#include <sys/types.h>

/* Call with every signal blocked; we are a subreaper.  Returns once `pid`
   is reaped, its wait status in *status.  master: the pty master, or -1. */
void hull_parent_wait (pid_t pid, int master, int *status);
/* Copy our terminal's size to the pty master (-1: nothing to do). */
void hull_parent_resize_terminal (int master);
/* A wait status as a shell reports it: the exit code, or 128+n for a signal. */
int hull_parent_exit_code (int status);

#endif

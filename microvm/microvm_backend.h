/* The microVM isolation backend (microvm/backend_microvm.c), for the
   runtime's backend table (runtime/backend.c). */
#ifndef HULL_MICROVM_BACKEND_H
#define HULL_MICROVM_BACKEND_H

#include "runtime/backend.h"

extern const struct hull_backend hull_backend_microvm;

/* exec in a running microVM container: runs `process` in the guest with
   fds as its stdin, stdout and stderr, forwards the signals read from
   signal_fd (a signalfd, or -1), and returns the process's wait status.
   Blocking: the caller is the proxy process containerd waits on. */
int hull_microvm_exec (struct hull_container *c, const struct oci_process *process, const int fds[3], int signal_fd,
                       int *wait_status, hull_err *err);

#endif

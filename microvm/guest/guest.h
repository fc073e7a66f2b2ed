/* Internals of the static guest init (hull-init): pid 1 of the microVM.
   It mounts the guest's basics, talks to the host over the control port
   (proto.h), switches to the container rootfs and runs the OCI process. */
#ifndef HULL_GUEST_H
#define HULL_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "microvm/guest/proto.h"

/* Logs to the kernel console (ttyS0): the only place a failure before the
   control port is up can be seen. */
void guest_log (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
/* Power the VM off; never returns. */
void guest_poweroff (void) __attribute__ ((noreturn));

/* rootfs.c: /proc, /sys, /dev of the init itself. */
int guest_early_mounts (char *why, size_t why_len);
/* Mounts /dev/vda, the process's mounts, then makes it the root. */
int guest_enter_rootfs (const struct hull_process *cfg, char *why, size_t why_len);

/* net.c: lo, and eth0 as cfg->net says. */
int guest_net_setup (const struct hull_process *cfg, char *why, size_t why_len);

/* spawn.c: a process of the container (id 0) or an exec (id >= 1). */
struct guest_proc
{
  uint32_t id;
  pid_t pid;            /* 0 once reaped */
  int status;           /* wait status once reaped */
  int in_fd;            /* pipe to its stdin, or the pty master; -1 when closed */
  int out_fd, err_fd;   /* pipes from stdout/stderr (out_fd is the pty master with a terminal) */
  bool terminal;
};
/* Forks and execs p; on failure returns -1 with the reason in why (the
   child's own words when exec fails). */
int guest_spawn (const struct hull_process *p, struct guest_proc *out, char *why, size_t why_len);

/* Fails with runc's words when p->args[0] is not an executable file in the
   (already entered) container root, looked up in the process's PATH. */
int guest_check_executable (const struct hull_process *p, char *why, size_t why_len);

/* agent.c: the event loop until the container's process exits. */
int guest_agent_run (int ctl_fd, struct hull_process *cfg);

#endif

/* run: create + start, and without --detach stay the container's parent:
   forward signals, proxy a terminal, reap, delete, report the exit status. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/console.h"
#include "runtime/lifecycle.h"
#include "runtime/log.h"
#include "runtime/parent.h"
#include "runtime/util.h"

int
hull_run (const struct hull_context *ctx, const char *id, const struct hull_create_opts *opts, bool detach,
          int *exit_code, hull_err *err)
{
  struct hull_create_extra extra = { .own_terminal = !detach };
  sigset_t all, old;
  int status = 0;
  int ret;

  *exit_code = 0;
  if (!detach && prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    return hull_error (err, errno, "prctl PR_SET_CHILD_SUBREAPER");
  if (hull_create_container (ctx, id, opts, &extra, err) < 0)
    return -1;

  /* Blocked only now: the init must not inherit a blocked mask. */
  sigfillset (&all);
  if (!detach)
    sigprocmask (SIG_BLOCK, &all, &old);
  if (extra.terminal_fd >= 0)
    {
      hull_parent_resize_terminal (extra.terminal_fd);
      if (hull_console_proxy_start (extra.terminal_fd, err) < 0)
        goto fail;
    }
  if (hull_start (ctx, id, err) < 0)
    goto fail;
  if (detach)
    return 0;

  hull_parent_wait (extra.pid, extra.terminal_fd, &status);
  hull_console_proxy_stop ();
  if (extra.terminal_fd >= 0)
    close (extra.terminal_fd);
  *exit_code = hull_parent_exit_code (status);
  sigprocmask (SIG_SETMASK, &old, NULL);
  ret = hull_delete (ctx, id, true, err);
  /* Someone else deleted it meanwhile (delete --force): nothing left to do. */
  if (ret < 0 && strstr ((*err)->msg, "does not exist") != NULL)
    {
      hull_error_release (err);
      ret = 0;
    }
  return ret;

fail:
  {
    hull_err ignored = NULL;
    if (extra.terminal_fd >= 0)
      close (extra.terminal_fd);
    hull_console_proxy_stop ();
    if (hull_delete (ctx, id, true, &ignored) < 0)
      hull_error_release (&ignored);
    while (waitpid (-1, NULL, WNOHANG) > 0)
      ;
    if (!detach)
      sigprocmask (SIG_SETMASK, &old, NULL);
  }
  return -1;
}

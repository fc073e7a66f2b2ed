/* The container level's exec: ns_exec() from a short-lived helper that
 * first joins the container's cgroups.
 *
 * The process must be in every cgroup of the container before it runs a
 * single instruction of its own (a child it forks at once must not escape
 * the pids or memory limit), and on a v1 or hybrid host that is one
 * cgroup.procs per hierarchy.  So a helper joins them all, then calls
 * ns_exec(), whose intermediate and process inherit the placement.  The
 * process is the helper's child (CLONE_PARENT); when the helper exits it
 * is reparented to us, the caller being a child subreaper, so the pid we
 * report is a child we can wait for. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/exec.h"
#include "runtime/util.h"

/* What the helper sends back: the pid, or an error. */
struct helper_reply
{
  pid_t pid;          /* > 0: the process; 0: an error follows */
  int errnum;
  char msg[1024];
};

static _Noreturn void
helper (struct hull_container *c, const struct hull_exec_request *req, int reply_fd)
{
  struct helper_reply r = { 0 };
  hull_err err = NULL;
  struct ns_exec_opts o = {
    .init_pid = c->st.pid,
    .spec = req->spec,
    .process = req->process,
    .console_socket_fd = req->console_socket_fd,
    .preserve_fds = req->preserve_fds,
    .id = c->st.id,
    .bundle = c->st.bundle,
  };
  pid_t pid;

  if ((c->cgroup == NULL || cgroup_enter (c->cgroup, getpid (), &err) == 0) && ns_exec (&o, &pid, &err) == 0)
    r.pid = pid;
  else
    {
      r.errnum = err->errnum;
      snprintf (r.msg, sizeof r.msg, "%s", err->msg);
    }
  write_all (reply_fd, &r, sizeof r);
  _exit (r.pid > 0 ? 0 : 1);
}

int
hull_backend_container_exec (struct hull_container *c, const struct hull_exec_request *req, pid_t *pidp,
                             hull_err *err)
{
  cleanup_close int rd = -1;
  struct helper_reply r = { 0 };
  int fds[2], status;
  ssize_t n;
  pid_t h;

  if (prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    return hull_error (err, errno, "prctl PR_SET_CHILD_SUBREAPER");
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return hull_error (err, errno, "pipe");
  rd = fds[0];
  fflush (NULL);
  h = fork ();
  if (h < 0)
    {
      close (fds[1]);
      return hull_error (err, errno, "fork");
    }
  if (h == 0)
    {
      close (rd);
      helper (c, req, fds[1]);
    }
  close (fds[1]);
  n = read_all (rd, &r, sizeof r);
  while (waitpid (h, &status, 0) < 0 && errno == EINTR)
    ;
  if (n != (ssize_t) sizeof r)
    return hull_error (err, 0, "exec: the helper died before reporting (status %d)", status);
  if (r.pid <= 0)
    {
      r.msg[sizeof r.msg - 1] = '\0';
      return hull_error_from_wire (err, r.errnum, r.msg);
    }
  /* The helper is reaped: the process is ours now. */
  *pidp = r.pid;
  return 0;
}

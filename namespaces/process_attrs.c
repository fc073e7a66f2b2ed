/* Process attributes set while still privileged: oomScoreAdj, umask. */
#include "namespaces/ns_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/util.h"

static int
set_oom_score_adj (int64_t v, hull_err *err)
{
  char buf[32];
  cleanup_close int fd = -1;
  int n;

  if (v < -1000 || v > 1000)
    return hull_error (err, 0, "process.oomScoreAdj: %lld is out of range [-1000, 1000]", (long long) v);
  fd = open ("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return hull_error (err, errno, "open /proc/self/oom_score_adj");
  n = snprintf (buf, sizeof buf, "%lld", (long long) v);
  if (write (fd, buf, n) != n)
    return hull_error (err, errno, "process.oomScoreAdj: write %lld", (long long) v);
  return 0;
}

int
process_apply_before_user (struct ns_init *in, hull_err *err)
{
  const struct oci_process *p = in->process;

  if (p->oom_score_adj.set && set_oom_score_adj (p->oom_score_adj.v, err) < 0)
    return -1;
  if (p->user.umask.set)
    umask ((mode_t) (p->user.umask.v & 0777));
  else
    umask (022);
  return 0;
}

/* pause/resume: the v1 freezer (freezer.state) or, where the v1 freezer is
   not mounted, cgroup2's cgroup.freeze.  Freezing is asynchronous in both:
   poll until the kernel reports the state. */
#include "cgroups/internal.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "runtime/util.h"

/* 10 s in all, short sleeps first so the common case is quick. */
#define FREEZE_POLLS 1000

static void
pause_for (int attempt)
{
  struct timespec ts = { 0, attempt < 100 ? 1000000L : 10000000L };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

static bool
starts_with (const char *text, const char *word)
{
  return strncmp (text, word, strlen (word)) == 0;
}

static int
freeze_v1 (const char *dir, bool frozen, hull_err *err)
{
  const char *want = frozen ? "FROZEN" : "THAWED";

  for (int attempt = 0; attempt < FREEZE_POLLS; attempt++)
    {
      cleanup_free char *state = NULL;
      /* Writing again helps a freeze that raced with a fork. */
      if (attempt % 50 == 0 && cg_write (dir, "freezer.state", want, err) < 0)
        return -1;
      if (cg_read (dir, "freezer.state", &state, err) < 0)
        return -1;
      if (starts_with (state, want))
        return 0;
      pause_for (attempt);
    }
  if (frozen)
    {
      hull_err ignored = NULL;
      if (cg_write (dir, "freezer.state", "THAWED", &ignored) < 0)
        hull_error_release (&ignored);
    }
  return hull_error (err, EBUSY, "cgroup: `%s/freezer.state` did not become %s", dir, want);
}

static int
freeze_v2 (const char *dir, bool frozen, hull_err *err)
{
  if (cg_write (dir, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
    return -1;
  for (int attempt = 0; attempt < FREEZE_POLLS; attempt++)
    {
      uint64_t v;
      if (!cg_read_keyed (dir, "cgroup.events", "frozen", &v))
        return hull_error (err, ENOENT, "cgroup: no `frozen` in `%s/cgroup.events`", dir);
      if ((v == 1) == frozen)
        return 0;
      pause_for (attempt);
    }
  if (frozen)
    {
      hull_err ignored = NULL;
      if (cg_write (dir, "cgroup.freeze", "0", &ignored) < 0)
        hull_error_release (&ignored);
    }
  return hull_error (err, EBUSY, "cgroup: `%s` did not become %s", dir, frozen ? "frozen" : "thawed");
}

int
cgroup_freeze (struct hull_cgroup *cg, bool frozen, hull_err *err)
{
  const struct cg_dir *d = cg_dir_for (cg, "freezer");

  if (d != NULL && !d->h->v2)
    return freeze_v1 (d->abs, frozen, err);
  d = cg_dir_unified (cg);
  if (d != NULL)
    return freeze_v2 (d->abs, frozen, err);
  return hull_error (err, ENOTSUP, "cgroup: no freezer: the v1 freezer is not mounted and there is no cgroup2");
}

int
cgroup_is_frozen (struct hull_cgroup *cg, bool *frozen, hull_err *err)
{
  const struct cg_dir *d = cg_dir_for (cg, "freezer");
  cleanup_free char *state = NULL;

  if (d != NULL && !d->h->v2)
    {
      if (cg_read (d->abs, "freezer.state", &state, err) < 0)
        return -1;
      *frozen = starts_with (state, "FROZEN");
      return 0;
    }
  d = cg_dir_unified (cg);
  if (d == NULL)
    return hull_error (err, ENOTSUP, "cgroup: no freezer: the v1 freezer is not mounted and there is no cgroup2");
  if (cg_read (d->abs, "cgroup.freeze", &state, err) < 0)
    return -1;
  *frozen = state[0] == '1';
  return 0;
}

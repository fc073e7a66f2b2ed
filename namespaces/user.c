/* process.user: supplementary groups, gid, uid.  Capabilities survive the
   switch to a non-root uid through PR_SET_KEEPCAPS; caps_apply() then sets
   exactly the requested sets. */
#include "namespaces/ns_internal.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "runtime/util.h"

static bool
setgroups_allowed (void)
{
  char buf[16] = "";
  FILE *f = fopen ("/proc/self/setgroups", "re");
  if (f == NULL)
    return true;
  if (fgets (buf, sizeof buf, f) == NULL)
    buf[0] = '\0';
  fclose (f);
  return strncmp (buf, "deny", 4) != 0;
}

int
user_apply (const struct oci_user *u, bool keep_caps, hull_err *err)
{
  if (keep_caps && prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return hull_error (err, errno, "prctl PR_SET_KEEPCAPS");

  if (setgroups_allowed ())
    {
      gid_t *groups = (gid_t *) u->additional_gids;
      if (setgroups (u->additional_gids_len, u->additional_gids_len ? groups : NULL) < 0)
        return hull_error (err, errno, "setgroups");
    }
  else if (u->additional_gids_len > 0)
    return hull_error (err, EPERM, "process.user.additionalGids: setgroups is denied in this user namespace");

  if (setresgid (u->gid, u->gid, u->gid) < 0)
    return hull_error (err, errno, "setgid %u", (unsigned) u->gid);
  if (setresuid (u->uid, u->uid, u->uid) < 0)
    return hull_error (err, errno, "setuid %u", (unsigned) u->uid);

  if (keep_caps && prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return hull_error (err, errno, "prctl PR_SET_KEEPCAPS");
  return 0;
}

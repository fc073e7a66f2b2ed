/* process.capabilities, all five sets, with libcap.
 *
 * A name libcap does not know ("CAP_TEST") fails create, as crun does and as
 * the runtime-spec requires ("Any value which cannot be mapped to a relevant
 * kernel interface MUST cause an error").  A known capability that the
 * runtime itself does not hold (not in our bounding set, e.g.
 * CAP_SYS_RESOURCE on hosts that drop it) cannot be granted by anybody: it
 * is left out of every set, like runc does for capabilities unavailable to
 * it, instead of failing capset() with EPERM.  The container never gets more
 * than was asked for.
 *
 * Without a "capabilities" object nothing is changed (runc): the process
 * keeps what the runtime has, minus what a switch to a non-root uid drops.
 */
#include "namespaces/ns_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "runtime/util.h"

int
cap_from_name_checked (const char *name, hull_err *err)
{
  cap_value_t v;
  /* libcap also accepts numbers and lower case; the spec wants "CAP_X". */
  if (name == NULL || strncmp (name, "CAP_", 4) != 0 || cap_from_name (name, &v) < 0)
    return hull_error (err, 0, "unknown capability %s", name ? name : "(null)");
  return (int) v;
}

static int
set_validate (const struct oci_strv *set, const char *which, hull_err *err)
{
  for (size_t i = 0; i < set->len; i++)
    if (cap_from_name_checked (set->items[i], err) < 0)
      return hull_error_wrap (err, "process.capabilities.%s", which);
  return 0;
}

int
caps_validate (const struct oci_capabilities *c, hull_err *err)
{
  if (c == NULL)
    return 0;
  if (set_validate (&c->bounding, "bounding", err) < 0 || set_validate (&c->effective, "effective", err) < 0
      || set_validate (&c->inheritable, "inheritable", err) < 0
      || set_validate (&c->permitted, "permitted", err) < 0 || set_validate (&c->ambient, "ambient", err) < 0)
    return -1;
  return 0;
}

static bool
in_set (const struct oci_strv *set, cap_value_t cap)
{
  for (size_t i = 0; i < set->len; i++)
    {
      cap_value_t v;
      if (cap_from_name (set->items[i], &v) == 0 && v == cap)
        return true;
    }
  return false;
}

/* Whether we hold `cap` to hand on: only our permitted set can be
   passed to capset(). */
static bool
available (cap_t current, cap_value_t cap)
{
  cap_flag_value_t v = CAP_CLEAR;
  return current != NULL && cap_get_flag (current, cap, CAP_PERMITTED, &v) == 0 && v == CAP_SET;
}

int
caps_drop_bounding (const struct oci_capabilities *c, hull_err *err)
{
  cap_value_t last = cap_max_bits () - 1;

  if (c == NULL)
    return 0;
  for (cap_value_t cap = 0; cap <= last; cap++)
    {
      if (in_set (&c->bounding, cap))
        continue;
      if (prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
        return hull_error (err, errno, "drop capability %d from the bounding set", (int) cap);
    }
  return 0;
}

int
caps_apply (const struct oci_capabilities *c, hull_err *err)
{
  cap_value_t last = cap_max_bits () - 1;
  cap_t caps;
  int ret = 0;

  if (c == NULL)
    return 0;
  caps = cap_init ();
  if (caps == NULL)
    return hull_error (err, errno, "cap_init");
  cap_t current = cap_get_proc ();
  for (cap_value_t cap = 0; cap <= last; cap++)
    {
      if (!available (current, cap))
        continue;
      if (in_set (&c->effective, cap))
        cap_set_flag (caps, CAP_EFFECTIVE, 1, &cap, CAP_SET);
      if (in_set (&c->permitted, cap))
        cap_set_flag (caps, CAP_PERMITTED, 1, &cap, CAP_SET);
      if (in_set (&c->inheritable, cap))
        cap_set_flag (caps, CAP_INHERITABLE, 1, &cap, CAP_SET);
    }
  if (cap_set_proc (caps) < 0)
    ret = hull_error (err, errno, "apply capabilities");
  cap_free (caps);
  cap_free (current);
  if (ret < 0)
    return ret;

  if (CAP_AMBIENT_SUPPORTED () && cap_reset_ambient () < 0)
    return hull_error (err, errno, "reset ambient capabilities");
  for (cap_value_t cap = 0; cap <= last; cap++)
    {
      if (!in_set (&c->ambient, cap))
        continue;
      /* Ambient needs the capability in both permitted and inheritable;
         the kernel refuses others (EPERM), which runc ignores too. */
      if (cap_set_ambient (cap, CAP_SET) < 0 && errno != EPERM)
        return hull_error (err, errno, "raise ambient capability %s", cap_to_name (cap));
    }
  return 0;
}

#include "namespaces/ns_internal.h"

int
seccomp_validate (const struct oci_spec *spec, hull_err *err)
{
  if (spec->linux_ != NULL && spec->linux_->seccomp != NULL)
    return hull_error (err, 0, "linux.seccomp: not supported yet");
  return 0;
}

int
seccomp_apply (const struct oci_spec *spec, const char *state_json, hull_err *err)
{
  return seccomp_validate (spec, err);
}

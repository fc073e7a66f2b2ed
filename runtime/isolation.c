/* Which isolation level a new container gets (see runtime/backend.h). */
#include <string.h>

#include "runtime/backend.h"

static bool
isolation_known (const char *name)
{
  return strcmp (name, HULL_ISOLATION_CONTAINER) == 0 || strcmp (name, HULL_ISOLATION_MICROVM) == 0;
}

int
hull_isolation_select (const struct oci_spec *spec, const char *flag, bool argv0_vm, const char **isolation,
                       hull_err *err)
{
  const char *forced = NULL;
  const char *annotation = spec != NULL ? oci_annotation (spec, HULL_ISOLATION_ANNOTATION) : NULL;
  const char *kind = spec != NULL ? oci_annotation (spec, "io.kubernetes.cri.container-type") : NULL;

  if (flag != NULL && !isolation_known (flag))
    return hull_error (err, 0, "invalid --isolation `%s`: use container or microvm", flag);
  if (annotation != NULL && !isolation_known (annotation))
    return hull_error (err, 0, "invalid annotation %s=`%s`: use container or microvm", HULL_ISOLATION_ANNOTATION,
                       annotation);
  if (argv0_vm)
    {
      if (flag != NULL && strcmp (flag, HULL_ISOLATION_MICROVM) != 0)
        return hull_error (err, 0, "--isolation %s contradicts running as hull-vm", flag);
      forced = HULL_ISOLATION_MICROVM;
    }
  else
    forced = flag;

  /* The pod's sandbox (pause) container holds namespaces only: keep it a
     container whatever the pod asks for. */
  if (kind != NULL && strcmp (kind, "sandbox") == 0)
    {
      *isolation = HULL_ISOLATION_CONTAINER;
      return 0;
    }
  if (forced != NULL && annotation != NULL && strcmp (forced, annotation) != 0)
    return hull_error (err, 0, "annotation %s=%s contradicts the requested isolation %s", HULL_ISOLATION_ANNOTATION,
                       annotation, forced);
  *isolation = forced != NULL ? forced : annotation != NULL ? annotation : HULL_ISOLATION_CONTAINER;
  return 0;
}

static bool
vmm_known (const char *name)
{
  return strcmp (name, "qemu") == 0 || strcmp (name, "builtin") == 0;
}

int
hull_vmm_select (const struct oci_spec *spec, const char *flag, const char **vmm, hull_err *err)
{
  const char *annotation = spec != NULL ? oci_annotation (spec, HULL_VMM_ANNOTATION) : NULL;

  if (flag != NULL && !vmm_known (flag))
    return hull_error (err, 0, "invalid --vmm `%s`: use qemu or builtin", flag);
  if (annotation != NULL && !vmm_known (annotation))
    return hull_error (err, 0, "invalid annotation %s=`%s`: use qemu or builtin", HULL_VMM_ANNOTATION, annotation);
  if (flag != NULL && annotation != NULL && strcmp (flag, annotation) != 0)
    return hull_error (err, 0, "annotation %s=%s contradicts --vmm %s", HULL_VMM_ANNOTATION, annotation, flag);
  *vmm = flag != NULL ? flag : annotation;
  return 0;
}

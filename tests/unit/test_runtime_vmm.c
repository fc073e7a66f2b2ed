/* The microVM's VMM choice: --vmm against the annotation io.hull.vmm. */
#include <stdio.h>
#include <string.h>

#include "oci-spec/oci_spec.h"
#include "runtime/backend.h"
#include "tests/unit/spec_with.h"
#include "tests/unit/tap.h"

static const char *
select_vmm (const struct oci_spec *s, const char *flag, char *msg, size_t len)
{
  hull_err err = NULL;
  const char *vmm = "unset";
  if (hull_vmm_select (s, flag, &vmm, &err) < 0)
    {
      snprintf (msg, len, "%s", err->msg);
      hull_error_release (&err);
      return "error";
    }
  return vmm ? vmm : "default";
}

int
main (void)
{
  struct oci_spec *none = spec_with ("");
  struct oci_spec *qemu = spec_with ("\"io.hull.vmm\":\"qemu\"");
  struct oci_spec *builtin = spec_with ("\"io.hull.vmm\":\"builtin\"");
  struct oci_spec *bogus = spec_with ("\"io.hull.vmm\":\"firecracker\"");
  char msg[256] = "";

  TAP_OK (none && qemu && builtin && bogus, "test specs parse");
  TAP_EQ_STR (select_vmm (none, NULL, msg, sizeof msg), "default", "neither: the level's default");
  TAP_EQ_STR (select_vmm (none, "qemu", msg, sizeof msg), "qemu", "--vmm qemu");
  TAP_EQ_STR (select_vmm (none, "builtin", msg, sizeof msg), "builtin", "--vmm builtin");
  TAP_EQ_STR (select_vmm (qemu, NULL, msg, sizeof msg), "qemu", "the annotation alone");
  TAP_EQ_STR (select_vmm (qemu, "qemu", msg, sizeof msg), "qemu", "flag and annotation agree");
  TAP_EQ_STR (select_vmm (builtin, "qemu", msg, sizeof msg), "error", "flag contradicts annotation");
  TAP_EQ_STR (msg, "annotation io.hull.vmm=builtin contradicts --vmm qemu", "the contradiction says both");
  TAP_EQ_STR (select_vmm (none, "kvm", msg, sizeof msg), "error", "unknown --vmm");
  TAP_EQ_STR (msg, "invalid --vmm `kvm`: use qemu or builtin", "names the flag");
  TAP_EQ_STR (select_vmm (bogus, NULL, msg, sizeof msg), "error", "unknown annotation value");
  TAP_OK (strstr (msg, "io.hull.vmm=`firecracker`") != NULL, "names the annotation: %s", msg);
  TAP_EQ_STR (select_vmm (NULL, "qemu", msg, sizeof msg), "qemu", "no spec (commands after create)");
  oci_spec_free (none);
  oci_spec_free (qemu);
  oci_spec_free (builtin);
  oci_spec_free (bogus);
  return tap_done ();
}

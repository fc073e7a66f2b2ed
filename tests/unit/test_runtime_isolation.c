#include <string.h>

#include "oci-spec/oci_spec.h"
#include "runtime/backend.h"
#include "tests/unit/spec_with.h"
#include "tests/unit/tap.h"

static const char *
select_iso (const struct oci_spec *s, const char *flag, bool vm, char *msg, size_t len)
{
  hull_err err = NULL;
  const char *iso = NULL;
  if (hull_isolation_select (s, flag, vm, &iso, &err) < 0)
    {
      snprintf (msg, len, "%s", err->msg);
      hull_error_release (&err);
      return "error";
    }
  return iso;
}

int
main (void)
{
  struct oci_spec *none = spec_with ("");
  struct oci_spec *vm = spec_with ("\"io.hull.isolation\":\"microvm\"");
  struct oci_spec *ct = spec_with ("\"io.hull.isolation\":\"container\"");
  struct oci_spec *bogus = spec_with ("\"io.hull.isolation\":\"lxc\"");
  struct oci_spec *pause = spec_with ("\"io.hull.isolation\":\"microvm\",\"io.kubernetes.cri.container-type\":\"sandbox\"");
  char msg[256] = "";

  TAP_OK (none && vm && ct && bogus && pause, "test specs parse");
  TAP_EQ_STR (select_iso (none, NULL, false, msg, sizeof msg), "container", "default is container");
  TAP_EQ_STR (select_iso (vm, NULL, false, msg, sizeof msg), "microvm", "annotation selects microvm");
  TAP_EQ_STR (select_iso (none, "microvm", false, msg, sizeof msg), "microvm", "--isolation selects microvm");
  TAP_EQ_STR (select_iso (none, NULL, true, msg, sizeof msg), "microvm", "hull-vm selects microvm");
  TAP_EQ_STR (select_iso (vm, "microvm", false, msg, sizeof msg), "microvm", "flag and annotation agree");
  TAP_EQ_STR (select_iso (ct, "microvm", false, msg, sizeof msg), "error", "flag contradicts annotation");
  TAP_OK (strstr (msg, "contradicts") != NULL, "contradiction message: %s", msg);
  TAP_EQ_STR (select_iso (ct, NULL, true, msg, sizeof msg), "error", "hull-vm contradicts a container annotation");
  TAP_EQ_STR (select_iso (none, "container", true, msg, sizeof msg), "error", "hull-vm contradicts --isolation container");
  TAP_EQ_STR (select_iso (bogus, NULL, false, msg, sizeof msg), "error", "unknown annotation value");
  TAP_OK (strstr (msg, "io.hull.isolation") != NULL, "message names the annotation: %s", msg);
  TAP_EQ_STR (select_iso (none, "kvm", false, msg, sizeof msg), "error", "unknown --isolation value");
  TAP_EQ_STR (select_iso (pause, NULL, false, msg, sizeof msg), "container", "a sandbox stays a container");
  TAP_EQ_STR (select_iso (pause, "microvm", true, msg, sizeof msg), "container", "even under hull-vm");
  oci_spec_free (none);
  oci_spec_free (vm);
  oci_spec_free (ct);
  oci_spec_free (bogus);
  oci_spec_free (pause);
  return tap_done ();
}

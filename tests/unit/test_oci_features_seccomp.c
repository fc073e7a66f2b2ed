/* The features document promises seccomp actions, architectures and flags:
   namespaces/ must accept each one it lists. */
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "namespaces/ns_internal.h"
#include "oci-spec/oci_spec.h"
#include "tests/unit/tap.h"

static yajl_val
list (yajl_val tree, const char *key)
{
  const char *path[] = { "linux", "seccomp", key, NULL };
  return yajl_tree_get (tree, path, yajl_t_array);
}

int
main (void)
{
  char errbuf[128];
  char *json = oci_features_json ();
  yajl_val tree = yajl_tree_parse (json, errbuf, sizeof (errbuf));
  yajl_val actions = list (tree, "actions"), archs = list (tree, "archs");
  yajl_val known = list (tree, "knownFlags"), supported = list (tree, "supportedFlags");
  size_t i;

  TAP_OK (actions && archs && known && supported, "features lists seccomp actions, archs and flags");
  for (i = 0; actions && i < actions->u.array.len; i++)
    {
      const char *name = YAJL_GET_STRING (actions->u.array.values[i]);
      uint32_t a;
      hull_err err = NULL;
      TAP_OK (name && seccomp_action_from_name (name, 1, &a, &err) == 0, "action %s is applied", name);
      hull_error_release (&err);
    }
  for (i = 0; archs && i < archs->u.array.len; i++)
    {
      const char *name = YAJL_GET_STRING (archs->u.array.values[i]);
      uint32_t a;
      hull_err err = NULL;
      TAP_OK (name && seccomp_arch_from_name (name, &a, &err) == 0, "architecture %s is known", name);
      hull_error_release (&err);
    }
  for (i = 0; supported && i < supported->u.array.len; i++)
    {
      const char *name = YAJL_GET_STRING (supported->u.array.values[i]);
      unsigned long f;
      hull_err err = NULL;
      TAP_OK (name && seccomp_flag_from_name (name, &f, &err) == 0, "flag %s is applied", name);
      hull_error_release (&err);
    }
  TAP_OK (known && supported && known->u.array.len >= supported->u.array.len, "supportedFlags is within knownFlags");
  yajl_tree_free (tree);
  free (json);
  return tap_done ();
}

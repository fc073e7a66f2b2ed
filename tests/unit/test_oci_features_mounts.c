/* The features document promises mount options: each one it lists must be
   one namespaces/ applies itself (a flag, a propagation, a recursive
   attribute or tmpcopyup), never one passed through to the filesystem as
   data, where the kernel would reject it. */
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "namespaces/ns_internal.h"
#include "oci-spec/oci_spec.h"
#include "tests/unit/tap.h"

int
main (void)
{
  static const char *path[] = { "mountOptions", NULL };
  char errbuf[128];
  char *json = oci_features_json ();
  yajl_val tree = yajl_tree_parse (json, errbuf, sizeof (errbuf));
  yajl_val opts = yajl_tree_get (tree, path, yajl_t_array);
  size_t i;

  TAP_OK (opts != NULL && opts->u.array.len > 40, "features lists mount options");
  for (i = 0; opts != NULL && i < opts->u.array.len; i++)
    {
      char *name = YAJL_GET_STRING (opts->u.array.values[i]);
      char *items[] = { name, NULL };
      struct oci_strv one = { items, 1 };
      struct mount_opts mo;
      hull_err err = NULL;
      int ret = mount_opts_parse (&one, &mo, &err);

      TAP_OK (ret == 0 && mo.data == NULL, "mount option \"%s\" is applied by hull", name ? name : "(not a string)");
      if (ret == 0)
        mount_opts_free (&mo);
      hull_error_release (&err);
    }
  yajl_tree_free (tree);
  free (json);
  return tap_done ();
}

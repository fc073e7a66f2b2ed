/* linux.resources back to JSON: what `update` stores as the container's
   current resources (the config's, with every update merged in). */
#ifndef HULL_OCI_RESOURCES_JSON_H
#define HULL_OCI_RESOURCES_JSON_H

#include "oci-spec/oci_spec.h"

/* One object in runtime-spec spelling; absent fields are left out, so the
   text parses back with oci_resources_parse() to the same values. */
char *oci_resources_json (const struct oci_resources *r);

#endif

/* A minimal valid config.json with the given annotations (the text inside
   the braces, e.g. "\"io.hull.vmm\":\"qemu\""), parsed; NULL (with the
   reason on stdout as a TAP comment) if it does not parse. */
#ifndef HULL_TESTS_SPEC_WITH_H
#define HULL_TESTS_SPEC_WITH_H

#include <stdio.h>
#include <string.h>

#include "oci-spec/oci_spec.h"

static inline struct oci_spec *
spec_with (const char *annotations)
{
  char json[1024];
  hull_err err = NULL;
  struct oci_spec *s;
  snprintf (json, sizeof json,
            "{\"ociVersion\":\"1.2.0\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0}},"
            "\"root\":{\"path\":\"rootfs\"},\"annotations\":{%s}}",
            annotations);
  s = oci_spec_parse (json, strlen (json), &err);
  if (s == NULL)
    printf ("# parse: %s\n", err->msg);
  hull_error_release (&err);
  return s;
}

#endif

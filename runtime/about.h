/* What `spec`, `features` and `--version` need from the system. */
#ifndef HULL_ABOUT_H
#define HULL_ABOUT_H

#include <stdbool.h>

#include "runtime/error.h"

/* Writes <bundle>/config.json (the default spec); refuses to overwrite. */
int hull_spec_write (const char *bundle, bool rootless, hull_err *err);
/* "2.5.4": the libseccomp hull runs with (malloc'd). */
char *hull_libseccomp_version (void);

#endif

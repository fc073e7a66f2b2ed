/* Internal to namespaces/: a parsed /proc/self/mountinfo. */
#ifndef HULL_NS_MOUNTINFO_H
#define HULL_NS_MOUNTINFO_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "runtime/error.h"

struct mountinfo_entry
{
  char *root, *mount_point, *options, *optional, *fstype, *source, *super_options;
};

struct mountinfo
{
  struct mountinfo_entry *entries;
  char **lines;
  size_t len;
};

/* Splits `line` in place.  Returns -1 on a malformed line. */
int mountinfo_parse_line (char *line, struct mountinfo_entry *e);
int mountinfo_read (struct mountinfo *mi, hull_err *err);
void mountinfo_free (struct mountinfo *mi);
/* The mount `path` (absolute, canonical) lives on: the topmost one. */
const struct mountinfo_entry *mountinfo_find_mount_of (const struct mountinfo *mi, const char *path);

#endif

/* Removing a test's cgroup directory with every child cgroup under it,
   deepest first (a cgroup directory goes only with rmdir, once it is empty
   of children and processes).  Best effort: for clean-up at exit. */
#ifndef HULL_TESTS_CGROUP_TREE_H
#define HULL_TESTS_CGROUP_TREE_H

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include "runtime/util.h"

static inline void
rm_tree (const char *dir)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  if (d == NULL)
    return;
  while ((de = readdir (d)) != NULL)
    if (de->d_type == DT_DIR && de->d_name[0] != '.')
      {
        char *sub = xasprintf ("%s/%s", dir, de->d_name);
        rm_tree (sub);
        free (sub);
      }
  closedir (d);
  rmdir (dir);
}

#endif

/* The entries of a directory, dot entries aside: /proc/self/fd and
   /proc/self/task counted before and after a run show a leaked fd or
   thread.  -1 if it cannot be opened. */
#ifndef HULL_TESTS_COUNT_DIR_H
#define HULL_TESTS_COUNT_DIR_H

#include <dirent.h>

static inline int
count_dir (const char *path)
{
  DIR *d = opendir (path);
  struct dirent *e;
  int n = 0;

  if (d == NULL)
    return -1;
  while ((e = readdir (d)))
    if (e->d_name[0] != '.')
      n++;
  closedir (d);
  return n;
}

#endif

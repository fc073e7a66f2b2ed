/* Reading and writing cgroup control files.  Writes are one write(2) of
   the whole value, as the kernel parses each write separately. */
#include "cgroups/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/util.h"

int
cg_write (const char *dir, const char *file, const char *value, hull_err *err)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  size_t len = strlen (value);
  ssize_t r;

  if (fd < 0)
    return hull_error (err, errno, "cgroup: open `%s`", path);
  do
    r = write (fd, value, len);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return hull_error (err, errno, "cgroup: write `%s` to `%s`", value, path);
  return 0;
}

char *
cg_vformat (const char *file, hull_err *err, const char *fmt, va_list ap)
{
  char *value = NULL;

  if (vasprintf (&value, fmt, ap) < 0)
    {
      hull_error (err, ENOMEM, "cgroup: format value for `%s`", file);
      return NULL;
    }
  return value;
}

int
cg_writef (const char *dir, const char *file, hull_err *err, const char *fmt, ...)
{
  cleanup_free char *value = NULL;
  va_list ap;

  va_start (ap, fmt);
  value = cg_vformat (file, err, fmt, ap);
  va_end (ap);
  return value == NULL ? -1 : cg_write (dir, file, value, err);
}

int
cg_read (const char *dir, const char *file, char **out, hull_err *err)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  if (read_file (path, out, NULL, err) < 0)
    return hull_error_wrap (err, "cgroup");
  return 0;
}

int
cg_read_u64 (const char *dir, const char *file, uint64_t *out, hull_err *err)
{
  cleanup_free char *text = NULL;
  char *end;

  if (cg_read (dir, file, &text, err) < 0)
    return -1;
  if (strncmp (text, "max", 3) == 0)
    {
      *out = UINT64_MAX;
      return 0;
    }
  errno = 0;
  *out = strtoull (text, &end, 10);
  if (errno != 0 || end == text)
    return hull_error (err, EINVAL, "cgroup: `%s/%s` does not hold a number", dir, file);
  return 0;
}

bool
cg_read_keyed (const char *dir, const char *file, const char *key, uint64_t *out)
{
  cleanup_free char *text = NULL;
  hull_err err = NULL;
  size_t klen = strlen (key);

  if (cg_read (dir, file, &text, &err) < 0)
    {
      hull_error_release (&err);
      return false;
    }
  for (char *line = text; line && *line;)
    {
      char *eol = strchr (line, '\n');
      if (strncmp (line, key, klen) == 0 && line[klen] == ' ')
        {
          *out = strtoull (line + klen + 1, NULL, 10);
          return true;
        }
      line = eol ? eol + 1 : NULL;
    }
  return false;
}

bool
cg_file_exists (const char *dir, const char *file)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  return access (path, F_OK) == 0;
}

static void
add_pid (pid_t **pids, size_t *n, size_t *cap, pid_t pid)
{
  for (size_t i = 0; i < *n; i++)
    if ((*pids)[i] == pid)
      return;
  if (*n == *cap)
    {
      *cap = *cap ? *cap * 2 : 16;
      *pids = xrealloc (*pids, *cap * sizeof **pids);
    }
  (*pids)[(*n)++] = pid;
}

int
cg_collect_pids (const char *dir, pid_t **pids, size_t *n, size_t *cap, hull_err *err)
{
  cleanup_free char *text = NULL;
  DIR *d;
  struct dirent *de;

  if (cg_read (dir, "cgroup.procs", &text, err) < 0)
    return -1;
  for (char *p = text; *p;)
    {
      char *end;
      long v = strtol (p, &end, 10);
      if (end == p)
        break;
      if (v > 0)
        add_pid (pids, n, cap, (pid_t) v);
      p = end;
      while (*p == '\n')
        p++;
    }
  d = opendir (dir);
  if (d == NULL)
    return hull_error (err, errno, "cgroup: opendir `%s`", dir);
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *sub = NULL;
      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      sub = xasprintf ("%s/%s", dir, de->d_name);
      if (cg_collect_pids (sub, pids, n, cap, err) < 0)
        {
          /* a sub-cgroup removed meanwhile is not an error */
          if ((*err)->errnum != ENOENT)
            {
              closedir (d);
              return -1;
            }
          hull_error_release (err);
        }
    }
  closedir (d);
  return 0;
}

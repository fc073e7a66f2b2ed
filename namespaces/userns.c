/* User namespace id maps (written by the parent, which holds the
   privileges in the outer namespace) and time namespace offsets. */
#include "namespaces/ns_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/util.h"

char *
userns_format_map (const struct oci_id_mapping *m, size_t n)
{
  char *out = xstrdup ("");
  for (size_t i = 0; i < n; i++)
    {
      char *next = xasprintf ("%s%u %u %u\n", out, m[i].container_id, m[i].host_id, m[i].size);
      free (out);
      out = next;
    }
  return out;
}

static int
write_proc (pid_t pid, const char *file, const char *data, hull_err *err)
{
  cleanup_free char *path = xasprintf ("/proc/%d/%s", (int) pid, file);
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  size_t len = strlen (data);

  if (fd < 0)
    return hull_error (err, errno, "open `%s`", path);
  /* The id maps must be written with a single write(2). */
  if (write (fd, data, len) != (ssize_t) len)
    return hull_error (err, errno, "write `%s`", path);
  return 0;
}

int
userns_write_maps (pid_t pid, const struct oci_linux *l, hull_err *err)
{
  cleanup_free char *uids = NULL, *gids = NULL;

  if (l->uid_mappings_len == 0 || l->gid_mappings_len == 0)
    return hull_error (err, 0, "linux.uidMappings and linux.gidMappings are required with a new user namespace");
  uids = userns_format_map (l->uid_mappings, l->uid_mappings_len);
  gids = userns_format_map (l->gid_mappings, l->gid_mappings_len);
  if (write_proc (pid, "uid_map", uids, err) < 0)
    return hull_error_wrap (err, "linux.uidMappings");
  if (write_proc (pid, "gid_map", gids, err) < 0)
    {
      /* Without CAP_SETGID outside, gid_map needs setgroups denied first. */
      hull_err e2 = NULL;
      if ((*err)->errnum != EPERM || write_proc (pid, "setgroups", "deny", &e2) < 0)
        {
          hull_error_release (&e2);
          return hull_error_wrap (err, "linux.gidMappings");
        }
      hull_error_release (err);
      if (write_proc (pid, "gid_map", gids, err) < 0)
        return hull_error_wrap (err, "linux.gidMappings");
    }
  return 0;
}

int
timens_write_offsets (const struct oci_linux *l, hull_err *err)
{
  cleanup_free char *data = NULL;
  cleanup_close int fd = -1;

  if (l == NULL || (!l->has_time_monotonic && !l->has_time_boottime))
    return 0;
  data = xasprintf ("%s%s", "", "");
  if (l->has_time_monotonic)
    {
      char *n = xasprintf ("%s%d %lld %u\n", data, CLOCK_MONOTONIC, (long long) l->time_monotonic.secs,
                           l->time_monotonic.nanosecs);
      free (data);
      data = n;
    }
  if (l->has_time_boottime)
    {
      char *n = xasprintf ("%s%d %lld %u\n", data, CLOCK_BOOTTIME, (long long) l->time_boottime.secs,
                           l->time_boottime.nanosecs);
      free (data);
      data = n;
    }
  fd = open ("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return hull_error (err, errno, "open /proc/self/timens_offsets");
  if (write (fd, data, strlen (data)) != (ssize_t) strlen (data))
    return hull_error (err, errno, "linux.timeOffsets: write /proc/self/timens_offsets");
  return 0;
}

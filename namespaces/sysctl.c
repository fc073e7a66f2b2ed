/* linux.sysctl, written under /proc/sys of the container.  Validated like
   runc: a key must belong to a namespace the container owns, or it would
   change the host. */
#include "namespaces/ns_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "runtime/util.h"

static const char *const ipc_keys[] = {
  "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax",
  "kernel.shmmni", "kernel.shm_rmid_forced",
};

int
sysctl_validate (const char *key, bool has_netns, bool has_ipcns, bool has_utsns, hull_err *err)
{
  if (key == NULL || *key == '\0' || strstr (key, "..") != NULL || key[0] == '.' || key[0] == '/')
    return hull_error (err, 0, "sysctl `%s`: invalid name", key ? key : "");
  for (size_t i = 0; i < ARRAY_SIZE (ipc_keys); i++)
    if (strcmp (key, ipc_keys[i]) == 0)
      {
        if (!has_ipcns)
          return hull_error (err, 0, "sysctl `%s` is not allowed as it conflicts with the OCI `ipc` namespace", key);
        return 0;
      }
  if (strncmp (key, "fs.mqueue.", 10) == 0)
    {
      if (!has_ipcns)
        return hull_error (err, 0, "sysctl `%s` is not allowed as it conflicts with the OCI `ipc` namespace", key);
      return 0;
    }
  if (strncmp (key, "net.", 4) == 0)
    {
      if (!has_netns)
        return hull_error (err, 0, "sysctl `%s` is not allowed in the host network namespace", key);
      return 0;
    }
  if (strcmp (key, "kernel.hostname") == 0 || strcmp (key, "kernel.domainname") == 0)
    {
      if (!has_utsns)
        return hull_error (err, 0, "sysctl `%s` is not allowed as it conflicts with the OCI `uts` namespace", key);
      return 0;
    }
  return hull_error (err, 0, "sysctl `%s` is not in a separate kernel namespace", key);
}

int
sysctl_apply (struct ns_init *in, hull_err *err)
{
  const struct oci_linux *l = in->spec->linux_;
  cleanup_close int dir = -1;

  if (l == NULL || l->sysctl.len == 0)
    return 0;
  for (size_t i = 0; i < l->sysctl.len; i++)
    if (sysctl_validate (l->sysctl.items[i].key, in->has_netns, in->has_ipcns, in->has_utsns, err) < 0)
      return -1;
  dir = open ("/proc/sys", O_DIRECTORY | O_PATH | O_CLOEXEC);
  if (dir < 0)
    return hull_error (err, errno, "open /proc/sys (is /proc mounted in the container?)");
  for (size_t i = 0; i < l->sysctl.len; i++)
    {
      const struct oci_kv *kv = &l->sysctl.items[i];
      cleanup_free char *rel = xstrdup (kv->key);
      cleanup_close int fd = -1;
      for (char *p = rel; *p; p++)
        if (*p == '.')
          *p = '/';
      fd = openat (dir, rel, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        return hull_error (err, errno, "sysctl `%s`", kv->key);
      if (write_all (fd, kv->value, strlen (kv->value)) < 0)
        return hull_error (err, errno, "sysctl `%s` = `%s`", kv->key, kv->value);
    }
  return 0;
}

/* The VM monitor (and so the VMM, its child) lives in the container's
 * namespaces as a container's init does: the ones config.json names by
 * path are joined, the others are new.  The guest has its own kernel, so
 * what these buy is the VMM's jail: in a pid namespace of its own the VMM
 * cannot signal or see host processes (it runs as uid 0 without
 * capabilities, and kill(2) needs none against the same uid), and
 * hostname, SysV IPC and the cgroup tree are the container's.
 *
 * Mount namespaces are the jail's own (jail.c).  The user namespace is not
 * entered (the VMM needs host devices and files, and no capability inside
 * one), but where config.json maps the container's root to host ids the
 * jailed VMM runs as them, as the container's processes would. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "microvm/microvm.h"
#include "namespaces/namespaces.h"
#include "runtime/util.h"

int
microvm_ns_enter (const struct oci_spec *spec, enum oci_namespace_type type, bool *joined, hull_err *err)
{
  const struct oci_namespace *ns = oci_find_namespace (spec, type);

  *joined = false;
  if (ns == NULL)
    return 0;
  /* Mount namespaces are the jail's; user and time ones are not entered. */
  if (type == OCI_NS_MOUNT || type == OCI_NS_USER || type == OCI_NS_TIME)
    return hull_error (err, EINVAL, "microvm: no %s namespace for the VM monitor", oci_namespace_name (type));
  if (ns->path == NULL)
    {
      if (unshare (ns_clone_flag (type)) < 0)
        return hull_error (err, errno, "unshare the %s namespace", oci_namespace_name (type));
      return 0;
    }
  cleanup_close int fd = ns_open_path (type, ns->path, err);
  if (fd < 0)
    return -1;
  if (setns (fd, ns_clone_flag (type)) < 0)
    return hull_error (err, errno, "join the %s namespace `%s`", oci_namespace_name (type), ns->path);
  *joined = true;
  return 0;
}

int
microvm_pidns_for_next_child (const struct oci_spec *spec, int *restore_fd, hull_err *err)
{
  bool joined;

  *restore_fd = -1;
  if (oci_find_namespace (spec, OCI_NS_PID) == NULL)
    return 0;
  /* The pid namespace a setns/unshare sets is for children only; the
     caller's own stays, and is where it returns after the fork. */
  *restore_fd = open ("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
  if (*restore_fd < 0)
    return hull_error (err, errno, "open /proc/self/ns/pid");
  if (microvm_ns_enter (spec, OCI_NS_PID, &joined, err) < 0)
    {
      close (*restore_fd);
      *restore_fd = -1;
      return -1;
    }
  return 0;
}

int
microvm_pidns_restore (int restore_fd, hull_err *err)
{
  if (restore_fd < 0)
    return 0;
  int ret = setns (restore_fd, CLONE_NEWPID);
  int e = errno;
  close (restore_fd);
  if (ret < 0)
    return hull_error (err, e, "return to the runtime's pid namespace");
  return 0;
}

static bool
host_id_of_root (const struct oci_id_mapping *m, size_t n, uint32_t *out)
{
  for (size_t i = 0; i < n; i++)
    if (m[i].container_id == 0 && m[i].size > 0)
      {
        *out = m[i].host_id;
        return true;
      }
  return false;
}

void
microvm_vmm_ids (const struct oci_spec *spec, struct microvm_ids *ids)
{
  const struct oci_namespace *ns = oci_find_namespace (spec, OCI_NS_USER);
  const struct oci_linux *l = spec->linux_;
  uint32_t uid, gid;

  *ids = (struct microvm_ids) { .set = false };
  if (ns == NULL || ns->path != NULL || l == NULL
      || ! host_id_of_root (l->uid_mappings, l->uid_mappings_len, &uid)
      || ! host_id_of_root (l->gid_mappings, l->gid_mappings_len, &gid))
    return;
  *ids = (struct microvm_ids) { .set = true, .uid = uid, .gid = gid };
}

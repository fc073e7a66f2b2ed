/* The eight namespace types: clone flags, /proc names, and the check that
   a namespace path given in the spec is of the type it claims. */
#include "namespaces/ns_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "runtime/util.h"

static const struct
{
  enum oci_namespace_type type;
  int flag;
  const char *proc; /* /proc/PID/ns/<proc> */
} ns_table[] = {
  { OCI_NS_PID, CLONE_NEWPID, "pid" },    { OCI_NS_NETWORK, CLONE_NEWNET, "net" },
  { OCI_NS_MOUNT, CLONE_NEWNS, "mnt" },   { OCI_NS_IPC, CLONE_NEWIPC, "ipc" },
  { OCI_NS_UTS, CLONE_NEWUTS, "uts" },    { OCI_NS_USER, CLONE_NEWUSER, "user" },
  { OCI_NS_CGROUP, CLONE_NEWCGROUP, "cgroup" }, { OCI_NS_TIME, CLONE_NEWTIME, "time" },
};

int
ns_clone_flag (enum oci_namespace_type type)
{
  for (size_t i = 0; i < ARRAY_SIZE (ns_table); i++)
    if (ns_table[i].type == type)
      return ns_table[i].flag;
  return 0;
}

const char *
ns_proc_name (enum oci_namespace_type type)
{
  for (size_t i = 0; i < ARRAY_SIZE (ns_table); i++)
    if (ns_table[i].type == type)
      return ns_table[i].proc;
  return "?";
}

int
ns_open_path (enum oci_namespace_type type, const char *path, hull_err *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  int kind;

  if (fd < 0)
    return hull_error (err, errno, "open %s namespace path `%s`", oci_namespace_name (type), path);
  kind = ioctl (fd, NS_GET_NSTYPE);
  if (kind < 0)
    return hull_error (err, errno == ENOTTY ? 0 : errno, "namespace path `%s` is not a namespace", path);
  if (kind != ns_clone_flag (type))
    return hull_error (err, 0, "namespace path `%s` is not a %s namespace", path, oci_namespace_name (type));
  return steal_fd (&fd);
}

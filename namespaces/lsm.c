/* process.apparmorProfile and process.selinuxLabel.  A profile asked for
   on a host without AppArmor fails create (crun does; the spec wants an
   error for what cannot be applied).  An SELinux label on a host without
   SELinux is ignored, as runc and crun do.  Both are applied for the next
   execve through /proc/self/attr. */
#include "namespaces/ns_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runtime/util.h"

static bool
apparmor_enabled (void)
{
  char c = 'N';
  int fd = open ("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  if (read (fd, &c, 1) != 1)
    c = 'N';
  close (fd);
  return c == 'Y';
}

static bool
selinux_enabled (void)
{
  return access ("/sys/fs/selinux/enforce", F_OK) == 0;
}

int
lsm_validate (const struct oci_process *p, hull_err *err)
{
  if (p->apparmor_profile != NULL && *p->apparmor_profile != '\0' && !apparmor_enabled ())
    return hull_error (err, 0, "process.apparmorProfile `%s`: AppArmor is not enabled on this host",
                       p->apparmor_profile);
  return 0;
}

static int
write_attr (const char *primary, const char *fallback, const char *data, hull_err *err)
{
  cleanup_close int fd = open (primary, O_WRONLY | O_CLOEXEC);
  size_t len = strlen (data);

  if (fd < 0 && fallback != NULL)
    fd = open (fallback, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return hull_error (err, errno, "open `%s`", primary);
  if (write (fd, data, len) != (ssize_t) len)
    return hull_error (err, errno, "write `%s`", primary);
  return 0;
}

int
lsm_apply (const struct oci_process *p, hull_err *err)
{
  if (p->apparmor_profile != NULL && *p->apparmor_profile != '\0')
    {
      cleanup_free char *cmd = xasprintf ("exec %s", p->apparmor_profile);
      if (write_attr ("/proc/self/attr/apparmor/exec", "/proc/self/attr/exec", cmd, err) < 0)
        return hull_error_wrap (err, "process.apparmorProfile");
    }
  if (p->selinux_label != NULL && *p->selinux_label != '\0' && selinux_enabled ()
      && write_attr ("/proc/self/attr/exec", NULL, p->selinux_label, err) < 0)
    return hull_error_wrap (err, "process.selinuxLabel");
  return 0;
}

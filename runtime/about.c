#include "runtime/about.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci-spec/oci_spec.h"
#include "runtime/util.h"

int
hull_spec_write (const char *bundle, bool rootless, hull_err *err)
{
  cleanup_free char *path = xasprintf ("%s/config.json", bundle != NULL ? bundle : ".");
  cleanup_free char *json = oci_spec_default_json (rootless);
  cleanup_close int fd = -1;

  if (json == NULL)
    return hull_error (err, 0, "cannot generate the default spec");
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      if (errno == EEXIST)
        return hull_error (err, 0, "`%s` exists: remove it first", path);
      return hull_error (err, errno, "create `%s`", path);
    }
  if (write_all (fd, json, strlen (json)) < 0 || write_all (fd, "\n", 1) < 0)
    {
      int saved = errno;
      unlink (path);
      return hull_error (err, saved, "write `%s`", path);
    }
  return 0;
}

char *
hull_libseccomp_version (void)
{
  const struct scmp_version *v = seccomp_version ();
  if (v == NULL)
    return xstrdup ("unknown");
  return xasprintf ("%u.%u.%u", v->major, v->minor, v->micro);
}

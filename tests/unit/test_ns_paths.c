/* paths.c: lookups and creations below a rootfs never leave it, whatever
   symlinks the image holds. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "namespaces/ns_internal.h"
#include "runtime/util.h"
#include "tests/unit/tap.h"

static char root[] = "/tmp/hull-ns-paths.XXXXXX";
static char outside[] = "/tmp/hull-ns-outside.XXXXXX";

/* Where an fd really points, relative to root ("" if outside). */
static const char *
where (int fd)
{
  static char buf[PATH_MAX];
  char p[64];
  ssize_t n;
  size_t rl = strlen (root);

  snprintf (p, sizeof p, "/proc/self/fd/%d", fd);
  n = readlink (p, buf, sizeof buf - 1);
  if (n < 0)
    return "(error)";
  buf[n] = '\0';
  if (strncmp (buf, root, rl) != 0)
    return "(outside)";
  return buf[rl] ? buf + rl : "/";
}

static void
check_in_root (int rootfd, const char *path, enum in_root_create mode, const char *expect, const char *what)
{
  hull_err err = NULL;
  int fd = open_in_root (rootfd, path, mode, mode == IN_ROOT_MKFILE ? 0644 : 0755, &err);
  TAP_OK (fd >= 0, "%s: opens", what);
  if (err)
    printf ("# %s\n", err->msg);
  hull_error_release (&err);
  TAP_EQ_STR (fd >= 0 ? where (fd) : "(failed)", expect, "%s: resolves inside the root", what);
  if (fd >= 0)
    close (fd);
}

int
main (void)
{
  char cmd[256];
  hull_err err = NULL;
  int rootfd, fd;
  const char *base;

  if (mkdtemp (root) == NULL || mkdtemp (outside) == NULL)
    return 1;
  rootfd = open (root, O_PATH | O_DIRECTORY);
  mkdirat (rootfd, "etc", 0755);
  if (symlinkat ("/", rootfd, "abs-root") < 0 || symlinkat ("../../../../..", rootfd, "up") < 0
      || symlinkat (outside, rootfd, "out") < 0 || symlinkat ("/etc", rootfd, "etclink") < 0
      || symlinkat ("/nonexistent/dir", rootfd, "dangling") < 0)
    return 1;

  check_in_root (rootfd, "/etc", IN_ROOT_NO_CREATE, "/etc", "existing directory");
  check_in_root (rootfd, "/abs-root/etc", IN_ROOT_NO_CREATE, "/etc", "absolute symlink to / is the rootfs");
  check_in_root (rootfd, "/up/etc", IN_ROOT_NO_CREATE, "/etc", "relative symlink climbing out stops at the root");
  check_in_root (rootfd, "/../../etc", IN_ROOT_NO_CREATE, "/etc", "dot-dot above the root stays at the root");
  check_in_root (rootfd, "/etclink/new/sub", IN_ROOT_MKDIR, "/etc/new/sub", "mkdir through a symlink");
  {
    char expect[PATH_MAX];
    snprintf (expect, sizeof expect, "%s/x/y", outside);
    check_in_root (rootfd, "/out/x/y", IN_ROOT_MKDIR, expect, "mkdir through a symlink to a host directory");
    snprintf (cmd, sizeof cmd, "[ -z \"$(ls -A %s)\" ]", outside);
    TAP_OK (system (cmd) == 0, "the host directory stayed empty");
  }
  check_in_root (rootfd, "/up/file", IN_ROOT_MKFILE, "/file", "file created through a climbing symlink");
  check_in_root (rootfd, "/dangling/x", IN_ROOT_MKDIR, "/nonexistent/dir/x", "dangling absolute symlink target created inside");

  if (symlinkat ("loop2", rootfd, "loop1") < 0 || symlinkat ("/loop1", rootfd, "loop2") < 0)
    return 1;
  fd = open_in_root (rootfd, "/loop1/x", IN_ROOT_MKDIR, 0755, &err);
  TAP_OK (fd < 0 && err != NULL, "a symlink loop is an error, not a hang");
  hull_error_release (&err);

  fd = open_parent_in_root (rootfd, "/abs-root/dev/null", &base, &err);
  TAP_OK (fd >= 0 && strcmp (where (fd), "/dev") == 0 && strcmp (base, "null") == 0,
          "parent of a device path, created inside the root");
  if (fd >= 0)
    close (fd);
  hull_error_release (&err);
  TAP_EQ_INT (open_parent_in_root (rootfd, "/etc/..", &base, &err), -1, "a path ending in .. has no parent to create in");
  hull_error_release (&err);
  fd = open_in_root (rootfd, "/missing/thing", IN_ROOT_NO_CREATE, 0, &err);
  TAP_OK (fd < 0 && err && err->errnum == ENOENT, "missing path without create: ENOENT");
  hull_error_release (&err);

  snprintf (cmd, sizeof cmd, "rm -rf %s %s", root, outside);
  if (system (cmd) != 0)
    return 1;
  close (rootfd);
  return tap_done ();
}

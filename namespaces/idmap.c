/* "idmap" and "ridmap" bind mounts: the mount shows file owners through a
   user namespace that carries the mount's uidMappings/gidMappings (or, by
   default, the container's).  Idmapping a mount needs CAP_SYS_ADMIN where
   the filesystem was mounted, so the parent does it (as runc does): it
   makes the user namespace with a short-lived child, clones the source
   tree detached (open_tree), idmaps it, and hands the tree fd to the init,
   which only attaches it at the target (move_mount). */
#include "namespaces/ns_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/util.h"

static int
write_map (pid_t pid, const char *file, const struct oci_id_mapping *m, size_t n, hull_err *err)
{
  cleanup_free char *path = xasprintf ("/proc/%d/%s", (int) pid, file);
  cleanup_free char *text = userns_format_map (m, n);
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write (fd, text, strlen (text)) != (ssize_t) strlen (text))
    return hull_error (err, errno, "write `%s`", path);
  return 0;
}

static int
userns_with_maps (const struct oci_id_mapping *u, size_t nu, const struct oci_id_mapping *g, size_t ng,
                  hull_err *err)
{
  int ready[2], hold[2];
  cleanup_pid pid_t pid = -1;
  char c;
  int fd = -1;

  if (pipe2 (ready, O_CLOEXEC) < 0)
    return hull_error (err, errno, "pipe");
  if (pipe2 (hold, O_CLOEXEC) < 0)
    {
      close (ready[0]);
      close (ready[1]);
      return hull_error (err, errno, "pipe");
    }
  pid = fork ();
  if (pid == 0)
    {
      /* Lives in the new namespace until the parent has its fd. */
      close (ready[0]);
      close (hold[1]);
      if (unshare (CLONE_NEWUSER) < 0)
        _exit (1);
      if (write (ready[1], "u", 1) != 1)
        _exit (1);
      while (read (hold[0], &c, 1) > 0)
        ;
      _exit (0);
    }
  close (ready[1]);
  close (hold[0]);
  if (pid < 0)
    hull_error (err, errno, "fork");
  else if (read (ready[0], &c, 1) != 1)
    hull_error (err, 0, "idmap mount: could not create a user namespace");
  else if (write_map (pid, "uid_map", u, nu, err) == 0 && write_map (pid, "gid_map", g, ng, err) == 0)
    {
      cleanup_free char *path = xasprintf ("/proc/%d/ns/user", (int) pid);
      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        hull_error (err, errno, "open `%s`", path);
    }
  close (ready[0]);
  close (hold[1]);
  return fd;
}

static int
idmapped_tree (const char *source, int userns_fd, bool recursive_tree, bool recursive_idmap, hull_err *err)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns_fd };
  cleanup_close int tree = open_tree (AT_FDCWD, source,
                                      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive_tree ? AT_RECURSIVE : 0));

  if (tree < 0)
    return hull_error (err, errno, "open_tree `%s`", source);
  if (mount_setattr (tree, "", AT_EMPTY_PATH | (recursive_idmap ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0)
    return hull_error (err, errno, "idmap `%s`", source);
  return steal_fd (&tree);
}

int
idmap_prepare (const struct oci_spec *spec, const char *bundle, int **fds, hull_err *err)
{
  const struct oci_linux *l = spec->linux_;

  *fds = NULL;
  for (size_t i = 0; i < spec->mounts_len; i++)
    {
      const struct oci_mount *m = &spec->mounts[i];
      struct mount_opts o;
      const struct oci_id_mapping *u = m->uid_mappings, *g = m->gid_mappings;
      size_t nu = m->uid_mappings_len, ng = m->gid_mappings_len;

      if (mount_opts_parse (&m->options, &o, err) < 0)
        return hull_error_wrap (err, "mount `%s`", m->destination ? m->destination : "");
      mount_opts_free (&o);
      if (!o.idmap)
        continue;
      if (!(o.flags & MS_BIND) && (m->type == NULL || strcmp (m->type, "bind") != 0))
        {
          idmap_release (spec, fds);
          return hull_error (err, 0, "mount `%s`: idmap is only supported on bind mounts", m->destination);
        }
      if (nu == 0 && ng == 0 && l != NULL)
        {
          u = l->uid_mappings, nu = l->uid_mappings_len;
          g = l->gid_mappings, ng = l->gid_mappings_len;
        }
      if (nu == 0 || ng == 0)
        {
          idmap_release (spec, fds);
          return hull_error (err, 0, "mount `%s`: idmap needs uidMappings and gidMappings", m->destination);
        }
      if (*fds == NULL)
        {
          *fds = xcalloc (spec->mounts_len, sizeof **fds);
          for (size_t j = 0; j < spec->mounts_len; j++)
            (*fds)[j] = -1;
        }
      {
        cleanup_close int userns = userns_with_maps (u, nu, g, ng, err);
        cleanup_free char *src = NULL;
        if (userns >= 0 && m->source != NULL)
          {
            src = m->source[0] == '/' ? xstrdup (m->source) : xasprintf ("%s/%s", bundle, m->source);
            (*fds)[i] = idmapped_tree (src, userns, o.flags & MS_REC, o.ridmap, err);
          }
        else if (userns >= 0)
          hull_error (err, 0, "bind mount without a source");
        if ((*fds)[i] < 0)
          {
            idmap_release (spec, fds);
            return hull_error_wrap (err, "mount `%s`", m->destination);
          }
      }
    }
  return 0;
}

void
idmap_release (const struct oci_spec *spec, int **fds)
{
  if (*fds == NULL)
    return;
  for (size_t i = 0; i < spec->mounts_len; i++)
    if ((*fds)[i] >= 0)
      close ((*fds)[i]);
  free (*fds);
  *fds = NULL;
}

int
idmap_mount (int tree, int target, const char *what, hull_err *err)
{
  if (move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return hull_error (err, errno, "attach the idmapped `%s`", what);
  return 0;
}

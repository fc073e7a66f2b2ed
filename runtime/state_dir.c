#include "runtime/state_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/id.h"
#include "runtime/util.h"

static struct hull_state_dir *
state_dir_new (const char *root, const char *id)
{
  struct hull_state_dir *sd = xcalloc (1, sizeof *sd);
  sd->root = xstrdup (root);
  sd->id = xstrdup (id);
  sd->path = xasprintf ("%s/%s", root, id);
  sd->dirfd = -1;
  sd->lockfd = -1;
  return sd;
}

void
hull_state_dir_free (struct hull_state_dir *sd)
{
  if (sd == NULL)
    return;
  if (sd->lockfd >= 0)
    close (sd->lockfd);
  if (sd->dirfd >= 0)
    close (sd->dirfd);
  free (sd->root);
  free (sd->id);
  free (sd->path);
  free (sd);
}

void
hull_state_dir_freep (struct hull_state_dir **sd)
{
  hull_state_dir_free (*sd);
}

static int
take_lock (struct hull_state_dir *sd, enum hull_lock lock, bool create, hull_err *err)
{
  struct flock fl = { .l_type = lock == HULL_LOCK_EXCLUSIVE ? F_WRLCK : F_RDLCK, .l_whence = SEEK_SET };

  if (lock == HULL_LOCK_NONE)
    return 0;
  sd->lockfd = openat (sd->dirfd, HULL_LOCK_FILE, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
  if (sd->lockfd < 0)
    {
      if (errno == ENOENT)
        return hull_error (err, 0, "container %s does not exist", sd->id);
      return hull_error (err, errno, "open the lock of container %s", sd->id);
    }
  while (fcntl (sd->lockfd, F_SETLKW, &fl) < 0)
    if (errno != EINTR)
      return hull_error (err, errno, "lock container %s", sd->id);
  return 0;
}

/* Remove every entry of a flat directory. */
static void
empty_dir (int dirfd)
{
  int fd = dup (dirfd);
  DIR *d;
  struct dirent *de;

  if (fd < 0)
    return;
  d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return;
    }
  rewinddir (d);
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (unlinkat (dirfd, de->d_name, 0) < 0 && errno == EISDIR)
        unlinkat (dirfd, de->d_name, AT_REMOVEDIR);
    }
  closedir (d);
}

int
hull_state_dir_create (const char *root, const char *id, const struct hull_status *first,
                       struct hull_state_dir **out, hull_err *err)
{
  cleanup_free char *tmp = NULL;
  struct hull_state_dir *sd;
  int ret;

  if (hull_id_validate (id, err) < 0)
    return -1;
  if (mkdir_p (root, 0700, err) < 0)
    return -1;

  /* '~' is not valid in an id, so list never sees the temporary name. */
  tmp = xasprintf ("%s/~%d~%s", root, getpid (), id);
  if (mkdir (tmp, 0700) < 0)
    return hull_error (err, errno, "create state directory `%s`", tmp);

  sd = state_dir_new (root, id);
  sd->dirfd = open (tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (sd->dirfd < 0)
    {
      ret = hull_error (err, errno, "open state directory `%s`", tmp);
      goto fail_tmp;
    }
  if (take_lock (sd, HULL_LOCK_EXCLUSIVE, true, err) < 0 || hull_state_write (sd, first, err) < 0)
    {
      ret = -1;
      goto fail_tmp;
    }
  ret = renameat2 (AT_FDCWD, tmp, AT_FDCWD, sd->path, RENAME_NOREPLACE);
  if (ret < 0 && errno == EINVAL)
    ret = rename (tmp, sd->path);
  if (ret < 0)
    {
      if (errno == EEXIST || errno == ENOTEMPTY)
        ret = hull_error (err, 0, "container with id %s already exists", id);
      else
        ret = hull_error (err, errno, "create state directory `%s`", sd->path);
      goto fail_tmp;
    }
  *out = sd;
  return 0;

fail_tmp:
  if (sd->dirfd >= 0)
    empty_dir (sd->dirfd);
  rmdir (tmp);
  hull_state_dir_free (sd);
  return ret;
}

int
hull_state_dir_open (const char *root, const char *id, enum hull_lock lock, struct hull_state_dir **out,
                     hull_err *err)
{
  struct hull_state_dir *sd;
  struct stat st;

  if (hull_id_validate (id, err) < 0)
    return -1;
  sd = state_dir_new (root, id);
  sd->dirfd = open (sd->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (sd->dirfd < 0)
    {
      int saved = errno;
      hull_state_dir_free (sd);
      if (saved == ENOENT || saved == ENOTDIR)
        return hull_error (err, 0, "container %s does not exist", id);
      return hull_error (err, saved, "open state directory of container %s", id);
    }
  if (take_lock (sd, lock, false, err) < 0)
    goto fail;
  /* Deleted while we waited for the lock. */
  if (lock != HULL_LOCK_NONE && (fstat (sd->lockfd, &st) < 0 || st.st_nlink == 0))
    {
      hull_error (err, 0, "container %s does not exist", id);
      goto fail;
    }
  *out = sd;
  return 0;

fail:
  hull_state_dir_free (sd);
  return -1;
}

bool
hull_state_dir_busy (const struct hull_state_dir *sd)
{
  cleanup_close int fd = -1;
  struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };

  /* Holding the lock ourselves, nobody else has it exclusively; and
     closing a second fd of the file would drop our own record lock. */
  if (sd->lockfd >= 0)
    return false;
  fd = openat (sd->dirfd, HULL_LOCK_FILE, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fcntl (fd, F_GETLK, &fl) < 0)
    return false;
  return fl.l_type != F_UNLCK;
}

int
hull_state_dir_remove (struct hull_state_dir *sd, hull_err *err)
{
  empty_dir (sd->dirfd);
  if (rmdir (sd->path) < 0 && errno != ENOENT)
    return hull_error (err, errno, "remove state directory `%s`", sd->path);
  return 0;
}

int
hull_state_read (struct hull_state_dir *sd, struct hull_status *st, hull_err *err)
{
  cleanup_free char *data = NULL;
  size_t len = 0;

  if (read_file_at (sd->dirfd, HULL_STATE_FILE, &data, &len, err) < 0)
    {
      if ((*err)->errnum == ENOENT)
        {
          hull_error_release (err);
          return hull_error (err, 0, "container %s does not exist", sd->id);
        }
      return hull_error_wrap (err, "container %s", sd->id);
    }
  if (hull_status_parse (data, len, st, err) < 0)
    return hull_error_wrap (err, "container %s", sd->id);
  return 0;
}

int
hull_state_write (struct hull_state_dir *sd, const struct hull_status *st, hull_err *err)
{
  cleanup_free char *json = hull_status_to_json (st);
  cleanup_free char *path = NULL;
  char proc[64];

  if (json == NULL)
    return hull_error (err, 0, "container %s: cannot serialize the state", sd->id);
  /* The directory may still carry its temporary name: go through the fd. */
  snprintf (proc, sizeof proc, "/proc/self/fd/%d/%s", sd->dirfd, HULL_STATE_FILE);
  return write_file_atomic (proc, json, strlen (json), 0600, err);
}

char *
hull_state_path (const struct hull_state_dir *sd, const char *name)
{
  return xasprintf ("%s/%s", sd->path, name);
}

bool
hull_state_has (const struct hull_state_dir *sd, const char *name)
{
  return faccessat (sd->dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
hull_state_list_ids (const char *root, char ***ids, size_t *n, hull_err *err)
{
  DIR *d = opendir (root);
  struct dirent *de;
  char **v = NULL;
  size_t len = 0;

  *ids = NULL;
  *n = 0;
  if (d == NULL)
    {
      if (errno == ENOENT)
        {
          *ids = xcalloc (1, sizeof (char *));
          return 0;
        }
      return hull_error (err, errno, "open state root `%s`", root);
    }
  while ((de = readdir (d)) != NULL)
    {
      hull_err ignored = NULL;
      if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
        continue;
      if (hull_id_validate (de->d_name, &ignored) < 0)
        {
          hull_error_release (&ignored);
          continue;
        }
      v = xrealloc (v, (len + 2) * sizeof (char *));
      v[len++] = xstrdup (de->d_name);
      v[len] = NULL;
    }
  closedir (d);
  if (v == NULL)
    v = xcalloc (1, sizeof (char *));
  qsort (v, len, sizeof (char *), compare_strings);
  *ids = v;
  *n = len;
  return 0;
}

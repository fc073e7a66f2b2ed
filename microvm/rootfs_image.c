/* The container's rootfs as an ext4 image for virtio-blk.
 *
 * A pristine image per rootfs tree is built once with `mkfs.ext4 -d` (no
 * mount needed) and cached under a key of the tree's listing: every entry's
 * path, type, mode, owner, size, inode, link count, mtime and ctime.  Any
 * change to the tree changes a ctime, so the key changes.  Each container
 * gets a sparse copy, since the guest writes to it; file bind mounts
 * (/etc/hosts, /etc/resolv.conf...) are then written into the copy with
 * debugfs.  Writes made by the container stay in its copy.  The cache
 * keeps the 16 most recently used images. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "microvm/microvm.h"
#include "runtime/util.h"

#define IMAGE_FORMAT_VERSION "1"
#define INODE_OVERHEAD 256u
#define MIB (1024ull * 1024)
#define MAX_CACHED_IMAGES 16

/* Two FNV-1a lanes: a 128-bit key.  Entry hashes are summed, so readdir
   order does not matter. */
struct scan
{
  uint64_t sum[2];
  uint64_t usage, inodes;
  size_t root_len;
};
static __thread struct scan *current_scan;

static void
fnv (uint64_t h[2], const void *p, size_t n)
{
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++)
    {
      h[0] = (h[0] ^ b[i]) * 0x100000001b3ull;
      h[1] = (h[1] ^ b[i]) * 0x100000001b3ull;
      h[1] ^= h[1] >> 29;
    }
}

static int
scan_entry (const char *path, const struct stat *st, int type, struct FTW *ftw)
{
  struct scan *s = current_scan;
  uint64_t h[2] = { 0xcbf29ce484222325ull, 0x84222325cbf29ce4ull };
  uint64_t fields[] = { st->st_mode, st->st_uid, st->st_gid, (uint64_t) st->st_size, st->st_ino, st->st_nlink,
                        st->st_rdev, (uint64_t) st->st_mtim.tv_sec, (uint64_t) st->st_mtim.tv_nsec,
                        (uint64_t) st->st_ctim.tv_sec, (uint64_t) st->st_ctim.tv_nsec, st->st_dev };

  if (type == FTW_NS || type == FTW_DNR)
    return -1;
  fnv (h, path + s->root_len, strlen (path + s->root_len) + 1);
  fnv (h, fields, sizeof fields);
  s->sum[0] += h[0];
  s->sum[1] += h[1];
  s->inodes++;
  s->usage += INODE_OVERHEAD;
  if (S_ISREG (st->st_mode) || S_ISDIR (st->st_mode) || S_ISLNK (st->st_mode))
    s->usage += (uint64_t) st->st_blocks * 512;
  return 0;
}

int
microvm_tree_scan (const char *rootfs, char key[33], uint64_t *usage, uint64_t *inodes, hull_err *err)
{
  struct scan s = { .root_len = strlen (rootfs) };
  struct stat st;

  if (stat (rootfs, &st) < 0)
    return hull_error (err, errno, "rootfs `%s`", rootfs);
  if (! S_ISDIR (st.st_mode))
    return hull_error (err, ENOTDIR, "rootfs `%s`", rootfs);
  current_scan = &s;
  int ret = nftw (rootfs, scan_entry, 64, FTW_PHYS | FTW_MOUNT);
  current_scan = NULL;
  if (ret != 0)
    return hull_error (err, errno ? errno : EIO, "scan rootfs `%s`", rootfs);
  snprintf (key, 33, "%016llx%016llx", (unsigned long long) s.sum[0], (unsigned long long) s.sum[1]);
  *usage = s.usage;
  *inodes = s.inodes;
  return 0;
}

/* Room for the files, ext4's metadata (a few percent plus the inode
   tables), and writable headroom for the container. */
uint64_t
microvm_image_default_mib (uint64_t usage, uint64_t inodes)
{
  uint64_t need = usage + usage / 4 + inodes * INODE_OVERHEAD;
  uint64_t mib = need / MIB + 64;
  return mib < 128 ? 128 : mib;
}

/* The smallest image that should hold a tree, for the "too large" check. */
static uint64_t
min_image_bytes (uint64_t usage, uint64_t inodes)
{
  return usage + usage / 16 + inodes * INODE_OVERHEAD + 4 * MIB;
}

/* Runs argv with stdout to /dev/null; on failure the error carries the
   last line the tool wrote on stderr. */
static int
run_tool (char *const argv[], char **stderr_text, hull_err *err)
{
  cleanup_close int errfd = -1;
  char tmpl[] = "/tmp/hull-tool-XXXXXX";
  int status;

  errfd = mkostemp (tmpl, O_CLOEXEC);
  if (errfd < 0)
    return hull_error (err, errno, "mkostemp");
  unlink (tmpl);
  pid_t pid = fork ();
  if (pid < 0)
    return hull_error (err, errno, "fork");
  if (pid == 0)
    {
      int null = open ("/dev/null", O_RDWR);
      if (null < 0 || dup2 (null, 0) < 0 || dup2 (null, 1) < 0 || dup2 (errfd, 2) < 0)
        _exit (126);
      execvp (argv[0], argv);
      dprintf (2, "cannot run %s: %s\n", argv[0], strerror (errno));
      _exit (127);
    }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return hull_error (err, errno, "waitpid");
  char buf[4096];
  ssize_t n = pread (errfd, buf, sizeof buf - 1, 0);
  buf[n > 0 ? n : 0] = 0;
  if (stderr_text)
    *stderr_text = xstrdup (buf);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  /* The last non-empty line says why. */
  char *end = buf + strlen (buf);
  while (end > buf && (end[-1] == '\n' || end[-1] == ' '))
    *--end = 0;
  char *line = strrchr (buf, '\n');
  return hull_error (err, 0, "%s failed: %s", argv[0], line ? line + 1 : buf[0] ? buf : "no message");
}

/* Copies src to dst keeping holes (images are mostly empty). */
static int
copy_sparse (const char *src, const char *dst, hull_err *err)
{
  cleanup_close int in = open (src, O_RDONLY | O_CLOEXEC);
  cleanup_close int out = -1;
  struct stat st;

  if (in < 0 || fstat (in, &st) < 0)
    return hull_error (err, errno, "open image `%s`", src);
  out = open (dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out < 0)
    return hull_error (err, errno, "create image `%s`", dst);
  if (ftruncate (out, st.st_size) < 0)
    goto fail;
  off_t pos = 0;
  while (pos < st.st_size)
    {
      off_t data = lseek (in, pos, SEEK_DATA);
      if (data < 0 && errno == ENXIO)
        break;
      if (data < 0)
        goto fail;
      off_t hole = lseek (in, data, SEEK_HOLE);
      if (hole < 0)
        goto fail;
      off_t off_in = data, off_out = data;
      while (off_in < hole)
        {
          ssize_t n = copy_file_range (in, &off_in, out, &off_out, hole - off_in, 0);
          if (n <= 0)
            {
              if (n == 0)
                errno = EIO;
              goto fail;
            }
        }
      pos = hole;
    }
  return 0;
fail:
  {
    int saved = errno;
    unlink (dst);
    return hull_error (err, saved, "copy image to `%s`", dst);
  }
}

static int
build_pristine (const char *rootfs, const char *path, uint64_t size_mib, uint64_t inodes, hull_err *err)
{
  cleanup_free char *tmp = xasprintf ("%s.tmp.%d", path, getpid ());
  cleanup_free char *size = xasprintf ("%lluM", (unsigned long long) size_mib);
  cleanup_free char *n_inodes = xasprintf ("%llu", (unsigned long long) (inodes * 2 + 4096));
  cleanup_free char *text = NULL;
  char *argv[] = { "mkfs.ext4", "-q", "-F", "-t", "ext4", "-O", "^has_journal", "-m", "0", "-N", n_inodes,
                   "-E", "root_owner=0:0", "-d", (char *) rootfs, tmp, size, NULL };

  unlink (tmp);
  if (run_tool (argv, &text, err) < 0)
    {
      unlink (tmp);
      if (text && (strstr (text, "Could not allocate") || strstr (text, "No space left")))
        {
          hull_error_release (err);
          return hull_error (err, ENOSPC, "rootfs `%s` does not fit in an image of %llu MiB", rootfs,
                             (unsigned long long) size_mib);
        }
      return hull_error_wrap (err, "build the rootfs image of `%s`", rootfs);
    }
  if (rename (tmp, path) < 0)
    {
      int saved = errno;
      unlink (tmp);
      return hull_error (err, saved, "rename `%s`", tmp);
    }
  return 0;
}

static bool
debugfs_safe (const char *s)
{
  for (; *s; s++)
    if (*s <= ' ' || *s == '"' || *s == '\\' || *s == 0x7f)
      return false;
  return true;
}

/* Writes host files into the image: rm, then write (debugfs takes the
   source's mode and owner).  debugfs exits 0 on command errors, so its
   stderr is checked. */
static int
inject_files (const char *image, const struct microvm_inject *inj, size_t n, hull_err *err)
{
  char cmds[] = "/tmp/hull-debugfs-XXXXXX";
  cleanup_close int fd = -1;
  cleanup_free char *text = NULL;

  if (n == 0)
    return 0;
  fd = mkostemp (cmds, O_CLOEXEC);
  if (fd < 0)
    return hull_error (err, errno, "mkostemp");
  for (size_t i = 0; i < n; i++)
    {
      if (inj[i].destination[0] != '/' || ! debugfs_safe (inj[i].destination) || ! debugfs_safe (inj[i].source))
        {
          unlink (cmds);
          return hull_error (err, EINVAL, "cannot copy `%s` into the image: unsupported characters in the path",
                             inj[i].destination);
        }
      struct stat st;
      if (stat (inj[i].source, &st) < 0 || ! S_ISREG (st.st_mode))
        {
          int saved = errno;
          unlink (cmds);
          return hull_error (err, S_ISREG (st.st_mode) ? saved : EINVAL, "bind mount source `%s` is not a regular file",
                             inj[i].source);
        }
      /* Parents first, as a bind mount's destination is created in a
         container (an existing one only makes debugfs complain). */
      for (const char *slash = strchr (inj[i].destination + 1, '/'); slash; slash = strchr (slash + 1, '/'))
        dprintf (fd, "mkdir %.*s\n", (int) (slash - inj[i].destination), inj[i].destination);
      dprintf (fd, "rm %s\nwrite %s %s\n", inj[i].destination, inj[i].source, inj[i].destination);
    }
  char *argv[] = { "debugfs", "-w", "-f", cmds, (char *) image, NULL };
  int ret = run_tool (argv, &text, err);
  unlink (cmds);
  if (ret < 0)
    return ret;
  for (char *line = text; line && *line; line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
    if (strncmp (line, "write:", 6) == 0)
      {
        line[strcspn (line, "\n")] = 0;
        return hull_error (err, 0, "copy a bind mount source into the image: debugfs %s", line);
      }
  return 0;
}

/* The cache keeps the most recently used pristine images only. */
static void
evict_old_images (const char *dir, const char *keep)
{
  struct dirent **names = NULL;
  int n = scandir (dir, &names, NULL, NULL);
  struct entry { char *path; struct timespec used; } *e = xcalloc (n > 0 ? n : 1, sizeof *e);
  size_t count = 0;

  for (int i = 0; i < n; i++)
    {
      struct stat st;
      const char *name = names[i]->d_name;
      size_t len = strlen (name);
      if (len > 5 && strcmp (name + len - 5, ".ext4") == 0)
        {
          char *path = xasprintf ("%s/%s", dir, name);
          if (stat (path, &st) == 0 && strcmp (path, keep) != 0)
            e[count++] = (struct entry) { path, st.st_mtim };
          else
            free (path);
        }
      free (names[i]);
    }
  free (names);
  /* Drop the oldest until MAX_CACHED_IMAGES - 1 others remain. */
  while (count >= MAX_CACHED_IMAGES)
    {
      size_t oldest = 0;
      for (size_t i = 1; i < count; i++)
        if (e[i].used.tv_sec < e[oldest].used.tv_sec
            || (e[i].used.tv_sec == e[oldest].used.tv_sec && e[i].used.tv_nsec < e[oldest].used.tv_nsec))
          oldest = i;
      unlink (e[oldest].path);
      free (e[oldest].path);
      e[oldest] = e[--count];
    }
  for (size_t i = 0; i < count; i++)
    free (e[i].path);
  free (e);
}

int
microvm_image_prepare (const struct microvm_image_opts *o, hull_err *err)
{
  char key[33];
  uint64_t usage, inodes, size_mib;
  struct stat st;

  if (microvm_tree_scan (o->rootfs, key, &usage, &inodes, err) < 0)
    return -1;
  size_mib = o->size_mib ? o->size_mib : microvm_image_default_mib (usage, inodes);
  if (min_image_bytes (usage, inodes) > size_mib * MIB)
    return hull_error (err, ENOSPC, "rootfs `%s` needs about %llu MiB, more than the image size of %llu MiB",
                       o->rootfs, (unsigned long long) (min_image_bytes (usage, inodes) / MIB + 1),
                       (unsigned long long) size_mib);
  if (mkdir_p (o->cache_dir, 0700, err) < 0)
    return -1;
  cleanup_free char *cached = xasprintf ("%s/%s-%llu-v" IMAGE_FORMAT_VERSION ".ext4", o->cache_dir, key,
                                         (unsigned long long) size_mib);
  /* Another container may evict the cached image between our stat and
     our copy: then it is built again, once. */
  for (int attempt = 0;; attempt++)
    {
      bool built = false;
      if (stat (cached, &st) < 0)
        {
          if (build_pristine (o->rootfs, cached, size_mib, inodes, err) < 0)
            return -1;
          built = true;
        }
      else
        utimensat (AT_FDCWD, cached, NULL, 0);   /* recently used */
      int ret = copy_sparse (cached, o->output, err);
      if (ret == 0)
        {
          if (built)
            evict_old_images (o->cache_dir, cached);
          break;
        }
      if ((*err)->errnum != ENOENT || attempt > 0)
        return -1;
      hull_error_release (err);
    }
  if (inject_files (o->output, o->inject, o->n_inject, err) < 0)
    {
      unlink (o->output);
      return -1;
    }
  return 0;
}

#include "runtime/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/log.h"

void
cleanup_freep (void *p)
{
  free (*(void **) p);
}

void
cleanup_closep (int *fd)
{
  if (*fd >= 0)
    close (*fd);
}

void
cleanup_fclosep (FILE **f)
{
  if (*f != NULL)
    fclose (*f);
}

void
cleanup_strvp (char ***v)
{
  if (*v == NULL)
    return;
  for (char **it = *v; *it != NULL; it++)
    free (*it);
  free (*v);
}

void
cleanup_pidp (pid_t *pid)
{
  if (*pid <= 0)
    return;
  kill (*pid, SIGKILL);
  while (waitpid (*pid, NULL, 0) < 0 && errno == EINTR)
    ;
}

static void
oom (void)
{
  static const char msg[] = "hull: out of memory\n";
  if (write (2, msg, sizeof msg - 1) < 0)
    _exit (70);
  abort ();
}

void *
xmalloc (size_t n)
{
  void *p = malloc (n ? n : 1);
  if (p == NULL)
    oom ();
  return p;
}

void *
xcalloc (size_t n, size_t m)
{
  void *p = calloc (n ? n : 1, m ? m : 1);
  if (p == NULL)
    oom ();
  return p;
}

void *
xrealloc (void *p, size_t n)
{
  void *r = realloc (p, n ? n : 1);
  if (r == NULL)
    oom ();
  return r;
}

char *
xstrdup (const char *s)
{
  char *r;
  if (s == NULL)
    return NULL;
  r = strdup (s);
  if (r == NULL)
    oom ();
  return r;
}

char *
xasprintf (const char *fmt, ...)
{
  char *r;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&r, fmt, ap) < 0)
    oom ();
  va_end (ap);
  return r;
}

ssize_t
write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  size_t done = 0;
  while (done < len)
    {
      ssize_t r = write (fd, p + done, len - done);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      done += (size_t) r;
    }
  return (ssize_t) done;
}

ssize_t
read_all (int fd, void *buf, size_t len)
{
  char *p = buf;
  size_t done = 0;
  while (done < len)
    {
      ssize_t r = read (fd, p + done, len - done);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      if (r == 0)
        break;
      done += (size_t) r;
    }
  return (ssize_t) done;
}

int
read_file_at (int dirfd, const char *path, char **out, size_t *len, hull_err *err)
{
  cleanup_close int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);
  cleanup_free char *buf = NULL;
  size_t used = 0, cap = 0;

  if (fd < 0)
    return hull_error (err, errno, "open `%s`", path);
  for (;;)
    {
      ssize_t r;
      if (cap - used < 4096)
        {
          cap = cap ? cap * 2 : 8192;
          buf = xrealloc (buf, cap + 1);
        }
      r = read (fd, buf + used, cap - used);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return hull_error (err, errno, "read `%s`", path);
        }
      if (r == 0)
        break;
      used += (size_t) r;
    }
  if (buf == NULL)
    buf = xmalloc (1);
  buf[used] = '\0';
  if (len != NULL)
    *len = used;
  *out = steal_ptr (&buf);
  return 0;
}

int
read_file (const char *path, char **out, size_t *len, hull_err *err)
{
  return read_file_at (AT_FDCWD, path, out, len, err);
}

int
read_file_or_stdin (const char *flag, const char *path, char **out, size_t *len, hull_err *err)
{
  cleanup_free char *text = NULL;
  size_t cap = 0, got = 0;
  ssize_t n;

  if (strcmp (path, "-") != 0)
    {
      if (read_file (path, out, len, err) < 0)
        return hull_error_wrap (err, "%s", flag);
      return 0;
    }
  do
    {
      if (got + 4096 + 1 > cap)
        text = xrealloc (text, cap = 2 * cap + 4096 + 1);
      n = read_all (0, text + got, cap - got - 1);
      if (n < 0)
        return hull_error (err, errno, "%s -: read stdin", flag);
      got += (size_t) n;
    }
  while (n > 0);
  text[got] = '\0';
  *out = steal_ptr (&text);
  *len = got;
  return 0;
}

int
write_file_at (int dirfd, const char *path, const void *data, size_t len, hull_err *err)
{
  cleanup_close int fd = openat (dirfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return hull_error (err, errno, "open `%s`", path);
  if (write_all (fd, data, len) < 0)
    return hull_error (err, errno, "write `%s`", path);
  return 0;
}

int
write_file (const char *path, const void *data, size_t len, int mode, hull_err *err)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return hull_error (err, errno, "open `%s`", path);
  if (write_all (fd, data, len) < 0)
    return hull_error (err, errno, "write `%s`", path);
  return 0;
}

int
write_file_atomic (const char *path, const void *data, size_t len, int mode, hull_err *err)
{
  cleanup_free char *tmp = xasprintf ("%s.tmp.%d", path, (int) getpid ());
  if (write_file (tmp, data, len, mode, err) < 0)
    {
      unlink (tmp);
      return -1;
    }
  if (rename (tmp, path) < 0)
    {
      int saved = errno;
      unlink (tmp);
      return hull_error (err, saved, "rename `%s`", path);
    }
  return 0;
}

int
mkdir_p (const char *path, int mode, hull_err *err)
{
  cleanup_free char *copy = xstrdup (path);
  for (char *p = copy + 1; *p != '\0'; p++)
    {
      if (*p != '/')
        continue;
      *p = '\0';
      if (mkdir (copy, mode) < 0 && errno != EEXIST)
        return hull_error (err, errno, "mkdir `%s`", copy);
      *p = '/';
    }
  if (mkdir (copy, mode) < 0 && errno != EEXIST)
    return hull_error (err, errno, "mkdir `%s`", copy);
  return 0;
}

int
send_fd_message (int sock, int fd, const char *payload)
{
  char cbuf[CMSG_SPACE (sizeof (int))] = { 0 };
  struct iovec iov = { .iov_base = (void *) payload, .iov_len = strlen (payload) };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
  ssize_t r;

  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof (int));
  do
    r = sendmsg (sock, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -1 : 0;
}

int
check_preserved_fds (int n, hull_err *err)
{
  if (n < 0)
    return hull_error (err, 0, "--preserve-fds must not be negative");
  for (int fd = 3; fd < 3 + n; fd++)
    if (fcntl (fd, F_GETFD) < 0 || hull_log_owns_fd (fd))
      return hull_error (err, 0, "--preserve-fds %d: fd %d is not open", n, fd);
  return 0;
}

void
close_fds_except (const int *keep, size_t n)
{
  unsigned next = 3;
  for (;;)
    {
      /* The smallest kept fd at or above next. */
      int low = -1;
      for (size_t i = 0; i < n; i++)
        if (keep[i] >= (int) next && (low < 0 || keep[i] < low))
          low = keep[i];
      if (low < 0)
        {
          close_range (next, ~0u, 0);
          return;
        }
      if ((unsigned) low > next)
        close_range (next, (unsigned) low - 1, 0);
      next = (unsigned) low + 1;
    }
}

/* Small helpers shared by runtime/, namespaces/, cgroups/ and microvm/ host
   code (not microvm/vmm/, which stands alone).  Cleanup attributes instead
   of hand-written unwinding, as crun does. */
#ifndef HULL_UTIL_H
#define HULL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "runtime/error.h"

void cleanup_freep (void *p);
void cleanup_closep (int *fd);
void cleanup_fclosep (FILE **f);
void cleanup_strvp (char ***v);
/* SIGKILL and reap a child that is still owned when the scope ends. */
void cleanup_pidp (pid_t *pid);

#define cleanup_free __attribute__ ((cleanup (cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (cleanup_closep)))
#define cleanup_fclose __attribute__ ((cleanup (cleanup_fclosep)))
#define cleanup_strv __attribute__ ((cleanup (cleanup_strvp)))
#define cleanup_pid __attribute__ ((cleanup (cleanup_pidp)))

#define LIKELY(x) __builtin_expect (!!(x), 1)
#define UNLIKELY(x) __builtin_expect (!!(x), 0)
#define ARRAY_SIZE(a) (sizeof (a) / sizeof ((a)[0]))

/* Hand ownership out of a cleanup variable: `return steal_fd (&fd);` */
static inline int
steal_fd (int *fd)
{
  int r = *fd;
  *fd = -1;
  return r;
}
static inline void *
steal_ptr (void *pp)
{
  void **p = pp;
  void *r = *p;
  *p = NULL;
  return r;
}

/* Allocation that aborts on OOM (as crun's xmalloc): callers never check. */
void *xmalloc (size_t n);
void *xcalloc (size_t n, size_t m);
void *xrealloc (void *p, size_t n);
char *xstrdup (const char *s);
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Whole-file I/O.  read_file_at() NUL-terminates and reports the length. */
int read_file (const char *path, char **out, size_t *len, hull_err *err);
int read_file_at (int dirfd, const char *path, char **out, size_t *len, hull_err *err);
/* read_file(), or all of stdin for "-"; errors name the option `flag`. */
int read_file_or_stdin (const char *flag, const char *path, char **out, size_t *len, hull_err *err);
int write_file (const char *path, const void *data, size_t len, int mode, hull_err *err);
/* Write to a temporary file in the same directory, fsync-free, then rename. */
int write_file_atomic (const char *path, const void *data, size_t len, int mode, hull_err *err);
int write_file_at (int dirfd, const char *path, const void *data, size_t len, hull_err *err);

/* Write all / read all, retrying on EINTR and short counts. */
ssize_t write_all (int fd, const void *buf, size_t len);
ssize_t read_all (int fd, void *buf, size_t len);
/* Closes every fd from 3 up but those in keep. */
void close_fds_except (const int *keep, size_t n);

int mkdir_p (const char *path, int mode, hull_err *err);

/* One message carrying `payload` (may be "") and `fd` with SCM_RIGHTS, as
   runc's console socket and seccomp listener protocols want.  -1 and errno
   on failure. */
int send_fd_message (int sock, int fd, const char *payload);

/* --preserve-fds N (create, exec): fds 3 .. 3+N-1 must be the caller's,
   open and not one of hull's own (the --log file). */
int check_preserved_fds (int n, hull_err *err);

#endif

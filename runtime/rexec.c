#include "runtime/rexec.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/util.h"

extern char **environ;

#define HULL_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static int
is_sealed_fd (int fd)
{
  int seals = fcntl (fd, F_GET_SEALS);
  return seals >= 0 && (seals & HULL_SEALS) == HULL_SEALS;
}

int
hull_rexec_is_sealed (void)
{
  cleanup_close int fd = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  return fd >= 0 && is_sealed_fd (fd);
}

int
hull_rexec_sealed (char **argv, hull_err *err)
{
  cleanup_close int self = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  cleanup_close int memfd = -1;
  struct stat st;
  off_t off = 0;

  if (self < 0)
    return hull_error (err, errno, "open /proc/self/exe");
  if (is_sealed_fd (self))
    return 0;
  if (fstat (self, &st) < 0)
    return hull_error (err, errno, "stat /proc/self/exe");

  memfd = memfd_create ("hull", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (memfd < 0)
    return hull_error (err, errno, "memfd_create");
  while (off < st.st_size)
    {
      ssize_t n = sendfile (memfd, self, &off, (size_t) (st.st_size - off));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return hull_error (err, n < 0 ? errno : EIO, "copy hull into a memfd");
    }
  if (fcntl (memfd, F_ADD_SEALS, HULL_SEALS) < 0)
    return hull_error (err, errno, "seal the hull memfd");
  /* MFD_CLOEXEC is fine for an ELF binary: the kernel maps it before
     closing the fd. */
  fexecve (memfd, argv, environ);
  return hull_error (err, errno, "re-exec hull from a sealed memfd");
}

/* mkinitramfs: writes a cpio "newc" archive (the initramfs format) to
 * stdout from a list of entries, with uid/gid 0 and mtime 0 so the output
 * is reproducible.  A build tool run on the host.
 *
 *   mkinitramfs dir  NAME MODE
 *               nod  NAME MODE c|b MAJOR MINOR
 *               file NAME MODE SOURCE        ...
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned long ino = 1;
static unsigned long long offset;

static void
out (const void *p, size_t n)
{
  if (fwrite (p, 1, n, stdout) != n)
    {
      perror ("mkinitramfs: write");
      exit (1);
    }
  offset += n;
}

static void
pad4 (void)
{
  static const char zero[4];
  out (zero, (4 - offset % 4) % 4);
}

static void
entry (const char *name, unsigned mode, unsigned rmaj, unsigned rmin, const void *data, size_t size)
{
  char hdr[200];
  snprintf (hdr, sizeof hdr, "070701%08lX%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X", ino++, mode, 0, 0,
            S_ISDIR (mode) ? 2 : 1, 0, size, 0, 0, rmaj, rmin, strlen (name) + 1, 0);
  out (hdr, 110);
  out (name, strlen (name) + 1);
  pad4 ();
  out (data, size);
  pad4 ();
}

static unsigned
parse_mode (const char *s)
{
  char *end;
  unsigned long m = strtoul (s, &end, 8);
  if (*end || m > 07777)
    {
      fprintf (stderr, "mkinitramfs: bad mode `%s`\n", s);
      exit (2);
    }
  return (unsigned) m;
}

static void
add_file (const char *name, unsigned mode, const char *src)
{
  int fd = open (src, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0)
    {
      fprintf (stderr, "mkinitramfs: %s: %s\n", src, strerror (errno));
      exit (1);
    }
  char *data = malloc (st.st_size ? st.st_size : 1);
  size_t got = 0;
  while (data && got < (size_t) st.st_size)
    {
      ssize_t n = read (fd, data + got, st.st_size - got);
      if (n <= 0)
        {
          fprintf (stderr, "mkinitramfs: read %s failed\n", src);
          exit (1);
        }
      got += n;
    }
  close (fd);
  if (data == NULL)
    exit (1);
  entry (name, S_IFREG | mode, 0, 0, data, got);
  free (data);
}

int
main (int argc, char **argv)
{
  int i = 1;
  while (i < argc)
    {
      const char *kind = argv[i];
      if (strcmp (kind, "dir") == 0 && i + 2 < argc)
        {
          entry (argv[i + 1], S_IFDIR | parse_mode (argv[i + 2]), 0, 0, NULL, 0);
          i += 3;
        }
      else if (strcmp (kind, "nod") == 0 && i + 5 < argc)
        {
          unsigned type = strcmp (argv[i + 3], "b") == 0 ? S_IFBLK : S_IFCHR;
          entry (argv[i + 1], type | parse_mode (argv[i + 2]), atoi (argv[i + 4]), atoi (argv[i + 5]), NULL, 0);
          i += 6;
        }
      else if (strcmp (kind, "file") == 0 && i + 3 < argc)
        {
          add_file (argv[i + 1], parse_mode (argv[i + 2]), argv[i + 3]);
          i += 4;
        }
      else
        {
          fprintf (stderr, "mkinitramfs: bad entry at `%s` (dir|nod|file, see the source)\n", kind);
          return 2;
        }
    }
  entry ("TRAILER!!!", 0, 0, 0, NULL, 0);
  pad4 ();
  if (fflush (stdout) != 0)
    return 1;
  return 0;
}

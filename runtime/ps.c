#include "runtime/ps.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cgroup_of.h"
#include "runtime/lifecycle.h"
#include "runtime/util.h"

static int
compare_pids (const void *a, const void *b)
{
  pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;
  return (x > y) - (x < y);
}

int
hull_ps_pids (const struct hull_context *ctx, const char *id, pid_t **pids, size_t *n, hull_err *err)
{
  struct hull_container c;
  int ret = -1;

  *pids = NULL;
  *n = 0;
  if (hull_container_load_live (ctx, id, &c, err) < 0)
    return -1;
  if (cgroup_pids (c.cgroup, pids, n, err) < 0)
    goto out;
  qsort (*pids, *n, sizeof **pids, compare_pids);
  ret = 0;
out:
  hull_container_release (&c);
  return ret;
}

/* The index of the whitespace-separated field named PID in `header`. */
static int
pid_column (const char *header, size_t len)
{
  int field = 0;
  size_t i = 0;

  for (;;)
    {
      size_t start;
      while (i < len && (header[i] == ' ' || header[i] == '\t'))
        i++;
      if (i >= len)
        return -1;
      start = i;
      while (i < len && header[i] != ' ' && header[i] != '\t')
        i++;
      if (i - start == 3 && memcmp (header + start, "PID", 3) == 0)
        return field;
      field++;
    }
}

/* Field `index` of the line as a number; false when absent or not one. */
static bool
field_number (const char *line, size_t len, int index, long *out)
{
  size_t i = 0;
  for (int field = 0;; field++)
    {
      size_t start;
      while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
      if (i >= len)
        return false;
      start = i;
      while (i < len && line[i] != ' ' && line[i] != '\t')
        i++;
      if (field == index)
        {
          char buf[24];
          char *end;
          if (i - start >= sizeof buf)
            return false;
          memcpy (buf, line + start, i - start);
          buf[i - start] = '\0';
          errno = 0;
          *out = strtol (buf, &end, 10);
          return errno == 0 && *end == '\0' && end != buf;
        }
    }
}

int
hull_ps_filter (const char *text, const pid_t *pids, size_t n, char **out, hull_err *err)
{
  const char *nl = strchr (text, '\n');
  size_t header_len = nl != NULL ? (size_t) (nl - text) : strlen (text);
  int column = pid_column (text, header_len);
  size_t cap = strlen (text) + 2, len = 0;
  char *buf;

  if (column < 0)
    return hull_error (err, 0, "ps: couldn't find the PID field in the ps output");
  buf = xmalloc (cap);
  memcpy (buf, text, header_len);
  len = header_len;
  buf[len++] = '\n';
  for (const char *line = nl != NULL ? nl + 1 : text + header_len; *line != '\0';)
    {
      const char *end = strchr (line, '\n');
      size_t l = end != NULL ? (size_t) (end - line) : strlen (line);
      long pid;
      if (l > 0)
        {
          if (!field_number (line, l, column, &pid))
            {
              free (buf);
              return hull_error (err, 0, "ps: unable to parse the pid in `%.*s`", (int) (l > 80 ? 80 : l), line);
            }
          for (size_t i = 0; i < n; i++)
            if (pids[i] == pid)
              {
                memcpy (buf + len, line, l);
                len += l;
                buf[len++] = '\n';
                break;
              }
        }
      line += l + (end != NULL ? 1 : 0);
    }
  buf[len] = '\0';
  *out = buf;
  return 0;
}

/* ps's stdout and stderr together, as runc's CombinedOutput. */
static int
run_ps (char *const *args, size_t n_args, char **out, hull_err *err)
{
  cleanup_free char **argv = xcalloc (n_args + 3, sizeof (char *));
  cleanup_close int rd = -1;
  char *text = NULL;
  size_t len = 0, cap = 0;
  int fds[2], status;
  pid_t pid;

  argv[0] = (char *) "ps";
  if (n_args == 0)
    argv[1] = (char *) "-ef";
  for (size_t i = 0; i < n_args; i++)
    argv[i + 1] = args[i];
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return hull_error (err, errno, "pipe");
  rd = fds[0];
  pid = fork ();
  if (pid < 0)
    {
      close (fds[1]);
      return hull_error (err, errno, "fork");
    }
  if (pid == 0)
    {
      if (dup2 (fds[1], 1) < 0 || dup2 (fds[1], 2) < 0)
        _exit (127);
      execvp ("ps", argv);
      dprintf (2, "exec ps: %s\n", strerror (errno));
      _exit (127);
    }
  close (fds[1]);
  for (;;)
    {
      ssize_t r;
      if (len + 4096 + 1 > cap)
        text = xrealloc (text, cap = 2 * cap + 4096 + 1);
      r = read (rd, text + len, cap - len - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      len += (size_t) r;
    }
  text[len] = '\0';
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      char *nl;
      while (len > 0 && text[len - 1] == '\n')
        text[--len] = '\0';
      nl = strrchr (text, '\n');
      hull_error (err, 0, "ps failed (status %d): %s", WIFEXITED (status) ? WEXITSTATUS (status) : -1,
                  nl != NULL ? nl + 1 : text);
      free (text);
      return -1;
    }
  *out = text;
  return 0;
}

int
hull_ps_table (const struct hull_context *ctx, const char *id, char *const *ps_args, size_t n_args, char **out,
               hull_err *err)
{
  cleanup_free pid_t *pids = NULL;
  cleanup_free char *text = NULL;
  size_t n = 0;

  if (hull_ps_pids (ctx, id, &pids, &n, err) < 0)
    return -1;
  if (n_args == 0 && n > 0)
    {
      /* The columns of `ps -ef`, read for the container's processes only
         (-q: procps opens just those /proc entries instead of every
         process on the host, a third of the time here).  Should it fail (every
         process gone in between: ps then exits 1), `ps -ef` answers. */
      cleanup_free char *list = NULL;
      size_t len = 0;
      hull_err quick_err = NULL;

      list = xmalloc (n * 12 + 1);
      for (size_t i = 0; i < n; i++)
        len += (size_t) sprintf (list + len, "%s%d", i > 0 ? "," : "", (int) pids[i]);
      char *quick[] = { (char *) "-f", (char *) "-q", list };
      if (run_ps (quick, 3, &text, &quick_err) == 0)
        return hull_ps_filter (text, pids, n, out, err);
      hull_error_release (&quick_err);
    }
  if (run_ps (ps_args, n_args, &text, err) < 0)
    return -1;
  return hull_ps_filter (text, pids, n, out, err);
}

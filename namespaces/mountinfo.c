/* /proc/self/mountinfo, parsed just enough for the cgroup layout and for
   finding the mount a path lives on. */
#include "namespaces/mountinfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/util.h"

/* Mount points escape space, tab, newline and backslash as \ooo. */
static void
unescape (char *s)
{
  char *w = s;
  for (char *r = s; *r; r++)
    {
      if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7')
        {
          *w++ = (char) (((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
          r += 3;
        }
      else
        *w++ = *r;
    }
  *w = '\0';
}

int
mountinfo_parse_line (char *line, struct mountinfo_entry *e)
{
  char *tok[64];
  size_t n = 0, dash;
  char *save = NULL;

  memset (e, 0, sizeof *e);
  line[strcspn (line, "\n")] = '\0';
  /* id parent major:minor root mount-point options [optional...] - fstype source super */
  for (char *t = strtok_r (line, " ", &save); t != NULL && n < ARRAY_SIZE (tok); t = strtok_r (NULL, " ", &save))
    tok[n++] = t;
  if (n < 9)
    return -1;
  for (dash = 6; dash < n && strcmp (tok[dash], "-") != 0; dash++)
    ;
  if (dash + 2 >= n)
    return -1;
  e->root = tok[3];
  e->mount_point = tok[4];
  e->options = tok[5];
  e->optional = dash > 6 ? tok[6] : NULL;
  /* Several optional fields: keep them all, space-separated again. */
  for (size_t i = 7; i < dash; i++)
    tok[i][-1] = ' ';
  e->fstype = tok[dash + 1];
  e->source = tok[dash + 2];
  e->super_options = dash + 3 < n ? tok[dash + 3] : "";
  unescape (e->root);
  unescape (e->mount_point);
  return 0;
}

int
mountinfo_read (struct mountinfo *mi, hull_err *err)
{
  cleanup_fclose FILE *f = fopen ("/proc/self/mountinfo", "re");
  char *line = NULL;
  size_t cap = 0;

  memset (mi, 0, sizeof *mi);
  if (f == NULL)
    return hull_error (err, errno, "open /proc/self/mountinfo");
  while (getline (&line, &cap, f) > 0)
    {
      struct mountinfo_entry e;
      char *copy = xstrdup (line);
      if (mountinfo_parse_line (copy, &e) < 0)
        {
          free (copy);
          continue;
        }
      mi->entries = xrealloc (mi->entries, (mi->len + 1) * sizeof *mi->entries);
      mi->lines = xrealloc (mi->lines, (mi->len + 1) * sizeof *mi->lines);
      mi->entries[mi->len] = e;
      mi->lines[mi->len] = copy;
      mi->len++;
    }
  free (line);
  return 0;
}

void
mountinfo_free (struct mountinfo *mi)
{
  for (size_t i = 0; i < mi->len; i++)
    free (mi->lines[i]);
  free (mi->lines);
  free (mi->entries);
  memset (mi, 0, sizeof *mi);
}

const struct mountinfo_entry *
mountinfo_find_mount_of (const struct mountinfo *mi, const char *path)
{
  const struct mountinfo_entry *best = NULL;
  size_t best_len = 0;

  for (size_t i = 0; i < mi->len; i++)
    {
      const char *mp = mi->entries[i].mount_point;
      size_t l = strlen (mp);
      bool under = strcmp (mp, "/") == 0 || (strncmp (path, mp, l) == 0 && (path[l] == '/' || path[l] == '\0'));
      if (strcmp (mp, "/") == 0)
        l = 0;
      /* Later entries stack on top of earlier ones at the same place. */
      if (under && (best == NULL || l >= best_len))
        {
          best = &mi->entries[i];
          best_len = l;
        }
    }
  return best;
}

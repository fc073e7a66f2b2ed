/* Where a container's cgroup lives.  Pure string work, unit-tested.
 *
 * runc's cgroupfs driver (and hull) place an absolute linux.cgroupsPath at
 * that path in every hierarchy, and a relative one under a base that
 * depends on the hierarchy (cg_relative_base).  With no cgroupsPath runc
 * uses the container id as a relative path; so does hull.  The systemd form
 * "slice:prefix:name" needs the systemd driver, which hull does not have. */
#include "cgroups/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/util.h"

char *
cg_clean_path (const char *path)
{
  size_t len = strlen (path);
  char *out = xmalloc (len + 2);
  size_t o = 0;
  const char *p = path;

  out[o++] = '/';
  while (*p != '\0')
    {
      const char *end = strchr (p, '/');
      size_t n = end ? (size_t) (end - p) : strlen (p);

      if (n == 0 || (n == 1 && p[0] == '.'))
        ;
      else if (n == 2 && p[0] == '.' && p[1] == '.')
        {
          /* drop the last component, never going above "/" */
          while (o > 1 && out[o - 1] != '/')
            o--;
          if (o > 1)
            o--;
        }
      else
        {
          if (o > 1)
            out[o++] = '/';
          memcpy (out + o, p, n);
          o += n;
        }
      p += n;
      if (*p == '/')
        p++;
    }
  out[o] = '\0';
  return out;
}

char *
cg_relative_base (enum cgroup_mode mode, bool v2_hierarchy, const char *own)
{
  cleanup_free char *clean = cg_clean_path (own ? own : "/");
  char *slash;

  if (!v2_hierarchy)
    return steal_ptr (&clean);
  if (mode == CGROUP_MODE_HYBRID)
    return xstrdup ("/");
  /* v2: the runtime's own cgroup holds processes, so no controller can be
     enabled for a child of it; runc uses its parent. */
  slash = strrchr (clean, '/');
  if (slash == clean)
    return xstrdup ("/");
  *slash = '\0';
  return steal_ptr (&clean);
}

bool
cg_is_systemd_path (const char *path)
{
  const char *c1 = strchr (path, ':');
  const char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
  return c1 != NULL && c2 != NULL && strchr (c2 + 1, ':') == NULL && strchr (path, '/') == NULL;
}

int
cg_compute_path (const char *cgroups_path, const char *id, const char *own, char **out, hull_err *err)
{
  const char *p = cgroups_path;

  if (p == NULL || *p == '\0')
    {
      if (id == NULL || *id == '\0')
        return hull_error (err, 0, "cgroup: no cgroupsPath and no container id");
      p = id;
    }
  else if (cg_is_systemd_path (p))
    return hull_error (err, 0,
                       "cgroup: cgroupsPath `%s` is in the systemd form \"slice:prefix:name\", "
                       "but hull has only the cgroupfs driver; give a path such as \"/hull/%s\"",
                       p, id ? id : "ID");
  if (strpbrk (p, ";\n") != NULL)
    return hull_error (err, 0, "cgroup: cgroupsPath `%s` contains a ';' or a newline", p);

  if (p[0] == '/')
    *out = cg_clean_path (p);
  else
    {
      /* Clean the relative part first so ".." cannot climb out of `own`. */
      cleanup_free char *rel = cg_clean_path (p);
      cleanup_free char *joined = xasprintf ("%s%s", own && strcmp (own, "/") != 0 ? own : "", rel);
      *out = cg_clean_path (joined);
    }
  if (strcmp (*out, "/") == 0)
    {
      free (*out);
      *out = NULL;
      return hull_error (err, 0, "cgroup: cgroupsPath `%s` resolves to the root cgroup", p);
    }
  return 0;
}

char *
cg_proc_cgroup_lookup (const char *text, const char *key)
{
  size_t klen = strlen (key);
  const char *line = text;

  while (line && *line)
    {
      const char *eol = strchr (line, '\n');
      const char *c1 = memchr (line, ':', eol ? (size_t) (eol - line) : strlen (line));
      const char *c2 = c1 ? memchr (c1 + 1, ':', (eol ? (size_t) (eol - c1) : strlen (c1)) - 1) : NULL;

      if (c2 != NULL)
        {
          /* c1+1 .. c2 is a comma separated controller list ("" for cgroup2) */
          const char *p = c1 + 1;
          bool match = false;
          if (klen == 0)
            match = (c2 == c1 + 1 && strncmp (line, "0:", 2) == 0);
          else
            while (p < c2 && !match)
              {
                const char *comma = memchr (p, ',', (size_t) (c2 - p));
                const char *end = comma ? comma : c2;
                match = (size_t) (end - p) == klen && strncmp (p, key, klen) == 0;
                p = end + 1;
              }
          if (match)
            {
              size_t n = eol ? (size_t) (eol - c2 - 1) : strlen (c2 + 1);
              char *r = xmalloc (n + 1);
              memcpy (r, c2 + 1, n);
              r[n] = '\0';
              return r;
            }
        }
      line = eol ? eol + 1 : NULL;
    }
  return NULL;
}

char *
cg_path_encode (const char *const *keys, const char *const *rels, size_t n)
{
  size_t best = 0, best_count = 0;
  char *out;

  if (n == 0)
    return xstrdup ("/");
  for (size_t i = 0; i < n; i++)
    {
      size_t count = 0;
      for (size_t j = 0; j < n; j++)
        count += strcmp (rels[i], rels[j]) == 0;
      if (count > best_count)
        best = i, best_count = count;
    }
  out = xstrdup (rels[best]);
  for (size_t i = 0; i < n; i++)
    if (strcmp (rels[i], rels[best]) != 0)
      {
        char *more = xasprintf ("%s;%s=%s", out, *keys[i] ? keys[i] : "0", rels[i]);
        free (out);
        out = more;
      }
  return out;
}

char *
cg_path_decode (const char *encoded, const char *key, hull_err *err)
{
  const char *semi = strchr (encoded, ';');
  const char *want = *key ? key : "0";
  size_t wlen = strlen (want);

  if (encoded[0] != '/')
    {
      hull_error (err, 0, "cgroup: stored path `%s` is not absolute", encoded);
      return NULL;
    }
  for (const char *p = semi; p != NULL; p = strchr (p + 1, ';'))
    {
      const char *entry = p + 1;
      const char *next = strchr (entry, ';');
      if (strncmp (entry, want, wlen) == 0 && entry[wlen] == '=')
        {
          const char *v = entry + wlen + 1;
          size_t n = next ? (size_t) (next - v) : strlen (v);
          char *r = xmalloc (n + 1);
          memcpy (r, v, n);
          r[n] = '\0';
          return r;
        }
    }
  if (semi == NULL)
    return xstrdup (encoded);
  {
    size_t n = (size_t) (semi - encoded);
    char *r = xmalloc (n + 1);
    memcpy (r, encoded, n);
    r[n] = '\0';
    return r;
  }
}

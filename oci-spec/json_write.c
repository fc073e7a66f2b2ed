#include "oci-spec/json_write.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci-spec/json_read.h"

yajl_gen
jw_new (bool pretty)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  if (g == NULL)
    abort ();
  if (pretty)
    {
      yajl_gen_config (g, yajl_gen_beautify, 1);
      yajl_gen_config (g, yajl_gen_indent_string, "  ");
    }
  return g;
}

char *
jw_finish (yajl_gen g)
{
  const unsigned char *buf = NULL;
  size_t len = 0;
  char *out;

  yajl_gen_get_buf (g, &buf, &len);
  out = jr_xmalloc (len + 1);
  memcpy (out, buf, len);
  out[len] = '\0';
  /* beautify ends the document with a newline: callers add their own. */
  while (len > 0 && out[len - 1] == '\n')
    out[--len] = '\0';
  yajl_gen_free (g);
  return out;
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t
utf8_seq (const unsigned char *s)
{
  unsigned cp;
  size_t n, i;

  if (s[0] < 0x80)
    return 1;
  if (s[0] >= 0xc2 && s[0] <= 0xdf)
    n = 2, cp = s[0] & 0x1f;
  else if (s[0] >= 0xe0 && s[0] <= 0xef)
    n = 3, cp = s[0] & 0x0f;
  else if (s[0] >= 0xf0 && s[0] <= 0xf4)
    n = 4, cp = s[0] & 0x07;
  else
    return 0;
  for (i = 1; i < n; i++)
    {
      if ((s[i] & 0xc0) != 0x80)
        return 0;
      cp = (cp << 6) | (s[i] & 0x3f);
    }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n;
}

void
jw_str (yajl_gen g, const char *s)
{
  const unsigned char *p = (const unsigned char *) s;
  size_t len = strlen (s), i = 0, o = 0;
  unsigned char *clean;

  while (i < len)
    {
      size_t n = utf8_seq (p + i);
      if (n == 0)
        break;
      i += n;
    }
  if (i == len)
    {
      yajl_gen_string (g, p, len);
      return;
    }
  clean = jr_xmalloc (len * 3 + 1);
  for (i = 0; i < len;)
    {
      size_t n = utf8_seq (p + i);
      if (n == 0)
        {
          memcpy (clean + o, "\xef\xbf\xbd", 3);
          o += 3;
          i++;
          continue;
        }
      memcpy (clean + o, p + i, n);
      o += n;
      i += n;
    }
  yajl_gen_string (g, clean, o);
  free (clean);
}

void
jw_int (yajl_gen g, long long v)
{
  yajl_gen_integer (g, v);
}

void
jw_u64 (yajl_gen g, uint64_t v)
{
  char buf[32];
  int n = snprintf (buf, sizeof (buf), "%" PRIu64, v);
  yajl_gen_number (g, buf, (size_t) n);
}

void
jw_bool (yajl_gen g, bool v)
{
  yajl_gen_bool (g, v);
}

void
jw_open (yajl_gen g)
{
  yajl_gen_map_open (g);
}

void
jw_close (yajl_gen g)
{
  yajl_gen_map_close (g);
}

void
jw_open_array (yajl_gen g)
{
  yajl_gen_array_open (g);
}

void
jw_close_array (yajl_gen g)
{
  yajl_gen_array_close (g);
}

void
jw_kv_str (yajl_gen g, const char *key, const char *v)
{
  if (v == NULL)
    return;
  jw_str (g, key);
  jw_str (g, v);
}

void
jw_kv_int (yajl_gen g, const char *key, long long v)
{
  jw_str (g, key);
  jw_int (g, v);
}

void
jw_kv_u64 (yajl_gen g, const char *key, uint64_t v)
{
  jw_str (g, key);
  jw_u64 (g, v);
}

void
jw_kv_bool (yajl_gen g, const char *key, bool v)
{
  jw_str (g, key);
  jw_bool (g, v);
}

void
jw_kv_strlist (yajl_gen g, const char *key, const char *const *v)
{
  jw_str (g, key);
  jw_open_array (g);
  for (; *v != NULL; v++)
    jw_str (g, *v);
  jw_close_array (g);
}

void
jw_kv_map (yajl_gen g, const char *key, const struct oci_map *m)
{
  size_t i;
  jw_str (g, key);
  jw_open (g);
  for (i = 0; i < m->len; i++)
    {
      jw_str (g, m->items[i].key);
      jw_str (g, m->items[i].value != NULL ? m->items[i].value : "");
    }
  jw_close (g);
}

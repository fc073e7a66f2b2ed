#include "oci-spec/json_read.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
jr_init (struct jr_ctx *c, const char *doc, hull_err *err)
{
  c->err = err;
  c->doc = doc;
  c->path[0] = '\0';
  c->len = 0;
}

void *
jr_xmalloc (size_t n)
{
  void *p = malloc (n ? n : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
jr_xcalloc (size_t n, size_t m)
{
  void *p = calloc (n ? n : 1, m ? m : 1);
  if (p == NULL)
    abort ();
  return p;
}

char *
jr_xstrdup (const char *s)
{
  char *p = strdup (s);
  if (p == NULL)
    abort ();
  return p;
}

const char *
jr_quote (const char *s, char *buf, size_t size)
{
  size_t i, o = 0;
  for (i = 0; s[i] != '\0' && o + 4 < size; i++)
    {
      unsigned char ch = (unsigned char) s[i];
      buf[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char) ch;
    }
  if (s[i] != '\0' && o + 4 <= size)
    {
      memcpy (buf + o, "...", 3);
      o += 3;
    }
  buf[o] = '\0';
  return buf;
}

/* Append to the path, truncating (never overflowing) on absurdly deep or
   long paths. */
static void
path_append (struct jr_ctx *c, const char *text)
{
  size_t room = sizeof (c->path) - c->len;
  int n = snprintf (c->path + c->len, room, "%s", text);
  if (n < 0)
    return;
  c->len = (size_t) n >= room ? sizeof (c->path) - 1 : c->len + (size_t) n;
}

size_t
jr_push_key (struct jr_ctx *c, const char *key)
{
  size_t saved = c->len;
  char buf[128];
  if (c->len > 0)
    path_append (c, ".");
  path_append (c, jr_quote (key, buf, sizeof (buf)));
  return saved;
}

size_t
jr_push_index (struct jr_ctx *c, size_t i)
{
  size_t saved = c->len;
  char buf[32];
  snprintf (buf, sizeof (buf), "[%zu]", i);
  path_append (c, buf);
  return saved;
}

void
jr_pop (struct jr_ctx *c, size_t saved)
{
  if (saved < sizeof (c->path))
    {
      c->len = saved;
      c->path[saved] = '\0';
    }
}

int
jr_fail (struct jr_ctx *c, const char *fmt, ...)
{
  char msg[512];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof (msg), fmt, ap);
  va_end (ap);
  if (c->len == 0)
    return hull_error (c->err, 0, "%s: %s", c->doc, msg);
  return hull_error (c->err, 0, "%s: %s: %s", c->doc, c->path, msg);
}

/* yajl_tree_free recurses, so a hostile document of a million '[' would blow
   the stack; yajl also keeps strings NUL-terminated, so "\u0000" would
   silently cut a path short.  Refuse both before parsing. */
static int
prescan (struct jr_ctx *c, const char *json, size_t len)
{
  size_t i, depth = 0;
  bool in_string = false;

  if (memchr (json, '\0', len) != NULL)
    return hull_error (c->err, 0, "%s: invalid JSON: NUL byte in the document", c->doc);
  for (i = 0; i < len; i++)
    {
      char ch = json[i];
      if (in_string)
        {
          if (ch == '\\' && i + 1 < len)
            {
              if (json[i + 1] == 'u' && i + 5 < len && strncmp (json + i + 2, "0000", 4) == 0)
                return hull_error (c->err, 0, "%s: invalid JSON: \\u0000 in a string", c->doc);
              i++;
            }
          else if (ch == '"')
            in_string = false;
          continue;
        }
      if (ch == '"')
        in_string = true;
      else if (ch == '[' || ch == '{')
        {
          if (++depth > JR_MAX_DEPTH)
            return hull_error (c->err, 0, "%s: invalid JSON: nested deeper than %d levels", c->doc, JR_MAX_DEPTH);
        }
      else if ((ch == ']' || ch == '}') && depth > 0)
        depth--;
    }
  return 0;
}

yajl_val
jr_parse (struct jr_ctx *c, const char *json, size_t len)
{
  char errbuf[1024] = "";
  char *text, *nl;
  yajl_val tree;
  size_t n;

  if (prescan (c, json, len) < 0)
    return NULL;
  text = jr_xmalloc (len + 1);
  memcpy (text, json, len);
  text[len] = '\0';
  tree = yajl_tree_parse (text, errbuf, sizeof (errbuf));
  free (text);
  if (tree != NULL)
    return tree;

  /* yajl's message spans lines (text, then a caret line): keep the first. */
  nl = strchr (errbuf, '\n');
  if (nl != NULL)
    *nl = '\0';
  n = strlen (errbuf);
  while (n > 0 && (errbuf[n - 1] == ' ' || errbuf[n - 1] == '.'))
    errbuf[--n] = '\0';
  hull_error (c->err, 0, "%s: invalid JSON: %s", c->doc, n ? errbuf : "parse error");
  return NULL;
}

yajl_val
jr_member (yajl_val obj, const char *key)
{
  yajl_val found = NULL;
  size_t i;
  if (!YAJL_IS_OBJECT (obj))
    return NULL;
  for (i = 0; i < obj->u.object.len; i++)
    if (strcmp (obj->u.object.keys[i], key) == 0)
      found = obj->u.object.values[i];
  if (YAJL_IS_NULL (found))
    return NULL;
  return found;
}

int
jr_is_object (struct jr_ctx *c, yajl_val v)
{
  return YAJL_IS_OBJECT (v) ? 0 : jr_fail (c, "expected an object");
}

int
jr_is_array (struct jr_ctx *c, yajl_val v)
{
  return YAJL_IS_ARRAY (v) ? 0 : jr_fail (c, "expected an array");
}

int
jr_value_string (struct jr_ctx *c, yajl_val v, char **out)
{
  if (!YAJL_IS_STRING (v))
    return jr_fail (c, "expected a string");
  free (*out);
  *out = jr_xstrdup (v->u.string);
  return 0;
}

/* Integers only: Go refuses 1.0 and 1e3 for integer fields, and so do we. */
static bool
integer_text (const char *r, bool allow_minus)
{
  if (r == NULL)
    return false;
  if (*r == '-' && allow_minus)
    r++;
  if (*r == '\0')
    return false;
  for (; *r; r++)
    if (*r < '0' || *r > '9')
      return false;
  return true;
}

int
jr_value_u64 (struct jr_ctx *c, yajl_val v, uint64_t max, uint64_t *out)
{
  unsigned long long n;
  const char *r;
  char *end;

  if (!YAJL_IS_NUMBER (v) || !integer_text (v->u.number.r, false))
    return jr_fail (c, "expected an unsigned integer");
  r = v->u.number.r;
  errno = 0;
  n = strtoull (r, &end, 10);
  if (errno != 0 || *end != '\0' || n > max)
    {
      char buf[40];
      return jr_fail (c, "%s is out of range (max %" PRIu64 ")", jr_quote (r, buf, sizeof (buf)), max);
    }
  *out = n;
  return 0;
}

int
jr_value_i64 (struct jr_ctx *c, yajl_val v, int64_t min, int64_t max, int64_t *out)
{
  long long n;
  const char *r;
  char *end;

  if (!YAJL_IS_NUMBER (v) || !integer_text (v->u.number.r, true))
    return jr_fail (c, "expected an integer");
  r = v->u.number.r;
  errno = 0;
  n = strtoll (r, &end, 10);
  if (errno != 0 || *end != '\0' || n < min || n > max)
    {
      char buf[40];
      return jr_fail (c, "%s is out of range (%" PRId64 "..%" PRId64 ")", jr_quote (r, buf, sizeof (buf)), min, max);
    }
  *out = n;
  return 0;
}

static int
missing (struct jr_ctx *c, const char *key)
{
  size_t saved = jr_push_key (c, key);
  jr_fail (c, "is required");
  jr_pop (c, saved);
  return -1;
}

int
jr_string (struct jr_ctx *c, yajl_val obj, const char *key, bool required, char **out)
{
  yajl_val v = jr_member (obj, key);
  size_t saved;
  int ret;
  if (v == NULL)
    return required ? missing (c, key) : 0;
  saved = jr_push_key (c, key);
  ret = jr_value_string (c, v, out);
  jr_pop (c, saved);
  return ret;
}

int
jr_bool (struct jr_ctx *c, yajl_val obj, const char *key, bool *out)
{
  yajl_val v = jr_member (obj, key);
  size_t saved;
  if (v == NULL)
    return 0;
  if (YAJL_IS_TRUE (v) || YAJL_IS_FALSE (v))
    {
      *out = YAJL_IS_TRUE (v);
      return 0;
    }
  saved = jr_push_key (c, key);
  jr_fail (c, "expected a boolean");
  jr_pop (c, saved);
  return -1;
}

int
jr_obool (struct jr_ctx *c, yajl_val obj, const char *key, oci_bool *out)
{
  if (jr_member (obj, key) == NULL)
    return 0;
  if (jr_bool (c, obj, key, &out->v) < 0)
    return -1;
  out->set = true;
  return 0;
}

int
jr_u64 (struct jr_ctx *c, yajl_val obj, const char *key, uint64_t max, bool required, uint64_t *out)
{
  yajl_val v = jr_member (obj, key);
  size_t saved;
  int ret;
  if (v == NULL)
    return required ? missing (c, key) : 0;
  saved = jr_push_key (c, key);
  ret = jr_value_u64 (c, v, max, out);
  jr_pop (c, saved);
  return ret;
}

int
jr_ou64 (struct jr_ctx *c, yajl_val obj, const char *key, uint64_t max, oci_u64 *out)
{
  if (jr_member (obj, key) == NULL)
    return 0;
  if (jr_u64 (c, obj, key, max, false, &out->v) < 0)
    return -1;
  out->set = true;
  return 0;
}

int
jr_u32 (struct jr_ctx *c, yajl_val obj, const char *key, bool required, uint32_t *out)
{
  uint64_t v;
  if (jr_member (obj, key) == NULL)
    return required ? missing (c, key) : 0;
  if (jr_u64 (c, obj, key, UINT32_MAX, true, &v) < 0)
    return -1;
  *out = (uint32_t) v;
  return 0;
}

int
jr_i64 (struct jr_ctx *c, yajl_val obj, const char *key, int64_t min, int64_t max, bool required, int64_t *out)
{
  yajl_val v = jr_member (obj, key);
  size_t saved;
  int ret;
  if (v == NULL)
    return required ? missing (c, key) : 0;
  saved = jr_push_key (c, key);
  ret = jr_value_i64 (c, v, min, max, out);
  jr_pop (c, saved);
  return ret;
}

int
jr_oi64 (struct jr_ctx *c, yajl_val obj, const char *key, int64_t min, int64_t max, oci_i64 *out)
{
  if (jr_member (obj, key) == NULL)
    return 0;
  if (jr_i64 (c, obj, key, min, max, false, &out->v) < 0)
    return -1;
  out->set = true;
  return 0;
}

int
jr_strv (struct jr_ctx *c, yajl_val obj, const char *key, struct oci_strv *out, bool *present)
{
  yajl_val v = jr_member (obj, key);
  size_t saved, i;
  if (v == NULL)
    return 0;
  saved = jr_push_key (c, key);
  if (jr_is_array (c, v) < 0)
    return -1;
  jr_strv_free (out);
  out->items = jr_xcalloc (v->u.array.len + 1, sizeof (char *));
  for (i = 0; i < v->u.array.len; i++)
    {
      size_t at = jr_push_index (c, i);
      if (jr_value_string (c, v->u.array.values[i], &out->items[i]) < 0)
        return -1;
      out->len = i + 1;
      jr_pop (c, at);
    }
  if (present)
    *present = true;
  jr_pop (c, saved);
  return 0;
}

int
jr_u32v (struct jr_ctx *c, yajl_val obj, const char *key, uint32_t **out, size_t *len)
{
  yajl_val v = jr_member (obj, key);
  size_t saved, i;
  if (v == NULL)
    return 0;
  saved = jr_push_key (c, key);
  if (jr_is_array (c, v) < 0)
    return -1;
  free (*out);
  *out = jr_xcalloc (v->u.array.len, sizeof (uint32_t));
  *len = v->u.array.len;
  for (i = 0; i < v->u.array.len; i++)
    {
      size_t at = jr_push_index (c, i);
      uint64_t n;
      if (jr_value_u64 (c, v->u.array.values[i], UINT32_MAX, &n) < 0)
        return -1;
      (*out)[i] = (uint32_t) n;
      jr_pop (c, at);
    }
  jr_pop (c, saved);
  return 0;
}

int
jr_map (struct jr_ctx *c, yajl_val obj, const char *key, struct oci_map *out)
{
  yajl_val v = jr_member (obj, key);
  size_t saved, i;
  if (v == NULL)
    return 0;
  saved = jr_push_key (c, key);
  if (jr_is_object (c, v) < 0)
    return -1;
  jr_map_free (out);
  out->items = jr_xcalloc (v->u.object.len, sizeof (struct oci_kv));
  for (i = 0; i < v->u.object.len; i++)
    {
      const char *k = v->u.object.keys[i];
      size_t at = jr_push_key (c, k);
      size_t j;
      char *value = NULL;

      if (jr_value_string (c, v->u.object.values[i], &value) < 0)
        return -1;
      jr_pop (c, at);
      /* A duplicated key keeps its first place and its last value. */
      for (j = 0; j < out->len; j++)
        if (strcmp (out->items[j].key, k) == 0)
          break;
      if (j < out->len)
        {
          free (out->items[j].value);
          out->items[j].value = value;
          continue;
        }
      out->items[out->len].key = jr_xstrdup (k);
      out->items[out->len].value = value;
      out->len++;
    }
  jr_pop (c, saved);
  return 0;
}

int
jr_array (struct jr_ctx *c, yajl_val obj, const char *key, size_t elem_size, void **items, size_t *len,
          jr_elem_fn parse)
{
  yajl_val v = jr_member (obj, key);
  size_t saved, i;
  if (v == NULL)
    return 0;
  saved = jr_push_key (c, key);
  if (jr_is_array (c, v) < 0)
    return -1;
  *items = jr_xcalloc (v->u.array.len, elem_size);
  *len = v->u.array.len;
  for (i = 0; i < v->u.array.len; i++)
    {
      size_t at = jr_push_index (c, i);
      if (parse (c, v->u.array.values[i], (char *) *items + i * elem_size) < 0)
        return -1;
      jr_pop (c, at);
    }
  jr_pop (c, saved);
  return 0;
}

yajl_val
jr_object_member (struct jr_ctx *c, yajl_val obj, const char *key, int *rc)
{
  yajl_val v = jr_member (obj, key);
  *rc = 0;
  if (v != NULL && !YAJL_IS_OBJECT (v))
    {
      size_t saved = jr_push_key (c, key);
      *rc = jr_fail (c, "expected an object");
      jr_pop (c, saved);
      return NULL;
    }
  return v;
}

int
jr_one_of (struct jr_ctx *c, const char *key, const char *value, const char *const *allowed)
{
  char buf[64];
  size_t saved, i;
  for (i = 0; allowed[i] != NULL; i++)
    if (strcmp (value, allowed[i]) == 0)
      return 0;
  saved = jr_push_key (c, key);
  jr_fail (c, "unknown value \"%s\"", jr_quote (value, buf, sizeof (buf)));
  jr_pop (c, saved);
  return -1;
}

void
jr_strv_free (struct oci_strv *v)
{
  size_t i;
  if (v->items != NULL)
    for (i = 0; i < v->len; i++)
      free (v->items[i]);
  free (v->items);
  v->items = NULL;
  v->len = 0;
}

void
jr_map_free (struct oci_map *m)
{
  size_t i;
  for (i = 0; i < m->len; i++)
    {
      free (m->items[i].key);
      free (m->items[i].value);
    }
  free (m->items);
  m->items = NULL;
  m->len = 0;
}

/* Reading yajl trees into the typed structs (internal to oci-spec/).
 *
 * A jr_ctx carries the document name ("config.json") and the JSON path of
 * the value being read, so every error names where it is:
 * "config.json: linux.uidMappings[1].size: expected an unsigned integer".
 * JSON null counts as absent, as it does for runc.  Member lookup takes the
 * last of duplicated keys, as Go's encoding/json does.
 */
#ifndef HULL_OCI_JSON_READ_H
#define HULL_OCI_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

#include "oci-spec/oci_spec.h"
#include "runtime/error.h"

struct jr_ctx
{
  hull_err *err;
  const char *doc;      /* "config.json" */
  char path[512];
  size_t len;
};

void jr_init (struct jr_ctx *c, const char *doc, hull_err *err);

/* Parse text into a tree; errors are "<doc>: invalid JSON: ...".  Rejects
   NUL bytes, \u0000 escapes and nesting deeper than JR_MAX_DEPTH. */
#define JR_MAX_DEPTH 200
yajl_val jr_parse (struct jr_ctx *c, const char *json, size_t len);

/* Path bookkeeping: push returns the length to give back to jr_pop. */
size_t jr_push_key (struct jr_ctx *c, const char *key);
size_t jr_push_index (struct jr_ctx *c, size_t i);
void jr_pop (struct jr_ctx *c, size_t saved);

/* "<doc>: <path>: <message>"; returns -1. */
int jr_fail (struct jr_ctx *c, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* A printable, bounded copy of untrusted text for error messages. */
const char *jr_quote (const char *s, char *buf, size_t size);

/* Allocation for oci-spec/ alone (the fuzzer links nothing else): abort on OOM. */
void *jr_xmalloc (size_t n);
void *jr_xcalloc (size_t n, size_t m);
char *jr_xstrdup (const char *s);

/* The member, or NULL when absent or null. */
yajl_val jr_member (yajl_val obj, const char *key);

/* Type checks of the value at the current path. */
int jr_is_object (struct jr_ctx *c, yajl_val v);
int jr_is_array (struct jr_ctx *c, yajl_val v);

/* Values at the current path. */
int jr_value_string (struct jr_ctx *c, yajl_val v, char **out);
int jr_value_u64 (struct jr_ctx *c, yajl_val v, uint64_t max, uint64_t *out);
int jr_value_i64 (struct jr_ctx *c, yajl_val v, int64_t min, int64_t max, int64_t *out);

/* Members of obj.  `required` turns absence into "<key>: is required";
   otherwise absence leaves *out untouched. */
int jr_string (struct jr_ctx *c, yajl_val obj, const char *key, bool required, char **out);
int jr_bool (struct jr_ctx *c, yajl_val obj, const char *key, bool *out);
int jr_obool (struct jr_ctx *c, yajl_val obj, const char *key, oci_bool *out);
int jr_u64 (struct jr_ctx *c, yajl_val obj, const char *key, uint64_t max, bool required, uint64_t *out);
int jr_ou64 (struct jr_ctx *c, yajl_val obj, const char *key, uint64_t max, oci_u64 *out);
int jr_u32 (struct jr_ctx *c, yajl_val obj, const char *key, bool required, uint32_t *out);
int jr_i64 (struct jr_ctx *c, yajl_val obj, const char *key, int64_t min, int64_t max, bool required, int64_t *out);
int jr_oi64 (struct jr_ctx *c, yajl_val obj, const char *key, int64_t min, int64_t max, oci_i64 *out);
/* Array of strings; *present (may be NULL) tells an empty array from none. */
int jr_strv (struct jr_ctx *c, yajl_val obj, const char *key, struct oci_strv *out, bool *present);
/* Object of string values. */
int jr_map (struct jr_ctx *c, yajl_val obj, const char *key, struct oci_map *out);
/* Array of uint32. */
int jr_u32v (struct jr_ctx *c, yajl_val obj, const char *key, uint32_t **out, size_t *len);

/* Array of objects: allocates *items (zeroed, *len set first, so the
   caller's free function can always run) and calls parse on each element
   with the path at "key[i]". */
typedef int (*jr_elem_fn) (struct jr_ctx *c, yajl_val v, void *elem);
int jr_array (struct jr_ctx *c, yajl_val obj, const char *key, size_t elem_size, void **items, size_t *len,
              jr_elem_fn parse);

/* Object member that must be an object: NULL when absent; *rc < 0 on type error. */
yajl_val jr_object_member (struct jr_ctx *c, yajl_val obj, const char *key, int *rc);

/* Member `key` (already read into value) must be one of allowed[] (NULL-ended). */
int jr_one_of (struct jr_ctx *c, const char *key, const char *value, const char *const *allowed);

void jr_strv_free (struct oci_strv *v);
void jr_map_free (struct oci_map *m);

#endif

/* Writing JSON with yajl_gen (internal to oci-spec/).  Strings that are not
   valid UTF-8 are written with U+FFFD in place of the bad bytes, so every
   document we print parses again. */
#ifndef HULL_OCI_JSON_WRITE_H
#define HULL_OCI_JSON_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>

#include "oci-spec/oci_spec.h"

yajl_gen jw_new (bool pretty);
/* The text (malloc'd, NUL-terminated); frees the generator. */
char *jw_finish (yajl_gen g);

void jw_str (yajl_gen g, const char *s);
void jw_int (yajl_gen g, long long v);
void jw_u64 (yajl_gen g, uint64_t v);
void jw_bool (yajl_gen g, bool v);
void jw_open (yajl_gen g);     /* { */
void jw_close (yajl_gen g);    /* } */
void jw_open_array (yajl_gen g);
void jw_close_array (yajl_gen g);

/* key: value pairs; jw_kv_str skips NULL values. */
void jw_kv_str (yajl_gen g, const char *key, const char *v);
void jw_kv_int (yajl_gen g, const char *key, long long v);
void jw_kv_u64 (yajl_gen g, const char *key, uint64_t v);
void jw_kv_bool (yajl_gen g, const char *key, bool v);
/* NULL-terminated list of strings. */
void jw_kv_strlist (yajl_gen g, const char *key, const char *const *v);
void jw_kv_map (yajl_gen g, const char *key, const struct oci_map *m);

#endif

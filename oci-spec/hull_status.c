/* <state root>/<id>/status: written at create, read by every later command. */
#include "oci-spec/hull_status.h"

#include <stdlib.h>
#include <string.h>

#include "oci-spec/json_read.h"
#include "oci-spec/json_write.h"

const char *
oci_map_get (const struct oci_map *m, const char *key)
{
  size_t i;
  for (i = 0; i < m->len; i++)
    if (strcmp (m->items[i].key, key) == 0)
      return m->items[i].value;
  return NULL;
}

void
oci_map_set (struct oci_map *m, const char *key, const char *value)
{
  struct oci_kv *items;
  size_t i;
  for (i = 0; i < m->len; i++)
    if (strcmp (m->items[i].key, key) == 0)
      {
        free (m->items[i].value);
        m->items[i].value = jr_xstrdup (value);
        return;
      }
  items = realloc (m->items, (m->len + 1) * sizeof (*items));
  if (items == NULL)
    abort ();
  m->items = items;
  m->items[m->len].key = jr_xstrdup (key);
  m->items[m->len].value = jr_xstrdup (value);
  m->len++;
}

void
oci_map_clear (struct oci_map *m)
{
  jr_map_free (m);
}

char *
hull_status_to_json (const struct hull_status *st)
{
  yajl_gen g = jw_new (false);
  jw_open (g);
  jw_kv_str (g, "id", st->id);
  jw_kv_int (g, "pid", st->pid);
  jw_kv_u64 (g, "pidStartTime", st->pid_start_time);
  jw_kv_str (g, "bundle", st->bundle);
  jw_kv_str (g, "rootfs", st->rootfs);
  jw_kv_str (g, "created", st->created);
  jw_kv_str (g, "owner", st->owner);
  jw_kv_str (g, "cgroupPath", st->cgroup_path);
  jw_kv_str (g, "isolation", st->isolation);
  jw_kv_bool (g, "systemdCgroup", st->systemd_cgroup);
  jw_kv_map (g, "annotations", &st->annotations);
  jw_kv_map (g, "extra", &st->extra);
  jw_close (g);
  return jw_finish (g);
}

int
hull_status_parse (const char *json, size_t len, struct hull_status *out, hull_err *err)
{
  struct jr_ctx c;
  yajl_val tree;
  int64_t pid = 0;
  uint64_t start = 0;
  int ret = -1;

  memset (out, 0, sizeof (*out));
  jr_init (&c, "status", err);
  tree = jr_parse (&c, json, len);
  if (tree == NULL)
    return -1;
  if (!YAJL_IS_OBJECT (tree))
    jr_fail (&c, "expected a JSON object at the top level");
  else if (jr_string (&c, tree, "id", true, &out->id) == 0
           && jr_i64 (&c, tree, "pid", 0, INT32_MAX, false, &pid) == 0
           && jr_u64 (&c, tree, "pidStartTime", UINT64_MAX, false, &start) == 0
           && jr_string (&c, tree, "bundle", false, &out->bundle) == 0
           && jr_string (&c, tree, "rootfs", false, &out->rootfs) == 0
           && jr_string (&c, tree, "created", false, &out->created) == 0
           && jr_string (&c, tree, "owner", false, &out->owner) == 0
           && jr_string (&c, tree, "cgroupPath", false, &out->cgroup_path) == 0
           && jr_string (&c, tree, "isolation", false, &out->isolation) == 0
           && jr_bool (&c, tree, "systemdCgroup", &out->systemd_cgroup) == 0
           && jr_map (&c, tree, "annotations", &out->annotations) == 0 && jr_map (&c, tree, "extra", &out->extra) == 0)
    ret = 0;
  yajl_tree_free (tree);
  out->pid = (int) pid;
  out->pid_start_time = start;
  if (ret < 0)
    hull_status_clear (out);
  return ret;
}

void
hull_status_clear (struct hull_status *st)
{
  free (st->id);
  free (st->bundle);
  free (st->rootfs);
  free (st->created);
  free (st->owner);
  free (st->cgroup_path);
  free (st->isolation);
  jr_map_free (&st->annotations);
  jr_map_free (&st->extra);
  memset (st, 0, sizeof (*st));
}

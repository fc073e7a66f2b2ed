/* linux: namespaces, id mappings, devices, time offsets, paths and the
   smaller Linux-only settings.  resources and seccomp have their own files. */
#include "oci-spec/parse.h"

#include <stdlib.h>
#include <string.h>

static const char *const namespace_names[OCI_NS__COUNT] = {
  [OCI_NS_PID] = "pid",   [OCI_NS_NETWORK] = "network", [OCI_NS_MOUNT] = "mount", [OCI_NS_IPC] = "ipc",
  [OCI_NS_UTS] = "uts",   [OCI_NS_USER] = "user",       [OCI_NS_CGROUP] = "cgroup", [OCI_NS_TIME] = "time",
};

const char *
oci_namespace_name (enum oci_namespace_type type)
{
  if ((unsigned) type >= OCI_NS__COUNT)
    return NULL;
  return namespace_names[type];
}

int
parse_id_mapping (struct jr_ctx *c, yajl_val v, void *elem)
{
  struct oci_id_mapping *m = elem;
  if (jr_is_object (c, v) < 0 || jr_u32 (c, v, "containerID", true, &m->container_id) < 0
      || jr_u32 (c, v, "hostID", true, &m->host_id) < 0 || jr_u32 (c, v, "size", true, &m->size) < 0)
    return -1;
  return 0;
}

static int
parse_namespace (struct jr_ctx *c, yajl_val v, void *elem)
{
  struct oci_namespace *ns = elem;
  char *type = NULL;
  char buf[64];
  int i;

  if (jr_is_object (c, v) < 0 || jr_string (c, v, "type", true, &type) < 0)
    {
      free (type);
      return -1;
    }
  for (i = 0; i < OCI_NS__COUNT; i++)
    if (strcmp (type, namespace_names[i]) == 0)
      break;
  if (i == OCI_NS__COUNT)
    {
      size_t saved = jr_push_key (c, "type");
      jr_fail (c, "unknown namespace type \"%s\"", jr_quote (type, buf, sizeof (buf)));
      jr_pop (c, saved);
      free (type);
      return -1;
    }
  free (type);
  ns->type = (enum oci_namespace_type) i;
  if (jr_string (c, v, "path", false, &ns->path) < 0)
    return -1;
  if (ns->path != NULL && ns->path[0] == '\0')
    {
      free (ns->path);
      ns->path = NULL;
    }
  return 0;
}

static int
check_namespaces (struct jr_ctx *c, const struct oci_linux *l)
{
  size_t i, j;
  for (i = 0; i < l->namespaces_len; i++)
    for (j = 0; j < i; j++)
      if (l->namespaces[i].type == l->namespaces[j].type)
        {
          size_t saved = jr_push_key (c, "namespaces");
          jr_push_index (c, i);
          jr_push_key (c, "type");
          jr_fail (c, "duplicate namespace \"%s\"", namespace_names[l->namespaces[i].type]);
          jr_pop (c, saved);
          return -1;
        }
  return 0;
}

static int
parse_device (struct jr_ctx *c, yajl_val v, void *elem)
{
  static const char *const types[] = { "c", "b", "u", "p", NULL };
  struct oci_device *d = elem;
  bool need_numbers;

  if (jr_is_object (c, v) < 0 || jr_string (c, v, "type", true, &d->type) < 0
      || jr_one_of (c, "type", d->type, types) < 0 || jr_string (c, v, "path", true, &d->path) < 0)
    return -1;
  if (d->path[0] != '/')
    {
      size_t saved = jr_push_key (c, "path");
      jr_fail (c, "must be an absolute path");
      jr_pop (c, saved);
      return -1;
    }
  need_numbers = strcmp (d->type, "p") != 0;
  if (jr_i64 (c, v, "major", INT64_MIN, INT64_MAX, need_numbers, &d->major) < 0
      || jr_i64 (c, v, "minor", INT64_MIN, INT64_MAX, need_numbers, &d->minor) < 0
      || jr_ou64 (c, v, "fileMode", UINT32_MAX, &d->file_mode) < 0 || jr_ou64 (c, v, "uid", UINT32_MAX, &d->uid) < 0
      || jr_ou64 (c, v, "gid", UINT32_MAX, &d->gid) < 0)
    return -1;
  return 0;
}

static int
parse_time_offset (struct jr_ctx *c, yajl_val v, struct oci_time_offset *t)
{
  uint32_t ns = 0;
  if (jr_is_object (c, v) < 0 || jr_i64 (c, v, "secs", INT64_MIN, INT64_MAX, false, &t->secs) < 0
      || jr_u32 (c, v, "nanosecs", false, &ns) < 0)
    return -1;
  t->nanosecs = ns;
  return 0;
}

static int
parse_time_offsets (struct jr_ctx *c, yajl_val v, struct oci_linux *l)
{
  size_t i;
  if (jr_is_object (c, v) < 0)
    return -1;
  l->has_time_offsets = true;
  for (i = 0; i < v->u.object.len; i++)
    {
      const char *clock = v->u.object.keys[i];
      yajl_val val = v->u.object.values[i];
      size_t saved = jr_push_key (c, clock);
      int ret;

      if (YAJL_IS_NULL (val))
        ret = 0;
      else if (strcmp (clock, "monotonic") == 0)
        {
          ret = parse_time_offset (c, val, &l->time_monotonic);
          l->has_time_monotonic = true;
        }
      else if (strcmp (clock, "boottime") == 0)
        {
          ret = parse_time_offset (c, val, &l->time_boottime);
          l->has_time_boottime = true;
        }
      else
        ret = jr_fail (c, "unknown clock (expected \"monotonic\" or \"boottime\")");
      if (ret < 0)
        return -1;
      jr_pop (c, saved);
    }
  return 0;
}

static int
parse_personality (struct jr_ctx *c, yajl_val v, struct oci_personality *p)
{
  static const char *const domains[] = { "LINUX", "LINUX32", NULL };
  if (jr_is_object (c, v) < 0 || jr_string (c, v, "domain", true, &p->domain) < 0
      || jr_one_of (c, "domain", p->domain, domains) < 0 || jr_strv (c, v, "flags", &p->flags, NULL) < 0)
    return -1;
  return 0;
}

static int
parse_intel_rdt (struct jr_ctx *c, yajl_val v, struct oci_intel_rdt *r)
{
  if (jr_is_object (c, v) < 0 || jr_string (c, v, "closID", false, &r->clos_id) < 0
      || jr_string (c, v, "l3CacheSchema", false, &r->l3_cache_schema) < 0
      || jr_string (c, v, "memBwSchema", false, &r->mem_bw_schema) < 0
      || jr_bool (c, v, "enableCMT", &r->enable_cmt) < 0 || jr_bool (c, v, "enableMBM", &r->enable_mbm) < 0)
    return -1;
  return 0;
}

static int
parse_propagation (struct jr_ctx *c, yajl_val v, struct oci_linux *l)
{
  static const char *const modes[] = { "private", "rprivate", "shared",     "rshared",     "slave",
                                       "rslave",  "unbindable", "runbindable", NULL };
  if (jr_string (c, v, "rootfsPropagation", false, &l->rootfs_propagation) < 0)
    return -1;
  if (l->rootfs_propagation == NULL)
    return 0;
  if (l->rootfs_propagation[0] == '\0')
    {
      free (l->rootfs_propagation);
      l->rootfs_propagation = NULL;
      return 0;
    }
  return jr_one_of (c, "rootfsPropagation", l->rootfs_propagation, modes);
}

int
parse_linux (struct jr_ctx *c, yajl_val v, struct oci_linux *l)
{
  yajl_val sub;

  if (jr_is_object (c, v) < 0)
    return -1;
  if (jr_array (c, v, "namespaces", sizeof (struct oci_namespace), (void **) &l->namespaces, &l->namespaces_len,
                parse_namespace)
          < 0
      || check_namespaces (c, l) < 0)
    return -1;
  if (jr_array (c, v, "uidMappings", sizeof (struct oci_id_mapping), (void **) &l->uid_mappings,
                &l->uid_mappings_len, parse_id_mapping)
          < 0
      || jr_array (c, v, "gidMappings", sizeof (struct oci_id_mapping), (void **) &l->gid_mappings,
                   &l->gid_mappings_len, parse_id_mapping)
             < 0)
    return -1;
  if ((sub = jr_member (v, "timeOffsets")) != NULL)
    {
      size_t saved = jr_push_key (c, "timeOffsets");
      if (parse_time_offsets (c, sub, l) < 0)
        return -1;
      jr_pop (c, saved);
    }
  if (jr_array (c, v, "devices", sizeof (struct oci_device), (void **) &l->devices, &l->devices_len, parse_device) < 0
      || jr_string (c, v, "cgroupsPath", false, &l->cgroups_path) < 0)
    return -1;
  JR_SUB_OBJECT (c, v, "resources", &l->resources, parse_resources);
  if (parse_propagation (c, v, l) < 0)
    return -1;
  JR_SUB_OBJECT (c, v, "seccomp", &l->seccomp, parse_seccomp);
  if (jr_map (c, v, "sysctl", &l->sysctl) < 0
      || jr_strv (c, v, "maskedPaths", &l->masked_paths, &l->has_masked_paths) < 0
      || jr_strv (c, v, "readonlyPaths", &l->readonly_paths, &l->has_readonly_paths) < 0
      || jr_string (c, v, "mountLabel", false, &l->mount_label) < 0)
    return -1;
  JR_SUB_OBJECT (c, v, "personality", &l->personality, parse_personality);
  JR_SUB_OBJECT (c, v, "intelRdt", &l->intel_rdt, parse_intel_rdt);
  return 0;
}

void
linux_clear (struct oci_linux *l)
{
  size_t i;
  for (i = 0; i < l->namespaces_len; i++)
    free (l->namespaces[i].path);
  free (l->namespaces);
  free (l->uid_mappings);
  free (l->gid_mappings);
  for (i = 0; i < l->devices_len; i++)
    {
      free (l->devices[i].type);
      free (l->devices[i].path);
    }
  free (l->devices);
  free (l->cgroups_path);
  if (l->resources != NULL)
    resources_clear (l->resources);
  free (l->resources);
  free (l->rootfs_propagation);
  if (l->seccomp != NULL)
    seccomp_clear (l->seccomp);
  free (l->seccomp);
  jr_map_free (&l->sysctl);
  jr_strv_free (&l->masked_paths);
  jr_strv_free (&l->readonly_paths);
  free (l->mount_label);
  if (l->personality != NULL)
    {
      free (l->personality->domain);
      jr_strv_free (&l->personality->flags);
    }
  free (l->personality);
  if (l->intel_rdt != NULL)
    {
      free (l->intel_rdt->clos_id);
      free (l->intel_rdt->l3_cache_schema);
      free (l->intel_rdt->mem_bw_schema);
    }
  free (l->intel_rdt);
  memset (l, 0, sizeof (*l));
}

/* linux.resources (also `update --resources FILE`).  Ranges follow the Go
   types of the runtime-spec (uint16 weights, uint32 class ids...). */
#include "oci-spec/parse.h"

#include <stdlib.h>
#include <string.h>

static int
parse_device_rule (struct jr_ctx *c, yajl_val v, void *elem)
{
  static const char *const types[] = { "a", "c", "b", NULL };
  struct oci_device_cgroup *d = elem;
  yajl_val allow = jr_member (v, "allow");
  size_t i;

  if (jr_is_object (c, v) < 0)
    return -1;
  if (allow == NULL)
    {
      size_t saved = jr_push_key (c, "allow");
      jr_fail (c, "is required");
      jr_pop (c, saved);
      return -1;
    }
  if (jr_bool (c, v, "allow", &d->allow) < 0 || jr_string (c, v, "type", false, &d->type) < 0
      || (d->type != NULL && jr_one_of (c, "type", d->type, types) < 0)
      || jr_oi64 (c, v, "major", INT64_MIN, INT64_MAX, &d->major) < 0
      || jr_oi64 (c, v, "minor", INT64_MIN, INT64_MAX, &d->minor) < 0
      || jr_string (c, v, "access", false, &d->access) < 0)
    return -1;
  for (i = 0; d->access != NULL && d->access[i] != '\0'; i++)
    if (strchr ("rwm", d->access[i]) == NULL)
      {
        size_t saved = jr_push_key (c, "access");
        jr_fail (c, "must be a combination of \"r\", \"w\" and \"m\"");
        jr_pop (c, saved);
        return -1;
      }
  return 0;
}

static int
parse_memory (struct jr_ctx *c, yajl_val v, struct oci_memory *m)
{
  if (jr_is_object (c, v) < 0 || jr_oi64 (c, v, "limit", INT64_MIN, INT64_MAX, &m->limit) < 0
      || jr_oi64 (c, v, "reservation", INT64_MIN, INT64_MAX, &m->reservation) < 0
      || jr_oi64 (c, v, "swap", INT64_MIN, INT64_MAX, &m->swap) < 0
      || jr_oi64 (c, v, "kernel", INT64_MIN, INT64_MAX, &m->kernel) < 0
      || jr_oi64 (c, v, "kernelTCP", INT64_MIN, INT64_MAX, &m->kernel_tcp) < 0
      || jr_ou64 (c, v, "swappiness", UINT64_MAX, &m->swappiness) < 0
      || jr_obool (c, v, "disableOOMKiller", &m->disable_oom_killer) < 0
      || jr_obool (c, v, "useHierarchy", &m->use_hierarchy) < 0
      || jr_obool (c, v, "checkBeforeUpdate", &m->check_before_update) < 0)
    return -1;
  return 0;
}

static int
parse_cpu (struct jr_ctx *c, yajl_val v, struct oci_cpu *cpu)
{
  if (jr_is_object (c, v) < 0 || jr_ou64 (c, v, "shares", UINT64_MAX, &cpu->shares) < 0
      || jr_oi64 (c, v, "quota", INT64_MIN, INT64_MAX, &cpu->quota) < 0
      /* burst is a uint64 in the spec; kept in an int64 field. */
      || jr_oi64 (c, v, "burst", 0, INT64_MAX, &cpu->burst) < 0
      || jr_ou64 (c, v, "period", UINT64_MAX, &cpu->period) < 0
      || jr_oi64 (c, v, "realtimeRuntime", INT64_MIN, INT64_MAX, &cpu->realtime_runtime) < 0
      || jr_ou64 (c, v, "realtimePeriod", UINT64_MAX, &cpu->realtime_period) < 0
      || jr_string (c, v, "cpus", false, &cpu->cpus) < 0 || jr_string (c, v, "mems", false, &cpu->mems) < 0
      || jr_oi64 (c, v, "idle", INT64_MIN, INT64_MAX, &cpu->idle) < 0)
    return -1;
  return 0;
}

static int
parse_weight_device (struct jr_ctx *c, yajl_val v, void *elem)
{
  struct oci_weight_device *w = elem;
  if (jr_is_object (c, v) < 0 || jr_i64 (c, v, "major", INT64_MIN, INT64_MAX, true, &w->major) < 0
      || jr_i64 (c, v, "minor", INT64_MIN, INT64_MAX, true, &w->minor) < 0
      || jr_ou64 (c, v, "weight", UINT16_MAX, &w->weight) < 0
      || jr_ou64 (c, v, "leafWeight", UINT16_MAX, &w->leaf_weight) < 0)
    return -1;
  return 0;
}

static int
parse_throttle_device (struct jr_ctx *c, yajl_val v, void *elem)
{
  struct oci_throttle_device *t = elem;
  if (jr_is_object (c, v) < 0 || jr_i64 (c, v, "major", INT64_MIN, INT64_MAX, true, &t->major) < 0
      || jr_i64 (c, v, "minor", INT64_MIN, INT64_MAX, true, &t->minor) < 0
      || jr_u64 (c, v, "rate", UINT64_MAX, true, &t->rate) < 0)
    return -1;
  return 0;
}

static int
parse_block_io (struct jr_ctx *c, yajl_val v, struct oci_block_io *b)
{
  if (jr_is_object (c, v) < 0 || jr_ou64 (c, v, "weight", UINT16_MAX, &b->weight) < 0
      || jr_ou64 (c, v, "leafWeight", UINT16_MAX, &b->leaf_weight) < 0
      || jr_array (c, v, "weightDevice", sizeof (*b->weight_device), (void **) &b->weight_device,
                   &b->weight_device_len, parse_weight_device)
             < 0
      || jr_array (c, v, "throttleReadBpsDevice", sizeof (*b->throttle_read_bps), (void **) &b->throttle_read_bps,
                   &b->throttle_read_bps_len, parse_throttle_device)
             < 0
      || jr_array (c, v, "throttleWriteBpsDevice", sizeof (*b->throttle_write_bps),
                   (void **) &b->throttle_write_bps, &b->throttle_write_bps_len, parse_throttle_device)
             < 0
      || jr_array (c, v, "throttleReadIOPSDevice", sizeof (*b->throttle_read_iops),
                   (void **) &b->throttle_read_iops, &b->throttle_read_iops_len, parse_throttle_device)
             < 0
      || jr_array (c, v, "throttleWriteIOPSDevice", sizeof (*b->throttle_write_iops),
                   (void **) &b->throttle_write_iops, &b->throttle_write_iops_len, parse_throttle_device)
             < 0)
    return -1;
  return 0;
}

static int
parse_hugepage_limit (struct jr_ctx *c, yajl_val v, void *elem)
{
  struct oci_hugepage_limit *h = elem;
  if (jr_is_object (c, v) < 0 || jr_string (c, v, "pageSize", true, &h->page_size) < 0
      || jr_u64 (c, v, "limit", UINT64_MAX, true, &h->limit) < 0)
    return -1;
  return 0;
}

static int
parse_net_priority (struct jr_ctx *c, yajl_val v, void *elem)
{
  struct oci_net_priority *p = elem;
  if (jr_is_object (c, v) < 0 || jr_string (c, v, "name", true, &p->name) < 0
      || jr_u32 (c, v, "priority", true, &p->priority) < 0)
    return -1;
  return 0;
}

static int
parse_network (struct jr_ctx *c, yajl_val v, struct oci_network *n)
{
  if (jr_is_object (c, v) < 0 || jr_ou64 (c, v, "classID", UINT32_MAX, &n->class_id) < 0
      || jr_array (c, v, "priorities", sizeof (*n->priorities), (void **) &n->priorities, &n->priorities_len,
                   parse_net_priority)
             < 0)
    return -1;
  return 0;
}

/* rdma is an object keyed by device name. */
static int
parse_rdma (struct jr_ctx *c, yajl_val v, struct oci_resources *r)
{
  size_t i;
  if (jr_is_object (c, v) < 0)
    return -1;
  r->rdma = jr_xcalloc (v->u.object.len, sizeof (*r->rdma));
  for (i = 0; i < v->u.object.len; i++)
    {
      struct oci_rdma_entry *e = &r->rdma[r->rdma_len++];
      yajl_val val = v->u.object.values[i];
      size_t saved = jr_push_key (c, v->u.object.keys[i]);

      e->device = jr_xstrdup (v->u.object.keys[i]);
      if (jr_is_object (c, val) < 0 || jr_ou64 (c, val, "hcaHandles", UINT32_MAX, &e->hca_handles) < 0
          || jr_ou64 (c, val, "hcaObjects", UINT32_MAX, &e->hca_objects) < 0)
        return -1;
      jr_pop (c, saved);
    }
  return 0;
}

int
parse_resources (struct jr_ctx *c, yajl_val v, struct oci_resources *r)
{
  yajl_val sub;
  int rc;

  if (jr_is_object (c, v) < 0
      || jr_array (c, v, "devices", sizeof (*r->devices), (void **) &r->devices, &r->devices_len, parse_device_rule)
             < 0)
    return -1;
  JR_SUB_OBJECT (c, v, "memory", &r->memory, parse_memory);
  JR_SUB_OBJECT (c, v, "cpu", &r->cpu, parse_cpu);
  sub = jr_object_member (c, v, "pids", &rc);
  if (rc < 0)
    return -1;
  if (sub != NULL)
    {
      size_t saved = jr_push_key (c, "pids");
      if (jr_oi64 (c, sub, "limit", INT64_MIN, INT64_MAX, &r->pids_limit) < 0)
        return -1;
      jr_pop (c, saved);
    }
  JR_SUB_OBJECT (c, v, "blockIO", &r->block_io, parse_block_io);
  if (jr_array (c, v, "hugepageLimits", sizeof (*r->hugepage_limits), (void **) &r->hugepage_limits,
                &r->hugepage_limits_len, parse_hugepage_limit)
      < 0)
    return -1;
  JR_SUB_OBJECT (c, v, "network", &r->network, parse_network);
  if ((sub = jr_member (v, "rdma")) != NULL)
    {
      size_t saved = jr_push_key (c, "rdma");
      if (parse_rdma (c, sub, r) < 0)
        return -1;
      jr_pop (c, saved);
    }
  return jr_map (c, v, "unified", &r->unified);
}

void
resources_clear (struct oci_resources *r)
{
  size_t i;
  for (i = 0; i < r->devices_len; i++)
    {
      free (r->devices[i].type);
      free (r->devices[i].access);
    }
  free (r->devices);
  free (r->memory);
  if (r->cpu != NULL)
    {
      free (r->cpu->cpus);
      free (r->cpu->mems);
    }
  free (r->cpu);
  if (r->block_io != NULL)
    {
      free (r->block_io->weight_device);
      free (r->block_io->throttle_read_bps);
      free (r->block_io->throttle_write_bps);
      free (r->block_io->throttle_read_iops);
      free (r->block_io->throttle_write_iops);
    }
  free (r->block_io);
  for (i = 0; i < r->hugepage_limits_len; i++)
    free (r->hugepage_limits[i].page_size);
  free (r->hugepage_limits);
  if (r->network != NULL)
    {
      for (i = 0; i < r->network->priorities_len; i++)
        free (r->network->priorities[i].name);
      free (r->network->priorities);
    }
  free (r->network);
  for (i = 0; i < r->rdma_len; i++)
    free (r->rdma[i].device);
  free (r->rdma);
  jr_map_free (&r->unified);
  memset (r, 0, sizeof (*r));
}

struct oci_resources *
oci_resources_parse (const char *json, size_t len, hull_err *err)
{
  struct jr_ctx c;
  struct oci_resources *r;
  yajl_val tree;

  jr_init (&c, "resources.json", err);
  tree = jr_parse (&c, json, len);
  if (tree == NULL)
    return NULL;
  r = jr_xcalloc (1, sizeof (*r));
  if (parse_resources (&c, tree, r) < 0)
    {
      oci_resources_free (r);
      r = NULL;
    }
  yajl_tree_free (tree);
  return r;
}

void
oci_resources_free (struct oci_resources *r)
{
  if (r == NULL)
    return;
  resources_clear (r);
  free (r);
}

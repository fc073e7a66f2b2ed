#include "oci-spec/resources_json.h"

#include "oci-spec/json_write.h"

static void
kv_i64 (yajl_gen g, const char *key, oci_i64 v)
{
  if (v.set)
    jw_kv_int (g, key, v.v);
}

static void
kv_u64 (yajl_gen g, const char *key, oci_u64 v)
{
  if (v.set)
    jw_kv_u64 (g, key, v.v);
}

static void
kv_bool (yajl_gen g, const char *key, oci_bool v)
{
  if (v.set)
    jw_kv_bool (g, key, v.v);
}

static void
write_devices (yajl_gen g, const struct oci_resources *r)
{
  if (r->devices_len == 0)
    return;
  jw_str (g, "devices");
  jw_open_array (g);
  for (size_t i = 0; i < r->devices_len; i++)
    {
      const struct oci_device_cgroup *d = &r->devices[i];
      jw_open (g);
      jw_kv_bool (g, "allow", d->allow);
      jw_kv_str (g, "type", d->type);
      kv_i64 (g, "major", d->major);
      kv_i64 (g, "minor", d->minor);
      jw_kv_str (g, "access", d->access);
      jw_close (g);
    }
  jw_close_array (g);
}

static void
write_memory (yajl_gen g, const struct oci_memory *m)
{
  jw_str (g, "memory");
  jw_open (g);
  kv_i64 (g, "limit", m->limit);
  kv_i64 (g, "reservation", m->reservation);
  kv_i64 (g, "swap", m->swap);
  kv_i64 (g, "kernel", m->kernel);
  kv_i64 (g, "kernelTCP", m->kernel_tcp);
  kv_u64 (g, "swappiness", m->swappiness);
  kv_bool (g, "disableOOMKiller", m->disable_oom_killer);
  kv_bool (g, "useHierarchy", m->use_hierarchy);
  kv_bool (g, "checkBeforeUpdate", m->check_before_update);
  jw_close (g);
}

static void
write_cpu (yajl_gen g, const struct oci_cpu *c)
{
  jw_str (g, "cpu");
  jw_open (g);
  kv_u64 (g, "shares", c->shares);
  kv_i64 (g, "quota", c->quota);
  kv_i64 (g, "burst", c->burst);
  kv_u64 (g, "period", c->period);
  kv_i64 (g, "realtimeRuntime", c->realtime_runtime);
  kv_u64 (g, "realtimePeriod", c->realtime_period);
  jw_kv_str (g, "cpus", c->cpus);
  jw_kv_str (g, "mems", c->mems);
  kv_i64 (g, "idle", c->idle);
  jw_close (g);
}

static void
write_throttle (yajl_gen g, const char *key, const struct oci_throttle_device *t, size_t n)
{
  if (n == 0)
    return;
  jw_str (g, key);
  jw_open_array (g);
  for (size_t i = 0; i < n; i++)
    {
      jw_open (g);
      jw_kv_int (g, "major", t[i].major);
      jw_kv_int (g, "minor", t[i].minor);
      jw_kv_u64 (g, "rate", t[i].rate);
      jw_close (g);
    }
  jw_close_array (g);
}

static void
write_block_io (yajl_gen g, const struct oci_block_io *b)
{
  jw_str (g, "blockIO");
  jw_open (g);
  kv_u64 (g, "weight", b->weight);
  kv_u64 (g, "leafWeight", b->leaf_weight);
  if (b->weight_device_len > 0)
    {
      jw_str (g, "weightDevice");
      jw_open_array (g);
      for (size_t i = 0; i < b->weight_device_len; i++)
        {
          const struct oci_weight_device *w = &b->weight_device[i];
          jw_open (g);
          jw_kv_int (g, "major", w->major);
          jw_kv_int (g, "minor", w->minor);
          kv_u64 (g, "weight", w->weight);
          kv_u64 (g, "leafWeight", w->leaf_weight);
          jw_close (g);
        }
      jw_close_array (g);
    }
  write_throttle (g, "throttleReadBpsDevice", b->throttle_read_bps, b->throttle_read_bps_len);
  write_throttle (g, "throttleWriteBpsDevice", b->throttle_write_bps, b->throttle_write_bps_len);
  write_throttle (g, "throttleReadIOPSDevice", b->throttle_read_iops, b->throttle_read_iops_len);
  write_throttle (g, "throttleWriteIOPSDevice", b->throttle_write_iops, b->throttle_write_iops_len);
  jw_close (g);
}

static void
write_network (yajl_gen g, const struct oci_network *n)
{
  jw_str (g, "network");
  jw_open (g);
  kv_u64 (g, "classID", n->class_id);
  if (n->priorities_len > 0)
    {
      jw_str (g, "priorities");
      jw_open_array (g);
      for (size_t i = 0; i < n->priorities_len; i++)
        {
          jw_open (g);
          jw_kv_str (g, "name", n->priorities[i].name);
          jw_kv_u64 (g, "priority", n->priorities[i].priority);
          jw_close (g);
        }
      jw_close_array (g);
    }
  jw_close (g);
}

char *
oci_resources_json (const struct oci_resources *r)
{
  yajl_gen g = jw_new (false);

  jw_open (g);
  write_devices (g, r);
  if (r->memory != NULL)
    write_memory (g, r->memory);
  if (r->cpu != NULL)
    write_cpu (g, r->cpu);
  if (r->pids_limit.set)
    {
      jw_str (g, "pids");
      jw_open (g);
      jw_kv_int (g, "limit", r->pids_limit.v);
      jw_close (g);
    }
  if (r->block_io != NULL)
    write_block_io (g, r->block_io);
  if (r->hugepage_limits_len > 0)
    {
      jw_str (g, "hugepageLimits");
      jw_open_array (g);
      for (size_t i = 0; i < r->hugepage_limits_len; i++)
        {
          jw_open (g);
          jw_kv_str (g, "pageSize", r->hugepage_limits[i].page_size);
          jw_kv_u64 (g, "limit", r->hugepage_limits[i].limit);
          jw_close (g);
        }
      jw_close_array (g);
    }
  if (r->network != NULL)
    write_network (g, r->network);
  if (r->rdma_len > 0)
    {
      jw_str (g, "rdma");
      jw_open (g);
      for (size_t i = 0; i < r->rdma_len; i++)
        {
          jw_str (g, r->rdma[i].device);
          jw_open (g);
          kv_u64 (g, "hcaHandles", r->rdma[i].hca_handles);
          kv_u64 (g, "hcaObjects", r->rdma[i].hca_objects);
          jw_close (g);
        }
      jw_close (g);
    }
  if (r->unified.len > 0)
    jw_kv_map (g, "unified", &r->unified);
  jw_close (g);
  return jw_finish (g);
}

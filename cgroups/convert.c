/* Pure conversions and checks on linux.resources, shared by v1 and v2. */
#include "cgroups/internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runtime/util.h"

uint64_t
cg_shares_to_weight (uint64_t shares)
{
  if (shares == 0)
    return 0;
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t
cg_blkio_weight_to_io_weight (uint64_t weight)
{
  if (weight == 0)
    return 0;
  if (weight < 10)
    weight = 10;
  if (weight > 1000)
    weight = 1000;
  return 1 + ((weight - 10) * 9999) / 990;
}

int
cg_swap_to_v2 (const struct oci_memory *m, int64_t *out, bool *set, hull_err *err)
{
  int64_t limit = m->limit.set ? m->limit.v : 0;
  int64_t swap = m->swap.set ? m->swap.v : 0;

  *set = false;
  if (!m->swap.set || swap == 0)
    {
      /* An unlimited memory limit lifts the swap limit with it. */
      if (m->limit.set && limit == -1)
        {
          *out = -1;
          *set = true;
        }
      return 0;
    }
  if (swap == -1)
    {
      *out = -1;
      *set = true;
      return 0;
    }
  if (!m->limit.set || limit == 0 || limit == -1)
    return hull_error (err, 0, "linux.resources.memory.swap: a swap limit needs a memory limit on cgroup v2");
  if (swap < limit)
    return hull_error (err, 0, "linux.resources.memory.swap: memory+swap limit %lld is below the memory limit %lld",
                       (long long) swap, (long long) limit);
  *out = swap - limit;
  *set = true;
  return 0;
}

bool
cg_hugepage_size_supported (const char *page_size)
{
  unsigned long long n;
  char unit[8] = "", extra;
  unsigned long long kb;
  cleanup_free char *path = NULL;

  if (page_size == NULL || sscanf (page_size, "%llu%7[KMGB]%c", &n, unit, &extra) != 2)
    return false;
  if (strcmp (unit, "KB") == 0)
    kb = n;
  else if (strcmp (unit, "MB") == 0)
    kb = n * 1024;
  else if (strcmp (unit, "GB") == 0)
    kb = n * 1024 * 1024;
  else
    return false;
  path = xasprintf ("/sys/kernel/mm/hugepages/hugepages-%llukB", kb);
  return access (path, F_OK) == 0;
}

static int
check_rule (const struct oci_device_cgroup *d, size_t i, hull_err *err)
{
  if (d->type != NULL && !(strcmp (d->type, "a") == 0 || strcmp (d->type, "c") == 0 || strcmp (d->type, "b") == 0))
    return hull_error (err, 0, "linux.resources.devices[%zu].type: `%s` is not one of a, c, b", i, d->type);
  if (d->access != NULL)
    {
      if (d->access[strspn (d->access, "rwm")] != '\0')
        return hull_error (err, 0, "linux.resources.devices[%zu].access: `%s` is not made of r, w, m", i,
                           d->access);
    }
  if ((d->major.set && d->major.v < -1) || (d->minor.set && d->minor.v < -1) || (d->major.set && d->major.v > 0xfffff)
      || (d->minor.set && d->minor.v > 0xfffff))
    return hull_error (err, 0, "linux.resources.devices[%zu]: invalid major/minor", i);
  return 0;
}

static int
check_throttles (const struct oci_throttle_device *t, size_t n, const char *name, hull_err *err)
{
  for (size_t i = 0; i < n; i++)
    if (t[i].major < 0 || t[i].minor < 0)
      return hull_error (err, 0, "linux.resources.blockIO.%s[%zu]: invalid major/minor %lld:%lld", name, i,
                         (long long) t[i].major, (long long) t[i].minor);
  return 0;
}

int
cg_validate_resources (const struct oci_resources *res, hull_err *err)
{
  const struct oci_memory *m = res->memory;
  const struct oci_cpu *c = res->cpu;
  const struct oci_block_io *b = res->block_io;

  for (size_t i = 0; i < res->devices_len; i++)
    if (check_rule (&res->devices[i], i, err) < 0)
      return -1;
  if (m != NULL)
    {
      if (m->limit.set && m->limit.v < -1)
        return hull_error (err, 0, "linux.resources.memory.limit: invalid value %lld", (long long) m->limit.v);
      if (m->swap.set && m->swap.v < -1)
        return hull_error (err, 0, "linux.resources.memory.swap: invalid value %lld", (long long) m->swap.v);
      if (m->reservation.set && m->reservation.v < -1)
        return hull_error (err, 0, "linux.resources.memory.reservation: invalid value %lld",
                           (long long) m->reservation.v);
      if (m->limit.set && m->swap.set && m->limit.v > 0 && m->swap.v > 0 && m->swap.v < m->limit.v)
        return hull_error (err, EINVAL,
                           "linux.resources.memory.swap: memory+swap limit %lld is below the memory limit %lld",
                           (long long) m->swap.v, (long long) m->limit.v);
      if (m->swappiness.set && m->swappiness.v > 100)
        return hull_error (err, 0, "linux.resources.memory.swappiness: %llu is not in 0..100",
                           (unsigned long long) m->swappiness.v);
    }
  if (c != NULL)
    {
      if (c->shares.set && c->shares.v != 0 && (c->shares.v < 2 || c->shares.v > 262144))
        return hull_error (err, 0, "linux.resources.cpu.shares: %llu is not in 2..262144",
                           (unsigned long long) c->shares.v);
      if (c->period.set && c->period.v != 0 && (c->period.v < 1000 || c->period.v > 1000000))
        return hull_error (err, 0, "linux.resources.cpu.period: %llu is not in 1000..1000000",
                           (unsigned long long) c->period.v);
      if (c->quota.set && c->quota.v != -1 && c->quota.v != 0 && c->quota.v < 1000)
        return hull_error (err, 0, "linux.resources.cpu.quota: %lld is below 1000 (or -1 for no limit)",
                           (long long) c->quota.v);
      if (c->burst.set && c->burst.v < 0)
        return hull_error (err, 0, "linux.resources.cpu.burst: invalid value %lld", (long long) c->burst.v);
      if (c->idle.set && c->idle.v != 0 && c->idle.v != 1)
        return hull_error (err, 0, "linux.resources.cpu.idle: %lld is not 0 or 1", (long long) c->idle.v);
      if (c->cpus && c->cpus[strspn (c->cpus, "0123456789,- ")] != '\0')
        return hull_error (err, 0, "linux.resources.cpu.cpus: `%s` is not a cpu list", c->cpus);
      if (c->mems && c->mems[strspn (c->mems, "0123456789,- ")] != '\0')
        return hull_error (err, 0, "linux.resources.cpu.mems: `%s` is not a node list", c->mems);
    }
  if (b != NULL)
    {
      if (b->weight.set && b->weight.v != 0 && (b->weight.v < 10 || b->weight.v > 1000))
        return hull_error (err, 0, "linux.resources.blockIO.weight: %llu is not in 10..1000",
                           (unsigned long long) b->weight.v);
      if (b->leaf_weight.set && b->leaf_weight.v != 0 && (b->leaf_weight.v < 10 || b->leaf_weight.v > 1000))
        return hull_error (err, 0, "linux.resources.blockIO.leafWeight: %llu is not in 10..1000",
                           (unsigned long long) b->leaf_weight.v);
      for (size_t i = 0; i < b->weight_device_len; i++)
        {
          const struct oci_weight_device *w = &b->weight_device[i];
          if (w->major < 0 || w->minor < 0)
            return hull_error (err, 0, "linux.resources.blockIO.weightDevice[%zu]: invalid major/minor", i);
          if (w->weight.set && w->weight.v != 0 && (w->weight.v < 10 || w->weight.v > 1000))
            return hull_error (err, 0, "linux.resources.blockIO.weightDevice[%zu].weight: %llu is not in 10..1000",
                               i, (unsigned long long) w->weight.v);
        }
      if (check_throttles (b->throttle_read_bps, b->throttle_read_bps_len, "throttleReadBpsDevice", err) < 0
          || check_throttles (b->throttle_write_bps, b->throttle_write_bps_len, "throttleWriteBpsDevice", err) < 0
          || check_throttles (b->throttle_read_iops, b->throttle_read_iops_len, "throttleReadIOPSDevice", err) < 0
          || check_throttles (b->throttle_write_iops, b->throttle_write_iops_len, "throttleWriteIOPSDevice", err) < 0)
        return -1;
    }
  for (size_t i = 0; i < res->hugepage_limits_len; i++)
    if (!cg_hugepage_size_supported (res->hugepage_limits[i].page_size))
      return hull_error (err, 0, "linux.resources.hugepageLimits[%zu].pageSize: `%s` is not a huge page size of this host",
                         i, res->hugepage_limits[i].page_size ? res->hugepage_limits[i].page_size : "");
  if (res->network)
    for (size_t i = 0; i < res->network->priorities_len; i++)
      {
        const char *name = res->network->priorities[i].name;
        if (name == NULL || *name == '\0' || strpbrk (name, " \n/") != NULL)
          return hull_error (err, 0, "linux.resources.network.priorities[%zu].name: invalid interface name", i);
      }
  for (size_t i = 0; i < res->rdma_len; i++)
    if (res->rdma[i].device == NULL || *res->rdma[i].device == '\0' || strpbrk (res->rdma[i].device, " \n") != NULL)
      return hull_error (err, 0, "linux.resources.rdma: invalid device name");
  for (size_t i = 0; i < res->unified.len; i++)
    {
      const char *k = res->unified.items[i].key;
      if (k == NULL || strchr (k, '/') != NULL || strchr (k, '.') == NULL || k[0] == '.')
        return hull_error (err, 0, "linux.resources.unified: `%s` is not a cgroup file name", k ? k : "");
      if (strncmp (k, "cgroup.", 7) == 0
          && !(strcmp (k, "cgroup.max.depth") == 0 || strcmp (k, "cgroup.max.descendants") == 0))
        return hull_error (err, 0, "linux.resources.unified: `%s` may not be set", k);
    }
  return 0;
}

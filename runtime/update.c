#include "runtime/update.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci-spec/resources_json.h"
#include "runtime/cgroup_of.h"
#include "runtime/lifecycle.h"
#include "runtime/log.h"
#include "runtime/util.h"

int
hull_parse_ram_size (const char *s, int64_t *out, hull_err *err)
{
  const char *p = s, *digits_end;
  long double size, mul = 1;
  char *end;

  if (strcmp (s, "-1") == 0)
    {
      *out = -1;
      return 0;
    }
  if (!isdigit ((unsigned char) *p))
    return hull_error (err, 0, "invalid size `%s`", s);
  while (isdigit ((unsigned char) *p) || *p == '.')
    p++;
  digits_end = p;
  errno = 0;
  size = strtold (s, &end);
  if (errno != 0 || end != digits_end)
    return hull_error (err, 0, "invalid size `%s`", s);
  if (*p == ' ')
    p++;
  if (*p != '\0' && strchr ("kKmMgGtTpP", *p) != NULL)
    {
      static const char units[] = "kmgtp";
      int power = (int) (strchr (units, tolower ((unsigned char) *p)) - units) + 1;
      for (int i = 0; i < power; i++)
        mul *= 1024;
      p++;
    }
  if (*p == 'i' || *p == 'I')
    p++;
  if (*p == 'b' || *p == 'B')
    p++;
  if (*p != '\0')
    return hull_error (err, 0, "invalid size `%s`", s);
  size *= mul;
  if (size >= (long double) INT64_MAX)
    return hull_error (err, 0, "size `%s` is too large", s);
  *out = (int64_t) size;
  return 0;
}

static int
flag_u64 (const char *flag, const char *v, oci_u64 *out, hull_err *err)
{
  char *end;
  unsigned long long x;
  if (v == NULL)
    return 0;
  errno = 0;
  x = strtoull (v, &end, 10);
  if (!isdigit ((unsigned char) *v) || errno != 0 || *end != '\0')
    return hull_error (err, 0, "invalid value for --%s: `%s` is not an unsigned integer", flag, v);
  out->set = true;
  out->v = x;
  return 0;
}

static int
flag_i64 (const char *flag, const char *v, oci_i64 *out, hull_err *err)
{
  char *end;
  long long x;
  if (v == NULL)
    return 0;
  errno = 0;
  x = strtoll (v, &end, 10);
  if (*v == '\0' || errno != 0 || *end != '\0')
    return hull_error (err, 0, "invalid value for --%s: `%s` is not an integer", flag, v);
  out->set = true;
  out->v = x;
  return 0;
}

static int
flag_size (const char *flag, const char *v, oci_i64 *out, hull_err *err)
{
  if (v == NULL)
    return 0;
  if (hull_parse_ram_size (v, &out->v, err) < 0)
    return hull_error_wrap (err, "invalid value for --%s", flag);
  out->set = true;
  return 0;
}

int
hull_update_resources_from_flags (const struct hull_update_opts *o, struct oci_resources **out, hull_err *err)
{
  struct oci_resources *r = xcalloc (1, sizeof *r);
  struct oci_memory *m = xcalloc (1, sizeof *m);
  struct oci_cpu *c = xcalloc (1, sizeof *c);
  struct oci_block_io *b = xcalloc (1, sizeof *b);
  oci_u64 weight = { 0 };

  r->memory = m;
  r->cpu = c;
  r->block_io = b;
  if (o->l3_cache_schema != NULL)
    {
      hull_error (err, ENOTSUP, "--l3-cache-schema: Intel RDT is not supported by hull");
      goto fail;
    }
  if (o->mem_bw_schema != NULL)
    {
      hull_error (err, ENOTSUP, "--mem-bw-schema: Intel RDT is not supported by hull");
      goto fail;
    }
  if (flag_u64 ("blkio-weight", o->blkio_weight, &weight, err) < 0 || flag_u64 ("cpu-period", o->cpu_period, &c->period, err) < 0
      || flag_i64 ("cpu-quota", o->cpu_quota, &c->quota, err) < 0
      || flag_i64 ("cpu-burst", o->cpu_burst, &c->burst, err) < 0
      || flag_u64 ("cpu-rt-period", o->cpu_rt_period, &c->realtime_period, err) < 0
      || flag_i64 ("cpu-rt-runtime", o->cpu_rt_runtime, &c->realtime_runtime, err) < 0
      || flag_u64 ("cpu-share", o->cpu_share, &c->shares, err) < 0
      || flag_size ("memory", o->memory, &m->limit, err) < 0
      || flag_size ("memory-reservation", o->memory_reservation, &m->reservation, err) < 0
      || flag_size ("memory-swap", o->memory_swap, &m->swap, err) < 0
      || flag_i64 ("pids-limit", o->pids_limit, &r->pids_limit, err) < 0)
    goto fail;
  if (c->burst.set && c->burst.v < 0)
    {
      hull_error (err, 0, "invalid value for --cpu-burst: `%s` is negative", o->cpu_burst);
      goto fail;
    }
  /* runc: a zero blkio weight means "not given". */
  if (weight.set && weight.v != 0)
    b->weight = weight;
  if (o->cpuset_cpus != NULL && *o->cpuset_cpus != '\0')
    c->cpus = xstrdup (o->cpuset_cpus);
  if (o->cpuset_mems != NULL && *o->cpuset_mems != '\0')
    c->mems = xstrdup (o->cpuset_mems);
  /* Only what was given: an empty object would still name a controller. */
  if (!m->limit.set && !m->reservation.set && !m->swap.set)
    free (steal_ptr (&r->memory));
  if (!c->period.set && !c->quota.set && !c->burst.set && !c->realtime_period.set && !c->realtime_runtime.set
      && !c->shares.set && c->cpus == NULL && c->mems == NULL)
    free (steal_ptr (&r->cpu));
  if (!b->weight.set)
    free (steal_ptr (&r->block_io));
  *out = r;
  return 0;
fail:
  oci_resources_free (r);
  return -1;
}

static struct oci_resources *
read_resources_file (const char *path, hull_err *err)
{
  cleanup_free char *text = NULL;
  struct oci_resources *r;
  size_t len = 0;

  if (read_file_or_stdin ("--resources", path, &text, &len, err) < 0)
    return NULL;
  r = oci_resources_parse (text, len, err);
  if (r == NULL)
    hull_error_wrap (err, "--resources");
  return r;
}

/* ---- merging into the stored resources ---- */

#define MOVE_OPT(dst, src, field)                                                                              \
  do                                                                                                           \
    if ((src)->field.set)                                                                                      \
      (dst)->field = (src)->field;                                                                             \
  while (0)

#define MOVE_STR(dst, src, field)                                                                              \
  do                                                                                                           \
    if ((src)->field != NULL)                                                                                  \
      {                                                                                                        \
        free ((dst)->field);                                                                                   \
        (dst)->field = steal_ptr (&(src)->field);                                                              \
      }                                                                                                        \
  while (0)

/* An array replaces the stored one when given (the kernel keeps the
   per-device values of devices not named again, but the list given last
   is what a later reader wants to see). */
#define MOVE_ARRAY(dst, src, field, len_field, swap_type)                                                     \
  do                                                                                                           \
    if ((src)->len_field > 0)                                                                                  \
      {                                                                                                        \
        swap_type *t = (dst)->field;                                                                           \
        size_t tl = (dst)->len_field;                                                                          \
        (dst)->field = (src)->field;                                                                           \
        (dst)->len_field = (src)->len_field;                                                                   \
        (src)->field = t;                                                                                      \
        (src)->len_field = tl;                                                                                 \
      }                                                                                                        \
  while (0)

static void
merge_memory (struct oci_memory *d, const struct oci_memory *s)
{
  MOVE_OPT (d, s, limit);
  MOVE_OPT (d, s, reservation);
  MOVE_OPT (d, s, swap);
  MOVE_OPT (d, s, kernel);
  MOVE_OPT (d, s, kernel_tcp);
  MOVE_OPT (d, s, swappiness);
  MOVE_OPT (d, s, disable_oom_killer);
  MOVE_OPT (d, s, use_hierarchy);
  MOVE_OPT (d, s, check_before_update);
}

static void
merge_cpu (struct oci_cpu *d, struct oci_cpu *s)
{
  MOVE_OPT (d, s, shares);
  MOVE_OPT (d, s, quota);
  MOVE_OPT (d, s, burst);
  MOVE_OPT (d, s, period);
  MOVE_OPT (d, s, realtime_runtime);
  MOVE_OPT (d, s, realtime_period);
  MOVE_OPT (d, s, idle);
  MOVE_STR (d, s, cpus);
  MOVE_STR (d, s, mems);
}

static void
merge_block_io (struct oci_block_io *d, struct oci_block_io *s)
{
  MOVE_OPT (d, s, weight);
  MOVE_OPT (d, s, leaf_weight);
  MOVE_ARRAY (d, s, weight_device, weight_device_len, struct oci_weight_device);
  MOVE_ARRAY (d, s, throttle_read_bps, throttle_read_bps_len, struct oci_throttle_device);
  MOVE_ARRAY (d, s, throttle_write_bps, throttle_write_bps_len, struct oci_throttle_device);
  MOVE_ARRAY (d, s, throttle_read_iops, throttle_read_iops_len, struct oci_throttle_device);
  MOVE_ARRAY (d, s, throttle_write_iops, throttle_write_iops_len, struct oci_throttle_device);
}

/* Take the sub-object from `s` when `d` has none, else merge field-wise. */
#define MERGE_SUB(d, s, field, merge)                                                                          \
  do                                                                                                           \
    if ((s)->field != NULL)                                                                                    \
      {                                                                                                        \
        if ((d)->field == NULL)                                                                                \
          (d)->field = steal_ptr (&(s)->field);                                                                \
        else                                                                                                   \
          merge ((d)->field, (s)->field);                                                                      \
      }                                                                                                        \
  while (0)

void
hull_resources_merge (struct oci_resources *d, struct oci_resources *s)
{
  MERGE_SUB (d, s, memory, merge_memory);
  MERGE_SUB (d, s, cpu, merge_cpu);
  MERGE_SUB (d, s, block_io, merge_block_io);
  /* runc: a zero pids limit is "not given" */
  if (s->pids_limit.set && s->pids_limit.v != 0)
    d->pids_limit = s->pids_limit;
  MOVE_ARRAY (d, s, hugepage_limits, hugepage_limits_len, struct oci_hugepage_limit);
  if (s->network != NULL)
    {
      struct oci_network *t = d->network;
      d->network = s->network;
      s->network = t;
    }
  MOVE_ARRAY (d, s, rdma, rdma_len, struct oci_rdma_entry);
  for (size_t i = 0; i < s->unified.len; i++)
    oci_map_set (&d->unified, s->unified.items[i].key, s->unified.items[i].value);
  /* Device rules are not changed by an update (as runc). */
}

/* The resources stored by an earlier update, else the config's. */
static struct oci_resources *
stored_resources (struct hull_container *c)
{
  cleanup_free char *text = NULL;
  hull_err err = NULL;
  struct oci_resources *r = NULL;
  size_t len;

  if (read_file_at (c->sd->dirfd, HULL_RESOURCES_FILE, &text, &len, &err) == 0)
    r = oci_resources_parse (text, len, &err);
  else
    {
      hull_error_release (&err);
      if (read_file_at (c->sd->dirfd, "config.json", &text, &len, &err) == 0)
        {
          struct oci_spec *spec = oci_spec_parse (text, len, &err);
          if (spec != NULL && spec->linux_ != NULL)
            r = steal_ptr (&spec->linux_->resources);
          oci_spec_free (spec);
        }
    }
  if (err != NULL)
    {
      hull_log_warning ("container %s: stored resources: %s", c->st.id, err->msg);
      hull_error_release (&err);
    }
  return r != NULL ? r : xcalloc (1, sizeof *r);
}

static void
store_resources (struct hull_container *c, struct oci_resources *upd)
{
  struct oci_resources *r = stored_resources (c);
  cleanup_free char *json = NULL;
  hull_err err = NULL;
  char path[64];

  hull_resources_merge (r, upd);
  json = oci_resources_json (r);
  oci_resources_free (r);
  snprintf (path, sizeof path, "/proc/self/fd/%d/%s", c->sd->dirfd, HULL_RESOURCES_FILE);
  if (write_file_atomic (path, json, strlen (json), 0600, &err) < 0)
    {
      /* The cgroup has the new values; only the record of them is stale. */
      hull_log_warning ("container %s: store the updated resources: %s", c->st.id, err->msg);
      hull_error_release (&err);
    }
}

int
hull_update (const struct hull_context *ctx, const char *id, const struct hull_update_opts *o, hull_err *err)
{
  struct oci_resources *res = NULL;
  struct hull_container c;
  enum hull_state s;
  int ret = -1;

  if (o->resources_file != NULL)
    res = read_resources_file (o->resources_file, err);
  else if (hull_update_resources_from_flags (o, &res, err) < 0)
    res = NULL;
  if (res == NULL)
    return -1;
  if (hull_container_load (ctx, id, HULL_LOCK_EXCLUSIVE, &c, err) < 0)
    {
      oci_resources_free (res);
      return -1;
    }
  s = hull_container_observe (&c);
  if (s == HULL_STOPPED || s == HULL_CREATING)
    {
      hull_error (err, 0, "cannot update container %s: container not running (%s)", id, hull_state_name (s));
      goto out;
    }
  if (hull_container_cgroup (&c, err) < 0)
    goto out;
  if (cgroup_update (c.cgroup, res, err) < 0)
    {
      hull_error_wrap (err, "update container %s", id);
      goto out;
    }
  store_resources (&c, res);
  hull_log_debug ("container %s: resources updated", id);
  ret = 0;
out:
  oci_resources_free (res);
  hull_container_release (&c);
  return ret;
}

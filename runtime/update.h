/* update: change a running container's resources, as `runc update`.
 *
 * The new values come from --resources (linux.resources JSON) or from
 * runc's flags; only what is given changes.  cgroup_update() validates
 * first and puts back what it wrote when the kernel refuses a value, so a
 * failed update changes nothing.  The container's current resources (the
 * config's, with every update merged in) are kept in the state directory
 * as resources.json.
 */
#ifndef HULL_UPDATE_H
#define HULL_UPDATE_H

#include <stdint.h>

#include "oci-spec/oci_spec.h"
#include "runtime/container.h"

#define HULL_RESOURCES_FILE "resources.json"

/* runc's flags, as given (NULL: not given). */
struct hull_update_opts
{
  const char *resources_file;   /* "-": stdin; the flags are then ignored, as runc */
  const char *blkio_weight;
  const char *cpu_period, *cpu_quota, *cpu_burst, *cpu_rt_period, *cpu_rt_runtime, *cpu_share;
  const char *cpuset_cpus, *cpuset_mems;
  const char *memory, *memory_reservation, *memory_swap;
  const char *pids_limit;
  const char *l3_cache_schema, *mem_bw_schema;
};

int hull_update (const struct hull_context *ctx, const char *id, const struct hull_update_opts *opts,
                 hull_err *err);

/* The resources the flags ask for (pure). */
int hull_update_resources_from_flags (const struct hull_update_opts *o, struct oci_resources **out, hull_err *err);
/* A size as runc (go-units RAMInBytes) reads it: "1024", "100M", "1.5g",
   "512KiB", binary multiples; "-1" means unlimited. */
int hull_parse_ram_size (const char *s, int64_t *out, hull_err *err);
/* Move every value `upd` sets into `base` (upd is left partly empty). */
void hull_resources_merge (struct oci_resources *base, struct oci_resources *upd);

#endif

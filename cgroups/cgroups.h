/* cgroups: placement and resources for a container (or for the VMM that
 * stands for it).  Works on cgroup v1, v2 and the hybrid layouts (v1
 * controllers plus a cgroup2 mount at /sys/fs/cgroup/unified that may hold
 * controllers).  libcgroup is used inside this directory only.
 */
#ifndef HULL_CGROUPS_H
#define HULL_CGROUPS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci-spec/oci_spec.h"
#include "runtime/error.h"

enum cgroup_mode { CGROUP_MODE_V1, CGROUP_MODE_HYBRID, CGROUP_MODE_V2 };

struct hull_cgroup;   /* opaque */

/* Detect the host layout once per process.  `why`, if not NULL, gets a
   human-readable description for --debug ("hybrid: v1 cpu,memory,...;
   cgroup2 at /sys/fs/cgroup/unified with hugetlb"). */
enum cgroup_mode cgroup_detect_mode (char **why);

/* Compute the path from linux.cgroupsPath, create the cgroups, apply `res`
   (may be NULL).  On failure nothing is left behind.  As runc's cgroupfs
   driver: an absolute path is used as is in every hierarchy; a relative
   one goes under hull's own cgroup in each hierarchy (/proc/self/cgroup);
   NULL or "" means the container id, relative.  The systemd form
   "slice:prefix:name" is refused (no systemd driver).  When res->devices
   is given, the default devices (null, zero, full, tty, random, urandom,
   pts, ptmx) and mknod are allowed after it, as runc does. */
int cgroup_create (const char *cgroups_path, const char *id, const struct oci_resources *res,
                   struct hull_cgroup **out, hull_err *err);
/* The same, also allowing each linux.devices entry in the device cgroup. */
int cgroup_create_with_devices (const char *cgroups_path, const char *id, const struct oci_resources *res,
                                const struct oci_device *devices, size_t n_devices,
                                struct hull_cgroup **out, hull_err *err);
/* Reopen from what cgroup_path() returned (stored in the state dir). */
int cgroup_load (const char *path, struct hull_cgroup **out, hull_err *err);
/* Linked as hull_cgroup_free: libcgroup exports a cgroup_free of its own,
   and its internal calls must not land here. */
void cgroup_free (struct hull_cgroup *cg) __asm__ ("hull_cgroup_free");

/* The path relative to each hierarchy's root, e.g. "/hull/abc".  Where
   hierarchies differ (a relative path under different own cgroups) it is
   "/abc;memory=/x/abc": the common path, then the exceptions. */
const char *cgroup_path (const struct hull_cgroup *cg);

int cgroup_enter (struct hull_cgroup *cg, pid_t pid, hull_err *err);
/* Validate, then write; on a failed write the values written are put back.
   Device rules are not changed by an update (as runc). */
int cgroup_update (struct hull_cgroup *cg, const struct oci_resources *res, hull_err *err);
int cgroup_freeze (struct hull_cgroup *cg, bool frozen, hull_err *err);
int cgroup_is_frozen (struct hull_cgroup *cg, bool *frozen, hull_err *err);
/* Every pid in the cgroup and its sub-cgroups. */
int cgroup_pids (struct hull_cgroup *cg, pid_t **pids, size_t *n, hull_err *err);
/* Signal every process (freeze, kill, thaw, as runc does for kill --all). */
int cgroup_kill_all (struct hull_cgroup *cg, int sig, hull_err *err);
/* Remove the cgroups, sub-cgroups created by the workload included. */
int cgroup_destroy (struct hull_cgroup *cg, hull_err *err);

struct cgroup_stats
{
  uint64_t memory_usage, memory_limit, memory_max_usage, memory_swap_usage, oom_kill_count;
  uint64_t cpu_usage_ns, cpu_user_ns, cpu_system_ns, cpu_throttled_periods, cpu_throttled_ns;
  uint64_t pids_current, pids_limit;
};
int cgroup_stats (struct hull_cgroup *cg, struct cgroup_stats *st, hull_err *err);
/* An fd that becomes readable on OOM events.  v1: an eventfd (read 8 bytes
   to consume an event); v2: an inotify fd on memory.events (read it, then
   compare oom_kill in cgroup_stats).  The caller closes it. */
int cgroup_oom_eventfd (struct hull_cgroup *cg, hull_err *err);

#endif

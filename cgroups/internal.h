/* Private to cgroups/: the host layout, the per-hierarchy directories of one
   cgroup, and small file helpers.  Nothing outside cgroups/ includes this. */
#ifndef HULL_CGROUPS_INTERNAL_H
#define HULL_CGROUPS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroups/cgroups.h"

#define CG_MAX_HIER 24

struct cg_hierarchy
{
  char *controllers; /* v1: "cpu,cpuacct" or "name=systemd"; v2: space separated, from cgroup.controllers */
  char *mount;       /* "/sys/fs/cgroup/cpu" */
  bool v2;
};

struct cg_layout
{
  enum cgroup_mode mode;
  char *why;
  struct cg_hierarchy h[CG_MAX_HIER];
  size_t n;
  const struct cg_hierarchy *unified; /* the cgroup2 hierarchy; NULL on pure v1 */
};

/* Detected once per process (mode.c). */
const struct cg_layout *cg_layout_get (hull_err *err);
/* Build a layout from a root such as "/sys/fs/cgroup" (tests use it). */
int cg_layout_detect (const char *root, struct cg_layout *out, hull_err *err);
bool cg_hierarchy_has (const struct cg_hierarchy *h, const char *controller);
/* The key naming a hierarchy in a stored path and in /proc/<pid>/cgroup:
   "memory", "name=systemd", "" for cgroup2. */
const char *cg_hierarchy_key (const struct cg_hierarchy *h);

/* One directory of the cgroup, one per hierarchy it lives in. */
struct cg_dir
{
  const struct cg_hierarchy *h;
  char *rel; /* "/hull/abc", relative to the hierarchy root */
  char *abs; /* "/sys/fs/cgroup/memory/hull/abc" */
};

struct hull_cgroup
{
  const struct cg_layout *layout;
  char *path;
  struct cg_dir d[CG_MAX_HIER];
  size_t n;
};

/* The directory holding `controller` ("memory", "freezer"...), or NULL when
   no hierarchy of this cgroup has it. */
const struct cg_dir *cg_dir_for (const struct hull_cgroup *cg, const char *controller);
/* The cgroup2 directory, NULL on pure v1. */
const struct cg_dir *cg_dir_unified (const struct hull_cgroup *cg);
/* The directory used to list processes (cgroup.procs). */
const struct cg_dir *cg_dir_primary (const struct hull_cgroup *cg);

/* ---- path.c (pure) ---- */
/* Clean to an absolute path without "." or "..", never above "/". */
char *cg_clean_path (const char *path);
/* "slice:prefix:name" as given to the systemd driver. */
bool cg_is_systemd_path (const char *path);
/* The path inside one hierarchy: absolute paths as they are, relative ones
   (and the default, the container id) under `own`, the runtime's own cgroup
   in that hierarchy, as runc's cgroupfs driver does. */
int cg_compute_path (const char *cgroups_path, const char *id, const char *own, char **out, hull_err *err);
/* Find `key` in the text of /proc/<pid>/cgroup ("" for the 0:: line). */
char *cg_proc_cgroup_lookup (const char *proc_cgroup, const char *key);
/* The stored form: "/a/b" when every hierarchy has the same path, else
   "/a/b;memory=/x/a/b;..." (the most common path first, then exceptions). */
char *cg_path_encode (const char *const *keys, const char *const *rels, size_t n);
/* The path of hierarchy `key` in a stored form (malloc'd). */
char *cg_path_decode (const char *encoded, const char *key, hull_err *err);

/* ---- fs.c ---- */
int cg_write (const char *dir, const char *file, const char *value, hull_err *err);
int cg_writef (const char *dir, const char *file, hull_err *err, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
int cg_read (const char *dir, const char *file, char **out, hull_err *err);
int cg_read_u64 (const char *dir, const char *file, uint64_t *out, hull_err *err);
/* "key value" lines (memory.stat, cpu.stat, memory.events). */
bool cg_read_keyed (const char *dir, const char *file, const char *key, uint64_t *out);
bool cg_file_exists (const char *dir, const char *file);
/* Every pid in dir/cgroup.procs and below. */
int cg_collect_pids (const char *dir, pid_t **pids, size_t *n, size_t *cap, hull_err *err);

/* ---- resources ---- */
int cg_apply_resources (struct hull_cgroup *cg, const struct oci_resources *res, bool update, hull_err *err);

#endif

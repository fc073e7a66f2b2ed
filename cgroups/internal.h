/* Private to cgroups/: the host layout, the per-hierarchy directories of one
   cgroup, and small file helpers.  Nothing outside cgroups/ includes this. */
#ifndef HULL_CGROUPS_INTERNAL_H
#define HULL_CGROUPS_INTERNAL_H

#include <stdarg.h>
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
void cg_layout_clear (struct cg_layout *l);
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

/* cgroup_create on a given layout, with `own` the text of /proc/self/cgroup
   (tests run the cgroup2 paths on a hybrid host's cgroup2 mount with it). */
int cg_create_in (const struct cg_layout *l, const char *own, const char *cgroups_path, const char *id,
                  const struct oci_resources *res, const struct oci_device *devices, size_t n_devices,
                  struct hull_cgroup **out, hull_err *err);

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
/* The base of relative paths in one hierarchy, as runc's drivers: on v1
   the runtime's own cgroup there (`own`, from /proc/self/cgroup); on a v2
   host the parent of its own cgroup; the root of the cgroup2 mount of a
   hybrid host. */
char *cg_relative_base (enum cgroup_mode mode, bool v2_hierarchy, const char *own);
/* The path inside one hierarchy: absolute paths as they are, relative ones
   (and the default, the container id) under `own`, a cg_relative_base. */
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
/* The value to write to `file`, formatted (malloc'd); NULL and err if not. */
char *cg_vformat (const char *file, hull_err *err, const char *fmt, va_list ap)
    __attribute__ ((format (printf, 3, 0)));
int cg_read (const char *dir, const char *file, char **out, hull_err *err);
int cg_read_u64 (const char *dir, const char *file, uint64_t *out, hull_err *err);
/* "key value" lines (memory.stat, cpu.stat, memory.events). */
bool cg_read_keyed (const char *dir, const char *file, const char *key, uint64_t *out);
bool cg_file_exists (const char *dir, const char *file);
/* Every pid in dir/cgroup.procs and below. */
int cg_collect_pids (const char *dir, pid_t **pids, size_t *n, size_t *cap, hull_err *err);

/* ---- resources.c ---- */
/* One application of linux.resources.  On update every write remembers the
   file's previous value so a failure puts the cgroup back as it was. */
struct cg_apply
{
  struct hull_cgroup *cg;
  bool update;
  struct cg_undo { char *dir, *file, *old; } *undo;
  size_t n_undo, cap_undo;
};
int cg_apply_resources (struct hull_cgroup *cg, const struct oci_resources *res,
                        const struct oci_device *devices, size_t n_devices, bool update, hull_err *err);
int cg_set (struct cg_apply *a, const char *dir, const char *file, const char *value, hull_err *err);
int cg_setf (struct cg_apply *a, const char *dir, const char *file, hull_err *err, const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));
/* cgroup_create on a given layout, with `own` the text of /proc/self/cgroup
   (tests run the cgroup2 paths on a hybrid host's cgroup2 mount with it). */
int cg_create_in (const struct cg_layout *l, const char *own, const char *cgroups_path, const char *id,
                  const struct oci_resources *res, const struct oci_device *devices, size_t n_devices,
                  struct hull_cgroup **out, hull_err *err);

/* The directory holding `controller`, enabling it on the way down on
   cgroup2; a clear error naming `what` (the OCI resource) when the host has
   no such controller. */
const struct cg_dir *cg_need (struct cg_apply *a, const char *controller, const char *what, hull_err *err);
/* Make `controller` available in a cgroup2 directory (subtree_control of
   every ancestor). */
int cg_unified_enable (const struct cg_dir *d, const char *controller, hull_err *err);

/* Per-resource writers (memory.c, cpu.c, blkio.c, misc.c, devices_*.c). */
int cg_apply_memory (struct cg_apply *a, const struct oci_memory *m, hull_err *err);
int cg_apply_cpu (struct cg_apply *a, const struct oci_cpu *c, hull_err *err);
int cg_apply_blkio (struct cg_apply *a, const struct oci_block_io *b, hull_err *err);
int cg_apply_pids (struct cg_apply *a, int64_t limit, hull_err *err);
int cg_apply_hugetlb (struct cg_apply *a, const struct oci_hugepage_limit *h, size_t n, hull_err *err);
int cg_apply_network (struct cg_apply *a, const struct oci_network *net, hull_err *err);
int cg_apply_rdma (struct cg_apply *a, const struct oci_rdma_entry *r, size_t n, hull_err *err);
int cg_apply_unified (struct cg_apply *a, const struct oci_map *unified, hull_err *err);

/* ---- convert.c (pure) ---- */
/* cpu.shares (2..262144) to cpu.weight (1..10000), as runc and crun map it. */
uint64_t cg_shares_to_weight (uint64_t shares);
/* blkio.weight (10..1000) to io.weight (1..10000). */
uint64_t cg_blkio_weight_to_io_weight (uint64_t weight);
/* OCI memory.swap is memory+swap; cgroup2's memory.swap.max is swap alone.
   *out = -1 means "max"; *set false means leave the file alone. */
int cg_swap_to_v2 (const struct oci_memory *m, int64_t *out, bool *set, hull_err *err);
/* Checks that need no kernel: ranges, swap >= limit, device rule syntax. */
int cg_validate_resources (const struct oci_resources *res, hull_err *err);
/* "2MB" -> true when /sys/kernel/mm/hugepages has that size. */
bool cg_hugepage_size_supported (const char *page_size);

/* ---- devices ---- */
struct cg_device_rule
{
  bool allow;
  char type;          /* 'a', 'c', 'b' */
  int64_t major, minor; /* -1: any */
  unsigned access;    /* CG_DEV_R|W|M */
};
#define CG_DEV_M 1u
#define CG_DEV_R 2u
#define CG_DEV_W 4u
/* The spec's rules, then an allow rule per linux.devices entry and the
   devices every container gets (null, zero, full, tty, random, urandom,
   pts, ptmx, mknod of anything), as runc does. */
int cg_device_rules (const struct oci_device_cgroup *rules, size_t n, const struct oci_device *devices,
                     size_t n_devices, struct cg_device_rule **out, size_t *n_out, hull_err *err);
/* "c 1:3 rwm" as devices.allow/deny take it. */
char *cg_device_rule_v1 (const struct cg_device_rule *r);
int cg_devices_v1_apply (struct cg_apply *a, const char *dir, const struct cg_device_rule *r, size_t n, hull_err *err);
/* The BPF_CGROUP_DEVICE program for the rules (devices_ebpf.c): the last
   matching rule decides, no match denies.  *len in instructions. */
struct bpf_insn;
struct bpf_insn *cg_devices_ebpf_program (const struct cg_device_rule *r, size_t n, size_t *len);
/* Load it and attach it to the cgroup2 directory, replacing what hull
   attached before. */
int cg_devices_ebpf_attach (const char *dir, const struct cg_device_rule *r, size_t n, hull_err *err);

#endif

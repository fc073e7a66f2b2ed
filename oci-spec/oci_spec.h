/* Typed view of an OCI runtime-spec 1.2 (Linux) config.json.
 *
 * oci-spec/ is the only directory that touches JSON (and yajl).  Everything
 * here is plain C data: strings are NUL-terminated and owned by the struct,
 * absent strings are NULL, absent optional numbers have .set == false,
 * absent objects are NULL pointers, absent arrays have len == 0.
 */
#ifndef HULL_OCI_SPEC_H
#define HULL_OCI_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/error.h"

typedef struct { bool set; int64_t v; } oci_i64;
typedef struct { bool set; uint64_t v; } oci_u64;
typedef struct { bool set; bool v; } oci_bool;

struct oci_strv { char **items; size_t len; };                 /* items[len] == NULL */
struct oci_kv { char *key; char *value; };
struct oci_map { struct oci_kv *items; size_t len; };           /* insertion order */

/* ---- process ---- */
struct oci_rlimit { char *type; uint64_t hard; uint64_t soft; };   /* type: "RLIMIT_NOFILE" */

struct oci_capabilities
{
  struct oci_strv bounding, effective, inheritable, permitted, ambient;
  bool has_bounding, has_effective, has_inheritable, has_permitted, has_ambient;
};

struct oci_user
{
  uint32_t uid, gid;
  oci_u64 umask;
  uint32_t *additional_gids;
  size_t additional_gids_len;
  char *username; /* Windows-only field, kept for round-trips */
};

struct oci_io_priority { char *klass; int32_t priority; }; /* class: IOPRIO_CLASS_RT|BE|IDLE */

struct oci_scheduler
{
  char *policy; /* SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_ISO, SCHED_IDLE, SCHED_DEADLINE */
  oci_i64 nice, priority;
  struct oci_strv flags; /* SCHED_FLAG_* */
  oci_u64 runtime, deadline, period;
};

struct oci_exec_cpu_affinity { char *initial; char *final; };

struct oci_process
{
  bool terminal;
  bool has_console_size;
  uint32_t console_height, console_width;
  struct oci_user user;
  struct oci_strv args;
  struct oci_strv env;
  char *cwd;
  struct oci_capabilities *capabilities;   /* NULL: none given */
  struct oci_rlimit *rlimits;
  size_t rlimits_len;
  bool no_new_privileges;
  char *apparmor_profile;
  oci_i64 oom_score_adj;
  char *selinux_label;
  struct oci_io_priority *io_priority;
  struct oci_scheduler *scheduler;
  struct oci_exec_cpu_affinity *exec_cpu_affinity;
};

/* ---- root, mounts, hooks ---- */
struct oci_root { char *path; bool readonly; };

struct oci_id_mapping { uint32_t container_id, host_id, size; };

struct oci_mount
{
  char *destination;
  char *type;     /* may be NULL */
  char *source;   /* may be NULL */
  struct oci_strv options;
  struct oci_id_mapping *uid_mappings; size_t uid_mappings_len;
  struct oci_id_mapping *gid_mappings; size_t gid_mappings_len;
};

struct oci_hook
{
  char *path;
  struct oci_strv args;
  struct oci_strv env;
  oci_i64 timeout;   /* seconds; must be > 0 when set */
};

struct oci_hook_list { struct oci_hook *items; size_t len; };

struct oci_hooks
{
  struct oci_hook_list prestart, create_runtime, create_container, start_container, poststart, poststop;
};

/* ---- linux ---- */
enum oci_namespace_type
{
  OCI_NS_PID, OCI_NS_NETWORK, OCI_NS_MOUNT, OCI_NS_IPC, OCI_NS_UTS, OCI_NS_USER, OCI_NS_CGROUP, OCI_NS_TIME,
  OCI_NS__COUNT
};
struct oci_namespace { enum oci_namespace_type type; char *path; /* NULL: create new */ };

struct oci_device
{
  char *type;  /* "c", "b", "u", "p" */
  char *path;
  int64_t major, minor;
  oci_u64 file_mode;
  oci_u64 uid, gid;
};

struct oci_device_cgroup  /* resources.devices[] */
{
  bool allow;
  char *type;    /* "a", "c", "b"; NULL means "a" */
  oci_i64 major, minor;   /* unset means wildcard */
  char *access;  /* "rwm" subset; NULL means "rwm" */
};

struct oci_memory
{
  oci_i64 limit, reservation, swap, kernel, kernel_tcp;
  oci_u64 swappiness;
  oci_bool disable_oom_killer, use_hierarchy, check_before_update;
};

struct oci_cpu
{
  oci_u64 shares;
  oci_i64 quota, burst;
  oci_u64 period;
  oci_i64 realtime_runtime;
  oci_u64 realtime_period;
  char *cpus, *mems;
  oci_i64 idle;
};

struct oci_weight_device { int64_t major, minor; oci_u64 weight, leaf_weight; };
struct oci_throttle_device { int64_t major, minor; uint64_t rate; };

struct oci_block_io
{
  oci_u64 weight, leaf_weight;
  struct oci_weight_device *weight_device; size_t weight_device_len;
  struct oci_throttle_device *throttle_read_bps; size_t throttle_read_bps_len;
  struct oci_throttle_device *throttle_write_bps; size_t throttle_write_bps_len;
  struct oci_throttle_device *throttle_read_iops; size_t throttle_read_iops_len;
  struct oci_throttle_device *throttle_write_iops; size_t throttle_write_iops_len;
};

struct oci_hugepage_limit { char *page_size; uint64_t limit; };   /* "2MB" */
struct oci_net_priority { char *name; uint32_t priority; };
struct oci_network { oci_u64 class_id; struct oci_net_priority *priorities; size_t priorities_len; };
struct oci_rdma_entry { char *device; oci_u64 hca_handles, hca_objects; };

struct oci_resources
{
  struct oci_device_cgroup *devices; size_t devices_len;
  struct oci_memory *memory;
  struct oci_cpu *cpu;
  oci_i64 pids_limit;          /* resources.pids.limit */
  struct oci_block_io *block_io;
  struct oci_hugepage_limit *hugepage_limits; size_t hugepage_limits_len;
  struct oci_network *network;
  struct oci_rdma_entry *rdma; size_t rdma_len;
  struct oci_map unified;
};

enum oci_seccomp_op
{
  OCI_SCMP_CMP_NE, OCI_SCMP_CMP_LT, OCI_SCMP_CMP_LE, OCI_SCMP_CMP_EQ, OCI_SCMP_CMP_GE, OCI_SCMP_CMP_GT,
  OCI_SCMP_CMP_MASKED_EQ
};
struct oci_seccomp_arg { uint32_t index; uint64_t value; uint64_t value_two; enum oci_seccomp_op op; };
struct oci_seccomp_syscall
{
  struct oci_strv names;
  char *action;             /* "SCMP_ACT_ERRNO", ... kept as text; namespaces/ maps them */
  oci_u64 errno_ret;
  struct oci_seccomp_arg *args; size_t args_len;
};
struct oci_seccomp
{
  char *default_action;
  oci_u64 default_errno_ret;
  struct oci_strv architectures;   /* "SCMP_ARCH_X86_64" */
  struct oci_strv flags;           /* "SECCOMP_FILTER_FLAG_LOG" */
  char *listener_path;
  char *listener_metadata;
  struct oci_seccomp_syscall *syscalls; size_t syscalls_len;
};

struct oci_time_offset { int64_t secs; uint32_t nanosecs; };

struct oci_personality { char *domain; struct oci_strv flags; };  /* "LINUX", "LINUX32" */

struct oci_intel_rdt { char *clos_id; char *l3_cache_schema; char *mem_bw_schema; bool enable_cmt, enable_mbm; };

struct oci_linux
{
  struct oci_namespace *namespaces; size_t namespaces_len;
  struct oci_id_mapping *uid_mappings; size_t uid_mappings_len;
  struct oci_id_mapping *gid_mappings; size_t gid_mappings_len;
  bool has_time_offsets;
  struct oci_time_offset time_monotonic, time_boottime;
  bool has_time_monotonic, has_time_boottime;
  struct oci_device *devices; size_t devices_len;
  char *cgroups_path;
  struct oci_resources *resources;
  char *rootfs_propagation;   /* "private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable" */
  struct oci_seccomp *seccomp;
  struct oci_map sysctl;
  struct oci_strv masked_paths, readonly_paths;
  bool has_masked_paths, has_readonly_paths;
  char *mount_label;
  struct oci_personality *personality;
  struct oci_intel_rdt *intel_rdt;
};

struct oci_spec
{
  char *oci_version;
  struct oci_process *process;   /* NULL: no process (only valid for some operations) */
  struct oci_root *root;
  char *hostname;
  char *domainname;
  struct oci_mount *mounts; size_t mounts_len;
  struct oci_hooks *hooks;
  struct oci_map annotations;
  struct oci_linux *linux_;     /* NULL when absent */
};

/* Parse config.json text.  Unknown fields are ignored (as runc does); wrong
   types, out-of-range numbers and missing required fields are errors naming
   the JSON path: "config.json: process.args: must be a non-empty array". */
struct oci_spec *oci_spec_parse (const char *json, size_t len, hull_err *err);
struct oci_spec *oci_spec_parse_file (const char *path, hull_err *err);
void oci_spec_free (struct oci_spec *spec);
#define cleanup_oci_spec __attribute__ ((cleanup (oci_spec_freep)))
void oci_spec_freep (struct oci_spec **spec);

/* A "process" object alone (exec --process FILE). */
struct oci_process *oci_process_parse (const char *json, size_t len, hull_err *err);
void oci_process_free (struct oci_process *p);
/* A "linux.resources" object alone (update --resources FILE). */
struct oci_resources *oci_resources_parse (const char *json, size_t len, hull_err *err);
void oci_resources_free (struct oci_resources *r);

/* Lookups. */
const char *oci_annotation (const struct oci_spec *spec, const char *key);
const struct oci_namespace *oci_find_namespace (const struct oci_spec *spec, enum oci_namespace_type type);
const char *oci_namespace_name (enum oci_namespace_type type);   /* "pid", "network", ... */

/* JSON out.  Every returned string is malloc'd, NUL-terminated. */
char *oci_spec_default_json (bool rootless);   /* `hull spec` */
/* The same with the ids the rootless variant maps to root given (not geteuid/getegid). */
char *oci_spec_default_json_ex (bool rootless, uint32_t uid, uint32_t gid);
char *oci_features_json (void);                /* `hull features` */

/* The OCI state document (state command, hooks' stdin). */
struct oci_state
{
  const char *oci_version;
  const char *id;
  const char *status;   /* "creating", "created", "running", "stopped", "paused" */
  int pid;              /* 0: omitted */
  const char *bundle;
  const struct oci_map *annotations;
  /* runc-compatible extras printed by `state` (omitted when NULL/0) */
  const char *rootfs;
  const char *created;  /* RFC 3339 */
  const char *owner;
};
char *oci_state_json (const struct oci_state *st, bool pretty);

#endif

/* hull's own documents: the per-container state file, `list --format json`,
   `--log-format json` lines, the seccomp listener's containerProcessState and
   `ps --format json`.  Like oci_spec.h, plain C data in and JSON text out;
   yajl stays inside oci-spec/. */
#ifndef HULL_STATUS_H
#define HULL_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#include "oci-spec/oci_spec.h"
#include "runtime/error.h"

/* <state root>/<id>/status: what a later command needs to find and check the
   container again.  Strings are owned (malloc'd) and may be NULL when absent. */
struct hull_status
{
  char *id;
  int pid;                              /* container init, host pid namespace */
  unsigned long long pid_start_time;    /* /proc/<pid>/stat field 22: detects pid reuse */
  char *bundle;
  char *rootfs;
  char *created;                        /* RFC 3339 with nanoseconds, UTC */
  char *owner;
  char *cgroup_path;
  char *isolation;                      /* "container" | "microvm" */
  bool systemd_cgroup;
  struct oci_map annotations;
  struct oci_map extra;                 /* backend-specific string key/values (vmm pid, tap name) */
};

/* Returns malloc'd JSON (one object, no trailing newline). */
char *hull_status_to_json (const struct hull_status *st);
/* Fills *out (which it zeroes first); on error *out holds nothing to free.
   Errors are prefixed "status: ". */
int hull_status_parse (const char *json, size_t len, struct hull_status *out, hull_err *err);
void hull_status_clear (struct hull_status *st);

/* Map helpers shared by both headers' users. */
const char *oci_map_get (const struct oci_map *m, const char *key);
/* Appends (or replaces the value of an existing key); copies both strings. */
void oci_map_set (struct oci_map *m, const char *key, const char *value);
void oci_map_clear (struct oci_map *m);

/* runc `list --format json`: an array of objects with ociVersion, id, pid,
   status, bundle, rootfs, created, owner, annotations.  n == 0 gives "[]"
   (runc prints "null"; "[]" parses in every client). */
char *oci_state_list_json (const struct oci_state *states, size_t n);

/* One --log-format json line, without the newline:
   {"level":"error","msg":"...","time":"..."}; msg is escaped (control
   characters included).  time may be NULL (omitted). */
char *hull_log_json_line (const char *level, const char *msg, const char *time_rfc3339);

/* The containerProcessState sent with the notify fd to a seccomp
   listenerPath: {"ociVersion","fds":["seccompFd"],"pid","metadata","state":{...}}.
   pid is the process that owns the filter; metadata may be NULL (""). */
char *oci_seccomp_notify_state_json (const struct oci_state *st, int pid, const char *metadata);

/* `ps --format json`: [1,2,3]. */
char *oci_pids_json (const int *pids, size_t n);

/* The features document with the libseccomp version annotation (NULL: left
   out); oci_features_json() is oci_features_json_ex (NULL). */
char *oci_features_json_ex (const char *libseccomp_version);

#endif

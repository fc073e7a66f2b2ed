/* The small documents hull prints or hands to others: the OCI state,
   `list --format json`, json log lines, the seccomp listener's
   containerProcessState and `ps --format json`. */
#include "oci-spec/hull_status.h"
#include "oci-spec/json_write.h"

#define OCI_VERSION "1.2.0"

/* Members in runc's order: ociVersion, id, pid, status, bundle, rootfs,
   created, annotations, owner. */
static void
state_members (yajl_gen g, const struct oci_state *st, bool always_pid)
{
  jw_kv_str (g, "ociVersion", st->oci_version ? st->oci_version : OCI_VERSION);
  jw_kv_str (g, "id", st->id ? st->id : "");
  if (st->pid > 0 || always_pid)
    jw_kv_int (g, "pid", st->pid);
  jw_kv_str (g, "status", st->status ? st->status : "");
  jw_kv_str (g, "bundle", st->bundle ? st->bundle : "");
  jw_kv_str (g, "rootfs", st->rootfs);
  jw_kv_str (g, "created", st->created);
  if (st->annotations != NULL && st->annotations->len > 0)
    jw_kv_map (g, "annotations", st->annotations);
  jw_kv_str (g, "owner", st->owner);
}

char *
oci_state_json (const struct oci_state *st, bool pretty)
{
  yajl_gen g = jw_new (pretty);
  jw_open (g);
  state_members (g, st, false);
  jw_close (g);
  return jw_finish (g);
}

char *
oci_state_list_json (const struct oci_state *states, size_t n)
{
  yajl_gen g = jw_new (false);
  size_t i;
  jw_open_array (g);
  for (i = 0; i < n; i++)
    {
      jw_open (g);
      state_members (g, &states[i], true);
      jw_close (g);
    }
  jw_close_array (g);
  return jw_finish (g);
}

char *
hull_log_json_line (const char *level, const char *msg, const char *time_rfc3339)
{
  yajl_gen g = jw_new (false);
  jw_open (g);
  jw_kv_str (g, "level", level ? level : "info");
  jw_kv_str (g, "msg", msg ? msg : "");
  jw_kv_str (g, "time", time_rfc3339);
  jw_close (g);
  return jw_finish (g);
}

char *
oci_seccomp_notify_state_json (const struct oci_state *st, int pid, const char *metadata)
{
  static const char *const fds[] = { "seccompFd", NULL };
  yajl_gen g = jw_new (false);
  jw_open (g);
  jw_kv_str (g, "ociVersion", st->oci_version ? st->oci_version : OCI_VERSION);
  jw_kv_strlist (g, "fds", fds);
  jw_kv_int (g, "pid", pid);
  jw_kv_str (g, "metadata", metadata ? metadata : "");
  jw_str (g, "state");
  jw_open (g);
  state_members (g, st, false);
  jw_close (g);
  jw_close (g);
  return jw_finish (g);
}

char *
oci_pids_json (const int *pids, size_t n)
{
  yajl_gen g = jw_new (false);
  size_t i;
  jw_open_array (g);
  for (i = 0; i < n; i++)
    jw_int (g, pids[i]);
  jw_close_array (g);
  return jw_finish (g);
}

/* ns_spawn(): the parent side of container creation.
 *
 * Fast path: one clone() with every new namespace but the cgroup one (that
 * is unshared by the child once it sits in its cgroup, so the namespace
 * root is the container's cgroup).
 *
 * When namespaces are joined by path, a time namespace is created (its
 * offsets must be written before any process lives in it), or the caller
 * runs other threads (a raw clone() would skip glibc's fork handlers), an
 * intermediate process does it runc's way: setns() into the paths (user first), unshare
 * the new ones, write the time offsets, then clone(CLONE_PARENT) the init so
 * it is still our direct child, send us its pid and exit.
 */
#include "namespaces/ns_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/util.h"

struct ns_plan
{
  int new_flags;                          /* CLONE_NEW* to create */
  int join_fds[OCI_NS__COUNT];            /* -1 or an fd of a namespace path */
  bool any_join;
};

static void
plan_free (struct ns_plan *p)
{
  for (int i = 0; i < OCI_NS__COUNT; i++)
    if (p->join_fds[i] >= 0)
      close (p->join_fds[i]);
}

static int
plan_namespaces (const struct oci_spec *spec, struct ns_plan *plan, struct ns_init *in, hull_err *err)
{
  const struct oci_linux *l = spec->linux_;

  memset (plan, 0, sizeof *plan);
  for (int i = 0; i < OCI_NS__COUNT; i++)
    plan->join_fds[i] = -1;
  for (size_t i = 0; l != NULL && i < l->namespaces_len; i++)
    {
      const struct oci_namespace *ns = &l->namespaces[i];
      if (ns->type >= OCI_NS__COUNT)
        return hull_error (err, 0, "linux.namespaces: invalid type");
      if (ns->path != NULL && *ns->path != '\0')
        {
          if (plan->join_fds[ns->type] >= 0)
            return hull_error (err, 0, "linux.namespaces: duplicate %s namespace", oci_namespace_name (ns->type));
          plan->join_fds[ns->type] = ns_open_path (ns->type, ns->path, err);
          if (plan->join_fds[ns->type] < 0)
            return -1;
          plan->any_join = true;
        }
      else
        plan->new_flags |= ns_clone_flag (ns->type);
    }

  in->new_userns = plan->new_flags & CLONE_NEWUSER;
  in->in_userns = in->new_userns || plan->join_fds[OCI_NS_USER] >= 0;
  in->new_netns = plan->new_flags & CLONE_NEWNET;
  in->new_ipcns = plan->new_flags & CLONE_NEWIPC;
  in->new_utsns = plan->new_flags & CLONE_NEWUTS;
  in->new_cgroupns = plan->new_flags & CLONE_NEWCGROUP;
  in->new_mntns = plan->new_flags & CLONE_NEWNS;
  in->has_netns = in->new_netns || plan->join_fds[OCI_NS_NETWORK] >= 0;
  in->has_ipcns = in->new_ipcns || plan->join_fds[OCI_NS_IPC] >= 0;
  in->has_utsns = in->new_utsns || plan->join_fds[OCI_NS_UTS] >= 0;
  in->has_cgroupns = in->new_cgroupns || plan->join_fds[OCI_NS_CGROUP] >= 0;

  in->has_mntns = in->new_mntns || plan->join_fds[OCI_NS_MOUNT] >= 0;
  if (!(plan->new_flags & CLONE_NEWTIME) && l != NULL && (l->has_time_monotonic || l->has_time_boottime))
    return hull_error (err, 0, "linux.timeOffsets: requires a new time namespace");
  if (spec->hostname != NULL && *spec->hostname != '\0' && !in->has_utsns)
    return hull_error (err, 0, "unable to set hostname without a private UTS namespace");
  if (spec->domainname != NULL && *spec->domainname != '\0' && !in->has_utsns)
    return hull_error (err, 0, "unable to set domainname without a private UTS namespace");
  return 0;
}

static int
validate_process_attrs (const struct oci_spec *spec, hull_err *err)
{
  const struct oci_process *p = spec->process;
  const struct oci_linux *l = spec->linux_;
  char attr[64];
  cpu_set_t set;
  int v;

  if (l != NULL && l->personality != NULL && personality_from_name (l->personality->domain) < 0)
    return hull_error (err, 0, "linux.personality.domain `%s`: unknown",
                       l->personality->domain ? l->personality->domain : "");
  if (p->io_priority != NULL && ioprio_from_spec (p->io_priority, &v, err) < 0)
    return -1;
  if (p->scheduler != NULL && scheduler_from_spec (p->scheduler, attr, err) < 0)
    return -1;
  if (p->exec_cpu_affinity != NULL)
    {
      if (p->exec_cpu_affinity->initial && cpu_list_parse (p->exec_cpu_affinity->initial, &set, err) < 0)
        return hull_error_wrap (err, "process.execCPUAffinity.initial");
      if (p->exec_cpu_affinity->final && cpu_list_parse (p->exec_cpu_affinity->final, &set, err) < 0)
        return hull_error_wrap (err, "process.execCPUAffinity.final");
    }
  if (p->oom_score_adj.set && (p->oom_score_adj.v < -1000 || p->oom_score_adj.v > 1000))
    return hull_error (err, 0, "process.oomScoreAdj: %lld is out of range [-1000, 1000]",
                       (long long) p->oom_score_adj.v);
  return 0;
}

static bool
id_mapped (const struct oci_id_mapping *m, size_t n, uint32_t id)
{
  for (size_t i = 0; i < n; i++)
    if (id >= m[i].container_id && (uint64_t) id < (uint64_t) m[i].container_id + m[i].size)
      return true;
  return false;
}

/* In a new user namespace the process's ids must exist there. */
static int
validate_userns (const struct oci_spec *spec, const struct ns_init *in, hull_err *err)
{
  const struct oci_linux *l = spec->linux_;
  const struct oci_user *u = &spec->process->user;

  if (!in->new_userns)
    {
      if (l != NULL && (l->uid_mappings_len || l->gid_mappings_len) && !in->in_userns)
        return hull_error (err, 0, "linux.uidMappings: a user namespace is required for uid/gid mappings");
      return 0;
    }
  if (l->uid_mappings_len == 0 || l->gid_mappings_len == 0)
    return hull_error (err, 0, "linux.uidMappings and linux.gidMappings are required with a new user namespace");
  if (!id_mapped (l->uid_mappings, l->uid_mappings_len, u->uid))
    return hull_error (err, 0, "process.user.uid %u is not mapped in the user namespace", (unsigned) u->uid);
  if (!id_mapped (l->gid_mappings, l->gid_mappings_len, u->gid))
    return hull_error (err, 0, "process.user.gid %u is not mapped in the user namespace", (unsigned) u->gid);
  for (size_t i = 0; i < u->additional_gids_len; i++)
    if (!id_mapped (l->gid_mappings, l->gid_mappings_len, u->additional_gids[i]))
      return hull_error (err, 0, "process.user.additionalGids: %u is not mapped in the user namespace",
                         (unsigned) u->additional_gids[i]);
  return 0;
}

/* Checks done before any process exists, so bad input costs nothing. */
static int
validate_spec (const struct ns_spawn_opts *opts, struct ns_init *in, hull_err *err)
{
  const struct oci_spec *spec = opts->spec;
  const struct oci_linux *l = spec->linux_;

  if (spec->process == NULL)
    return hull_error (err, 0, "config.json: process: required to create a container");
  if (spec->process->args.len == 0 && opts->payload == NULL)
    return hull_error (err, 0, "config.json: process.args: must be a non-empty array");
  if (spec->process->terminal && opts->console_socket_fd < 0)
    return hull_error (err, 0, "process.terminal is true: --console-socket is required");
  if (caps_validate (spec->process->capabilities, err) < 0)
    return -1;
  for (size_t i = 0; l != NULL && i < l->sysctl.len; i++)
    if (sysctl_validate (l->sysctl.items[i].key, in->has_netns, in->has_ipcns, in->has_utsns, err) < 0)
      return -1;
  for (size_t i = 0; i < spec->process->rlimits_len; i++)
    if (rlimit_from_name (spec->process->rlimits[i].type) < 0)
      return hull_error (err, 0, "process.rlimits: unknown rlimit `%s`",
                         spec->process->rlimits[i].type ? spec->process->rlimits[i].type : "");
  if (seccomp_validate (spec, err) < 0 || validate_userns (spec, in, err) < 0
      || lsm_validate (spec->process, err) < 0)
    return -1;
  return validate_process_attrs (spec, err);
}

/* The runtime's own fds (state dir locks above all: a copy held by the
   init keeps a flock alive) must not reach the child.  Only stdio, the
   preserved fds, the console socket and the sync socket stay. */
static void
close_inherited_fds (const struct ns_init *in)
{
  size_t n = 0, cap = 4 + in->spec->mounts_len;
  cleanup_free int *keep = xcalloc (cap, sizeof *keep);
  unsigned from = 3 + (in->opts->preserve_fds > 0 ? (unsigned) in->opts->preserve_fds : 0);

  keep[n++] = in->sync_fd;
  keep[n++] = in->opts->console_socket_fd;
  keep[n++] = in->fifo_fd;
  keep[n++] = in->seccomp_sock;
  for (size_t i = 0; in->idmap_fds != NULL && i < in->spec->mounts_len; i++)
    keep[n++] = in->idmap_fds[i];
  /* Ascending; -1 entries first and skipped. */
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && keep[j] < keep[j - 1]; j--)
      {
        int t = keep[j];
        keep[j] = keep[j - 1];
        keep[j - 1] = t;
      }
  for (size_t i = 0; i < n; i++)
    {
      if (keep[i] < 0 || (unsigned) keep[i] < from)
        continue;
      if ((unsigned) keep[i] > from)
        syscall (SYS_close_range, from, (unsigned) keep[i] - 1, 0);
      from = (unsigned) keep[i] + 1;
    }
  syscall (SYS_close_range, from, ~0U, 0);
}

static _Noreturn void
child_main (struct ns_init *in)
{
  hull_err err = NULL;

  close_inherited_fds (in);
  if (ns_init_run (in, &err) < 0)
    {
      if (in->sync_fd >= 0)
        sync_send_error (in->sync_fd, err);
      else if (err != NULL)
        dprintf (2, "hull: %s\n", err->msg);
      /* Past `created`: `start` waits on the fifo for this message. */
      if (in->fifo_w >= 0 && err != NULL)
        write_all (in->fifo_w, err->msg, strlen (err->msg));
    }
  _exit (127);
}

/* A raw clone() skips glibc's fork handlers: safe only when no other
   thread can hold a libc lock (malloc's) at that moment. */
static bool
single_threaded (void)
{
  struct stat st;
  return stat ("/proc/self/task", &st) == 0 && st.st_nlink == 3;
}

static pid_t
raw_clone (int flags)
{
  return (pid_t) syscall (SYS_clone, (unsigned long) flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

/* The intermediate process: join, unshare, clone the init, report its pid. */
static _Noreturn void
intermediate_main (struct ns_init *in, struct ns_plan *plan)
{
  hull_err err = NULL;
  const struct oci_linux *l = in->spec->linux_;
  int unshare_flags = plan->new_flags & ~(CLONE_NEWCGROUP | CLONE_NEWUSER);
  pid_t pid;

  if (plan->join_fds[OCI_NS_USER] >= 0)
    {
      if (setns (plan->join_fds[OCI_NS_USER], CLONE_NEWUSER) < 0)
        {
          hull_error (&err, errno, "join the user namespace");
          goto fail;
        }
      in->userns_via_setns = true;
    }
  for (int t = 0; t < OCI_NS__COUNT; t++)
    if (t != OCI_NS_USER && plan->join_fds[t] >= 0 && setns (plan->join_fds[t], ns_clone_flag (t)) < 0)
      {
        hull_error (&err, errno, "join the %s namespace", oci_namespace_name (t));
        goto fail;
      }
  if (plan->new_flags & CLONE_NEWUSER)
    {
      if (unshare (CLONE_NEWUSER) < 0)
        {
          hull_error (&err, errno, "unshare the user namespace");
          goto fail;
        }
      if (sync_send (in->sync_fd, SYNC_USERMAP_PLS, NULL, 0, &err) < 0
          || sync_expect (in->sync_fd, SYNC_USERMAP_ACK, NULL, 0, NULL, &err) < 0)
        goto fail;
      in->userns_via_setns = true;
    }
  if (in->userns_via_setns && (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0))
    {
      hull_error (&err, errno, "become root in the user namespace (is uid/gid 0 mapped?)");
      goto fail;
    }
  if (unshare_flags && unshare (unshare_flags) < 0)
    {
      hull_error (&err, errno, "unshare namespaces");
      goto fail;
    }
  if ((plan->new_flags & CLONE_NEWTIME) && timens_write_offsets (l, &err) < 0)
    goto fail;

  /* Before the cgroup: execCPUAffinity.initial, inherited by the init
     (which must not speak on the sync socket before we sent its pid). */
  if (in->process->exec_cpu_affinity != NULL
      && process_set_cpu_affinity (in->process->exec_cpu_affinity->initial, "initial", &err) < 0)
    goto fail;
  in->affinity_initial_done = true;
  pid = (pid_t) syscall (SYS_clone, (unsigned long) CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0)
    {
      hull_error (&err, errno, "clone the container init");
      goto fail;
    }
  if (pid == 0)
    {
      plan_free (plan);
      child_main (in);
    }
  if (sync_send (in->sync_fd, SYNC_PID, &pid, sizeof pid, &err) < 0)
    {
      kill (pid, SIGKILL);
      goto fail;
    }
  _exit (0);
fail:
  sync_send_error (in->sync_fd, err);
  _exit (1);
}

static int
spawn_via_intermediate (struct ns_init *in, struct ns_plan *plan, int parent_fd, pid_t *pid, hull_err *err)
{
  cleanup_pid pid_t mid = fork ();
  int status;

  if (mid < 0)
    return hull_error (err, errno, "fork");
  if (mid == 0)
    {
      close (parent_fd);
      intermediate_main (in, plan);
    }
  for (;;)
    {
      enum sync_type t;
      pid_t got;
      size_t len;
      if (sync_recv (parent_fd, &t, &got, sizeof got, &len, err) < 0)
        return -1;
      if (t == SYNC_USERMAP_PLS)
        {
          if (userns_write_maps (mid, in->spec->linux_, err) < 0
              || sync_send (parent_fd, SYNC_USERMAP_ACK, NULL, 0, err) < 0)
            return -1;
          continue;
        }
      if (t != SYNC_PID || len != sizeof got || got <= 0)
        return hull_error (err, 0, "sync socket: expected the init's pid");
      *pid = got;
      break;
    }
  while (waitpid (mid, &status, 0) < 0 && errno == EINTR)
    ;
  mid = -1;
  return 0;
}

/* The host id that `pid`'s user namespace maps 0 to (the outer id as
   /proc/PID/{uid,gid}_map shows it to us); -1 if 0 is not mapped. */
static long
host_id_of_root (pid_t pid, const char *file)
{
  cleanup_free char *path = xasprintf ("/proc/%d/%s", (int) pid, file);
  cleanup_fclose FILE *f = fopen (path, "re");
  unsigned long inside, outside, count;

  if (f == NULL)
    return -1;
  while (fscanf (f, "%lu %lu %lu", &inside, &outside, &count) == 3)
    if (inside == 0 && count > 0)
      return (long) outside;
  return -1;
}

/* The init reopens exec.fifo for writing as the root of its user
   namespace, which is not the host's root: hand the fifo to it, as runc
   does (the state directory stays private; the init holds an O_PATH fd). */
static int
fifo_for_userns (const struct ns_spawn_opts *opts, pid_t pid, hull_err *err)
{
  long uid = host_id_of_root (pid, "uid_map"), gid = host_id_of_root (pid, "gid_map");

  if (uid < 0 || gid < 0)
    return hull_error (err, 0, "the container's user namespace does not map uid/gid 0");
  if (chown (opts->exec_fifo, (uid_t) uid, (gid_t) gid) < 0)
    return hull_error (err, errno, "chown exec fifo `%s`", opts->exec_fifo);
  return 0;
}

/* What the parent prepared for the child only. */
static void
drop_child_fds (struct ns_init *in)
{
  idmap_release (in->spec, &in->idmap_fds);
  if (in->seccomp_sock >= 0)
    close (in->seccomp_sock);
  in->seccomp_sock = -1;
}

int
ns_spawn (const struct ns_spawn_opts *opts, pid_t *pidp, hull_err *err)
{
  struct ns_init in = { .opts = opts, .spec = opts->spec, .sync_fd = -1, .rootfd = -1, .fifo_fd = -1,
                        .proc_fd = -1, .fifo_w = -1, .console_fd = -1, .seccomp_sock = -1 };
  const struct ns_callbacks *cb = opts->cb;
  struct ns_plan plan;
  cleanup_pid pid_t pid = -1;
  cleanup_close int parent_fd = -1;
  int fds[2];
  int ret;

  in.process = opts->spec->process;
  in.idmap_fds = NULL;
  ret = plan_namespaces (opts->spec, &plan, &in, err);
  if (ret == 0)
    ret = validate_spec (opts, &in, err);

  if (ret < 0)
    {
      plan_free (&plan);
      return ret;
    }
  if (idmap_prepare (opts->spec, opts->bundle, &in.idmap_fds, err) < 0)
    {
      plan_free (&plan);
      return -1;
    }
  /* The listener lives on the host and may refuse a user-namespaced init:
     connect as the runtime; the init sends the fd once it has it. */
  if (opts->spec->linux_ != NULL && opts->spec->linux_->seccomp != NULL)
    {
      in.seccomp_sock = seccomp_listener_connect (opts->spec->linux_->seccomp, err);
      if (in.seccomp_sock < -1)
        {
          plan_free (&plan);
          drop_child_fds (&in);
          return -1;
        }
    }
  /* Opened here, by the runtime: the init may not be able to reach the
     state directory (a user namespace) and must not need to. */
  if (opts->exec_fifo != NULL)
    {
      in.fifo_fd = open (opts->exec_fifo, O_PATH | O_CLOEXEC);
      if (in.fifo_fd < 0)
        {
          plan_free (&plan);
          drop_child_fds (&in);
          return hull_error (err, errno, "open exec fifo `%s`", opts->exec_fifo);
        }
    }
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
    {
      plan_free (&plan);
      drop_child_fds (&in);
      if (in.fifo_fd >= 0)
        close (in.fifo_fd);
      return hull_error (err, errno, "socketpair");
    }
  parent_fd = fds[0];
  in.sync_fd = fds[1];
  fflush (NULL);

  if (plan.any_join || (plan.new_flags & CLONE_NEWTIME) || !single_threaded ())
    {
      ret = spawn_via_intermediate (&in, &plan, parent_fd, &pid, err);
      close (in.sync_fd);
      if (in.fifo_fd >= 0)
        close (in.fifo_fd);
      plan_free (&plan);
      if (ret < 0)
        {
          drop_child_fds (&in);
          return ret;
        }
    }
  else
    {
      pid = raw_clone (plan.new_flags & ~CLONE_NEWCGROUP);
      if (pid != 0 && in.fifo_fd >= 0)
        close (in.fifo_fd);
      if (pid < 0)
        {
          int e = errno;
          close (in.sync_fd);
          plan_free (&plan);
          drop_child_fds (&in);
          return hull_error (err, e, "clone");
        }
      if (pid == 0)
        {
          close (parent_fd);
          child_main (&in);
        }
      close (in.sync_fd);
      plan_free (&plan);
      drop_child_fds (&in);
      if (in.new_userns && userns_write_maps (pid, opts->spec->linux_, err) < 0)
        return -1;
    }

  drop_child_fds (&in);
  if (in.in_userns && opts->exec_fifo != NULL && fifo_for_userns (opts, pid, err) < 0)
    return -1;
  if (cb != NULL && cb->on_clone != NULL && cb->on_clone (cb->ctx, pid, err) < 0)
    return -1;
  if (sync_send (parent_fd, SYNC_GO, NULL, 0, err) < 0)
    return -1;
  if (sync_expect (parent_fd, SYNC_RUNTIME_READY, NULL, 0, NULL, err) < 0)
    return -1;
  if (cb != NULL && cb->on_runtime_ready != NULL && cb->on_runtime_ready (cb->ctx, pid, err) < 0)
    return -1;
  if (sync_send (parent_fd, SYNC_RUNTIME_DONE, NULL, 0, err) < 0)
    return -1;
  if (sync_expect (parent_fd, SYNC_CREATED, NULL, 0, NULL, err) < 0)
    return -1;

  *pidp = pid;
  pid = -1;
  return 0;
}

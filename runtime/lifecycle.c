/* start, kill, delete, state, list, and the pieces they share. */
#include <errno.h>
#include <pwd.h>
#include <sys/stat.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/hooks.h"
#include "runtime/lifecycle.h"
#include "runtime/log.h"
#include "runtime/process.h"
#include "runtime/util.h"

/* How long delete waits for a killed init, and for its cgroup to empty. */
#define DESTROY_WAIT_MS 10000

static void
sleep_ms (long ms)
{
  struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
  nanosleep (&ts, NULL);
}

void
hull_info_clear (struct hull_info *info)
{
  hull_status_clear (&info->st);
  info->status = NULL;
}

int
hull_container_load (const struct hull_context *ctx, const char *id, enum hull_lock lock, struct hull_container *c,
                     hull_err *err)
{
  memset (c, 0, sizeof *c);
  if (hull_state_dir_open (ctx->root, id, lock, &c->sd, err) < 0)
    return -1;
  if (hull_state_read (c->sd, &c->st, err) < 0)
    {
      hull_state_dir_free (c->sd);
      c->sd = NULL;
      return -1;
    }
  return 0;
}

/* The cgroup is needed only by some operations: load it on demand. */
static struct hull_cgroup *
container_cgroup (struct hull_container *c)
{
  hull_err err = NULL;
  if (c->cgroup != NULL || c->st.cgroup_path == NULL)
    return c->cgroup;
  if (cgroup_load (c->st.cgroup_path, &c->cgroup, &err) < 0)
    {
      hull_log_debug ("container %s: cgroup %s: %s", c->st.id, c->st.cgroup_path, err->msg);
      hull_error_release (&err);
      c->cgroup = NULL;
    }
  return c->cgroup;
}

void
hull_container_release (struct hull_container *c)
{
  if (c->cgroup != NULL)
    cgroup_free (c->cgroup);
  c->cgroup = NULL;
  hull_state_dir_free (c->sd);
  c->sd = NULL;
  hull_status_clear (&c->st);
}

enum hull_state
hull_container_observe (struct hull_container *c)
{
  struct hull_observation o = { .pid = c->st.pid };

  if (o.pid <= 0)
    o.create_busy = hull_state_dir_busy (c->sd);
  else
    {
      o.init_alive = hull_process_alive (c->st.pid, c->st.pid_start_time);
      if (o.init_alive)
        o.exec_fifo = hull_state_has (c->sd, HULL_EXEC_FIFO);
      if (o.init_alive && !o.exec_fifo && container_cgroup (c) != NULL)
        {
          hull_err err = NULL;
          if (cgroup_is_frozen (c->cgroup, &o.frozen, &err) < 0)
            hull_error_release (&err);
        }
    }
  return hull_state_compute (&o);
}

bool
hull_spec_own_pid_ns (const struct oci_spec *spec)
{
  const struct oci_namespace *ns = spec != NULL ? oci_find_namespace (spec, OCI_NS_PID) : NULL;
  return ns != NULL && ns->path == NULL;
}

char *
hull_container_state_json (const struct hull_status *st, const char *status)
{
  struct oci_state os = {
    .oci_version = HULL_OCI_VERSION,
    .id = st->id,
    .status = status,
    .pid = st->pid,
    .bundle = st->bundle,
    .annotations = &st->annotations,
  };
  return oci_state_json (&os, false);
}

static void
kill_everything (struct hull_container *c, const struct hull_backend *backend)
{
  hull_err err = NULL;

  if (c->st.pid > 0 && hull_process_alive (c->st.pid, c->st.pid_start_time))
    {
      if (backend != NULL && backend->kill (c, SIGKILL, false, &err) < 0)
        hull_error_release (&err);
    }
  if (container_cgroup (c) == NULL)
    return;
  if (!c->own_pid_ns)
    {
      /* cgroup_kill_all thaws a paused container itself. */
      if (cgroup_kill_all (c->cgroup, SIGKILL, &err) < 0)
        hull_error_release (&err);
    }
  else
    {
      /* Frozen tasks do not die until thawed; the SIGKILL is already
         pending, so nothing runs once they are. */
      bool frozen = false;
      if (cgroup_is_frozen (c->cgroup, &frozen, &err) < 0)
        hull_error_release (&err);
      else if (frozen && cgroup_freeze (c->cgroup, false, &err) < 0)
        hull_error_release (&err);
    }
}

static int
wait_init_gone (struct hull_container *c, bool own_child, hull_err *err)
{
  if (c->st.pid <= 0)
    return 0;
  if (own_child)
    {
      while (waitpid (c->st.pid, NULL, 0) < 0)
        if (errno != EINTR)
          break;
      return 0;
    }
  for (int waited = 0; hull_process_alive (c->st.pid, c->st.pid_start_time); waited += 10)
    {
      if (waited >= DESTROY_WAIT_MS)
        return hull_error (err, 0, "container %s: init %d still alive after SIGKILL", c->st.id, c->st.pid);
      sleep_ms (10);
    }
  return 0;
}

static int
destroy_cgroup (struct hull_container *c, hull_err *err)
{
  if (container_cgroup (c) == NULL)
    return 0;
  /* Processes of the container may take a moment to leave after SIGKILL. */
  for (int waited = 0;; waited += 20)
    {
      if (cgroup_destroy (c->cgroup, err) == 0)
        break;
      if (waited >= DESTROY_WAIT_MS)
        return hull_error_wrap (err, "container %s", c->st.id);
      hull_error_release (err);
      if (!c->own_pid_ns)
        {
          cgroup_kill_all (c->cgroup, SIGKILL, err);
          hull_error_release (err);
        }
      sleep_ms (20);
    }
  cgroup_free (c->cgroup);
  c->cgroup = NULL;
  return 0;
}

int
hull_container_destroy (struct hull_container *c, const struct hull_backend *backend,
                        const struct oci_spec *spec, bool own_child, hull_err *err)
{
  kill_everything (c, backend);
  if (wait_init_gone (c, own_child, err) < 0)
    return -1;
  if (backend != NULL && backend->delete (c, err) < 0)
    return -1;
  if (destroy_cgroup (c, err) < 0)
    return -1;
  if (spec != NULL && spec->hooks != NULL && spec->hooks->poststop.len > 0)
    {
      cleanup_free char *json = hull_container_state_json (&c->st, "stopped");
      hull_hooks_run_warn ("poststop", &spec->hooks->poststop, json);
    }
  return c->sd != NULL ? hull_state_dir_remove (c->sd, err) : 0;
}

static int
load_backend (struct hull_container *c, const struct hull_backend **backend, hull_err *err)
{
  return hull_backend_find (c->st.isolation, backend, err);
}

/* The config copied into the state directory at create (for poststart and
   poststop hooks); NULL if there is none or it no longer parses. */
static struct oci_spec *
load_state_config (struct hull_container *c)
{
  cleanup_free char *text = NULL;
  hull_err err = NULL;
  struct oci_spec *spec;
  size_t len;

  if (read_file_at (c->sd->dirfd, "config.json", &text, &len, &err) < 0)
    {
      hull_error_release (&err);
      return NULL;
    }
  spec = oci_spec_parse (text, len, &err);
  if (spec == NULL)
    {
      hull_log_warning ("container %s: stored config: %s", c->st.id, err->msg);
      hull_error_release (&err);
    }
  return spec;
}

/* poststart hooks run "after the user-specified process is executed": the
   init leaves hull's sealed memfd image when it calls execve. */
static void
wait_for_execve (struct hull_container *c)
{
  char path[64], exe[64];

  snprintf (path, sizeof path, "/proc/%d/exe", c->st.pid);
  for (int waited = 0; waited < 2000; waited += 5)
    {
      ssize_t n = readlink (path, exe, sizeof exe - 1);
      if (n < 0)
        return;   /* gone already, or a kernel thread: nothing to wait for */
      exe[n] = '\0';
      if (strncmp (exe, "/memfd:hull", 11) != 0)
        return;
      sleep_ms (5);
    }
}

int
hull_start (const struct hull_context *ctx, const char *id, hull_err *err)
{
  struct hull_container c;
  const struct hull_backend *backend;
  enum hull_state s;
  int ret = -1;

  if (hull_container_load (ctx, id, HULL_LOCK_EXCLUSIVE, &c, err) < 0)
    return -1;
  s = hull_container_observe (&c);
  if (s != HULL_CREATED)
    {
      if (s == HULL_STOPPED)
        hull_error (err, 0, "cannot start container %s: container not running (stopped)", id);
      else
        hull_error (err, 0, "cannot start container %s: it is %s, not created", id, hull_state_name (s));
      goto out;
    }
  if (load_backend (&c, &backend, err) < 0 || backend->start (&c, err) < 0)
    goto out;
  unlinkat (c.sd->dirfd, HULL_EXEC_FIFO, 0);
  hull_log_debug ("container %s: started", id);
  {
    cleanup_oci_spec struct oci_spec *spec = load_state_config (&c);
    if (spec != NULL && spec->hooks != NULL && spec->hooks->poststart.len > 0)
      {
        wait_for_execve (&c);
        cleanup_free char *json = hull_container_state_json (&c.st, "running");
        hull_hooks_run_warn ("poststart", &spec->hooks->poststart, json);
      }
  }
  ret = 0;
out:
  hull_container_release (&c);
  return ret;
}

int
hull_kill (const struct hull_context *ctx, const char *id, const char *signal, bool all, hull_err *err)
{
  struct hull_container c;
  const struct hull_backend *backend;
  enum hull_state s;
  int sig = SIGTERM;
  int ret = -1;

  if (signal != NULL && hull_signal_parse (signal, &sig, err) < 0)
    return -1;
  if (hull_container_load (ctx, id, HULL_LOCK_SHARED, &c, err) < 0)
    return -1;
  s = hull_container_observe (&c);
  if (s == HULL_STOPPED || s == HULL_CREATING)
    {
      hull_error (err, 0, "container %s: container not running", id);
      goto out;
    }
  if (all)
    container_cgroup (&c);
  if (load_backend (&c, &backend, err) < 0 || backend->kill (&c, sig, all, err) < 0)
    goto out;
  ret = 0;
out:
  hull_container_release (&c);
  return ret;
}

/* delete --force of a container whose state.json cannot be read (a crash
   mid-write, a disk full): kill what is in its cgroup (create keeps the
   path in a file of its own too) and remove everything, so engines are not
   stuck with an id they can never reuse. */
static int
remove_unreadable (const struct hull_context *ctx, const char *id, hull_err *err)
{
  struct hull_container c = { 0 };
  hull_err ignored = NULL;
  size_t len;
  int ret;

  /* As runc: with --force a container that does not exist is no error (the
     shims clean up this way after a failed create), and a directory an
     aborted create left without state.json goes too. */
  if (strstr ((*err)->msg, "does not exist") != NULL)
    {
      struct hull_state_dir *partial = NULL;

      hull_error_release (err);
      /* No lock: an aborted create may not have made the lock file. */
      if (hull_state_dir_open (ctx->root, id, HULL_LOCK_NONE, &partial, &ignored) == 0
          && !hull_state_has (partial, HULL_STATE_FILE))
        {
          if (hull_state_dir_remove (partial, &ignored) < 0)
            hull_log_warning ("%s", ignored->msg);
        }
      if (partial != NULL)
        hull_state_dir_free (partial);
      hull_error_release (&ignored);
      return 0;
    }
  if (hull_state_dir_open (ctx->root, id, HULL_LOCK_EXCLUSIVE, &c.sd, &ignored) < 0)
    {
      hull_error_release (&ignored);
      return -1;
    }
  hull_log_warning ("%s; removing it", (*err)->msg);
  hull_error_release (err);
  c.st.id = xstrdup (id);
  if (read_file_at (c.sd->dirfd, HULL_CGROUP_FILE, &c.st.cgroup_path, &len, &ignored) < 0)
    hull_error_release (&ignored);
  ret = hull_container_destroy (&c, NULL, NULL, false, err);
  hull_container_release (&c);
  return ret;
}

int
hull_delete (const struct hull_context *ctx, const char *id, bool force, hull_err *err)
{
  struct hull_container c;
  const struct hull_backend *backend = NULL;
  enum hull_state s;
  int ret = -1;

  if (hull_container_load (ctx, id, HULL_LOCK_EXCLUSIVE, &c, err) < 0)
    return force ? remove_unreadable (ctx, id, err) : -1;
  s = hull_container_observe (&c);
  /* A created container never ran anything: runc deletes it without -f. */
  if (!force && s != HULL_STOPPED && s != HULL_CREATED)
    {
      hull_error (err, 0, "cannot delete container %s that is not stopped: %s", id, hull_state_name (s));
      goto out;
    }
  if (load_backend (&c, &backend, err) < 0)
    {
      /* Still remove what the lifecycle itself made. */
      hull_log_warning ("%s", (*err)->msg);
      hull_error_release (err);
      backend = NULL;
    }
  {
    cleanup_oci_spec struct oci_spec *spec = load_state_config (&c);
    c.own_pid_ns = hull_spec_own_pid_ns (spec);
    ret = hull_container_destroy (&c, backend, spec, false, err);
  }
  if (ret == 0)
    hull_log_debug ("container %s: deleted", id);
out:
  hull_container_release (&c);
  return ret;
}

static int
fill_info (struct hull_container *c, struct hull_info *out)
{
  struct stat sb;
  struct passwd pw, *found = NULL;
  char buf[1024];

  out->status = hull_state_name (hull_container_observe (c));
  snprintf (out->owner_name, sizeof out->owner_name, "?");
  if (fstat (c->sd->dirfd, &sb) == 0)
    {
      if (getpwuid_r (sb.st_uid, &pw, buf, sizeof buf, &found) == 0 && found != NULL)
        snprintf (out->owner_name, sizeof out->owner_name, "%s", found->pw_name);
      else
        snprintf (out->owner_name, sizeof out->owner_name, "%u", (unsigned) sb.st_uid);
    }
  out->st = c->st;
  memset (&c->st, 0, sizeof c->st);
  return 0;
}

int
hull_state (const struct hull_context *ctx, const char *id, struct hull_info *out, hull_err *err)
{
  struct hull_container c;

  memset (out, 0, sizeof *out);
  if (hull_container_load (ctx, id, HULL_LOCK_NONE, &c, err) < 0)
    return -1;
  fill_info (&c, out);
  hull_container_release (&c);
  return 0;
}

int
hull_list (const struct hull_context *ctx, struct hull_info **out, size_t *n, hull_err *err)
{
  cleanup_strv char **ids = NULL;
  struct hull_info *infos;
  size_t count = 0, len = 0;

  if (hull_state_list_ids (ctx->root, &ids, &count, err) < 0)
    return -1;
  infos = xcalloc (count + 1, sizeof *infos);
  for (size_t i = 0; i < count; i++)
    {
      struct hull_container c;
      hull_err ignored = NULL;
      /* Deleted meanwhile, or still being renamed into place: skip it. */
      if (hull_container_load (ctx, ids[i], HULL_LOCK_NONE, &c, &ignored) < 0)
        {
          hull_error_release (&ignored);
          continue;
        }
      fill_info (&c, &infos[len++]);
      hull_container_release (&c);
    }
  *out = infos;
  *n = len;
  return 0;
}

/* create: from a bundle to an init blocked on exec.fifo (runtime-spec
   lifecycle steps 1-4), with nothing left behind when any step fails. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/console.h"
#include "runtime/hooks.h"
#include "runtime/id.h"
#include "runtime/lifecycle.h"
#include "runtime/log.h"
#include "runtime/process.h"
#include "runtime/util.h"

struct spawn_ctx
{
  struct hull_container *c;
  const struct oci_spec *spec;
};

static const struct oci_hook_list *
hooks_of (const struct oci_spec *spec, size_t offset)
{
  if (spec->hooks == NULL)
    return NULL;
  return (const struct oci_hook_list *) ((const char *) spec->hooks + offset);
}
#define HOOKS(spec, field) hooks_of ((spec), offsetof (struct oci_hooks, field))

static int
run_hooks_with_pid (struct spawn_ctx *sc, const char *kind, const struct oci_hook_list *hooks, const char *status,
                    pid_t pid, hull_err *err)
{
  cleanup_free char *json = NULL;
  struct hull_status st = sc->c->st;

  if (hooks == NULL || hooks->len == 0)
    return 0;
  st.pid = pid;
  json = hull_container_state_json (&st, status);
  return hull_hooks_run (kind, hooks, json, err);
}

static int
on_clone (void *opaque, pid_t pid, hull_err *err)
{
  struct spawn_ctx *sc = opaque;
  if (sc->c->cgroup == NULL)
    return 0;
  return cgroup_enter (sc->c->cgroup, pid, err);
}

static int
on_runtime_ready (void *opaque, pid_t pid, hull_err *err)
{
  struct spawn_ctx *sc = opaque;
  if (run_hooks_with_pid (sc, "prestart", HOOKS (sc->spec, prestart), "created", pid, err) < 0)
    return -1;
  return run_hooks_with_pid (sc, "createRuntime", HOOKS (sc->spec, create_runtime), "created", pid, err);
}

/* Before pivot_root the host's /proc is still mounted: /proc/self names us
   as the host sees us, which is the pid hooks must get. */
static pid_t
host_pid_of_self (pid_t fallback)
{
  char buf[32];
  ssize_t n = readlink ("/proc/self", buf, sizeof buf - 1);
  if (n <= 0)
    return fallback;
  buf[n] = '\0';
  return atoi (buf) > 0 ? atoi (buf) : fallback;
}

static int
in_container_before_pivot (void *opaque, pid_t pid, hull_err *err)
{
  struct spawn_ctx *sc = opaque;
  pid = host_pid_of_self (pid);
  return run_hooks_with_pid (sc, "createContainer", HOOKS (sc->spec, create_container), "created", pid, err);
}

static int
in_container_before_exec (void *opaque, pid_t pid, hull_err *err)
{
  struct spawn_ctx *sc = opaque;
  return run_hooks_with_pid (sc, "startContainer", HOOKS (sc->spec, start_container), "created", pid, err);
}

static char *
now_rfc3339 (void)
{
  struct timespec ts;
  struct tm tm;
  char base[32];

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  return xasprintf ("%s.%09ldZ", base, ts.tv_nsec);
}

static int
resolve_bundle (const char *bundle, char **out, hull_err *err)
{
  char buf[PATH_MAX];
  if (bundle == NULL)
    bundle = ".";
  if (realpath (bundle, buf) == NULL)
    return hull_error (err, errno, "bundle `%s`", bundle);
  *out = xstrdup (buf);
  return 0;
}

static int
resolve_rootfs (const char *bundle, const struct oci_spec *spec, char **out, hull_err *err)
{
  cleanup_free char *joined = NULL;
  char buf[PATH_MAX];
  struct stat st;

  if (spec->root == NULL || spec->root->path == NULL)
    return hull_error (err, 0, "config.json: root.path: required");
  joined = spec->root->path[0] == '/' ? xstrdup (spec->root->path) : xasprintf ("%s/%s", bundle, spec->root->path);
  if (realpath (joined, buf) == NULL || stat (buf, &st) < 0)
    return hull_error (err, errno, "rootfs `%s`", joined);
  if (!S_ISDIR (st.st_mode))
    return hull_error (err, ENOTDIR, "rootfs `%s`", joined);
  *out = xstrdup (buf);
  return 0;
}

/* systemd socket activation: fds 3..3+LISTEN_FDS-1 meant for us go to the
   container first, then the --preserve-fds ones (as runc does). */
static int
listen_fds_for_us (void)
{
  const char *fds = getenv ("LISTEN_FDS");
  const char *pid = getenv ("LISTEN_PID");
  char *end;
  long n;

  if (fds == NULL || pid == NULL || atol (pid) != (long) getpid ())
    return 0;
  n = strtol (fds, &end, 10);
  if (*end != '\0' || n <= 0 || n > 4096)
    return 0;
  return (int) n;
}

static void
strv_append (struct oci_strv *v, char *s)
{
  v->items = xrealloc (v->items, (v->len + 2) * sizeof (char *));
  v->items[v->len++] = s;
  v->items[v->len] = NULL;
}

static int
check_terminal (const struct oci_spec *spec, const struct hull_create_opts *opts,
                const struct hull_create_extra *extra, hull_err *err)
{
  bool terminal = spec->process->terminal;
  if (terminal && opts->console_socket == NULL && !extra->own_terminal)
    return hull_error (err, 0, "process.terminal is true: --console-socket is required when detached");
  if (!terminal && opts->console_socket != NULL)
    return hull_error (err, 0, "--console-socket given but process.terminal is false");
  return 0;
}

static int
read_config (const char *bundle, char **text, size_t *len, struct oci_spec **spec, hull_err *err)
{
  cleanup_free char *path = xasprintf ("%s/config.json", bundle);
  if (read_file (path, text, len, err) < 0)
    return -1;
  *spec = oci_spec_parse (*text, *len, err);
  if (*spec == NULL)
    return -1;
  if ((*spec)->process == NULL)
    return hull_error (err, 0, "config.json: process: required to create a container");
  return 0;
}

static int
prepare_fifo (struct hull_container *c, hull_err *err)
{
  cleanup_free char *fifo = hull_state_path (c->sd, HULL_EXEC_FIFO);
  /* The init opens it for writing before it changes its user. */
  if (mkfifoat (c->sd->dirfd, HULL_EXEC_FIFO, 0600) < 0)
    return hull_error (err, errno, "mkfifo `%s`", fifo);
  return 0;
}

int
hull_create_container (const struct hull_context *ctx, const char *id, const struct hull_create_opts *opts,
                       struct hull_create_extra *extra, hull_err *err)
{
  cleanup_free char *config_text = NULL;
  cleanup_free char *bundle = NULL;
  cleanup_free char *rootfs = NULL;
  cleanup_free char *fifo = NULL;
  cleanup_oci_spec struct oci_spec *spec = NULL;
  cleanup_close int console_fd = -1;
  cleanup_close int own_terminal_peer = -1;
  const struct hull_backend *backend = NULL;
  const char *isolation = NULL;
  const char *vmm = NULL;
  cleanup_free struct oci_device *devices = NULL;
  size_t n_spec_devices, n_devices;
  struct hull_container c = { 0 };
  struct ns_callbacks cb;
  struct ns_spawn_opts so;
  struct spawn_ctx sc;
  size_t config_len = 0;
  bool spawned = false;
  int listen_fds;
  pid_t pid = 0;
  int ret = -1;

  extra->terminal_fd = -1;
  extra->pid = 0;
  if (hull_id_validate (id, err) < 0 || check_preserved_fds (opts->preserve_fds + listen_fds_for_us (), err) < 0)
    return -1;
  if (ctx->systemd_cgroup)
    return hull_error (err, 0, "--systemd-cgroup is not supported yet");
  if (resolve_bundle (opts->bundle, &bundle, err) < 0 || read_config (bundle, &config_text, &config_len, &spec, err) < 0
      || resolve_rootfs (bundle, spec, &rootfs, err) < 0 || check_terminal (spec, opts, extra, err) < 0)
    return -1;
  if (hull_isolation_select (spec, ctx->isolation, ctx->invoked_as_vm, &isolation, err) < 0
      || hull_backend_find (isolation, &backend, err) < 0 || hull_vmm_select (spec, ctx->vmm, &vmm, err) < 0)
    return -1;
  /* --vmm reaches the microvm level as its annotation does (and so the
     state's annotations); a container has no VMM to choose. */
  if (ctx->vmm != NULL && vmm != NULL && strcmp (isolation, HULL_ISOLATION_MICROVM) == 0
      && oci_annotation (spec, HULL_VMM_ANNOTATION) == NULL)
    oci_map_set (&spec->annotations, HULL_VMM_ANNOTATION, vmm);

  c.st.id = xstrdup (id);
  c.st.bundle = xstrdup (bundle);
  c.st.rootfs = xstrdup (rootfs);
  c.st.created = now_rfc3339 ();
  c.st.owner = xstrdup ("");
  c.st.isolation = xstrdup (isolation);
  for (size_t i = 0; i < spec->annotations.len; i++)
    oci_map_set (&c.st.annotations, spec->annotations.items[i].key, spec->annotations.items[i].value);
  c.spec = spec;
  c.own_pid_ns = hull_spec_own_pid_ns (spec);

  if (hull_state_dir_create (ctx->root, id, &c.st, &c.sd, err) < 0)
    {
      hull_status_clear (&c.st);
      return -1;
    }
  hull_log_debug ("container %s: state directory %s, isolation %s", id, c.sd->path, isolation);

  if (write_file_at (c.sd->dirfd, "config.json", config_text, config_len, err) < 0 || prepare_fifo (&c, err) < 0)
    goto fail;

  if (hull_log_debug_enabled ())
    {
      cleanup_free char *why = NULL;
      cgroup_detect_mode (&why);
      hull_log_debug ("cgroups: %s", why);
    }
  /* linux.devices, then what the level itself needs (a microVM's /dev/kvm). */
  n_spec_devices = spec->linux_ != NULL ? spec->linux_->devices_len : 0;
  devices = xcalloc (n_spec_devices + HULL_BACKEND_MAX_DEVICES, sizeof *devices);
  if (n_spec_devices > 0)
    memcpy (devices, spec->linux_->devices, n_spec_devices * sizeof *devices);
  n_devices = n_spec_devices;
  if (backend->cgroup_devices != NULL)
    n_devices += backend->cgroup_devices (spec, devices + n_spec_devices, HULL_BACKEND_MAX_DEVICES);
  if (cgroup_create_with_devices (spec->linux_ != NULL ? spec->linux_->cgroups_path : NULL, id,
                                  spec->linux_ != NULL ? spec->linux_->resources : NULL, devices, n_devices,
                                  &c.cgroup, err) < 0)
    goto fail;
  c.st.cgroup_path = xstrdup (cgroup_path (c.cgroup));
  if (write_file_at (c.sd->dirfd, HULL_CGROUP_FILE, c.st.cgroup_path, strlen (c.st.cgroup_path), err) < 0)
    goto fail;
  hull_log_debug ("container %s: cgroup %s", id, c.st.cgroup_path);

  if (opts->console_socket != NULL)
    {
      console_fd = hull_console_socket_connect (opts->console_socket, err);
      if (console_fd < 0)
        goto fail;
    }
  else if (spec->process->terminal && extra->own_terminal)
    {
      int pair[2];
      if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
        {
          hull_error (err, errno, "socketpair for the terminal");
          goto fail;
        }
      console_fd = pair[0];
      own_terminal_peer = pair[1];
    }

  listen_fds = listen_fds_for_us ();
  if (listen_fds > 0)
    {
      strv_append (&spec->process->env, xasprintf ("LISTEN_FDS=%d", listen_fds));
      strv_append (&spec->process->env, xstrdup ("LISTEN_PID=1"));
    }

  fifo = hull_state_path (c.sd, HULL_EXEC_FIFO);
  sc = (struct spawn_ctx) { .c = &c, .spec = spec };
  cb = (struct ns_callbacks) {
    .ctx = &sc,
    .on_clone = on_clone,
    .on_runtime_ready = on_runtime_ready,
    .in_container_before_pivot = in_container_before_pivot,
    .in_container_before_exec = in_container_before_exec,
  };
  so = (struct ns_spawn_opts) {
    .spec = spec,
    .bundle = bundle,
    .rootfs = rootfs,
    .exec_fifo = fifo,
    .console_socket_fd = console_fd,
    .preserve_fds = listen_fds + opts->preserve_fds,
    .no_pivot = opts->no_pivot,
    .no_new_keyring = opts->no_new_keyring,
    .id = id,
    .cb = &cb,
  };
  /* From here on the lifecycle has begun: a failure continues it at
     "destroy" and the poststop hooks (runtime-spec, Lifecycle). */
  spawned = true;
  if (backend->create (&c, &so, &pid, err) < 0)
    goto fail;
  c.st.pid = pid;
  if (hull_process_stat (pid, &c.st.pid_start_time, NULL, err) < 0)
    goto fail;

  if (own_terminal_peer >= 0)
    {
      extra->terminal_fd = hull_console_recv_fd (own_terminal_peer, err);
      if (extra->terminal_fd < 0)
        goto fail;
    }
  if (hull_state_write (c.sd, &c.st, err) < 0)
    goto fail;
  if (opts->pid_file != NULL)
    {
      char buf[32];
      int n = snprintf (buf, sizeof buf, "%d", (int) pid);
      if (write_file_atomic (opts->pid_file, buf, (size_t) n, 0644, err) < 0)
        {
          hull_error_wrap (err, "pid file");
          goto fail;
        }
    }
  hull_log_debug ("container %s: created, init pid %d", id, (int) pid);
  extra->pid = pid;
  ret = 0;
  c.spec = NULL;
  hull_container_release (&c);
  return ret;

fail:
  {
    hull_err ignored = NULL;
    if (extra->terminal_fd >= 0)
      close (extra->terminal_fd);
    extra->terminal_fd = -1;
    c.spec = NULL;
    /* The init is our child here: reap it. */
    if (hull_container_destroy (&c, backend, spawned ? spec : NULL, true, &ignored) < 0)
      hull_log_warning ("cleaning up container %s: %s", id, ignored->msg);
    hull_error_release (&ignored);
    hull_container_release (&c);
  }
  return -1;
}

int
hull_create (const struct hull_context *ctx, const char *id, const struct hull_create_opts *opts, hull_err *err)
{
  struct hull_create_extra extra = { .own_terminal = false };
  return hull_create_container (ctx, id, opts, &extra, err);
}

/* exec: checks, the process to run, and (without --detach) staying its
   parent until it exits. */
#include "runtime/exec.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/cgroup_of.h"
#include "runtime/console.h"
#include "runtime/lifecycle.h"
#include "runtime/log.h"
#include "runtime/parent.h"
#include "runtime/util.h"

static void
strv_clear (struct oci_strv *v)
{
  for (size_t i = 0; i < v->len; i++)
    free (v->items[i]);
  free (v->items);
  v->items = NULL;
  v->len = 0;
}

static void
strv_push (struct oci_strv *v, char *s)
{
  v->items = xrealloc (v->items, (v->len + 2) * sizeof (char *));
  v->items[v->len++] = s;
  v->items[v->len] = NULL;
}

static bool
strv_has (const struct oci_strv *v, const char *s)
{
  for (size_t i = 0; i < v->len; i++)
    if (strcmp (v->items[i], s) == 0)
      return true;
  return false;
}

static void
strv_add_unique (struct oci_strv *v, const char *s)
{
  if (!strv_has (v, s))
    strv_push (v, xstrdup (s));
}

/* KEY=VALUE: a later KEY replaces an earlier one in its place (runc's
   behaviour); an entry without '=' is kept as is. */
static void
env_set (struct oci_strv *env, const char *kv)
{
  const char *eq = strchr (kv, '=');
  size_t klen = eq != NULL ? (size_t) (eq - kv) : strlen (kv);

  for (size_t i = 0; eq != NULL && i < env->len; i++)
    if (strncmp (env->items[i], kv, klen) == 0 && env->items[i][klen] == '=')
      {
        free (env->items[i]);
        env->items[i] = xstrdup (kv);
        return;
      }
  strv_push (env, xstrdup (kv));
}

static int
parse_id (const char *s, const char *what, const char *whole, uint32_t *out, hull_err *err)
{
  char *end;
  unsigned long v;

  errno = 0;
  v = strtoul (s, &end, 10);
  if (!isdigit ((unsigned char) *s) || errno != 0 || *end != '\0' || v > UINT32_MAX - 1)
    return hull_error (err, 0, "--user `%s`: invalid %s `%s`", whole, what, s);
  *out = (uint32_t) v;
  return 0;
}

/* "CAP_SYS_ADMIN", also accepted as "sys_admin". */
static char *
cap_name (const char *s)
{
  char *name = strncasecmp (s, "CAP_", 4) == 0 ? xstrdup (s) : xasprintf ("CAP_%s", s);
  for (char *p = name; *p; p++)
    *p = (char) toupper ((unsigned char) *p);
  return name;
}

int
hull_exec_apply_flags (struct oci_process *p, const struct hull_exec_opts *o, hull_err *err)
{
  strv_clear (&p->args);
  for (size_t i = 0; i < o->n_args; i++)
    strv_push (&p->args, xstrdup (o->args[i]));
  if (p->args.len == 0)
    return hull_error (err, 0, "exec: no command given (and no --process)");
  if (o->cwd != NULL)
    {
      free (p->cwd);
      p->cwd = xstrdup (o->cwd);
    }
  for (size_t i = 0; i < o->n_env; i++)
    env_set (&p->env, o->env[i]);
  p->terminal = o->tty;
  if (o->no_new_privs)
    p->no_new_privileges = true;
  if (o->apparmor != NULL)
    {
      free (p->apparmor_profile);
      p->apparmor_profile = xstrdup (o->apparmor);
    }
  if (o->process_label != NULL)
    {
      free (p->selinux_label);
      p->selinux_label = xstrdup (o->process_label);
    }
  if (o->user != NULL)
    {
      cleanup_free char *u = xstrdup (o->user);
      char *colon = strchr (u, ':');
      uint32_t uid, gid = p->user.gid;
      if (colon != NULL)
        *colon = '\0';
      if (parse_id (u, "uid", o->user, &uid, err) < 0
          || (colon != NULL && parse_id (colon + 1, "gid", o->user, &gid, err) < 0))
        return -1;
      p->user.uid = uid;
      p->user.gid = gid;
    }
  if (o->n_additional_gids > 0)
    {
      size_t n = p->user.additional_gids_len;
      p->user.additional_gids = xrealloc (p->user.additional_gids, (n + o->n_additional_gids) * sizeof (uint32_t));
      memcpy (p->user.additional_gids + n, o->additional_gids, o->n_additional_gids * sizeof (uint32_t));
      p->user.additional_gids_len = n + o->n_additional_gids;
    }
  if (o->n_caps > 0 && p->capabilities == NULL)
    p->capabilities = xcalloc (1, sizeof *p->capabilities);
  for (size_t i = 0; i < o->n_caps; i++)
    {
      cleanup_free char *cap = cap_name (o->caps[i]);
      struct oci_capabilities *c = p->capabilities;
      strv_add_unique (&c->bounding, cap);
      strv_add_unique (&c->effective, cap);
      strv_add_unique (&c->permitted, cap);
      c->has_bounding = c->has_effective = c->has_permitted = true;
      /* Ambient needs the inheritable bit: only where the config has an
         inheritable set (as runc). */
      if (c->has_inheritable)
        {
          strv_add_unique (&c->inheritable, cap);
          strv_add_unique (&c->ambient, cap);
          c->has_ambient = true;
        }
    }
  return 0;
}

static int
validate_process (const struct oci_process *p, hull_err *err)
{
  if (p->args.len == 0)
    return hull_error (err, 0, "exec: process.args must not be empty");
  if (p->cwd == NULL || p->cwd[0] == '\0')
    return hull_error (err, 0, "exec: process.cwd must not be empty");
  if (p->cwd[0] != '/')
    return hull_error (err, 0, "exec: process.cwd `%s` must be an absolute path", p->cwd);
  return 0;
}

static struct oci_spec *
load_stored_config (struct hull_container *c, hull_err *err)
{
  cleanup_free char *text = NULL;
  struct oci_spec *spec;
  size_t len;

  if (read_file_at (c->sd->dirfd, "config.json", &text, &len, err) < 0)
    {
      hull_error_wrap (err, "container %s: stored config", c->st.id);
      return NULL;
    }
  spec = oci_spec_parse (text, len, err);
  if (spec == NULL)
    hull_error_wrap (err, "container %s: stored config", c->st.id);
  return spec;
}

static struct oci_process *
read_process_file (const char *path, hull_err *err)
{
  cleanup_free char *text = NULL;
  struct oci_process *p;
  size_t len = 0;

  if (read_file_or_stdin ("--process", path, &text, &len, err) < 0)
    return NULL;
  p = oci_process_parse (text, len, err);
  if (p == NULL)
    hull_error_wrap (err, "--process `%s`", path);
  return p;
}

static int
write_pid_file (const char *path, pid_t pid, hull_err *err)
{
  char buf[32];
  int n = snprintf (buf, sizeof buf, "%d", (int) pid);
  if (write_file_atomic (path, buf, (size_t) n, 0644, err) < 0)
    return hull_error_wrap (err, "pid file");
  return 0;
}

/* ---- exec ---- */

struct exec_state
{
  struct hull_container c;
  bool loaded;
  struct oci_spec *spec;
  struct oci_process *file_process;
  int console_fd;
  int own_terminal_peer;   /* receives the pty master we proxy ourselves */
};

static void
exec_state_release (struct exec_state *s)
{
  if (s->loaded)
    hull_container_release (&s->c);
  s->loaded = false;
  oci_spec_free (s->spec);
  s->spec = NULL;
  oci_process_free (s->file_process);
  s->file_process = NULL;
  if (s->console_fd >= 0)
    close (s->console_fd);
  s->console_fd = -1;
  if (s->own_terminal_peer >= 0)
    close (s->own_terminal_peer);
  s->own_terminal_peer = -1;
}

static int
check_state (struct hull_container *c, hull_err *err)
{
  switch (hull_container_observe (c))
    {
    case HULL_PAUSED:
      return hull_error (err, 0, "cannot exec in a paused container");
    case HULL_STOPPED:
      return hull_error (err, 0, "cannot exec in a stopped container");
    case HULL_CREATING:
      return hull_error (err, 0, "container %s: container not running (still being created)", c->st.id);
    case HULL_CREATED:
    case HULL_RUNNING:
      break;
    }
  return 0;
}

/* Starts the process; the state directory lock is held meanwhile so a
   concurrent pause or delete waits for it. */
static int
start_process (const struct hull_context *ctx, const char *id, const struct hull_exec_opts *o, struct exec_state *s,
               pid_t *pid, hull_err *err)
{
  const struct hull_backend *backend;
  struct oci_process *p;

  if (hull_container_load (ctx, id, HULL_LOCK_SHARED, &s->c, err) < 0)
    return -1;
  s->loaded = true;
  if (check_state (&s->c, err) < 0 || hull_backend_find (s->c.st.isolation, &backend, err) < 0)
    return -1;
  if (backend->exec == NULL)
    return hull_error (err, ENOTSUP, "exec is not supported in %s isolation", backend->name);
  s->spec = load_stored_config (&s->c, err);
  if (s->spec == NULL)
    return -1;
  if (o->process_file != NULL)
    p = s->file_process;
  else
    {
      if (s->spec->process == NULL)
        s->spec->process = xcalloc (1, sizeof *s->spec->process);
      p = s->spec->process;
      if (hull_exec_apply_flags (p, o, err) < 0)
        return -1;
    }
  if (validate_process (p, err) < 0)
    return -1;

  if (p->terminal && o->console_socket == NULL && o->detach)
    return hull_error (err, 0, "cannot allocate tty if hull will detach without setting console socket");
  if (!p->terminal && o->console_socket != NULL)
    return hull_error (err, 0, "cannot use console socket if hull will not allocate tty");
  if (p->terminal && o->console_socket != NULL)
    {
      s->console_fd = hull_console_socket_connect (o->console_socket, err);
      if (s->console_fd < 0)
        return -1;
    }
  else if (p->terminal)
    {
      int pair[2];
      if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
        return hull_error (err, errno, "socketpair for the terminal");
      s->console_fd = pair[0];
      s->own_terminal_peer = pair[1];
    }

  if (s->c.st.cgroup_path != NULL && hull_container_cgroup (&s->c, err) < 0)
    return -1;

  {
    struct hull_exec_request req = {
      .spec = s->spec,
      .process = p,
      .console_socket_fd = s->console_fd,
      .preserve_fds = o->preserve_fds,
    };
    if (backend->exec (&s->c, &req, pid, err) < 0)
      return -1;
  }
  hull_log_debug ("container %s: exec pid %d", id, (int) *pid);
  return 0;
}

int
hull_exec (const struct hull_context *ctx, const char *id, const struct hull_exec_opts *o, int *exit_code,
           hull_err *err)
{
  struct exec_state s = { .console_fd = -1, .own_terminal_peer = -1 };
  int master = -1, status = 0;
  sigset_t all, old;
  pid_t pid = -1;

  *exit_code = 0;
  if (check_preserved_fds (o->preserve_fds, err) < 0)
    return -1;
  if (o->process_file != NULL)
    {
      s.file_process = read_process_file (o->process_file, err);
      if (s.file_process == NULL)
        return -1;
    }
  /* Blocked before the process exists, so no signal meant for it is lost;
     ns_exec() gives the process an empty mask. */
  sigfillset (&all);
  sigprocmask (SIG_BLOCK, &all, &old);
  if (start_process (ctx, id, o, &s, &pid, err) < 0)
    goto fail;
  if (o->pid_file != NULL && write_pid_file (o->pid_file, pid, err) < 0)
    goto fail;
  if (s.own_terminal_peer >= 0)
    {
      master = hull_console_recv_fd (s.own_terminal_peer, err);
      if (master < 0)
        goto fail;
    }
  /* Let pause, update and delete in while the process runs. */
  exec_state_release (&s);
  if (o->detach)
    {
      sigprocmask (SIG_SETMASK, &old, NULL);
      return 0;
    }

  if (master >= 0)
    {
      hull_parent_resize_terminal (master);
      if (hull_console_proxy_start (master, err) < 0)
        {
          kill (pid, SIGKILL);
          hull_parent_wait (pid, -1, &status);
          close (master);
          sigprocmask (SIG_SETMASK, &old, NULL);
          return -1;
        }
    }
  hull_parent_wait (pid, master, &status);
  if (master >= 0)
    {
      hull_console_proxy_stop ();
      close (master);
    }
  sigprocmask (SIG_SETMASK, &old, NULL);
  *exit_code = hull_parent_exit_code (status);
  return 0;

fail:
  if (pid > 0)
    {
      kill (pid, SIGKILL);
      while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
        ;
    }
  if (master >= 0)
    close (master);
  exec_state_release (&s);
  sigprocmask (SIG_SETMASK, &old, NULL);
  return -1;
}

/* linux.seccomp with libseccomp.  The filter is built with libseccomp,
 * exported as BPF and loaded with seccomp(2) ourselves, so every filter
 * flag the kernel knows can be used whatever the libseccomp version
 * (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is newer than Debian 12's), and
 * SCMP_ACT_NOTIFY gets its listener fd from SECCOMP_FILTER_FLAG_NEW_LISTENER.
 *
 * As runc: syscall names unknown to libseccomp are skipped (profiles list
 * syscalls of every architecture), rules whose action is the default action
 * are skipped, and several conditions on the same argument make one rule
 * each (OR) while conditions on distinct arguments make one rule (AND).
 */
#include "namespaces/ns_internal.h"

#include <ctype.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "runtime/util.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

int
seccomp_action_from_name (const char *name, uint32_t errno_ret, uint32_t *action, hull_err *err)
{
  if (name == NULL)
    return hull_error (err, 0, "seccomp: missing action");
  if (strcmp (name, "SCMP_ACT_KILL") == 0 || strcmp (name, "SCMP_ACT_KILL_THREAD") == 0)
    *action = SCMP_ACT_KILL_THREAD;
  else if (strcmp (name, "SCMP_ACT_KILL_PROCESS") == 0)
    *action = SCMP_ACT_KILL_PROCESS;
  else if (strcmp (name, "SCMP_ACT_TRAP") == 0)
    *action = SCMP_ACT_TRAP;
  else if (strcmp (name, "SCMP_ACT_ERRNO") == 0)
    *action = SCMP_ACT_ERRNO (errno_ret);
  else if (strcmp (name, "SCMP_ACT_TRACE") == 0)
    *action = SCMP_ACT_TRACE (errno_ret);
  else if (strcmp (name, "SCMP_ACT_ALLOW") == 0)
    *action = SCMP_ACT_ALLOW;
  else if (strcmp (name, "SCMP_ACT_LOG") == 0)
    *action = SCMP_ACT_LOG;
  else if (strcmp (name, "SCMP_ACT_NOTIFY") == 0)
    *action = SCMP_ACT_NOTIFY;
  else
    return hull_error (err, 0, "seccomp: unknown action `%s`", name);
  return 0;
}

int
seccomp_flag_from_name (const char *name, unsigned long *flag, hull_err *err)
{
  if (strcmp (name, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
    *flag = SECCOMP_FILTER_FLAG_TSYNC;
  else if (strcmp (name, "SECCOMP_FILTER_FLAG_LOG") == 0)
    *flag = SECCOMP_FILTER_FLAG_LOG;
  else if (strcmp (name, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
    *flag = SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  else if (strcmp (name, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
    *flag = SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
  else
    return hull_error (err, 0, "seccomp: unknown flag `%s`", name);
  return 0;
}

/* "SCMP_ARCH_X86_64" -> libseccomp's token. */
int
seccomp_arch_from_name (const char *name, uint32_t *arch, hull_err *err)
{
  char buf[64];
  size_t i;

  if (name == NULL || strncmp (name, "SCMP_ARCH_", 10) != 0 || strlen (name + 10) >= sizeof buf)
    return hull_error (err, 0, "seccomp: unknown architecture `%s`", name ? name : "");
  for (i = 0; name[10 + i]; i++)
    buf[i] = (char) tolower ((unsigned char) name[10 + i]);
  buf[i] = '\0';
  *arch = seccomp_arch_resolve_name (buf);
  if (*arch == 0)
    return hull_error (err, 0, "seccomp: unknown architecture `%s`", name);
  return 0;
}

static const enum scmp_compare ops[] = {
  [OCI_SCMP_CMP_NE] = SCMP_CMP_NE, [OCI_SCMP_CMP_LT] = SCMP_CMP_LT, [OCI_SCMP_CMP_LE] = SCMP_CMP_LE,
  [OCI_SCMP_CMP_EQ] = SCMP_CMP_EQ, [OCI_SCMP_CMP_GE] = SCMP_CMP_GE, [OCI_SCMP_CMP_GT] = SCMP_CMP_GT,
  [OCI_SCMP_CMP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

bool
seccomp_uses_notify (const struct oci_seccomp *s)
{
  if (s->default_action && strcmp (s->default_action, "SCMP_ACT_NOTIFY") == 0)
    return true;
  for (size_t i = 0; i < s->syscalls_len; i++)
    if (s->syscalls[i].action && strcmp (s->syscalls[i].action, "SCMP_ACT_NOTIFY") == 0)
      return true;
  return false;
}

int
seccomp_validate (const struct oci_spec *spec, hull_err *err)
{
  const struct oci_seccomp *s = spec->linux_ ? spec->linux_->seccomp : NULL;
  uint32_t a;
  unsigned long f;

  if (s == NULL)
    return 0;
  if (seccomp_action_from_name (s->default_action, 0, &a, err) < 0)
    return hull_error_wrap (err, "linux.seccomp.defaultAction");
  for (size_t i = 0; i < s->architectures.len; i++)
    if (seccomp_arch_from_name (s->architectures.items[i], &a, err) < 0)
      return -1;
  for (size_t i = 0; i < s->flags.len; i++)
    if (seccomp_flag_from_name (s->flags.items[i], &f, err) < 0)
      return -1;
  for (size_t i = 0; i < s->syscalls_len; i++)
    {
      const struct oci_seccomp_syscall *sc = &s->syscalls[i];
      if (seccomp_action_from_name (sc->action, 0, &a, err) < 0)
        return hull_error_wrap (err, "linux.seccomp.syscalls[%zu]", i);
      for (size_t j = 0; j < sc->args_len; j++)
        if (sc->args[j].index > 5 || (unsigned) sc->args[j].op >= ARRAY_SIZE (ops))
          return hull_error (err, 0, "linux.seccomp.syscalls[%zu].args[%zu]: invalid argument rule", i, j);
    }
  if (seccomp_uses_notify (s) && (s->listener_path == NULL || *s->listener_path == '\0'))
    return hull_error (err, 0, "linux.seccomp: SCMP_ACT_NOTIFY needs a listenerPath");
  if (s->listener_path != NULL && *s->listener_path && s->listener_path[0] != '/')
    return hull_error (err, 0, "linux.seccomp.listenerPath `%s`: must be an absolute path", s->listener_path);
  return 0;
}

static int
add_rule (scmp_filter_ctx ctx, uint32_t def, const struct oci_seccomp_syscall *sc, int nr, hull_err *err)
{
  uint32_t action;
  struct scmp_arg_cmp cmp[6];
  bool repeated = false;
  int ret;

  if (seccomp_action_from_name (sc->action, sc->errno_ret.set ? (uint32_t) sc->errno_ret.v : EPERM, &action, err) < 0)
    return -1;
  if (action == def)
    return 0;
  for (size_t i = 0; i < sc->args_len; i++)
    for (size_t j = 0; j < i; j++)
      if (sc->args[i].index == sc->args[j].index)
        repeated = true;
  for (size_t i = 0; i < sc->args_len && i < 6; i++)
    {
      const struct oci_seccomp_arg *a = &sc->args[i];
      cmp[i] = (struct scmp_arg_cmp) { .arg = a->index, .op = ops[a->op], .datum_a = a->value,
                                       .datum_b = a->value_two };
    }
  if (!repeated && sc->args_len <= 6)
    ret = seccomp_rule_add_array (ctx, action, nr, sc->args_len, cmp);
  else
    {
      ret = 0;
      for (size_t i = 0; ret == 0 && i < sc->args_len && i < 6; i++)
        ret = seccomp_rule_add_array (ctx, action, nr, 1, &cmp[i]);
    }
  if (ret < 0)
    return hull_error (err, -ret, "seccomp: add rule for syscall %d", nr);
  return 0;
}

static int
build_filter (const struct oci_seccomp *s, scmp_filter_ctx *out, hull_err *err)
{
  uint32_t def;
  scmp_filter_ctx ctx;

  if (seccomp_action_from_name (s->default_action,
                                s->default_errno_ret.set ? (uint32_t) s->default_errno_ret.v : EPERM, &def, err) < 0)
    return -1;
  ctx = seccomp_init (def);
  if (ctx == NULL)
    return hull_error (err, 0, "seccomp_init failed");
  for (size_t i = 0; i < s->architectures.len; i++)
    {
      uint32_t arch;
      int r;
      if (seccomp_arch_from_name (s->architectures.items[i], &arch, err) < 0)
        goto fail;
      r = seccomp_arch_add (ctx, arch);
      if (r < 0 && r != -EEXIST)
        {
          hull_error (err, -r, "seccomp: add architecture %s", s->architectures.items[i]);
          goto fail;
        }
    }
  for (size_t i = 0; i < s->syscalls_len; i++)
    for (size_t j = 0; j < s->syscalls[i].names.len; j++)
      {
        int nr = seccomp_syscall_resolve_name (s->syscalls[i].names.items[j]);
        if (nr == __NR_SCMP_ERROR)
          continue;
        if (add_rule (ctx, def, &s->syscalls[i], nr, err) < 0)
          {
            hull_error_wrap (err, "syscall `%s`", s->syscalls[i].names.items[j]);
            goto fail;
          }
      }
  *out = ctx;
  return 0;
fail:
  seccomp_release (ctx);
  return -1;
}

static int
export_bpf (scmp_filter_ctx ctx, void **prog, size_t *len, hull_err *err)
{
  cleanup_close int fd = memfd_create ("seccomp-bpf", MFD_CLOEXEC);
  off_t size;
  int r;

  if (fd < 0)
    return hull_error (err, errno, "memfd_create");
  r = seccomp_export_bpf (ctx, fd);
  if (r < 0)
    return hull_error (err, -r, "seccomp: export the filter");
  size = lseek (fd, 0, SEEK_END);
  if (size <= 0 || lseek (fd, 0, SEEK_SET) < 0)
    return hull_error (err, errno, "seccomp: read back the filter");
  *prog = xmalloc (size);
  if (read_all (fd, *prog, size) != size)
    {
      free (*prog);
      return hull_error (err, errno, "seccomp: read back the filter");
    }
  *len = size;
  return 0;
}

static int
send_listener_fd (int sock, int notify_fd, const char *payload, hull_err *err)
{
  if (send_fd_message (sock, notify_fd, payload) < 0)
    return hull_error (err, errno, "seccomp: send the listener fd");
  return 0;
}

int
seccomp_listener_connect (const struct oci_seccomp *s, hull_err *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int fd = -1;

  if (s == NULL || !seccomp_uses_notify (s))
    return -1;
  if (strlen (s->listener_path) >= sizeof addr.sun_path)
    return hull_error (err, 0, "linux.seccomp.listenerPath `%s`: too long", s->listener_path) - 1;
  strcpy (addr.sun_path, s->listener_path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return hull_error (err, errno, "socket") - 1;
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    return hull_error (err, errno, "connect to the seccomp listener `%s`", s->listener_path) - 1;
  return steal_fd (&fd);
}

int
seccomp_prepare (const struct oci_seccomp *s, struct seccomp_prog *out, hull_err *err)
{
  scmp_filter_ctx ctx = NULL;
  unsigned long flags = 0;
  int ret;

  memset (out, 0, sizeof *out);
  if (s == NULL)
    return 0;
  out->notify = seccomp_uses_notify (s);
  for (size_t i = 0; i < s->flags.len; i++)
    {
      unsigned long f;
      if (seccomp_flag_from_name (s->flags.items[i], &f, err) < 0)
        return -1;
      flags |= f;
    }
  if (out->notify)
    {
      flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
      if (flags & SECCOMP_FILTER_FLAG_TSYNC)
        flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
    }
  else
    /* Only meaningful for (and only accepted with) a listener, as in
       libseccomp. */
    flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
  if (build_filter (s, &ctx, err) < 0)
    return -1;
  ret = export_bpf (ctx, &out->prog, &out->len, err);
  seccomp_release (ctx);
  out->flags = flags;
  return ret;
}

void
seccomp_prog_free (struct seccomp_prog *p)
{
  free (p->prog);
  memset (p, 0, sizeof *p);
}

int
seccomp_prog_load (const struct seccomp_prog *p, int listener_sock, const char *state_json, hull_err *err)
{
  struct sock_fprog fprog;
  long fd;

  if (p->prog == NULL)
    return 0;
  fprog.len = (unsigned short) (p->len / sizeof (struct sock_filter));
  fprog.filter = p->prog;
  fd = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->flags, &fprog);
  if (fd < 0)
    return hull_error (err, errno, "seccomp: load the filter");
  if (p->notify)
    {
      int ret = 0;
      if (listener_sock < 0 || state_json == NULL)
        ret = hull_error (err, 0, "seccomp: no listener for SCMP_ACT_NOTIFY");
      else
        ret = send_listener_fd (listener_sock, (int) fd, state_json, err);
      close ((int) fd);
      return ret;
    }
  return 0;
}

int
ns_seccomp_bpf (const struct oci_seccomp *s, void **prog, size_t *len, unsigned long *flags, hull_err *err)
{
  struct seccomp_prog p;
  if (seccomp_prepare (s, &p, err) < 0)
    return -1;
  *prog = p.prog;
  *len = p.len;
  *flags = p.flags;
  return 0;
}

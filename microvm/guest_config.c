/* OCI config -> the guest's process description (proto.h).  Names are
   resolved here, on the host (capabilities, rlimits, mount options), so the
   static guest init only deals in numbers. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "microvm/microvm.h"
#include "namespaces/namespaces.h"
#include "runtime/util.h"

static const struct
{
  const char *name;
  int resource;
} rlimit_names[] = {
  { "RLIMIT_CPU", RLIMIT_CPU },         { "RLIMIT_FSIZE", RLIMIT_FSIZE },     { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_STACK", RLIMIT_STACK },     { "RLIMIT_CORE", RLIMIT_CORE },       { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_NPROC", RLIMIT_NPROC },     { "RLIMIT_NOFILE", RLIMIT_NOFILE },   { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_AS", RLIMIT_AS },           { "RLIMIT_LOCKS", RLIMIT_LOCKS },     { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },     { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
};

static const struct
{
  const char *name;
  uint64_t set, clear;
} mount_flags[] = {
  { "ro", MS_RDONLY, 0 },          { "rw", 0, MS_RDONLY },           { "nosuid", MS_NOSUID, 0 },
  { "suid", 0, MS_NOSUID },        { "nodev", MS_NODEV, 0 },         { "dev", 0, MS_NODEV },
  { "noexec", MS_NOEXEC, 0 },      { "exec", 0, MS_NOEXEC },         { "sync", MS_SYNCHRONOUS, 0 },
  { "async", 0, MS_SYNCHRONOUS },  { "dirsync", MS_DIRSYNC, 0 },     { "remount", MS_REMOUNT, 0 },
  { "mand", MS_MANDLOCK, 0 },      { "nomand", 0, MS_MANDLOCK },     { "atime", 0, MS_NOATIME },
  { "noatime", MS_NOATIME, 0 },    { "diratime", 0, MS_NODIRATIME }, { "nodiratime", MS_NODIRATIME, 0 },
  { "relatime", MS_RELATIME, 0 },  { "norelatime", 0, MS_RELATIME }, { "strictatime", MS_STRICTATIME, 0 },
  { "nostrictatime", 0, MS_STRICTATIME },
  { "defaults", 0, 0 },
};

/* Propagation options mean nothing inside the guest, whose mounts are
   private to it. */
static bool
ignored_option (const char *o)
{
  static const char *const names[] = { "private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable",
                                       "runbindable", "recursive" };
  for (size_t i = 0; i < ARRAY_SIZE (names); i++)
    if (strcmp (o, names[i]) == 0)
      return true;
  return false;
}

int
microvm_mount_options (const struct oci_strv *options, uint64_t *flags, char **data, bool *bind, hull_err *err)
{
  cleanup_free char *d = NULL;
  *flags = 0;
  *bind = false;
  for (size_t i = 0; i < options->len; i++)
    {
      const char *o = options->items[i];
      size_t k;
      if (strcmp (o, "bind") == 0 || strcmp (o, "rbind") == 0)
        {
          *bind = true;
          continue;
        }
      if (strcmp (o, "tmpcopyup") == 0)
        {
          *flags |= HULL_MOUNT_TMPCOPYUP;
          continue;
        }
      if (ignored_option (o))
        continue;
      if (strcmp (o, "idmap") == 0 || strcmp (o, "ridmap") == 0)
        {
          *flags |= HULL_MOUNT_IDMAP_ASKED;
          continue;
        }
      for (k = 0; k < ARRAY_SIZE (mount_flags); k++)
        if (strcmp (o, mount_flags[k].name) == 0)
          {
            *flags = (*flags & ~mount_flags[k].clear) | mount_flags[k].set;
            break;
          }
      if (k < ARRAY_SIZE (mount_flags))
        continue;
      if (strchr (o, ',') != NULL)
        return hull_error (err, EINVAL, "mount option `%s` contains a comma", o);
      char *nd = d ? xasprintf ("%s,%s", d, o) : xstrdup (o);
      free (d);
      d = nd;
    }
  *data = steal_ptr (&d);
  return 0;
}

static int
rlimit_from_name (const char *name)
{
  for (size_t i = 0; i < ARRAY_SIZE (rlimit_names); i++)
    if (strcmp (name, rlimit_names[i].name) == 0)
      return rlimit_names[i].resource;
  return -1;
}

static int
cap_mask (const struct oci_strv *set, uint64_t *mask, hull_err *err)
{
  *mask = 0;
  for (size_t i = 0; i < set->len; i++)
    {
      cap_value_t cap;
      if (cap_from_name (set->items[i], &cap) < 0 || cap < 0 || cap > 63)
        return hull_error (err, EINVAL, "unknown capability `%s`", set->items[i]);
      *mask |= 1ull << cap;
    }
  return 0;
}

static char **
strv_dup (const struct oci_strv *v, size_t *n)
{
  char **out = xcalloc (v->len + 1, sizeof *out);
  for (size_t i = 0; i < v->len; i++)
    out[i] = xstrdup (v->items[i]);
  *n = v->len;
  return out;
}

int
microvm_guest_process (const struct oci_process *proc, struct hull_process *out, hull_err *err)
{
  memset (out, 0, sizeof *out);
  if (proc == NULL || proc->args.len == 0)
    return hull_error (err, EINVAL, "process.args must not be empty");
  out->args = strv_dup (&proc->args, &out->n_args);
  out->env = strv_dup (&proc->env, &out->n_env);
  out->cwd = xstrdup (proc->cwd ? proc->cwd : "/");
  out->uid = proc->user.uid;
  out->gid = proc->user.gid;
  if (proc->user.additional_gids_len)
    {
      out->agids = xcalloc (proc->user.additional_gids_len, sizeof *out->agids);
      memcpy (out->agids, proc->user.additional_gids, proc->user.additional_gids_len * sizeof *out->agids);
      out->n_agids = proc->user.additional_gids_len;
    }
  if (proc->user.umask.set)
    {
      out->has_umask = true;
      out->umask = (uint32_t) proc->user.umask.v;
    }
  if (proc->rlimits_len)
    out->rlimits = xcalloc (proc->rlimits_len, sizeof *out->rlimits);
  for (size_t i = 0; i < proc->rlimits_len; i++)
    {
      int r = rlimit_from_name (proc->rlimits[i].type);
      if (r < 0)
        {
          hull_process_release (out);
          return hull_error (err, EINVAL, "unknown rlimit `%s`", proc->rlimits[i].type);
        }
      out->rlimits[i] = (struct hull_rlimit) { (uint32_t) r, proc->rlimits[i].soft, proc->rlimits[i].hard };
      out->n_rlimits++;
    }
  out->terminal = proc->terminal;
  if (proc->has_console_size)
    out->console_size = (struct hull_winsize) { (uint16_t) proc->console_height, (uint16_t) proc->console_width };
  if (proc->capabilities)
    {
      const struct oci_capabilities *c = proc->capabilities;
      const struct oci_strv *sets[HULL_CAP__N] = { &c->bounding, &c->effective, &c->inheritable, &c->permitted,
                                                   &c->ambient };
      out->has_caps = true;
      for (int i = 0; i < HULL_CAP__N; i++)
        if (cap_mask (sets[i], &out->caps[i], err) < 0)
          {
            hull_process_release (out);
            return -1;
          }
    }
  out->no_new_privs = proc->no_new_privileges;
  if (proc->oom_score_adj.set)
    {
      if (proc->oom_score_adj.v < -1000 || proc->oom_score_adj.v > 1000)
        {
          hull_process_release (out);
          return hull_error (err, EINVAL, "process.oomScoreAdj %lld is out of -1000..1000",
                             (long long) proc->oom_score_adj.v);
        }
      out->has_oom_score_adj = true;
      out->oom_score_adj = (int32_t) proc->oom_score_adj.v;
    }
  if (proc->io_priority)
    {
      int v;
      if (ioprio_from_spec (proc->io_priority, &v, err) < 0)
        {
          hull_process_release (out);
          return -1;
        }
      out->has_ioprio = true;
      out->ioprio = (uint32_t) v;
    }
  if (proc->scheduler)
    {
      /* struct sched_attr, SCHED_ATTR_SIZE_VER1 */
      struct
      {
        uint32_t size, policy;
        uint64_t flags;
        int32_t nice;
        uint32_t priority;
        uint64_t runtime, deadline, period;
      } a;
      if (scheduler_from_spec (proc->scheduler, &a, err) < 0)
        {
          hull_process_release (out);
          return -1;
        }
      out->has_sched = true;
      out->sched = (struct hull_sched) { a.policy, a.flags, a.nice, a.priority, a.runtime, a.deadline, a.period };
    }
  return 0;
}

static char **
strv_copy (const struct oci_strv *v, size_t *n)
{
  return strv_dup (v, n);
}

int
microvm_guest_seccomp (const struct oci_spec *spec, struct hull_process *out, hull_err *err)
{
  const struct oci_seccomp *sc = spec && spec->linux_ ? spec->linux_->seccomp : NULL;
  void *prog = NULL;
  size_t len = 0;
  unsigned long flags = 0;

  if (sc == NULL)
    return 0;
  if (sc->listener_path)
    return hull_error (err, ENOTSUP, "linux.seccomp.listenerPath: a notify listener cannot reach a microVM guest");
  if (ns_seccomp_bpf (sc, &prog, &len, &flags, err) < 0)
    return hull_error_wrap (err, "linux.seccomp");
  if (len % 8 || len / 8 > HULL_CFG_MAX_SECCOMP_INSNS)
    {
      free (prog);
      return hull_error (err, E2BIG, "linux.seccomp: the filter has %zu instructions, more than %u", len / 8,
                         HULL_CFG_MAX_SECCOMP_INSNS);
    }
  free (out->seccomp);
  out->seccomp = prog;
  out->seccomp_len = len;
  return 0;
}

static const char *
source_of (const struct oci_mount *m, const char *bundle, char **owned)
{
  if (m->source == NULL || m->source[0] == '/' || bundle == NULL)
    return m->source;
  return *owned = xasprintf ("%s/%s", bundle, m->source);
}

#define SHARE_MOUNT_DATA "trans=virtio,version=9p2000.L,msize=262144,cache=none"

int
microvm_guest_config (const struct oci_spec *spec, const char *bundle, struct hull_process *out,
                      struct microvm_host_files *files, hull_err *err)
{
  memset (files, 0, sizeof *files);
  if (microvm_guest_process (spec->process, out, err) < 0)
    return -1;
  if (microvm_guest_seccomp (spec, out, err) < 0)
    {
      hull_process_release (out);
      return -1;
    }
  if (spec->hostname)
    out->hostname = xstrdup (spec->hostname);
  if (spec->linux_ && spec->linux_->personality)
    {
      int v = personality_from_name (spec->linux_->personality->domain);
      if (v < 0)
        {
          hull_process_release (out);
          return hull_error (err, EINVAL, "linux.personality.domain `%s`: unknown",
                             spec->linux_->personality->domain ? spec->linux_->personality->domain : "");
        }
      out->has_personality = true;
      out->personality = (uint32_t) v;
    }
  out->root_readonly = spec->root && spec->root->readonly;
  if (spec->linux_ && spec->linux_->rootfs_propagation)
    {
      static const struct { const char *name; uint64_t flags; } props[] = {
        { "shared", MS_SHARED },         { "rshared", MS_SHARED | MS_REC },
        { "slave", MS_SLAVE },           { "rslave", MS_SLAVE | MS_REC },
        { "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC },
        { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
      };
      size_t i;
      for (i = 0; i < ARRAY_SIZE (props); i++)
        if (strcmp (props[i].name, spec->linux_->rootfs_propagation) == 0)
          break;
      if (i == ARRAY_SIZE (props))
        {
          hull_process_release (out);
          return hull_error (err, EINVAL, "linux.rootfsPropagation `%s`: unknown", spec->linux_->rootfs_propagation);
        }
      out->root_propagation = props[i].flags;
    }
  /* domainname travels as the kernel.domainname sysctl, ahead of
     linux.sysctl (which runc applies after the domainname). */
  out->sysctl = xcalloc ((spec->linux_ ? spec->linux_->sysctl.len : 0) + 2, sizeof *out->sysctl);
  if (spec->domainname)
    out->sysctl[out->n_sysctl++] = xasprintf ("kernel.domainname=%s", spec->domainname);
  if (spec->linux_)
    {
      const struct oci_linux *l = spec->linux_;
      for (size_t i = 0; i < l->sysctl.len; i++)
        out->sysctl[out->n_sysctl++] = xasprintf ("%s=%s", l->sysctl.items[i].key, l->sysctl.items[i].value);
      out->masked = strv_copy (&l->masked_paths, &out->n_masked);
      out->readonly = strv_copy (&l->readonly_paths, &out->n_readonly);
    }
  out->mounts = xcalloc (spec->mounts_len + 1, sizeof *out->mounts);
  for (size_t i = 0; i < spec->mounts_len; i++)
    {
      const struct oci_mount *m = &spec->mounts[i];
      uint64_t flags;
      char *data = NULL;
      bool bind;

      if (m->destination == NULL || m->destination[0] != '/')
        goto bad_dest;
      if (microvm_mount_options (&m->options, &flags, &data, &bind, err) < 0)
        goto fail;
      /* Ignoring it would show the guest the host's ids where the
         container was promised mapped ones. */
      if (flags & HULL_MOUNT_IDMAP_ASKED)
        {
          free (data);
          if (! bind && ! (m->type && strcmp (m->type, "bind") == 0))
            hull_error (err, 0, "mount `%s`: idmap is for bind mounts only", m->destination);
          else
            hull_error (err, 0, "mount `%s`: idmapped mounts are not supported with microvm isolation "
                        "(a directory reaches the guest over virtio-9p, which has none)", m->destination);
          goto fail;
        }
      if (bind || (m->type && strcmp (m->type, "bind") == 0))
        {
          cleanup_free char *owned = NULL;
          const char *src = source_of (m, bundle, &owned);
          struct stat st;
          free (data);
          if (src == NULL || stat (src, &st) < 0)
            {
              hull_error (err, errno ? errno : EINVAL, "bind mount source `%s`", m->source ? m->source : "");
              goto fail;
            }
          if (S_ISDIR (st.st_mode) && strcmp (m->destination, "/dev/shm") == 0)
            {
              /* podman's per-container shm: only the guest can share it,
                 so the guest gets its own (as Kata does). */
              out->mounts[out->n_mounts++] = (struct hull_mount) {
                MS_NOSUID | MS_NODEV | MS_NOEXEC, xstrdup ("/dev/shm"), xstrdup ("tmpfs"), xstrdup ("shm"),
                xstrdup ("mode=1777"),
              };
              continue;
            }
          if (S_ISDIR (st.st_mode))
            {
              char real[PATH_MAX];
              if (realpath (src, real) == NULL)
                {
                  hull_error (err, errno, "bind mount source `%s`", src);
                  goto fail;
                }
              char *tag = xasprintf ("hull%zu", files->n_shares);
              files->shares = xrealloc (files->shares, (files->n_shares + 1) * sizeof *files->shares);
              files->shares[files->n_shares++] = (struct microvm_share) { tag, xstrdup (real), (flags & MS_RDONLY) != 0 };
              out->mounts[out->n_mounts++] = (struct hull_mount) {
                flags & ~(uint64_t) MS_REMOUNT, xstrdup (m->destination), xstrdup ("9p"), xstrdup (tag),
                xstrdup (SHARE_MOUNT_DATA),
              };
              continue;
            }
          if (! S_ISREG (st.st_mode))
            {
              hull_error (err, ENOTSUP, "bind mount of `%s` on `%s`: only files and directories can reach a microVM",
                          m->source, m->destination);
              goto fail;
            }
          files->inject = xrealloc (files->inject, (files->n_inject + 1) * sizeof *files->inject);
          files->inject[files->n_inject++] = (struct microvm_inject) { xstrdup (src), xstrdup (m->destination) };
          continue;
        }
      out->mounts[out->n_mounts++] = (struct hull_mount) {
        flags & ~(uint64_t) MS_REMOUNT, xstrdup (m->destination), xstrdup (m->type ? m->type : ""),
        xstrdup (m->source ? m->source : ""), data ? data : xstrdup (""),
      };
    }
  return 0;
bad_dest:
  hull_error (err, EINVAL, "mount destination must be absolute");
fail:
  microvm_guest_config_release (out, files);
  return -1;
}

void
microvm_guest_config_release (struct hull_process *p, struct microvm_host_files *files)
{
  hull_process_release (p);
  for (size_t i = 0; i < files->n_inject; i++)
    {
      free ((char *) files->inject[i].source);
      free ((char *) files->inject[i].destination);
    }
  free (files->inject);
  for (size_t i = 0; i < files->n_shares; i++)
    {
      free (files->shares[i].tag);
      free (files->shares[i].path);
    }
  free (files->shares);
  memset (files, 0, sizeof *files);
}

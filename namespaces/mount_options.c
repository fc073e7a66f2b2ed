/* mounts[].options as runc understands them: MS_* flags, propagation,
   recursive mount_setattr(2) attributes ("rro", "rnosuid", ...), and
   everything else passed through to the filesystem as data. */
#include "namespaces/ns_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "runtime/util.h"

struct flag_opt
{
  const char *name;
  bool clear;
  unsigned long flag;
};

static const struct flag_opt flag_opts[] = {
  { "defaults", false, 0 },
  { "ro", false, MS_RDONLY },
  { "rw", true, MS_RDONLY },
  { "suid", true, MS_NOSUID },
  { "nosuid", false, MS_NOSUID },
  { "dev", true, MS_NODEV },
  { "nodev", false, MS_NODEV },
  { "exec", true, MS_NOEXEC },
  { "noexec", false, MS_NOEXEC },
  { "sync", false, MS_SYNCHRONOUS },
  { "async", true, MS_SYNCHRONOUS },
  { "dirsync", false, MS_DIRSYNC },
  { "remount", false, MS_REMOUNT },
  { "mand", false, MS_MANDLOCK },
  { "nomand", true, MS_MANDLOCK },
  { "atime", true, MS_NOATIME },
  { "noatime", false, MS_NOATIME },
  { "diratime", true, MS_NODIRATIME },
  { "nodiratime", false, MS_NODIRATIME },
  { "relatime", false, MS_RELATIME },
  { "norelatime", true, MS_RELATIME },
  { "strictatime", false, MS_STRICTATIME },
  { "nostrictatime", true, MS_STRICTATIME },
  { "bind", false, MS_BIND },
  { "rbind", false, MS_BIND | MS_REC },
  { "silent", false, MS_SILENT },
  { "loud", true, MS_SILENT },
  { "lazytime", false, MS_LAZYTIME },
  { "nolazytime", true, MS_LAZYTIME },
  { "iversion", false, MS_I_VERSION },
  { "noiversion", true, MS_I_VERSION },
};

struct prop_opt
{
  const char *name;
  unsigned long flags;
};

static const struct prop_opt prop_opts[] = {
  { "private", MS_PRIVATE },
  { "rprivate", MS_PRIVATE | MS_REC },
  { "shared", MS_SHARED },
  { "rshared", MS_SHARED | MS_REC },
  { "slave", MS_SLAVE },
  { "rslave", MS_SLAVE | MS_REC },
  { "unbindable", MS_UNBINDABLE },
  { "runbindable", MS_UNBINDABLE | MS_REC },
};

struct attr_opt
{
  const char *name;
  bool clear;
  uint64_t attr;
  bool atime;   /* one of the MOUNT_ATTR__ATIME modes (RELATIME is 0) */
};

/* Recursive variants, applied with mount_setattr(AT_RECURSIVE) as runc does. */
static const struct attr_opt attr_opts[] = {
  { "rro", false, MOUNT_ATTR_RDONLY, false },
  { "rrw", true, MOUNT_ATTR_RDONLY, false },
  { "rnosuid", false, MOUNT_ATTR_NOSUID, false },
  { "rsuid", true, MOUNT_ATTR_NOSUID, false },
  { "rnodev", false, MOUNT_ATTR_NODEV, false },
  { "rdev", true, MOUNT_ATTR_NODEV, false },
  { "rnoexec", false, MOUNT_ATTR_NOEXEC, false },
  { "rexec", true, MOUNT_ATTR_NOEXEC, false },
  { "rnodiratime", false, MOUNT_ATTR_NODIRATIME, false },
  { "rdiratime", true, MOUNT_ATTR_NODIRATIME, false },
  { "rrelatime", false, MOUNT_ATTR_RELATIME, true },
  { "rnorelatime", true, MOUNT_ATTR_RELATIME, true },
  { "rnoatime", false, MOUNT_ATTR_NOATIME, true },
  { "ratime", true, MOUNT_ATTR_NOATIME, true },
  { "rstrictatime", false, MOUNT_ATTR_STRICTATIME, true },
  { "rnostrictatime", true, MOUNT_ATTR_STRICTATIME, true },
  { "rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW, false },
  { "rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW, false },
};

static void
data_append (char **data, const char *opt)
{
  if (*data == NULL)
    *data = xstrdup (opt);
  else
    {
      char *n = xasprintf ("%s,%s", *data, opt);
      free (*data);
      *data = n;
    }
}

long
mount_propagation_from_name (const char *name)
{
  if (name == NULL || *name == '\0')
    return 0;
  for (size_t i = 0; i < ARRAY_SIZE (prop_opts); i++)
    if (strcmp (name, prop_opts[i].name) == 0)
      return (long) prop_opts[i].flags;
  return -1;
}

int
mount_opts_parse (const struct oci_strv *options, struct mount_opts *out, hull_err *err)
{
  memset (out, 0, sizeof *out);
  for (size_t i = 0; i < options->len; i++)
    {
      const char *o = options->items[i];
      bool done = false;

      if (o == NULL || *o == '\0')
        continue;
      for (size_t j = 0; !done && j < ARRAY_SIZE (flag_opts); j++)
        if (strcmp (o, flag_opts[j].name) == 0)
          {
            /* Later options win, as with mount(8): "ro,rw" is rw. */
            if (flag_opts[j].clear)
              {
                out->flags &= ~flag_opts[j].flag;
                out->clear_flags |= flag_opts[j].flag;
              }
            else
              {
                out->flags |= flag_opts[j].flag;
                out->clear_flags &= ~flag_opts[j].flag;
              }
            done = true;
          }
      for (size_t j = 0; !done && j < ARRAY_SIZE (prop_opts); j++)
        if (strcmp (o, prop_opts[j].name) == 0)
          {
            out->propagation = prop_opts[j].flags;
            done = true;
          }
      for (size_t j = 0; !done && j < ARRAY_SIZE (attr_opts); j++)
        if (strcmp (o, attr_opts[j].name) == 0)
          {
            uint64_t a = attr_opts[j].attr;
            /* The atime modes are one field: setting one clears the others. */
            if (attr_opts[j].atime)
              {
                out->attr_clr |= MOUNT_ATTR__ATIME;
                out->attr_set &= ~MOUNT_ATTR__ATIME;
                if (!attr_opts[j].clear)
                  out->attr_set |= a;
              }
            else if (attr_opts[j].clear)
              {
                out->attr_clr |= a;
                out->attr_set &= ~a;
              }
            else
              {
                out->attr_set |= a;
                out->attr_clr &= ~a;
              }
            done = true;
          }
      if (done)
        continue;
      if (strcmp (o, "tmpcopyup") == 0)
        out->tmpcopyup = true;
      else if (strcmp (o, "idmap") == 0)
        out->idmap = true;
      else if (strcmp (o, "ridmap") == 0)
        out->idmap = out->ridmap = true;
      else if (strchr (o, ',') != NULL)
        {
          mount_opts_free (out);
          return hull_error (err, 0, "invalid mount option `%s`", o);
        }
      else
        data_append (&out->data, o);
    }
  return 0;
}

void
mount_opts_free (struct mount_opts *o)
{
  free (o->data);
  o->data = NULL;
}

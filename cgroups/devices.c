/* Device rules: the spec's list made concrete, plus what runc allows every
   container, and the v1 devices.allow/devices.deny writer. */
#include "cgroups/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/util.h"

static const struct cg_device_rule default_rules[] = {
  { true, 'c', -1, -1, CG_DEV_M },                      /* mknod of any char device */
  { true, 'b', -1, -1, CG_DEV_M },                      /* mknod of any block device */
  { true, 'c', 1, 3, CG_DEV_R | CG_DEV_W | CG_DEV_M },  /* /dev/null */
  { true, 'c', 1, 8, CG_DEV_R | CG_DEV_W | CG_DEV_M },  /* /dev/random */
  { true, 'c', 1, 7, CG_DEV_R | CG_DEV_W | CG_DEV_M },  /* /dev/full */
  { true, 'c', 5, 0, CG_DEV_R | CG_DEV_W | CG_DEV_M },  /* /dev/tty */
  { true, 'c', 1, 5, CG_DEV_R | CG_DEV_W | CG_DEV_M },  /* /dev/zero */
  { true, 'c', 1, 9, CG_DEV_R | CG_DEV_W | CG_DEV_M },  /* /dev/urandom */
  { true, 'c', 136, -1, CG_DEV_R | CG_DEV_W | CG_DEV_M }, /* /dev/pts/N */
  { true, 'c', 5, 2, CG_DEV_R | CG_DEV_W | CG_DEV_M },  /* /dev/ptmx */
};

static unsigned
parse_access (const char *s)
{
  unsigned acc = 0;
  if (s == NULL)
    return CG_DEV_R | CG_DEV_W | CG_DEV_M;
  for (; *s; s++)
    acc |= *s == 'r' ? CG_DEV_R : *s == 'w' ? CG_DEV_W : *s == 'm' ? CG_DEV_M : 0;
  return acc;
}

int
cg_device_rules (const struct oci_device_cgroup *rules, size_t n, const struct oci_device *devices, size_t n_devices,
                 struct cg_device_rule **out, size_t *n_out, hull_err *err)
{
  struct cg_device_rule *r = xcalloc (n + n_devices + ARRAY_SIZE (default_rules), sizeof *r);
  size_t k = 0;

  for (size_t i = 0; i < n; i++, k++)
    {
      const struct oci_device_cgroup *d = &rules[i];
      r[k].allow = d->allow;
      r[k].type = d->type ? d->type[0] : 'a';
      r[k].major = d->major.set ? d->major.v : -1;
      r[k].minor = d->minor.set ? d->minor.v : -1;
      r[k].access = parse_access (d->access);
      if (r[k].type != 'a' && r[k].type != 'c' && r[k].type != 'b')
        {
          free (r);
          return hull_error (err, 0, "linux.resources.devices[%zu].type: `%s` is not one of a, c, b", i, d->type);
        }
    }
  for (size_t i = 0; i < n_devices; i++)
    {
      const struct oci_device *d = &devices[i];
      char t = d->type ? d->type[0] : 0;
      if (t == 'p')
        continue; /* a fifo is no device for the cgroup */
      if (t != 'c' && t != 'u' && t != 'b')
        {
          free (r);
          return hull_error (err, 0, "linux.devices[%zu].type: `%s` is not one of c, b, u, p", i,
                             d->type ? d->type : "");
        }
      if (d->major < 0 || d->major > 0xfffff || d->minor < 0 || d->minor > 0xfffff)
        {
          free (r);
          return hull_error (err, 0, "linux.devices[%zu]: invalid major/minor %lld:%lld", i, (long long) d->major,
                             (long long) d->minor);
        }
      r[k].allow = true;
      r[k].type = t == 'b' ? 'b' : 'c';
      r[k].major = d->major;
      r[k].minor = d->minor;
      r[k].access = CG_DEV_R | CG_DEV_W | CG_DEV_M;
      k++;
    }
  memcpy (r + k, default_rules, sizeof default_rules);
  k += ARRAY_SIZE (default_rules);
  *out = r;
  *n_out = k;
  return 0;
}

char *
cg_device_rule_v1 (const struct cg_device_rule *r)
{
  char major[24] = "*", minor[24] = "*", access[4];
  size_t a = 0;

  if (r->type == 'a' && r->major < 0 && r->minor < 0)
    return xstrdup ("a");
  if (r->major >= 0)
    snprintf (major, sizeof major, "%lld", (long long) r->major);
  if (r->minor >= 0)
    snprintf (minor, sizeof minor, "%lld", (long long) r->minor);
  if (r->access & CG_DEV_R)
    access[a++] = 'r';
  if (r->access & CG_DEV_W)
    access[a++] = 'w';
  if (r->access & CG_DEV_M)
    access[a++] = 'm';
  access[a] = '\0';
  return xasprintf ("%c %s:%s %s", r->type, major, minor, access);
}

int
cg_devices_v1_apply (struct cg_apply *a, const char *dir, const struct cg_device_rule *r, size_t n, hull_err *err)
{
  for (size_t i = 0; i < n; i++)
    {
      /* "a 1:3 r" means both kinds: the kernel would read "a" as everything */
      struct cg_device_rule split[2] = { r[i], r[i] };
      size_t parts = 1;
      if (r[i].type == 'a' && (r[i].major >= 0 || r[i].minor >= 0))
        {
          split[0].type = 'c';
          split[1].type = 'b';
          parts = 2;
        }
      if (r[i].access == 0)
        continue;
      for (size_t p = 0; p < parts; p++)
        {
          cleanup_free char *rule = cg_device_rule_v1 (&split[p]);
          if (cg_write (dir, split[p].allow ? "devices.allow" : "devices.deny", rule, err) < 0)
            return hull_error_wrap (err, "linux.resources.devices");
        }
    }
  (void) a;
  return 0;
}

/* Where a microVM's pieces come from and how big it is: the guest kernel
   (built by `make guest-kernel` into a cache outside the tree), the
   initramfs with hull-init, vCPUs and memory from annotations or the OCI
   limits. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "microvm/microvm.h"
#include "runtime/util.h"

#define GUEST_KERNEL_CACHE "/var/cache/hull/guest-kernel"
#ifndef HULL_INITRD_INSTALLED
#define HULL_INITRD_INSTALLED "/usr/local/lib/hull/initramfs.cpio.gz"
#endif
#ifndef HULL_INITRD_BUILT
#define HULL_INITRD_BUILT "build/microvm/initramfs.cpio.gz"
#endif

int
microvm_find_kernel (char **out, hull_err *err)
{
  const char *env = getenv ("HULL_GUEST_KERNEL");
  if (env && *env)
    {
      if (access (env, R_OK) < 0)
        return hull_error (err, errno, "guest kernel `%s` (HULL_GUEST_KERNEL)", env);
      *out = xstrdup (env);
      return 0;
    }
  /* The newest build in the cache: one directory per source version and
     config fragment. */
  DIR *d = opendir (GUEST_KERNEL_CACHE);
  struct dirent *de;
  time_t best_time = 0;
  char *best = NULL;
  while (d && (de = readdir (d)))
    {
      struct stat st;
      if (de->d_name[0] == '.')
        continue;
      char *p = xasprintf ("%s/%s/bzImage", GUEST_KERNEL_CACHE, de->d_name);
      if (stat (p, &st) == 0 && S_ISREG (st.st_mode) && st.st_size > 0 && (best == NULL || st.st_mtime > best_time))
        {
          free (best);
          best = p;
          best_time = st.st_mtime;
        }
      else
        free (p);
    }
  if (d)
    closedir (d);
  if (best == NULL)
    return hull_error (err, ENOENT, "no guest kernel in " GUEST_KERNEL_CACHE " (run `make guest-kernel`, or set HULL_GUEST_KERNEL)");
  *out = best;
  return 0;
}

int
microvm_find_initrd (char **out, hull_err *err)
{
  const char *env = getenv ("HULL_GUEST_INITRD");
  char self[PATH_MAX];
  ssize_t n;

  if (env && *env)
    {
      if (access (env, R_OK) < 0)
        return hull_error (err, errno, "guest initramfs `%s` (HULL_GUEST_INITRD)", env);
      *out = xstrdup (env);
      return 0;
    }
  const char *fixed[] = { HULL_INITRD_INSTALLED, HULL_INITRD_BUILT };
  for (size_t i = 0; i < ARRAY_SIZE (fixed); i++)
    if (access (fixed[i], R_OK) == 0)
      {
        *out = xstrdup (fixed[i]);
        return 0;
      }
  /* A tool run straight from build/microvm/. */
  n = readlink ("/proc/self/exe", self, sizeof self - 1);
  if (n > 0)
    {
      self[n] = 0;
      char *p = xasprintf ("%s/initramfs.cpio.gz", dirname (self));
      if (access (p, R_OK) == 0)
        {
          *out = p;
          return 0;
        }
      free (p);
    }
  return hull_error (err, ENOENT, "no guest initramfs at " HULL_INITRD_INSTALLED " or " HULL_INITRD_BUILT
                     " (build it with `make microvm`, or set HULL_GUEST_INITRD)");
}

static int
annotation_number (const struct oci_spec *spec, const char *key, unsigned long max, unsigned *out, hull_err *err)
{
  const char *v = oci_annotation (spec, key);
  char *end;
  if (v == NULL)
    return 0;
  errno = 0;
  unsigned long n = strtoul (v, &end, 10);
  if (errno || *end || end == v || n == 0 || n > max)
    return hull_error (err, EINVAL, "annotation %s: `%s` is not a number in 1..%lu", key, v, max);
  *out = (unsigned) n;
  return 0;
}

/* Every io.hull.vm.* key and io.hull.vmm must be one we know: a typo
   must not silently give a default VM. */
static int
check_annotations (const struct oci_spec *spec, hull_err *err)
{
  static const char *const known[] = { MICROVM_ANNOTATION_CPUS, MICROVM_ANNOTATION_MEMORY, MICROVM_ANNOTATION_DISK };
  for (size_t i = 0; i < spec->annotations.len; i++)
    {
      const char *key = spec->annotations.items[i].key, *value = spec->annotations.items[i].value;
      if (strcmp (key, MICROVM_ANNOTATION_VMM) == 0)
        {
          if (strcmp (value, "qemu") == 0 || strcmp (value, "builtin") == 0)
            continue;
          return hull_error (err, EINVAL, "invalid annotation " MICROVM_ANNOTATION_VMM "=`%s`: use qemu or builtin", value);
        }
      if (strncmp (key, "io.hull.vm.", 11) != 0)
        continue;
      size_t k;
      for (k = 0; k < ARRAY_SIZE (known); k++)
        if (strcmp (key, known[k]) == 0)
          break;
      if (k == ARRAY_SIZE (known))
        return hull_error (err, EINVAL, "unknown annotation `%s` (known: %s, %s, %s)", key, known[0], known[1], known[2]);
    }
  return 0;
}

int
microvm_vm_settings (const struct oci_spec *spec, struct microvm_vm_settings *out, hull_err *err)
{
  const struct oci_resources *r = spec->linux_ ? spec->linux_->resources : NULL;
  unsigned disk = 0;

  out->cpus = 1;
  out->memory_mib = 256;
  out->disk_mib = 0;
  if (check_annotations (spec, err) < 0)
    return -1;
  if (r && r->cpu && r->cpu->quota.set && r->cpu->quota.v > 0 && r->cpu->period.set && r->cpu->period.v > 0)
    {
      uint64_t n = ((uint64_t) r->cpu->quota.v + r->cpu->period.v - 1) / r->cpu->period.v;
      out->cpus = n > 64 ? 64 : (unsigned) n;
    }
  if (r && r->memory && r->memory->limit.set && r->memory->limit.v > 0)
    {
      /* The VMM's own memory counts against the container's limit too. */
      uint64_t mib = (uint64_t) r->memory->limit.v / (1024 * 1024);
      mib = mib > 64 ? mib - 32 : 32;
      out->memory_mib = mib < 128 ? 128 : mib > (1u << 20) ? 1u << 20 : (unsigned) mib;
    }
  if (annotation_number (spec, MICROVM_ANNOTATION_CPUS, 64, &out->cpus, err) < 0
      || annotation_number (spec, MICROVM_ANNOTATION_MEMORY, 1u << 20, &out->memory_mib, err) < 0
      || annotation_number (spec, MICROVM_ANNOTATION_DISK, 1u << 24, &disk, err) < 0)
    return -1;
  if (out->memory_mib < 64)
    return hull_error (err, EINVAL, "annotation " MICROVM_ANNOTATION_MEMORY ": at least 64 MiB are needed");
  out->disk_mib = disk;
  const char *vmm = oci_annotation (spec, MICROVM_ANNOTATION_VMM);
  if (vmm)
    out->engine = strcmp (vmm, "builtin") == 0 ? MICROVM_ENGINE_BUILTIN : MICROVM_ENGINE_QEMU;
  else
    out->engine = microvm_host_has_hw_kvm () ? MICROVM_ENGINE_BUILTIN : MICROVM_ENGINE_QEMU;
  return 0;
}

size_t
microvm_vmm_devices (enum microvm_engine engine, bool hw_kvm, struct oci_device *out, size_t max)
{
  static char kvm_path[] = "/dev/kvm", char_type[] = "c";
  if (max == 0 || (engine == MICROVM_ENGINE_QEMU && ! hw_kvm))
    return 0;
  out[0] = (struct oci_device) { .type = char_type, .path = kvm_path, .major = MICROVM_KVM_MAJOR,
                                 .minor = MICROVM_KVM_MINOR };
  return 1;
}

void
microvm_stop_vmm (pid_t pid, int grace_ms)
{
  if (pid <= 0)
    return;
  for (int waited = 0; waited < grace_ms; waited += 20)
    {
      if (waitpid (pid, NULL, WNOHANG) == pid)
        return;
      struct timespec ts = { 0, 20 * 1000000L };
      nanosleep (&ts, NULL);
    }
  kill (pid, SIGKILL);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
}

char *
microvm_console_tail (const char *path, int lines)
{
  cleanup_free char *text = NULL;
  size_t len;
  hull_err err = NULL;
  if (read_file (path, &text, &len, &err) < 0)
    {
      hull_error_release (&err);
      return NULL;
    }
  while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
    text[--len] = 0;
  const char *start = text + len;
  for (int n = 0; start > text; start--)
    if (start[-1] == '\n' && ++n == lines)
      break;
  char *clean = microvm_sanitize_text ((const uint8_t *) start, strlen (start));
  /* Line breaks become spaces: this goes into one-line errors. */
  for (char *p = clean; *p; p++)
    if (*p == '?')
      *p = ' ';
  return clean;
}

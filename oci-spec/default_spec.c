/* `hull spec`: the same default config runc and crun write, and its
   --rootless variant (runc's ToRootless: a user namespace mapping the
   caller to root, no network namespace, /sys bind-mounted, no uid=/gid=
   mount options, no resources). */
#include "oci-spec/json_write.h"
#include "oci-spec/oci_spec.h"

#include <string.h>
#include <unistd.h>

static const char *const default_caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };

struct default_mount
{
  const char *destination, *type, *source;
  const char *options[8];
};

static const struct default_mount default_mounts[] = {
  { "/proc", "proc", "proc", { NULL } },
  { "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k", NULL } },
  { "/dev/pts", "devpts", "devpts", { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL } },
  { "/dev/shm", "tmpfs", "shm", { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL } },
  { "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev", NULL } },
  { "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro", NULL } },
  { "/sys/fs/cgroup", "cgroup", "cgroup", { "nosuid", "noexec", "nodev", "relatime", "ro", NULL } },
};

static const char *const masked_paths[] = { "/proc/acpi",        "/proc/asound",      "/proc/kcore",       "/proc/keys",
                                            "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                                            "/proc/sched_debug", "/sys/firmware",     "/proc/scsi",        NULL };
static const char *const readonly_paths[] = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
                                              NULL };

static void
write_process (yajl_gen g)
{
  static const char *const args[] = { "sh", NULL };
  static const char *const env[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
                                     NULL };
  jw_str (g, "process");
  jw_open (g);
  jw_kv_bool (g, "terminal", true);
  jw_str (g, "user");
  jw_open (g);
  jw_kv_int (g, "uid", 0);
  jw_kv_int (g, "gid", 0);
  jw_close (g);
  jw_kv_strlist (g, "args", args);
  jw_kv_strlist (g, "env", env);
  jw_kv_str (g, "cwd", "/");
  jw_str (g, "capabilities");
  jw_open (g);
  jw_kv_strlist (g, "bounding", default_caps);
  jw_kv_strlist (g, "effective", default_caps);
  jw_kv_strlist (g, "permitted", default_caps);
  jw_kv_strlist (g, "ambient", default_caps);
  jw_close (g);
  jw_str (g, "rlimits");
  jw_open_array (g);
  jw_open (g);
  jw_kv_str (g, "type", "RLIMIT_NOFILE");
  jw_kv_int (g, "hard", 1024);
  jw_kv_int (g, "soft", 1024);
  jw_close (g);
  jw_close_array (g);
  jw_kv_bool (g, "noNewPrivileges", true);
  jw_close (g);
}

static void
write_mounts (yajl_gen g, bool rootless)
{
  static const char *const sys_rbind[] = { "rbind", "nosuid", "noexec", "nodev", "ro", NULL };
  size_t i, j;

  jw_str (g, "mounts");
  jw_open_array (g);
  for (i = 0; i < sizeof (default_mounts) / sizeof (default_mounts[0]); i++)
    {
      const struct default_mount *m = &default_mounts[i];
      jw_open (g);
      jw_kv_str (g, "destination", m->destination);
      if (rootless && strcmp (m->destination, "/sys") == 0)
        {
          /* sysfs cannot be mounted without owning the network namespace. */
          jw_kv_str (g, "type", "none");
          jw_kv_str (g, "source", "/sys");
          jw_kv_strlist (g, "options", sys_rbind);
          jw_close (g);
          continue;
        }
      jw_kv_str (g, "type", m->type);
      jw_kv_str (g, "source", m->source);
      if (m->options[0] != NULL)
        {
          jw_str (g, "options");
          jw_open_array (g);
          for (j = 0; m->options[j] != NULL; j++)
            if (!rootless || (strncmp (m->options[j], "uid=", 4) != 0 && strncmp (m->options[j], "gid=", 4) != 0))
              jw_str (g, m->options[j]);
          jw_close_array (g);
        }
      jw_close (g);
    }
  jw_close_array (g);
}

static void
write_mapping (yajl_gen g, const char *key, uint32_t host_id)
{
  jw_str (g, key);
  jw_open_array (g);
  jw_open (g);
  jw_kv_int (g, "containerID", 0);
  jw_kv_int (g, "hostID", host_id);
  jw_kv_int (g, "size", 1);
  jw_close (g);
  jw_close_array (g);
}

static void
write_linux (yajl_gen g, bool rootless, uint32_t uid, uint32_t gid)
{
  static const char *const ns_root[] = { "pid", "network", "ipc", "uts", "mount", "cgroup", NULL };
  static const char *const ns_rootless[] = { "pid", "ipc", "uts", "mount", "cgroup", "user", NULL };
  const char *const *ns;

  jw_str (g, "linux");
  jw_open (g);
  if (rootless)
    {
      write_mapping (g, "uidMappings", uid);
      write_mapping (g, "gidMappings", gid);
    }
  else
    {
      jw_str (g, "resources");
      jw_open (g);
      jw_str (g, "devices");
      jw_open_array (g);
      jw_open (g);
      jw_kv_bool (g, "allow", false);
      jw_kv_str (g, "access", "rwm");
      jw_close (g);
      jw_close_array (g);
      jw_close (g);
    }
  jw_str (g, "namespaces");
  jw_open_array (g);
  for (ns = rootless ? ns_rootless : ns_root; *ns != NULL; ns++)
    {
      jw_open (g);
      jw_kv_str (g, "type", *ns);
      jw_close (g);
    }
  jw_close_array (g);
  jw_kv_strlist (g, "maskedPaths", masked_paths);
  jw_kv_strlist (g, "readonlyPaths", readonly_paths);
  jw_close (g);
}

char *
oci_spec_default_json_ex (bool rootless, uint32_t uid, uint32_t gid)
{
  yajl_gen g = jw_new (true);

  jw_open (g);
  jw_kv_str (g, "ociVersion", "1.2.0");
  write_process (g);
  jw_str (g, "root");
  jw_open (g);
  jw_kv_str (g, "path", "rootfs");
  jw_kv_bool (g, "readonly", true);
  jw_close (g);
  jw_kv_str (g, "hostname", "hull");
  write_mounts (g, rootless);
  write_linux (g, rootless, uid, gid);
  jw_close (g);
  return jw_finish (g);
}

char *
oci_spec_default_json (bool rootless)
{
  return oci_spec_default_json_ex (rootless, (uint32_t) geteuid (), (uint32_t) getegid ());
}

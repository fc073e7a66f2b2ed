/* The cgroup v2 code paths on a real cgroup2 hierarchy (root only).  On a
   pure v2 host that is /sys/fs/cgroup; on a hybrid host the cgroup2 mount
   (/sys/fs/cgroup/unified) is taken as a v2 root: create, enter, freeze
   through cgroup.freeze, the device eBPF program through linux.resources,
   unified key/values, hugetlb, controllers it lacks, kill_all, destroy. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/internal.h"
#include "runtime/util.h"
#include "tests/unit/tap.h"

static char leftover[256];

static void
cleanup_at_exit (void)
{
  if (leftover[0])
    {
      rmdir (leftover);
      *strrchr (leftover, '/') = '\0';
      rmdir (leftover);
    }
}

static bool
is_cgroup2 (const char *path)
{
  struct statfs s;
  return statfs (path, &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC;
}

static void
sleep_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep (&ts, NULL);
}

static unsigned long
counter_value (int fd)
{
  unsigned long v = 0;
  return pread (fd, &v, sizeof v, 0) == sizeof v ? v : 0;
}

int
main (void)
{
  const char *root = is_cgroup2 ("/sys/fs/cgroup") ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
  struct cg_layout layout;
  struct hull_cgroup *cg = NULL;
  hull_err err = NULL;
  cleanup_free char *own = NULL;
  char path[96];
  const struct cg_dir *d;

  if (geteuid () != 0)
    {
      printf ("1..0 # SKIP needs root\n");
      return 0;
    }
  if (!is_cgroup2 (root))
    {
      printf ("1..0 # SKIP no cgroup2 hierarchy on this host\n");
      return 0;
    }
  atexit (cleanup_at_exit);
  TAP_OK (cg_layout_detect (root, &layout, &err) == 0 && layout.mode == CGROUP_MODE_V2, "%s is a v2 layout: %s",
          root, layout.why ? layout.why : "");
  if (read_file ("/proc/self/cgroup", &own, NULL, &err) < 0)
    return 1;

  snprintf (path, sizeof path, "/hullv2-%d/ctr", (int) getpid ());
  snprintf (leftover, sizeof leftover, "%s%s", root, path);

  /* A controller cgroup2 does not carry here: a clear error, nothing left. */
  if (!cg_hierarchy_has (&layout.h[0], "memory"))
    {
      struct oci_memory m = { .limit = { true, 1 << 24 } };
      struct oci_resources r = { .memory = &m };
      TAP_OK (cg_create_in (&layout, own, path, "ctr", &r, NULL, 0, &cg, &err) < 0 && strstr (err->msg, "memory"),
              "memory on a cgroup2 without the memory controller: %s", err ? err->msg : "accepted");
      hull_error_release (&err);
      TAP_OK (access (leftover, F_OK) < 0, "nothing created");
    }

  {
    struct oci_device_cgroup rules[] = {
      { .allow = false, .access = (char *) "rwm" },
      { .allow = true, .type = (char *) "c", .major = { true, 1 }, .minor = { true, 11 }, .access = (char *) "w" },
    };
    struct oci_kv kv[] = { { (char *) "cgroup.max.depth", (char *) "3" } };
    struct oci_hugepage_limit huge = { (char *) "2MB", 2 << 20 };
    struct oci_resources r = { .devices = rules, .devices_len = 2 };
    bool huge_ok = cg_hierarchy_has (&layout.h[0], "hugetlb") && cg_hugepage_size_supported ("2MB");
    r.unified.items = kv;
    r.unified.len = 1;
    if (huge_ok)
      {
        r.hugepage_limits = &huge;
        r.hugepage_limits_len = 1;
      }
    if (cg_create_in (&layout, own, path, "ctr", &r, NULL, 0, &cg, &err) < 0)
      {
        TAP_OK (0, "create on cgroup2: %s", err->msg);
        return tap_done ();
      }
    TAP_OK (1, "create on cgroup2 with devices, unified%s", huge_ok ? " and hugetlb" : "");
    d = cg_dir_unified (cg);
    {
      cleanup_free char *v = NULL;
      TAP_OK (cg_read (d->abs, "cgroup.max.depth", &v, &err) == 0 && strcmp (v, "3\n") == 0,
              "unified cgroup.max.depth written");
    }
    if (huge_ok)
      {
        cleanup_free char *v = NULL;
        TAP_OK (cg_read (d->abs, "hugetlb.2MB.max", &v, &err) == 0 && strcmp (v, "2097152\n") == 0,
                "hugetlb.2MB.max written");
      }
  }

  /* Devices: the program allows writes to /dev/kmsg and the defaults. */
  {
    int status;
    pid_t pid = fork ();
    if (pid == 0)
      {
        int a, b, c, e;
        if (cgroup_enter (cg, getpid (), &err) < 0)
          _exit (250);
        a = open ("/dev/kmsg", O_WRONLY) >= 0;
        b = open ("/dev/kmsg", O_RDWR) < 0 && errno == EPERM ? 0 : 1;
        c = open ("/dev/null", O_RDWR) >= 0;
        e = open ("/dev/kmsg", O_RDONLY) < 0 && errno == EPERM;
        _exit ((a << 0) | (b << 1) | (c << 2) | (e << 3));
      }
    waitpid (pid, &status, 0);
    TAP_OK (WIFEXITED (status) && (WEXITSTATUS (status) & 1), "write of /dev/kmsg allowed (c 1:11 w)");
    TAP_OK (WIFEXITED (status) && !(WEXITSTATUS (status) & 2), "read+write of /dev/kmsg denied");
    TAP_OK (WIFEXITED (status) && (WEXITSTATUS (status) & 4), "/dev/null allowed by the defaults");
    TAP_OK (WIFEXITED (status) && (WEXITSTATUS (status) & 8), "read of /dev/kmsg denied by deny-all");
  }

  /* Freeze through cgroup.freeze. */
  {
    char tmpl[] = "/tmp/hull-v2-counter-XXXXXX";
    int fd = mkstemp (tmpl), status;
    unsigned long a, b, c = 0;
    bool frozen = false;
    pid_t pid;
    unlink (tmpl);
    if (fd < 0 || ftruncate (fd, sizeof (unsigned long)) < 0)
      return 1;
    pid = fork ();
    if (pid == 0)
      {
        unsigned long v = 0;
        if (cgroup_enter (cg, getpid (), &err) < 0)
          _exit (250);
        for (;;)
          {
            v++;
            if (pwrite (fd, &v, sizeof v, 0) < 0)
              _exit (2);
          }
      }
    for (int i = 0; i < 3000 && counter_value (fd) == 0; i++)
      sleep_ms (10);
    TAP_OK (counter_value (fd) > 0, "child counts");
    TAP_OK (cgroup_freeze (cg, true, &err) == 0, "freeze via cgroup.freeze");
    hull_error_release (&err);
    TAP_OK (cgroup_is_frozen (cg, &frozen, &err) == 0 && frozen, "reports frozen");
    a = counter_value (fd);
    sleep_ms (200);
    b = counter_value (fd);
    TAP_OK (a == b, "frozen child does not count (%lu, %lu)", a, b);
    TAP_OK (cgroup_freeze (cg, false, &err) == 0, "thaw");
    for (int i = 0; i < 3000 && (c = counter_value (fd)) == b; i++)
      sleep_ms (10);
    TAP_OK (c > b, "thawed child counts again");
    {
      cleanup_free pid_t *pids = NULL;
      size_t n = 0;
      TAP_OK (cgroup_pids (cg, &pids, &n, &err) == 0 && n == 1 && pids[0] == pid, "pids from cgroup.procs");
    }
    TAP_OK (cgroup_kill_all (cg, SIGKILL, &err) == 0, "kill_all");
    TAP_OK (waitpid (pid, &status, 0) == pid && WIFSIGNALED (status), "child killed");
    close (fd);
  }
  TAP_OK (cgroup_destroy (cg, &err) == 0, "destroy");
  hull_error_release (&err);
  TAP_OK (access (leftover, F_OK) < 0, "cgroup removed");
  cgroup_free (cg);
  cg_layout_clear (&layout);
  return tap_done ();
}

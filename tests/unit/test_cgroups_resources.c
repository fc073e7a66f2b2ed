/* cgroups/ resources on the real hierarchy (root only): every resource this
   host's kernel has, read back from the files; behaviour of the device
   rules (v1 lists and the cgroup2 eBPF program); update with undo; stats;
   OOM eventfd; bad values leave nothing behind. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/internal.h"
#include "runtime/util.h"
#include "tests/unit/cgroup_tree.h"
#include "tests/unit/tap.h"

static char prefix[64];

static int
count_named (const char *name)
{
  DIR *d = opendir ("/sys/fs/cgroup");
  struct dirent *de;
  int n = 0;
  while (d && (de = readdir (d)) != NULL)
    {
      char *p;
      if (de->d_name[0] == '.')
        continue;
      p = xasprintf ("/sys/fs/cgroup/%s/%s", de->d_name, name);
      n += access (p, F_OK) == 0;
      free (p);
    }
  if (d)
    closedir (d);
  return n;
}

static void
cleanup_at_exit (void)
{
  DIR *d = opendir ("/sys/fs/cgroup");
  struct dirent *de;
  while (d && (de = readdir (d)) != NULL)
    {
      char *p;
      if (de->d_name[0] == '.')
        continue;
      p = xasprintf ("/sys/fs/cgroup/%s/%s", de->d_name, prefix);
      rm_tree (p);
      free (p);
    }
  if (d)
    closedir (d);
}

static char *
file_of (const struct cg_dir *d, const char *file)
{
  char *text = NULL;
  hull_err err = NULL;
  if (d == NULL || cg_read (d->abs, file, &text, &err) < 0)
    {
      hull_error_release (&err);
      return xstrdup ("(unreadable)");
    }
  text[strcspn (text, "\n")] = '\0';
  return text;
}

#define CHECK_FILE(cg, ctrl, file, want)                                             \
  do {                                                                               \
    cleanup_free char *got_ = file_of (cg_dir_for (cg, ctrl), file);                 \
    TAP_EQ_STR (got_, want, "%s reads back %s", file, want);                          \
  } while (0)

/* Fork a child into the cgroup that opens `path`; its exit status is the errno (0: opened). */
static int
open_in_cgroup (const char *dir_v1, const char *dir_v2, const char *path)
{
  int status;
  pid_t pid = fork ();
  if (pid == 0)
    {
      hull_err err = NULL;
      int fd;
      if ((dir_v1 && cg_writef (dir_v1, "cgroup.procs", &err, "%d", (int) getpid ()) < 0)
          || (dir_v2 && cg_writef (dir_v2, "cgroup.procs", &err, "%d", (int) getpid ()) < 0))
        _exit (250);
      fd = open (path, O_RDONLY);
      _exit (fd < 0 ? (errno & 0xff) : 0);
    }
  if (pid < 0 || waitpid (pid, &status, 0) != pid || !WIFEXITED (status))
    return -1;
  return WEXITSTATUS (status);
}

/* A block device of this machine (not a loop device), for the throttles. */
static bool
host_block_device (int64_t *major, int64_t *minor)
{
  DIR *d = opendir ("/sys/block");
  struct dirent *de;
  bool found = false;
  while (d && !found && (de = readdir (d)) != NULL)
    {
      char *path, *text = NULL;
      hull_err err = NULL;
      long long ma, mi;
      if (de->d_name[0] == '.' || strncmp (de->d_name, "loop", 4) == 0)
        continue;
      path = xasprintf ("/sys/block/%s/dev", de->d_name);
      if (read_file (path, &text, NULL, &err) == 0 && sscanf (text, "%lld:%lld", &ma, &mi) == 2)
        {
          *major = ma;
          *minor = mi;
          found = true;
        }
      hull_error_release (&err);
      free (text);
      free (path);
    }
  if (d)
    closedir (d);
  return found;
}

static void
test_all_resources (void)
{
  char path[128];
  struct oci_device_cgroup devs[] = {
    { .allow = false, .access = (char *) "rwm" },
    { .allow = true, .type = (char *) "c", .major = { true, 10 }, .minor = { true, 200 }, .access = (char *) "rwm" },
  };
  struct oci_memory mem = { .limit = { true, 64 << 20 }, .reservation = { true, 32 << 20 }, .swap = { true, 128 << 20 },
                            .swappiness = { true, 10 }, .kernel = { true, 16 << 20 }, .kernel_tcp = { true, 8 << 20 } };
  struct oci_cpu cpu = { .shares = { true, 512 }, .quota = { true, 50000 }, .period = { true, 100000 },
                         .burst = { true, 1000 }, .idle = { true, 0 }, .cpus = (char *) "0", .mems = (char *) "0" };
  struct oci_throttle_device rbps = { 0, 0, 1048576 }, wiops = { 0, 0, 100 };
  struct oci_block_io bio = { .weight = { true, 500 }, .throttle_read_bps = &rbps, .throttle_read_bps_len = 1,
                              .throttle_write_iops = &wiops, .throttle_write_iops_len = 1 };
  struct oci_hugepage_limit huge = { (char *) "2MB", 4 << 20 };
  struct oci_kv unified_kv = { (char *) "cgroup.max.descendants", (char *) "10" };
  struct oci_resources res = { .devices = devs, .devices_len = 2, .memory = &mem, .cpu = &cpu,
                               .pids_limit = { true, 32 }, .block_io = &bio };
  struct hull_cgroup *cg = NULL;
  hull_err err = NULL;
  bool huge_ok = cg_hugepage_size_supported ("2MB");
  bool disk = host_block_device (&rbps.major, &rbps.minor);
  char want_rbps[64], want_wiops[64];

  wiops.major = rbps.major;
  wiops.minor = rbps.minor;
  snprintf (want_rbps, sizeof want_rbps, "%lld:%lld 1048576", (long long) rbps.major, (long long) rbps.minor);
  snprintf (want_wiops, sizeof want_wiops, "%lld:%lld 100", (long long) rbps.major, (long long) rbps.minor);
  if (!disk)
    bio.throttle_read_bps_len = bio.throttle_write_iops_len = 0;

  if (huge_ok)
    {
      res.hugepage_limits = &huge;
      res.hugepage_limits_len = 1;
    }
  res.unified.items = &unified_kv;
  res.unified.len = 1;
  snprintf (path, sizeof path, "/%s/all", prefix);
  if (cgroup_create (path, "all", &res, &cg, &err) < 0)
    {
      TAP_OK (0, "create with every resource: %s", err->msg);
      hull_error_release (&err);
      return;
    }
  TAP_OK (1, "create with every resource");
  CHECK_FILE (cg, "memory", "memory.limit_in_bytes", "67108864");
  CHECK_FILE (cg, "memory", "memory.soft_limit_in_bytes", "33554432");
  CHECK_FILE (cg, "memory", "memory.memsw.limit_in_bytes", "134217728");
  CHECK_FILE (cg, "memory", "memory.swappiness", "10");
  CHECK_FILE (cg, "memory", "memory.kmem.tcp.limit_in_bytes", "8388608");
  CHECK_FILE (cg, "cpu", "cpu.shares", "512");
  CHECK_FILE (cg, "cpu", "cpu.cfs_quota_us", "50000");
  CHECK_FILE (cg, "cpu", "cpu.cfs_period_us", "100000");
  CHECK_FILE (cg, "cpu", "cpu.cfs_burst_us", "1000");
  CHECK_FILE (cg, "cpuset", "cpuset.cpus", "0");
  CHECK_FILE (cg, "cpuset", "cpuset.mems", "0");
  CHECK_FILE (cg, "pids", "pids.max", "32");
  CHECK_FILE (cg, "blkio", "blkio.bfq.weight", "500");
  if (disk)
    {
      CHECK_FILE (cg, "blkio", "blkio.throttle.read_bps_device", want_rbps);
      CHECK_FILE (cg, "blkio", "blkio.throttle.write_iops_device", want_wiops);
    }
  {
    cleanup_free char *list = NULL;
    hull_err e = NULL;
    const struct cg_dir *d = cg_dir_for (cg, "devices");
    TAP_OK (d && cg_read (d->abs, "devices.list", &list, &e) == 0 && strstr (list, "c 10:200 rwm")
                && strstr (list, "c 1:3 rwm") && strstr (list, "c *:* m") && !strstr (list, "a *:* rwm"),
            "devices.list: deny-all, the spec's rule and the defaults");
    hull_error_release (&e);
    if (d)
      {
        TAP_EQ_INT (open_in_cgroup (d->abs, NULL, "/dev/null"), 0, "a process in the cgroup opens /dev/null");
        TAP_EQ_INT (open_in_cgroup (d->abs, NULL, "/dev/kmsg"), EPERM, "and not /dev/kmsg (denied by the list)");
      }
  }
  if (huge_ok)
    {
      const struct cg_dir *h = cg_dir_for (cg, "hugetlb");
      cleanup_free char *f = file_of (h, h && h->h->v2 ? "hugetlb.2MB.max" : "hugetlb.2MB.limit_in_bytes");
      TAP_EQ_STR (f, "4194304", "hugetlb 2MB limit (%s)", h ? h->abs : "no hugetlb");
    }
  {
    cleanup_free char *f = file_of (cg_dir_unified (cg), "cgroup.max.descendants");
    TAP_EQ_STR (f, "10", "unified cgroup.max.descendants written into cgroup2");
  }

  /* update: new values land; a failing update puts back what it wrote */
  {
    struct oci_memory m2 = { .limit = { true, 96 << 20 }, .swap = { true, 192 << 20 } };
    struct oci_resources up = { .memory = &m2, .pids_limit = { true, 64 } };
    struct oci_cpu bad_cpu = { .realtime_runtime = { true, 500000 }, .realtime_period = { true, 1000000 } };
    struct oci_memory m3 = { .limit = { true, 200 << 20 }, .swap = { true, 400 << 20 } };
    struct oci_resources bad = { .memory = &m3, .cpu = &bad_cpu, .pids_limit = { true, 99 } };

    TAP_OK (cgroup_update (cg, &up, &err) == 0, "update memory (raising both) and pids");
    hull_error_release (&err);
    CHECK_FILE (cg, "memory", "memory.limit_in_bytes", "100663296");
    CHECK_FILE (cg, "memory", "memory.memsw.limit_in_bytes", "201326592");
    CHECK_FILE (cg, "pids", "pids.max", "64");
    m2.limit.v = 32 << 20;
    m2.swap.v = 48 << 20;
    TAP_OK (cgroup_update (cg, &up, &err) == 0, "update memory (lowering both)");
    hull_error_release (&err);
    CHECK_FILE (cg, "memory", "memory.limit_in_bytes", "33554432");
    CHECK_FILE (cg, "memory", "memory.memsw.limit_in_bytes", "50331648");

    /* realtime in a cgroup whose parent has no realtime budget: refused */
    TAP_OK (cgroup_update (cg, &bad, &err) < 0 && strstr (err->msg, "realtime"), "failing update: %s",
            err ? err->msg : "accepted");
    hull_error_release (&err);
    CHECK_FILE (cg, "memory", "memory.limit_in_bytes", "33554432");
    CHECK_FILE (cg, "memory", "memory.memsw.limit_in_bytes", "50331648");
    CHECK_FILE (cg, "pids", "pids.max", "64");
  }
  {
    struct cgroup_stats st;
    TAP_OK (cgroup_stats (cg, &st, &err) == 0 && st.memory_limit == (32 << 20) && st.pids_limit == 64,
            "stats: memory limit %llu, pids limit %llu", (unsigned long long) st.memory_limit,
            (unsigned long long) st.pids_limit);
    hull_error_release (&err);
  }
  TAP_OK (cgroup_destroy (cg, &err) == 0, "destroy");
  hull_error_release (&err);
  cgroup_free (cg);
  TAP_EQ_INT (count_named (path + 1), 0, "nothing left of %s", path);
}

static void
test_bad_values_leave_nothing (void)
{
  char path[128];
  struct hull_cgroup *cg = NULL;
  hull_err err = NULL;
  struct oci_network net = { .class_id = { true, 0x100001 } };
  struct oci_throttle_device nodev = { 259, 99999, 1024 };
  struct oci_block_io bio = { .throttle_read_bps = &nodev, .throttle_read_bps_len = 1 };
  struct oci_memory mem = { .limit = { true, 100 }, .swap = { true, 50 } };
  struct oci_resources r1 = { .network = &net }, r2 = { .block_io = &bio }, r3 = { .memory = &mem };
  struct { struct oci_resources *r; const char *needle, *label; } cases[] = {
    { &r3, "memory.swap", "swap below the limit (validation)" },
    { &r1, "classID", "net_cls not mounted on this host" },
    { &r2, "throttleReadBpsDevice[0]", "a throttle on a device that does not exist" },
  };

  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      bool has = cg_layout_get (&err) && i == 1 && cg_file_exists ("/sys/fs/cgroup/net_cls", "net_cls.classid");
      snprintf (path, sizeof path, "/%s/bad%zu", prefix, i);
      if (has)
        {
          printf ("ok %d - # SKIP net_cls is mounted here\n", ++tap_n);
          continue;
        }
      TAP_OK (cgroup_create (path, "bad", cases[i].r, &cg, &err) < 0 && err && strstr (err->msg, cases[i].needle),
              "%s: %s", cases[i].label, err ? err->msg : "accepted");
      hull_error_release (&err);
      TAP_EQ_INT (count_named (path + 1), 0, "%s: nothing created", cases[i].label);
    }
}

static void
test_ebpf_devices (void)
{
  /* The cgroup2 device program, attached to this cgroup's cgroup2
     directory (on a hybrid host the v1 list applies as well; it allows
     everything here). */
  struct cg_device_rule rules[] = {
    { false, 'a', -1, -1, CG_DEV_R | CG_DEV_W | CG_DEV_M },
    { true, 'c', 1, 5, CG_DEV_R },                       /* /dev/zero, read only */
    { true, 'c', 1, -1, CG_DEV_W },                      /* any mem device, write */
  };
  char path[128];
  struct hull_cgroup *cg = NULL;
  hull_err err = NULL;
  const struct cg_dir *u, *v1;

  snprintf (path, sizeof path, "/%s/ebpf", prefix);
  if (cgroup_create (path, "ebpf", NULL, &cg, &err) < 0)
    {
      TAP_OK (0, "create: %s", err->msg);
      hull_error_release (&err);
      return;
    }
  u = cg_dir_unified (cg);
  if (u == NULL)
    {
      printf ("ok %d - # SKIP no cgroup2 here\n", ++tap_n);
      cgroup_destroy (cg, &err);
      cgroup_free (cg);
      return;
    }
  v1 = cg_dir_for (cg, "devices");
  TAP_OK (cg_devices_ebpf_attach (u->abs, rules, ARRAY_SIZE (rules), &err) == 0, "attach the device program: %s",
          err ? err->msg : "ok");
  hull_error_release (&err);
  TAP_EQ_INT (open_in_cgroup (v1 ? v1->abs : NULL, u->abs, "/dev/zero"), 0, "read of /dev/zero allowed");
  TAP_EQ_INT (open_in_cgroup (v1 ? v1->abs : NULL, u->abs, "/dev/null"), EPERM, "read of /dev/null denied");
  {
    int status;
    pid_t pid = fork ();
    if (pid == 0)
      {
        if (cg_writef (u->abs, "cgroup.procs", &err, "%d", (int) getpid ()) < 0)
          _exit (250);
        _exit (open ("/dev/null", O_WRONLY) < 0 ? errno : 0);
      }
    waitpid (pid, &status, 0);
    TAP_OK (WIFEXITED (status) && WEXITSTATUS (status) == 0, "write of /dev/null allowed by the 1:* w rule");
  }
  /* attaching again replaces the program: now everything is allowed */
  {
    struct cg_device_rule allow_all = { true, 'a', -1, -1, CG_DEV_R | CG_DEV_W | CG_DEV_M };
    TAP_OK (cg_devices_ebpf_attach (u->abs, &allow_all, 1, &err) == 0, "replace the program");
    hull_error_release (&err);
    TAP_EQ_INT (open_in_cgroup (NULL, u->abs, "/dev/null"), 0, "the old program is gone");
  }
  TAP_OK (cgroup_destroy (cg, &err) == 0, "destroy");
  hull_error_release (&err);
  cgroup_free (cg);
}

static void
test_oom (void)
{
  char path[128];
  struct oci_memory mem = { .limit = { true, 16 << 20 }, .swap = { true, 16 << 20 } };
  struct oci_resources res = { .memory = &mem };
  struct hull_cgroup *cg = NULL;
  hull_err err = NULL;
  int fd, status;
  pid_t pid;
  struct pollfd pfd;
  struct cgroup_stats st;

  snprintf (path, sizeof path, "/%s/oom", prefix);
  if (cgroup_create (path, "oom", &res, &cg, &err) < 0)
    {
      TAP_OK (0, "create: %s", err->msg);
      hull_error_release (&err);
      return;
    }
  fd = cgroup_oom_eventfd (cg, &err);
  TAP_OK (fd >= 0, "oom eventfd: %s", err ? err->msg : "ok");
  hull_error_release (&err);
  pid = fork ();
  if (pid == 0)
    {
      if (cgroup_enter (cg, getpid (), &err) < 0)
        _exit (250);
      for (;;)
        {
          char *p = malloc (1 << 20);
          if (p == NULL)
            _exit (3);
          memset (p, 1, 1 << 20);
        }
    }
  waitpid (pid, &status, 0);
  TAP_OK (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL, "the memory hog is OOM-killed");
  pfd.fd = fd;
  pfd.events = POLLIN;
  TAP_OK (fd >= 0 && poll (&pfd, 1, 30000) == 1, "the OOM fd became readable");
  TAP_OK (cgroup_stats (cg, &st, &err) == 0 && st.oom_kill_count >= 1, "stats count the OOM kill (%llu)",
          (unsigned long long) st.oom_kill_count);
  hull_error_release (&err);
  if (fd >= 0)
    close (fd);
  TAP_OK (cgroup_destroy (cg, &err) == 0, "destroy");
  hull_error_release (&err);
  cgroup_free (cg);
}

static void
test_destroy_nested (void)
{
  char path[128];
  struct hull_cgroup *cg = NULL;
  hull_err err = NULL;
  pid_t pid;
  int status;
  const struct cg_dir *d;

  snprintf (path, sizeof path, "/%s/nest", prefix);
  if (cgroup_create (path, "nest", NULL, &cg, &err) < 0)
    {
      TAP_OK (0, "create: %s", err->msg);
      hull_error_release (&err);
      return;
    }
  /* the workload makes sub-cgroups and lives in one of them */
  pid = fork ();
  if (pid == 0)
    {
      pause ();
      _exit (0);
    }
  for (size_t i = 0; i < cg->n; i++)
    {
      char *sub = xasprintf ("%s/a/b", cg->d[i].abs), *a = xasprintf ("%s/a", cg->d[i].abs);
      mkdir (a, 0755);
      mkdir (sub, 0755);
      if (!cg->d[i].h->v2 && cg_hierarchy_has (cg->d[i].h, "cpuset"))
        {
          cg_write (a, "cpuset.cpus", "0", &err);
          cg_write (a, "cpuset.mems", "0", &err);
          cg_write (sub, "cpuset.cpus", "0", &err);
          cg_write (sub, "cpuset.mems", "0", &err);
          hull_error_release (&err);
        }
      cg_writef (sub, "cgroup.procs", &err, "%d", (int) pid);
      hull_error_release (&err);
      free (sub);
      free (a);
    }
  d = cg_dir_for (cg, "pids");
  {
    cleanup_free pid_t *pids = NULL;
    size_t n = 0;
    TAP_OK (cgroup_pids (cg, &pids, &n, &err) == 0 && n == 1 && pids[0] == pid, "pids sees into sub-cgroups");
  }
  TAP_OK (cgroup_destroy (cg, &err) == 0, "destroy kills and removes sub-cgroups: %s", err ? err->msg : "ok");
  hull_error_release (&err);
  TAP_OK (waitpid (pid, &status, 0) == pid && WIFSIGNALED (status), "the workload was killed");
  TAP_OK (d && access (d->abs, F_OK) < 0, "the cgroup is gone");
  cgroup_free (cg);
  TAP_EQ_INT (count_named (path + 1), 0, "nothing left of %s", path);
}

int
main (void)
{
  if (geteuid () != 0)
    {
      printf ("1..0 # SKIP needs root\n");
      return 0;
    }
  if (cgroup_detect_mode (NULL) == CGROUP_MODE_V2)
    {
      /* the expectations here are v1 file names; test_cgroups_v2 covers v2 */
      printf ("1..0 # SKIP needs a cgroup v1 or hybrid host\n");
      return 0;
    }
  snprintf (prefix, sizeof prefix, "hullres%d", (int) getpid ());
  atexit (cleanup_at_exit);
  test_all_resources ();
  test_bad_values_leave_nothing ();
  test_ebpf_devices ();
  test_oom ();
  test_destroy_nested ();
  return tap_done ();
}

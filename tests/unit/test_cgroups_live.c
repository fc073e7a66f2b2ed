/* cgroups/ on the real hierarchy of this host (root only): create, enter,
   freeze, kill, destroy, with every path form.  Leaves no cgroup behind,
   even when an assertion fails. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/cgroups.h"
#include "runtime/util.h"
#include "tests/unit/cgroup_tree.h"
#include "tests/unit/tap.h"

static char test_root[64], test_parent[64];

/* Every directory named like the test root anywhere under /sys/fs/cgroup (to depth 4). */
static int
find_leftovers (const char *dir, const char *name, int depth, char *found, size_t cap)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  int n = 0;
  if (d == NULL || depth > 4)
    {
      if (d)
        closedir (d);
      return 0;
    }
  while ((de = readdir (d)) != NULL)
    {
      char *sub;
      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      sub = xasprintf ("%s/%s", dir, de->d_name);
      if (strstr (de->d_name, name) == de->d_name)
        {
          n++;
          if (found && strlen (found) + strlen (sub) + 2 < cap)
            strcat (strcat (found, sub), " ");
        }
      else
        n += find_leftovers (sub, name, depth + 1, found, cap);
      free (sub);
    }
  closedir (d);
  return n;
}

static void
remove_leftovers (const char *dir, const char *name, int depth)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  if (d == NULL || depth > 4)
    {
      if (d)
        closedir (d);
      return;
    }
  while ((de = readdir (d)) != NULL)
    {
      char *sub;
      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      sub = xasprintf ("%s/%s", dir, de->d_name);
      if (strstr (de->d_name, name) == de->d_name)
        rm_tree (sub);
      else
        remove_leftovers (sub, name, depth + 1);
      free (sub);
    }
  closedir (d);
}

static void
cleanup_at_exit (void)
{
  remove_leftovers ("/sys/fs/cgroup", test_root, 0);
  remove_leftovers ("/sys/fs/cgroup", test_parent, 0);
}

static char *
proc_cgroup_line (pid_t pid, const char *key)
{
  char *text = NULL, *path = xasprintf ("/proc/%d/cgroup", (int) pid);
  hull_err err = NULL;
  char *r = NULL;
  if (read_file (path, &text, NULL, &err) < 0)
    {
      hull_error_release (&err);
      free (path);
      return NULL;
    }
  for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n"))
    {
      char *c1 = strchr (line, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 && (size_t) (c2 - c1 - 1) == strlen (key) && strncmp (c1 + 1, key, strlen (key)) == 0)
        r = xstrdup (c2 + 1);
    }
  free (text);
  free (path);
  return r;
}

static unsigned long
read_counter (int fd)
{
  unsigned long v = 0;
  if (pread (fd, &v, sizeof v, 0) != sizeof v)
    return 0;
  return v;
}

static void
sleep_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep (&ts, NULL);
}

/* A child that counts in a shared file as fast as it can. */
static pid_t
spawn_counter (struct hull_cgroup *cg, int *counter_fd)
{
  char tmpl[] = "/tmp/hull-cg-counter-XXXXXX";
  int fd = mkstemp (tmpl);
  int go[2];
  pid_t pid;
  unlink (tmpl);
  if (fd < 0 || ftruncate (fd, sizeof (unsigned long)) < 0 || pipe (go) < 0)
    return -1;
  pid = fork ();
  if (pid == 0)
    {
      char c;
      unsigned long v = 0;
      close (go[1]);
      if (read (go[0], &c, 1) != 1)
        _exit (1);
      for (;;)
        {
          v++;
          if (pwrite (fd, &v, sizeof v, 0) < 0)
            _exit (2);
        }
    }
  close (go[0]);
  {
    hull_err err = NULL;
    if (cgroup_enter (cg, pid, &err) < 0)
      {
        printf ("# enter: %s\n", err->msg);
        hull_error_release (&err);
      }
  }
  if (write (go[1], "x", 1) != 1)
    return -1;
  close (go[1]);
  *counter_fd = fd;
  return pid;
}

static void
test_lifecycle (const char *cgroups_path, const char *id, const char *label)
{
  hull_err err = NULL;
  struct hull_cgroup *cg = NULL, *again = NULL;
  pid_t *pids = NULL;
  size_t n = 0;
  int counter = -1, status;
  pid_t child;
  bool frozen = true;
  char *line;
  unsigned long a, b, c;
  char found[1024] = "";

  if (cgroup_create (cgroups_path, id, NULL, &cg, &err) < 0)
    {
      TAP_OK (0, "%s: create: %s", label, err->msg);
      hull_error_release (&err);
      return;
    }
  TAP_OK (1, "%s: create -> %s", label, cgroup_path (cg));

  TAP_OK (cgroup_load (cgroup_path (cg), &again, &err) == 0, "%s: load the stored path", label);
  if (again)
    TAP_EQ_STR (cgroup_path (again), cgroup_path (cg), "%s: load keeps the path", label);

  child = spawn_counter (cg, &counter);
  TAP_OK (child > 0, "%s: child started", label);
  if (cgroup_detect_mode (NULL) != CGROUP_MODE_V2)
    {
      line = proc_cgroup_line (child, "memory");
      TAP_OK (line && strstr (line, id) != NULL, "%s: child is in the memory cgroup (%s)", label, line ? line : "-");
      free (line);
    }
  line = proc_cgroup_line (child, "");
  TAP_OK (line && strstr (line, id) != NULL, "%s: child is in the cgroup2 cgroup (%s)", label, line ? line : "-");
  free (line);

  TAP_OK (cgroup_pids (again ? again : cg, &pids, &n, &err) == 0 && n == 1 && pids[0] == child,
          "%s: pids lists the child (%zu)", label, n);
  free (pids);

  for (int i = 0; i < 3000 && read_counter (counter) == 0; i++)
    sleep_ms (10);
  TAP_OK (read_counter (counter) > 0, "%s: child counts", label);
  TAP_OK (cgroup_freeze (cg, true, &err) == 0, "%s: freeze", label);
  TAP_OK (cgroup_is_frozen (cg, &frozen, &err) == 0 && frozen, "%s: reports frozen", label);
  a = read_counter (counter);
  sleep_ms (200);
  b = read_counter (counter);
  TAP_OK (a == b, "%s: frozen child does not count (%lu, %lu)", label, a, b);
  TAP_OK (cgroup_freeze (cg, false, &err) == 0, "%s: thaw", label);
  TAP_OK (cgroup_is_frozen (cg, &frozen, &err) == 0 && !frozen, "%s: reports thawed", label);
  for (int i = 0; i < 3000 && (c = read_counter (counter)) == b; i++)
    sleep_ms (10);
  TAP_OK (c > b, "%s: thawed child counts again", label);

  TAP_OK (cgroup_kill_all (cg, SIGKILL, &err) == 0, "%s: kill_all", label);
  TAP_OK (waitpid (child, &status, 0) == child && WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL,
          "%s: child killed by SIGKILL", label);
  close (counter);

  TAP_OK (cgroup_destroy (cg, &err) == 0, "%s: destroy", label);
  if (err)
    {
      printf ("# %s\n", err->msg);
      hull_error_release (&err);
    }
  TAP_EQ_INT (find_leftovers ("/sys/fs/cgroup", id, 0, found, sizeof found), 0, "%s: nothing left (%s)", label, found);
  cgroup_free (cg);
  cgroup_free (again);
}

int
main (void)
{
  hull_err err = NULL;
  char *why = NULL;
  char path[160], id[96];
  struct hull_cgroup *cg = NULL;

  if (geteuid () != 0)
    {
      printf ("1..0 # SKIP needs root\n");
      return 0;
    }
  snprintf (test_root, sizeof test_root, "hulltest%d", (int) getpid ());
  snprintf (test_parent, sizeof test_parent, "hullparent%d", (int) getpid ());
  atexit (cleanup_at_exit);

  cgroup_detect_mode (&why);
  TAP_OK (why != NULL && *why != '\0', "detect_mode explains itself: %s", why ? why : "");
  free (why);

  /* The leaf is named after test_root, the parents (which destroy leaves,
     as runc does) after test_parent. */
  snprintf (path, sizeof path, "/%s/%sabs", test_parent, test_root);
  snprintf (id, sizeof id, "%sabs", test_root);
  test_lifecycle (path, id, "absolute");
  snprintf (path, sizeof path, "%s/x/../%srel", test_parent, test_root);
  snprintf (id, sizeof id, "%srel", test_root);
  test_lifecycle (path, id, "relative");
  snprintf (id, sizeof id, "%sdefault", test_root);
  test_lifecycle (NULL, id, "default");

  /* destroy of a frozen cgroup (delete --force of a paused container) */
  snprintf (id, sizeof id, "%sfrozen", test_root);
  if (cgroup_create (NULL, id, NULL, &cg, &err) == 0)
    {
      int counter = -1, status;
      char found[1024] = "";
      pid_t child = spawn_counter (cg, &counter);
      TAP_OK (cgroup_freeze (cg, true, &err) == 0, "frozen: freeze");
      TAP_OK (cgroup_destroy (cg, &err) == 0, "frozen: destroy %s", err ? err->msg : "");
      hull_error_release (&err);
      TAP_OK (waitpid (child, &status, 0) == child && WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL,
              "frozen: the frozen child was killed");
      TAP_EQ_INT (find_leftovers ("/sys/fs/cgroup", id, 0, found, sizeof found), 0, "frozen: nothing left (%s)", found);
      close (counter);
      cgroup_free (cg);
      cg = NULL;
    }
  else
    {
      TAP_OK (0, "frozen: create: %s", err->msg);
      hull_error_release (&err);
    }

  TAP_OK (cgroup_create ("machine.slice:hull:x", "x", NULL, &cg, &err) < 0 && strstr (err->msg, "systemd"),
          "systemd form rejected: %s", err ? err->msg : "");
  hull_error_release (&err);
  TAP_OK (cgroup_load ("/hull-no-such-cgroup-xyz", &cg, &err) < 0 && strstr (err->msg, "does not exist"),
          "load of a missing cgroup fails: %s", err ? err->msg : "");
  hull_error_release (&err);

  return tap_done ();
}

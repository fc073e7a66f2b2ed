/* The state directory on a real filesystem: creation, duplicates, the
   lock, deletion while another command waits, listing. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/state_dir.h"
#include "runtime/util.h"
#include "tests/unit/tap.h"

static char root[] = "/tmp/hull-test-state-XXXXXX";

static struct hull_status
status_for (const char *id)
{
  struct hull_status st = { 0 };
  st.id = (char *) id;
  st.bundle = (char *) "/bundle";
  st.isolation = (char *) "container";
  return st;
}

static const char *
msg_of (hull_err *err)
{
  static char buf[512];
  snprintf (buf, sizeof buf, "%s", *err ? (*err)->msg : "(no error)");
  hull_error_release (err);
  return buf;
}

int
main (void)
{
  struct hull_state_dir *sd = NULL, *sd2 = NULL;
  struct hull_status st = status_for ("c1"), back;
  hull_err err = NULL;
  char **ids = NULL;
  size_t n = 0;
  pid_t child;
  int status;

  if (mkdtemp (root) == NULL)
    return 1;

  TAP_EQ_INT (hull_state_dir_create (root, "c1", &st, &sd, &err), 0, "create c1");
  TAP_OK (access ("/tmp", F_OK) == 0 && sd != NULL && strstr (sd->path, "/c1") != NULL, "path is <root>/c1");
  TAP_EQ_INT (hull_state_read (sd, &back, &err), 0, "state.json reads back");
  TAP_EQ_STR (back.bundle, "/bundle", "bundle round-trips");
  hull_status_clear (&back);

  TAP_EQ_INT (hull_state_dir_create (root, "c1", &st, &sd2, &err), -1, "duplicate id fails");
  TAP_EQ_STR (msg_of (&err), "container with id c1 already exists", "duplicate message");
  TAP_EQ_INT (hull_state_dir_create (root, "../x", &st, &sd2, &err), -1, "invalid id refused");
  hull_error_release (&err);

  TAP_EQ_INT (hull_state_dir_open (root, "nope", HULL_LOCK_SHARED, &sd2, &err), -1, "unknown id");
  TAP_EQ_STR (msg_of (&err), "container nope does not exist", "unknown id message");

  TAP_OK (!hull_state_dir_busy (sd), "the lock holder is not busy for itself");
  child = fork ();
  if (child == 0)
    {
      struct hull_state_dir *w = NULL;
      hull_err e = NULL;
      int busy = hull_state_dir_open (root, "c1", HULL_LOCK_NONE, &w, &e) == 0 && hull_state_dir_busy (w);
      _exit (busy ? 0 : 1);
    }
  waitpid (child, &status, 0);
  TAP_OK (WIFEXITED (status) && WEXITSTATUS (status) == 0, "another process sees the create lock as busy");

  /* A child waits for the exclusive lock we hold; we delete; it must
     report that the container does not exist. */
  child = fork ();
  if (child == 0)
    {
      struct hull_state_dir *w = NULL;
      hull_err e = NULL;
      int r = hull_state_dir_open (root, "c1", HULL_LOCK_EXCLUSIVE, &w, &e);
      if (r == 0 || strstr (e->msg, "does not exist") == NULL)
        printf ("# waiter: %s\n", r == 0 ? "got the lock" : e->msg);
      fflush (stdout);
      _exit (r < 0 && strstr (e->msg, "does not exist") != NULL ? 0 : 1);
    }
  usleep (200000);
  TAP_EQ_INT (hull_state_dir_remove (sd, &err), 0, "remove c1 while a waiter blocks");
  hull_state_dir_free (sd);
  sd = NULL;
  waitpid (child, &status, 0);
  TAP_OK (WIFEXITED (status) && WEXITSTATUS (status) == 0, "the waiter sees `does not exist`");

  /* Listing skips temporary and invalid names. */
  for (int i = 0; i < 3; i++)
    {
      char id[8];
      snprintf (id, sizeof id, "l%d", 2 - i);
      struct hull_status s = status_for (id);
      TAP_EQ_INT (hull_state_dir_create (root, id, &s, &sd, &err), 0, "create %s", id);
      hull_state_dir_free (sd);
      sd = NULL;
    }
  {
    char junk[256];
    snprintf (junk, sizeof junk, "%s/~123~l9", root);
    mkdir (junk, 0700);
    TAP_EQ_INT (hull_state_list_ids (root, &ids, &n, &err), 0, "list");
    TAP_EQ_INT (n, 3, "three containers listed");
    TAP_OK (n == 3 && strcmp (ids[0], "l0") == 0 && strcmp (ids[2], "l2") == 0, "sorted by id");
    rmdir (junk);
    for (size_t i = 0; i < n; i++)
      {
        TAP_EQ_INT (hull_state_dir_open (root, ids[i], HULL_LOCK_EXCLUSIVE, &sd, &err), 0, "open %s", ids[i]);
        TAP_EQ_INT (hull_state_dir_remove (sd, &err), 0, "remove %s", ids[i]);
        hull_state_dir_free (sd);
        free (ids[i]);
      }
    free (ids);
  }
  TAP_EQ_INT (hull_state_list_ids ("/nonexistent/hull", &ids, &n, &err), 0, "a missing root lists nothing");
  TAP_EQ_INT (n, 0, "zero containers");
  free (ids);
  TAP_EQ_INT (rmdir (root), 0, "nothing left in the root");
  return tap_done ();
}

/* runtime/hooks.c with real processes: stdin, args, env, exit statuses,
   timeouts, and the stop-at-first-failure rule. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/hooks.h"
#include "runtime/util.h"
#include "tests/unit/tap.h"

static char dir[] = "/tmp/hull-test-hooks-XXXXXX";

static char *
script (const char *name, const char *body)
{
  char *path = xasprintf ("%s/%s", dir, name);
  char *text = xasprintf ("#!/bin/sh\n%s\n", body);
  hull_err err = NULL;
  if (write_file (path, text, strlen (text), 0755, &err) < 0)
    hull_error_release (&err);
  chmod (path, 0755);
  free (text);
  return path;
}

static char *
slurp (const char *name)
{
  char *path = xasprintf ("%s/%s", dir, name), *data = NULL;
  size_t len;
  hull_err err = NULL;
  if (read_file (path, &data, &len, &err) < 0)
    {
      hull_error_release (&err);
      data = xstrdup ("");
    }
  free (path);
  return data;
}

int
main (void)
{
  hull_err err = NULL;
  char *out_path, *cmd, *rec, *fail, *slow, *got;
  struct oci_hook hooks[3];
  struct oci_hook_list list = { .items = hooks, .len = 0 };
  char *rec_args[] = { NULL, (char *) "a1", (char *) "a 2", NULL };
  char *rec_env[] = { (char *) "FOO=bar", NULL };

  if (mkdtemp (dir) == NULL)
    return 1;
  out_path = xasprintf ("%s/out", dir);
  cmd = xasprintf ("echo \"$0|$1|$2|FOO=$FOO|PATH=${PATH:-none}|$(cat)\" >> %s", out_path);
  rec = script ("rec.sh", cmd);
  fail = script ("fail.sh", "exit 3");
  slow = script ("slow.sh", "exec sleep 30");
  rec_args[0] = rec;

  memset (hooks, 0, sizeof hooks);
  hooks[0] = (struct oci_hook) { .path = rec, .args = { rec_args, 3 }, .env = { rec_env, 1 } };
  list.len = 1;
  TAP_EQ_INT (hull_hooks_run ("prestart", &list, "{\"id\":\"x\"}", &err), 0, "a hook that succeeds");
  got = slurp ("out");
  TAP_OK (strstr (got, "|a1|a 2|FOO=bar|") != NULL, "args and env reach the hook: %s", got);
  TAP_OK (strstr (got, "{\"id\":\"x\"}") != NULL, "the state arrives on stdin");
  free (got);

  /* Only the given env: no PATH inherited from us. */
  hooks[0].args.len = 0;
  hooks[0].env.len = 0;
  unlink (out_path);
  TAP_EQ_INT (hull_hooks_run ("prestart", &list, "{}", &err), 0, "a hook without args and env");
  got = slurp ("out");
  TAP_OK (strstr (got, "FOO=|PATH=none|") != NULL || strstr (got, "FOO=|PATH=/") != NULL, "nothing inherited: %s", got);
  TAP_OK (strncmp (got, rec, strlen (rec)) == 0, "argv[0] defaults to the path");
  free (got);

  /* The first failure stops the list. */
  unlink (out_path);
  hooks[0] = (struct oci_hook) { .path = fail };
  hooks[1] = (struct oci_hook) { .path = rec };
  list.len = 2;
  TAP_EQ_INT (hull_hooks_run ("createRuntime", &list, "{}", &err), -1, "a failing hook fails the kind");
  TAP_OK (err && strstr (err->msg, "createRuntime hook") && strstr (err->msg, "exited with status 3"), "message: %s",
          err ? err->msg : "");
  hull_error_release (&err);
  TAP_OK (access (out_path, F_OK) != 0, "hooks after the failure did not run");

  /* run_warn runs all of them. */
  hull_hooks_run_warn ("poststop", &list, "{}");
  TAP_OK (access (out_path, F_OK) == 0, "run_warn carries on after a failure");

  /* A timeout kills the hook. */
  hooks[0] = (struct oci_hook) { .path = slow, .timeout = { true, 1 } };
  list.len = 1;
  TAP_EQ_INT (hull_hooks_run ("createContainer", &list, "{}", &err), -1, "a slow hook times out");
  TAP_OK (err && strstr (err->msg, "timed out after 1s"), "timeout message: %s", err ? err->msg : "");
  hull_error_release (&err);

  /* A missing hook binary. */
  hooks[0] = (struct oci_hook) { .path = (char *) "/nonexistent/hook" };
  TAP_EQ_INT (hull_hooks_run ("poststart", &list, "{}", &err), -1, "a missing hook fails");
  TAP_OK (err && strstr (err->msg, "exited with status 127"), "missing hook message: %s", err ? err->msg : "");
  hull_error_release (&err);

  /* A hook that never reads a large stdin does not kill us with SIGPIPE. */
  {
    char *big = xmalloc (1 << 20);
    memset (big, 'x', (1 << 20) - 1);
    big[(1 << 20) - 1] = '\0';
    hooks[0] = (struct oci_hook) { .path = script ("noread.sh", "exit 0") };
    TAP_EQ_INT (hull_hooks_run ("prestart", &list, big, &err), 0, "a hook that ignores stdin");
    hull_error_release (&err);
    free (hooks[0].path);
    free (big);
  }

  unlink (out_path);
  unlink (rec);
  unlink (fail);
  unlink (slow);
  {
    char *p = xasprintf ("%s/noread.sh", dir);
    unlink (p);
    free (p);
  }
  TAP_EQ_INT (rmdir (dir), 0, "nothing left behind");
  free (out_path);
  free (cmd);
  free (rec);
  free (fail);
  free (slow);
  return tap_done ();
}

/* runtime/: the pure parts of exec, ps and events: runc's exec flags on
   the container's process, ps(1) output filtered on the PID column, and
   --interval durations. */
#include <stdlib.h>
#include <string.h>

#include "runtime/events.h"
#include "runtime/exec.h"
#include "runtime/ps.h"
#include "tests/unit/tap.h"

static struct oci_process *
base_process (void)
{
  static const char json[] = "{\"args\":[\"sleep\",\"1\"],\"env\":[\"PATH=/bin\",\"A=1\"],\"cwd\":\"/\","
                             "\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":[3]},"
                             "\"capabilities\":{\"bounding\":[\"CAP_KILL\"],\"effective\":[\"CAP_KILL\"],"
                             "\"permitted\":[\"CAP_KILL\"]},\"noNewPrivileges\":false,\"terminal\":true}";
  hull_err err = NULL;
  struct oci_process *p = oci_process_parse (json, strlen (json), &err);
  hull_error_release (&err);
  return p;
}

static void
test_flags (void)
{
  char *args[] = { "sh", "-c", "true" };
  char *env[] = { "A=2", "B=3", "A=4" };
  char *caps[] = { "sys_admin", "CAP_KILL" };
  uint32_t gids[] = { 5, 7 };
  struct hull_exec_opts o = {
    .args = args, .n_args = 3, .cwd = "/tmp", .env = env, .n_env = 3, .user = "1000:1001",
    .additional_gids = gids, .n_additional_gids = 2, .caps = caps, .n_caps = 2, .no_new_privs = true,
  };
  struct oci_process *p = base_process ();
  hull_err err = NULL;
  int r;

  TAP_OK (p != NULL, "base process parses");
  if (p == NULL)
    return;
  r = hull_exec_apply_flags (p, &o, &err);
  TAP_EQ_INT (r, 0, "flags apply");
  TAP_EQ_INT (p->args.len, 3, "args replaced");
  TAP_EQ_STR (p->args.items[0], "sh", "args[0]");
  TAP_EQ_STR (p->cwd, "/tmp", "--cwd");
  TAP_EQ_INT (p->env.len, 3, "env: a later value of a key replaces the earlier one in place");
  TAP_EQ_STR (p->env.items[1], "A=4", "env: A is the last value given");
  TAP_EQ_STR (p->env.items[2], "B=3", "env: B appended");
  TAP_EQ_INT (p->user.uid, 1000, "--user uid");
  TAP_EQ_INT (p->user.gid, 1001, "--user gid");
  TAP_EQ_INT (p->user.additional_gids_len, 3, "--additional-gids appended to the config's");
  TAP_EQ_INT (p->user.additional_gids[2], 7, "last additional gid");
  TAP_EQ_INT (p->capabilities->effective.len, 2, "--cap added once (CAP_KILL was there)");
  TAP_EQ_STR (p->capabilities->bounding.items[1], "CAP_SYS_ADMIN", "--cap sys_admin is CAP_SYS_ADMIN");
  TAP_EQ_INT (p->capabilities->ambient.len, 0, "no ambient caps without an inheritable set (as runc)");
  TAP_OK (p->no_new_privileges, "--no-new-privs");
  TAP_OK (!p->terminal, "terminal comes from --tty only");
  oci_process_free (p);

  p = base_process ();
  o = (struct hull_exec_opts) { .args = args, .n_args = 1, .apparmor = "prof", .process_label = "lbl" };
  TAP_EQ_INT (hull_exec_apply_flags (p, &o, &err), 0, "--apparmor and --process-label apply");
  TAP_EQ_STR (p->apparmor_profile, "prof", "--apparmor sets process.apparmorProfile");
  TAP_EQ_STR (p->selinux_label, "lbl", "--process-label sets process.selinuxLabel");
  oci_process_free (p);

  p = base_process ();
  o = (struct hull_exec_opts) { .args = args, .n_args = 1, .user = "12" };
  TAP_EQ_INT (hull_exec_apply_flags (p, &o, &err), 0, "--user without a gid");
  TAP_OK (p->user.uid == 12 && p->user.gid == 0, "--user 12 keeps the config's gid");
  oci_process_free (p);

  static const char *const bad_users[] = { "abc", "1:x", "-1", "1:", "" };
  for (size_t i = 0; i < sizeof bad_users / sizeof bad_users[0]; i++)
    {
      p = base_process ();
      o = (struct hull_exec_opts) { .args = args, .n_args = 1, .user = bad_users[i] };
      r = hull_exec_apply_flags (p, &o, &err);
      TAP_OK (r < 0 && err && strstr (err->msg, "--user"), "--user `%s` is refused", bad_users[i]);
      hull_error_release (&err);
      oci_process_free (p);
    }
  p = base_process ();
  o = (struct hull_exec_opts) { 0 };
  r = hull_exec_apply_flags (p, &o, &err);
  TAP_OK (r < 0, "no command is refused");
  hull_error_release (&err);
  oci_process_free (p);
}

static char *
filter (const char *text, const pid_t *pids, size_t n)
{
  hull_err err = NULL;
  char *out = NULL;
  if (hull_ps_filter (text, pids, n, &out, &err) < 0)
    {
      out = strdup (err->msg);
      hull_error_release (&err);
    }
  return out;
}

static void
test_ps_filter (void)
{
  pid_t pids[] = { 42, 7 };
  char *out;

  out = filter ("UID PID PPID CMD\nroot 1 0 init\nroot 42 1 sleep 42\nroot 420 1 x\nroot 7 1 y 42\n", pids, 2);
  TAP_EQ_STR (out, "UID PID PPID CMD\nroot 42 1 sleep 42\nroot 7 1 y 42\n", "ps -ef: header and the container's lines");
  free (out);
  out = filter ("COMMAND   PID\nsleep      42\nsh          8\n", pids, 2);
  TAP_EQ_STR (out, "COMMAND   PID\nsleep      42\n", "PID found in the second column");
  free (out);
  out = filter ("  PID TTY\n   42 ?", pids, 2);
  TAP_EQ_STR (out, "  PID TTY\n   42 ?\n", "leading blanks and no final newline");
  free (out);
  out = filter ("COMMAND\nsleep\n", pids, 2);
  TAP_OK (out && strstr (out, "PID field"), "no PID column is an error");
  free (out);
  out = filter ("PID CMD\nabc x\n", pids, 2);
  TAP_OK (out && strstr (out, "unable to parse"), "a PID that is not a number is an error");
  free (out);
  out = filter ("PPID CMD\n1 x\n", pids, 2);
  TAP_OK (out && strstr (out, "PID field"), "PPID is not PID");
  free (out);
}

static void
test_durations (void)
{
  static const struct { const char *in; long ms; } good[] = {
    { "5s", 5000 }, { "100ms", 100 }, { "1m30s", 90000 }, { "1.5s", 1500 }, { "2h", 7200000 }, { "1000000us", 1000 },
  };
  static const char *const bad[] = { "5", "0", "", "s", "-1s", "5x", "1ns", "25h", "1.s5" };
  hull_err err = NULL;
  long ms;

  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    {
      ms = -1;
      int r = hull_parse_duration_ms (good[i].in, &ms, &err);
      TAP_OK (r == 0 && ms == good[i].ms, "duration `%s` is %ld ms (got %ld)", good[i].in, good[i].ms, ms);
      hull_error_release (&err);
    }
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      TAP_OK (hull_parse_duration_ms (bad[i], &ms, &err) < 0, "duration `%s` is refused", bad[i]);
      hull_error_release (&err);
    }
}

int
main (void)
{
  test_flags ();
  test_ps_filter ();
  test_durations ();
  return tap_done ();
}

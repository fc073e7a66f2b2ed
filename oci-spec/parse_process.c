/* process: what runs in the container (also `exec --process FILE`). */
#include "oci-spec/parse.h"

#include <stdlib.h>
#include <string.h>

static int
parse_rlimit (struct jr_ctx *c, yajl_val v, void *elem)
{
  struct oci_rlimit *r = elem;
  if (jr_is_object (c, v) < 0 || jr_string (c, v, "type", true, &r->type) < 0)
    return -1;
  if (strncmp (r->type, "RLIMIT_", 7) != 0 || r->type[7] == '\0')
    {
      char buf[64];
      size_t saved = jr_push_key (c, "type");
      jr_fail (c, "\"%s\" is not an RLIMIT_* name", jr_quote (r->type, buf, sizeof (buf)));
      jr_pop (c, saved);
      return -1;
    }
  if (jr_u64 (c, v, "hard", UINT64_MAX, true, &r->hard) < 0 || jr_u64 (c, v, "soft", UINT64_MAX, true, &r->soft) < 0)
    return -1;
  return 0;
}

static int
parse_user (struct jr_ctx *c, yajl_val v, struct oci_user *u)
{
  if (jr_is_object (c, v) < 0)
    return -1;
  if (jr_u32 (c, v, "uid", false, &u->uid) < 0 || jr_u32 (c, v, "gid", false, &u->gid) < 0
      || jr_ou64 (c, v, "umask", UINT32_MAX, &u->umask) < 0
      || jr_u32v (c, v, "additionalGids", &u->additional_gids, &u->additional_gids_len) < 0
      || jr_string (c, v, "username", false, &u->username) < 0)
    return -1;
  return 0;
}

static int
parse_capabilities (struct jr_ctx *c, yajl_val v, struct oci_capabilities *caps)
{
  if (jr_is_object (c, v) < 0)
    return -1;
  if (jr_strv (c, v, "bounding", &caps->bounding, &caps->has_bounding) < 0
      || jr_strv (c, v, "effective", &caps->effective, &caps->has_effective) < 0
      || jr_strv (c, v, "inheritable", &caps->inheritable, &caps->has_inheritable) < 0
      || jr_strv (c, v, "permitted", &caps->permitted, &caps->has_permitted) < 0
      || jr_strv (c, v, "ambient", &caps->ambient, &caps->has_ambient) < 0)
    return -1;
  return 0;
}

static int
parse_io_priority (struct jr_ctx *c, yajl_val v, struct oci_io_priority *io)
{
  static const char *const classes[] = { "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE", NULL };
  int64_t prio = 0;
  if (jr_is_object (c, v) < 0 || jr_string (c, v, "class", true, &io->klass) < 0
      || jr_one_of (c, "class", io->klass, classes) < 0 || jr_i64 (c, v, "priority", INT32_MIN, INT32_MAX, false, &prio) < 0)
    return -1;
  io->priority = (int32_t) prio;
  return 0;
}

static int
parse_scheduler (struct jr_ctx *c, yajl_val v, struct oci_scheduler *s)
{
  static const char *const policies[] = { "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",       "SCHED_BATCH",
                                          "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE", NULL };
  if (jr_is_object (c, v) < 0 || jr_string (c, v, "policy", true, &s->policy) < 0
      || jr_one_of (c, "policy", s->policy, policies) < 0 || jr_oi64 (c, v, "nice", INT32_MIN, INT32_MAX, &s->nice) < 0
      || jr_oi64 (c, v, "priority", INT32_MIN, INT32_MAX, &s->priority) < 0
      || jr_strv (c, v, "flags", &s->flags, NULL) < 0 || jr_ou64 (c, v, "runtime", UINT64_MAX, &s->runtime) < 0
      || jr_ou64 (c, v, "deadline", UINT64_MAX, &s->deadline) < 0
      || jr_ou64 (c, v, "period", UINT64_MAX, &s->period) < 0)
    return -1;
  return 0;
}

static int
parse_affinity (struct jr_ctx *c, yajl_val v, struct oci_exec_cpu_affinity *a)
{
  if (jr_is_object (c, v) < 0 || jr_string (c, v, "initial", false, &a->initial) < 0
      || jr_string (c, v, "final", false, &a->final) < 0)
    return -1;
  return 0;
}

static int
parse_console_size (struct jr_ctx *c, yajl_val v, struct oci_process *p)
{
  if (jr_is_object (c, v) < 0 || jr_u32 (c, v, "height", true, &p->console_height) < 0
      || jr_u32 (c, v, "width", true, &p->console_width) < 0)
    return -1;
  p->has_console_size = true;
  return 0;
}

int
parse_process (struct jr_ctx *c, yajl_val v, struct oci_process *p)
{
  yajl_val sub;
  size_t saved;

  if (jr_is_object (c, v) < 0 || jr_bool (c, v, "terminal", &p->terminal) < 0)
    return -1;
  if ((sub = jr_member (v, "consoleSize")) != NULL)
    {
      saved = jr_push_key (c, "consoleSize");
      if (parse_console_size (c, sub, p) < 0)
        return -1;
      jr_pop (c, saved);
    }
  if ((sub = jr_member (v, "user")) != NULL)
    {
      saved = jr_push_key (c, "user");
      if (parse_user (c, sub, &p->user) < 0)
        return -1;
      jr_pop (c, saved);
    }
  if (jr_strv (c, v, "args", &p->args, NULL) < 0)
    return -1;
  if (p->args.len == 0)
    {
      saved = jr_push_key (c, "args");
      jr_fail (c, "must be a non-empty array");
      jr_pop (c, saved);
      return -1;
    }
  if (jr_strv (c, v, "env", &p->env, NULL) < 0 || jr_string (c, v, "cwd", true, &p->cwd) < 0)
    return -1;
  if (p->cwd[0] != '/')
    {
      saved = jr_push_key (c, "cwd");
      jr_fail (c, "must be an absolute path");
      jr_pop (c, saved);
      return -1;
    }
  JR_SUB_OBJECT (c, v, "capabilities", &p->capabilities, parse_capabilities);
  if (jr_array (c, v, "rlimits", sizeof (struct oci_rlimit), (void **) &p->rlimits, &p->rlimits_len, parse_rlimit) < 0
      || jr_bool (c, v, "noNewPrivileges", &p->no_new_privileges) < 0
      || jr_string (c, v, "apparmorProfile", false, &p->apparmor_profile) < 0
      || jr_oi64 (c, v, "oomScoreAdj", -1000, 1000, &p->oom_score_adj) < 0
      || jr_string (c, v, "selinuxLabel", false, &p->selinux_label) < 0)
    return -1;
  JR_SUB_OBJECT (c, v, "ioPriority", &p->io_priority, parse_io_priority);
  JR_SUB_OBJECT (c, v, "scheduler", &p->scheduler, parse_scheduler);
  JR_SUB_OBJECT (c, v, "execCPUAffinity", &p->exec_cpu_affinity, parse_affinity);
  return 0;
}

void
process_clear (struct oci_process *p)
{
  size_t i;
  free (p->user.additional_gids);
  free (p->user.username);
  jr_strv_free (&p->args);
  jr_strv_free (&p->env);
  free (p->cwd);
  if (p->capabilities != NULL)
    {
      jr_strv_free (&p->capabilities->bounding);
      jr_strv_free (&p->capabilities->effective);
      jr_strv_free (&p->capabilities->inheritable);
      jr_strv_free (&p->capabilities->permitted);
      jr_strv_free (&p->capabilities->ambient);
      free (p->capabilities);
    }
  for (i = 0; i < p->rlimits_len; i++)
    free (p->rlimits[i].type);
  free (p->rlimits);
  free (p->apparmor_profile);
  free (p->selinux_label);
  if (p->io_priority != NULL)
    free (p->io_priority->klass);
  free (p->io_priority);
  if (p->scheduler != NULL)
    {
      free (p->scheduler->policy);
      jr_strv_free (&p->scheduler->flags);
    }
  free (p->scheduler);
  if (p->exec_cpu_affinity != NULL)
    {
      free (p->exec_cpu_affinity->initial);
      free (p->exec_cpu_affinity->final);
    }
  free (p->exec_cpu_affinity);
  memset (p, 0, sizeof (*p));
}

struct oci_process *
oci_process_parse (const char *json, size_t len, hull_err *err)
{
  struct jr_ctx c;
  struct oci_process *p;
  yajl_val tree;

  jr_init (&c, "process.json", err);
  tree = jr_parse (&c, json, len);
  if (tree == NULL)
    return NULL;
  p = jr_xcalloc (1, sizeof (*p));
  if (parse_process (&c, tree, p) < 0)
    {
      oci_process_free (p);
      p = NULL;
    }
  yajl_tree_free (tree);
  return p;
}

void
oci_process_free (struct oci_process *p)
{
  if (p == NULL)
    return;
  process_clear (p);
  free (p);
}

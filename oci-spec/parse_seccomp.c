/* linux.seccomp.  Actions stay text (namespaces/ maps them onto libseccomp)
   but are checked here so a typo is reported with its JSON path. */
#include "oci-spec/parse.h"

#include <stdlib.h>
#include <string.h>

static const char *const seccomp_actions[] = {
  "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
  "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",       "SCMP_ACT_LOG",         "SCMP_ACT_NOTIFY", NULL,
};

static const char *const seccomp_ops[] = {
  [OCI_SCMP_CMP_NE] = "SCMP_CMP_NE", [OCI_SCMP_CMP_LT] = "SCMP_CMP_LT", [OCI_SCMP_CMP_LE] = "SCMP_CMP_LE",
  [OCI_SCMP_CMP_EQ] = "SCMP_CMP_EQ", [OCI_SCMP_CMP_GE] = "SCMP_CMP_GE", [OCI_SCMP_CMP_GT] = "SCMP_CMP_GT",
  [OCI_SCMP_CMP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ", NULL,
};

static int
parse_arg (struct jr_ctx *c, yajl_val v, void *elem)
{
  struct oci_seccomp_arg *a = elem;
  char *op = NULL;
  size_t i;

  if (jr_is_object (c, v) < 0 || jr_u32 (c, v, "index", true, &a->index) < 0
      || jr_u64 (c, v, "value", UINT64_MAX, true, &a->value) < 0
      || jr_u64 (c, v, "valueTwo", UINT64_MAX, false, &a->value_two) < 0 || jr_string (c, v, "op", true, &op) < 0
      || jr_one_of (c, "op", op, seccomp_ops) < 0)
    {
      free (op);
      return -1;
    }
  for (i = 0; seccomp_ops[i] != NULL; i++)
    if (strcmp (op, seccomp_ops[i]) == 0)
      a->op = (enum oci_seccomp_op) i;
  free (op);
  return 0;
}

static int
parse_syscall (struct jr_ctx *c, yajl_val v, void *elem)
{
  struct oci_seccomp_syscall *s = elem;

  if (jr_is_object (c, v) < 0 || jr_strv (c, v, "names", &s->names, NULL) < 0)
    return -1;
  if (s->names.len == 0)
    {
      size_t saved = jr_push_key (c, "names");
      jr_fail (c, "must be a non-empty array");
      jr_pop (c, saved);
      return -1;
    }
  if (jr_string (c, v, "action", true, &s->action) < 0 || jr_one_of (c, "action", s->action, seccomp_actions) < 0
      || jr_ou64 (c, v, "errnoRet", UINT32_MAX, &s->errno_ret) < 0
      || jr_array (c, v, "args", sizeof (*s->args), (void **) &s->args, &s->args_len, parse_arg) < 0)
    return -1;
  return 0;
}

int
parse_seccomp (struct jr_ctx *c, yajl_val v, struct oci_seccomp *s)
{
  if (jr_is_object (c, v) < 0 || jr_string (c, v, "defaultAction", true, &s->default_action) < 0
      || jr_one_of (c, "defaultAction", s->default_action, seccomp_actions) < 0
      || jr_ou64 (c, v, "defaultErrnoRet", UINT32_MAX, &s->default_errno_ret) < 0
      || jr_strv (c, v, "architectures", &s->architectures, NULL) < 0 || jr_strv (c, v, "flags", &s->flags, NULL) < 0
      || jr_string (c, v, "listenerPath", false, &s->listener_path) < 0
      || jr_string (c, v, "listenerMetadata", false, &s->listener_metadata) < 0
      || jr_array (c, v, "syscalls", sizeof (*s->syscalls), (void **) &s->syscalls, &s->syscalls_len, parse_syscall)
             < 0)
    return -1;
  return 0;
}

void
seccomp_clear (struct oci_seccomp *s)
{
  size_t i;
  free (s->default_action);
  jr_strv_free (&s->architectures);
  jr_strv_free (&s->flags);
  free (s->listener_path);
  free (s->listener_metadata);
  for (i = 0; i < s->syscalls_len; i++)
    {
      jr_strv_free (&s->syscalls[i].names);
      free (s->syscalls[i].action);
      free (s->syscalls[i].args);
    }
  free (s->syscalls);
  memset (s, 0, sizeof (*s));
}

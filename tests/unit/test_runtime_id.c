#include <string.h>

#include "runtime/id.h"
#include "runtime/util.h"
#include "tests/unit/tap.h"

static int
valid (const char *id)
{
  hull_err err = NULL;
  int r = hull_id_validate (id, &err);
  hull_error_release (&err);
  return r == 0;
}

int
main (void)
{
  const char *good[] = { "a", "abc-123", "A_b.c+d", "x..y", ".hidden", "0", "a-b_c.d+e" };
  const char *bad[] = { "", ".", "..", "a/b", "../x", "a b", "a\nb", "é", "a:b", "a~b", "/abs", "a*" };
  hull_err err = NULL;
  char *longid;

  for (size_t i = 0; i < ARRAY_SIZE (good); i++)
    TAP_OK (valid (good[i]), "valid id `%s`", good[i]);
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    TAP_OK (!valid (bad[i]), "invalid id #%zu `%s`", i, strchr (bad[i], '\n') ? "(newline)" : bad[i]);
  TAP_OK (!valid (NULL), "NULL id is invalid");

  hull_id_validate ("", &err);
  TAP_EQ_STR (err ? err->msg : NULL, "container id cannot be empty", "empty id message");
  hull_error_release (&err);
  hull_id_validate ("a/b", &err);
  TAP_OK (err != NULL && strstr (err->msg, "invalid container id `a/b`") != NULL, "message names the id");
  hull_error_release (&err);

  longid = xmalloc (HULL_ID_MAX + 2);
  memset (longid, 'a', HULL_ID_MAX + 1);
  longid[HULL_ID_MAX + 1] = '\0';
  TAP_OK (!valid (longid), "an id longer than %d is invalid", HULL_ID_MAX);
  longid[HULL_ID_MAX] = '\0';
  TAP_OK (valid (longid), "an id of exactly %d is valid", HULL_ID_MAX);
  free (longid);
  return tap_done ();
}

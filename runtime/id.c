#include "runtime/id.h"

#include <ctype.h>
#include <string.h>

static int
id_char_ok (unsigned char c)
{
  return isascii (c) && (isalnum (c) || c == '_' || c == '+' || c == '-' || c == '.');
}

int
hull_id_validate (const char *id, hull_err *err)
{
  size_t len;

  if (id == NULL || *id == '\0')
    return hull_error (err, 0, "container id cannot be empty");
  len = strlen (id);
  if (len > HULL_ID_MAX)
    return hull_error (err, 0, "invalid container id: longer than %d characters", HULL_ID_MAX);
  if (strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return hull_error (err, 0, "invalid container id `%s`", id);
  for (size_t i = 0; i < len; i++)
    if (!id_char_ok ((unsigned char) id[i]))
      return hull_error (err, 0, "invalid container id `%s`: only [a-zA-Z0-9_+.-] allowed", id);
  return 0;
}

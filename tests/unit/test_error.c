#include <errno.h>

#include "runtime/error.h"
#include "runtime/util.h"
#include "tests/unit/tap.h"

static int
fails_with_context (hull_err *err)
{
  if (hull_error (err, ENOENT, "open `%s`", "/nope") < 0)
    return hull_error_wrap (err, "load config");
  return 0;
}

int
main (void)
{
  hull_err err = NULL;
  TAP_EQ_INT (hull_error (&err, EACCES, "mount `%s`", "/proc"), -1, "hull_error returns -1");
  TAP_EQ_STR (err->msg, "mount `/proc`: Permission denied", "message carries strerror");
  TAP_EQ_INT (err->errnum, EACCES, "errnum kept");
  hull_error_release (&err);
  TAP_OK (err == NULL, "release clears the pointer");

  TAP_EQ_INT (fails_with_context (&err), -1, "wrapped error propagates");
  TAP_EQ_STR (err->msg, "load config: open `/nope`: No such file or directory", "wrap prefixes context");
  hull_error_release (&err);

  hull_error (&err, 0, "plain");
  TAP_EQ_STR (err->msg, "plain", "no strerror when errnum is 0");
  hull_error_release (&err);

  {
    cleanup_free char *s = xasprintf ("%d-%s", 7, "x");
    TAP_EQ_STR (s, "7-x", "xasprintf formats");
  }
  return tap_done ();
}

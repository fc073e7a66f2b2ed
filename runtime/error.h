/* The one error convention of hull (modelled on crun's libcrun_error_t).
 *
 * A function that can fail takes `hull_err *err` as its last argument and
 * returns a negative int (or NULL).  On failure it fills *err with
 * hull_error() and returns what hull_error() returns.  The caller either
 * handles the error (and releases it with hull_error_release()) or returns it
 * upwards unchanged, possibly prefixing context with hull_error_wrap().
 *
 *     if (mount (...) < 0)
 *       return hull_error (err, errno, "mount `%s`", target);
 *
 * The message is one line; strerror(errnum) is appended when errnum != 0:
 * "mount `/proc`: Permission denied".
 */
#ifndef HULL_ERROR_H
#define HULL_ERROR_H

#include <stdarg.h>

struct hull_error_s
{
  int errnum; /* errno value, or 0 */
  char *msg;  /* full one-line message, strerror included */
};
typedef struct hull_error_s *hull_err;

/* Always returns -1 (so `return hull_error (...)` works in int functions). */
int hull_error (hull_err *err, int errnum, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
int hull_error_v (hull_err *err, int errnum, const char *fmt, va_list ap);
/* Prefix the existing message: "ctx: old message".  Returns -1. */
int hull_error_wrap (hull_err *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void hull_error_release (hull_err *err);

/* Serialize an error so a child can send it to its parent (sync socket) and
   back.  hull_error_from_wire() rebuilds the error from (errnum, msg). */
int hull_error_from_wire (hull_err *err, int errnum, const char *msg);

#define cleanup_hull_err __attribute__ ((cleanup (hull_error_release)))

#endif

#include "runtime/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
hull_error_v (hull_err *err, int errnum, const char *fmt, va_list ap)
{
  char *base = NULL;
  char *full = NULL;

  if (err == NULL)
    return -1;
  if (vasprintf (&base, fmt, ap) < 0)
    base = NULL;
  if (base != NULL && errnum != 0)
    {
      if (asprintf (&full, "%s: %s", base, strerror (errnum)) < 0)
        full = NULL;
      free (base);
    }
  else
    full = base;

  hull_error_release (err);
  *err = calloc (1, sizeof (**err));
  if (*err == NULL)
    {
      free (full);
      return -1;
    }
  (*err)->errnum = errnum;
  (*err)->msg = full != NULL ? full : strdup ("out of memory");
  return -1;
}

int
hull_error (hull_err *err, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  hull_error_v (err, errnum, fmt, ap);
  va_end (ap);
  return -1;
}

int
hull_error_wrap (hull_err *err, const char *fmt, ...)
{
  char *prefix = NULL;
  char *full = NULL;
  va_list ap;

  if (err == NULL || *err == NULL)
    return -1;
  va_start (ap, fmt);
  if (vasprintf (&prefix, fmt, ap) < 0)
    prefix = NULL;
  va_end (ap);
  if (prefix == NULL)
    return -1;
  if (asprintf (&full, "%s: %s", prefix, (*err)->msg) >= 0)
    {
      free ((*err)->msg);
      (*err)->msg = full;
    }
  free (prefix);
  return -1;
}

void
hull_error_release (hull_err *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}

int
hull_error_from_wire (hull_err *err, int errnum, const char *msg)
{
  hull_error_release (err);
  *err = calloc (1, sizeof (**err));
  if (*err == NULL)
    return -1;
  (*err)->errnum = errnum;
  (*err)->msg = strdup (msg != NULL ? msg : "unknown error");
  return -1;
}

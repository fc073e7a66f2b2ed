/* The VMM's own error style: a fixed-size message in the caller's struct,
   -errno as the return value.  No allocation, usable from vCPU threads. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "microvm/vmm/vmm.h"

int
vmm_errorf (struct vmm_err *err, int errnum, const char *fmt, ...)
{
  if (err != NULL)
    {
      va_list ap;
      int n;

      va_start (ap, fmt);
      n = vsnprintf (err->msg, sizeof err->msg, fmt, ap);
      va_end (ap);
      if (n < 0)
        err->msg[0] = '\0';
      if (errnum != 0)
        {
          size_t used = strlen (err->msg);
          snprintf (err->msg + used, sizeof err->msg - used, ": %s", strerror (errnum));
        }
      err->errnum = errnum;
    }
  return errnum != 0 ? -errnum : -EINVAL;
}

int
vmm_error_wrap (struct vmm_err *err, const char *fmt, ...)
{
  char prefix[256], old[sizeof err->msg];
  va_list ap;

  if (err == NULL)
    return -EINVAL;
  va_start (ap, fmt);
  vsnprintf (prefix, sizeof prefix, fmt, ap);
  va_end (ap);
  memcpy (old, err->msg, sizeof old);
  /* Truncation keeps the start of both parts: the message stays one line. */
  if (snprintf (err->msg, sizeof err->msg, "%.255s: %.250s", prefix, old) < 0)
    err->msg[0] = '\0';
  return err->errnum != 0 ? -err->errnum : -EINVAL;
}

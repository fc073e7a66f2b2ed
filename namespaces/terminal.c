#include "namespaces/ns_internal.h"

int
terminal_setup (struct ns_init *in, hull_err *err)
{
  if (in->process->terminal)
    return hull_error (err, 0, "process.terminal: not supported yet");
  return 0;
}

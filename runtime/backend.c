#include "runtime/backend.h"

#include <string.h>

#include "microvm/microvm_backend.h"

static const struct hull_backend *const backends[] = {
  &hull_backend_container,
  &hull_backend_microvm,
};

int
hull_backend_find (const char *isolation, const struct hull_backend **out, hull_err *err)
{
  if (isolation == NULL)
    isolation = HULL_ISOLATION_CONTAINER;
  for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
    if (strcmp (backends[i]->name, isolation) == 0)
      {
        *out = backends[i];
        return 0;
      }
  if (strcmp (isolation, HULL_ISOLATION_MICROVM) == 0)
    return hull_error (err, 0, "isolation microvm is not available yet");
  return hull_error (err, 0, "unknown isolation `%s`", isolation);
}

/* Container ids: the same rule as runc ([\w+-.]+, not "." or "..", no "/"),
   so an id is always a single safe path component under the state root and
   in cgroup paths. */
#ifndef HULL_ID_H
#define HULL_ID_H

#include "runtime/error.h"

#define HULL_ID_MAX 1024

int hull_id_validate (const char *id, hull_err *err);

#endif

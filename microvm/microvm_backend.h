/* The microVM isolation backend (microvm/backend_microvm.c), for the
   runtime's backend table (runtime/backend.c). */
#ifndef HULL_MICROVM_BACKEND_H
#define HULL_MICROVM_BACKEND_H

#include "runtime/backend.h"

extern const struct hull_backend hull_backend_microvm;


#endif

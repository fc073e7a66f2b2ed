/* Guest physical memory as the host sees it.  Every guest-supplied address
   goes through guest_mem_range(): a range is usable only if it lies wholly
   inside guest RAM (overflow-safe).  A NULL return is the guest's fault and
   must fail the request, never crash the VMM. */
#ifndef HULL_VMM_GUEST_MEM_H
#define HULL_VMM_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct guest_mem
{
  uint8_t *host;   /* mapping of the memfd, guest physical address 0 */
  uint64_t size;   /* bytes */
  int memfd;       /* -1 for simulated memory in tests */
};

static inline void *
guest_mem_range (const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
  if (m == NULL || m->host == NULL)
    return NULL;
  if (gpa > m->size || len > m->size - gpa)
    return NULL;
  return m->host + gpa;
}

static inline bool
guest_mem_read (const struct guest_mem *m, uint64_t gpa, void *dst, uint64_t len)
{
  const void *src = guest_mem_range (m, gpa, len);
  if (src == NULL)
    return false;
  __builtin_memcpy (dst, src, len);
  return true;
}

static inline bool
guest_mem_write (const struct guest_mem *m, uint64_t gpa, const void *src, uint64_t len)
{
  void *dst = guest_mem_range (m, gpa, len);
  if (dst == NULL)
    return false;
  __builtin_memcpy (dst, src, len);
  return true;
}

#endif

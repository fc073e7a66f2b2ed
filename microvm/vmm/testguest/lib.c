/* The few libc pieces the compiler and the guest need. */
#include "tg.h"

size_t
tg_strlen (const char *s)
{
  size_t n = 0;
  while (s[n])
    n++;
  return n;
}

int
tg_strncmp (const char *a, const char *b, size_t n)
{
  for (; n > 0; n--, a++, b++)
    {
      if (*a != *b)
        return (unsigned char) *a - (unsigned char) *b;
      if (*a == '\0')
        return 0;
    }
  return 0;
}

int
tg_strcmp (const char *a, const char *b)
{
  return tg_strncmp (a, b, (size_t) -1);
}

void *
memset (void *d, int c, size_t n)
{
  unsigned char *p = d;
  while (n--)
    *p++ = (unsigned char) c;
  return d;
}

void *
memcpy (void *d, const void *s, size_t n)
{
  unsigned char *p = d;
  const unsigned char *q = s;
  while (n--)
    *p++ = *q++;
  return d;
}

/* Minimal TAP producer for C unit tests: each test binary prints a plan,
   "ok N - name" / "not ok N - name" lines, and exits non-zero on failure. */
#ifndef HULL_TAP_H
#define HULL_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

#define TAP_OK(cond, ...)                                                      \
  do {                                                                         \
    int tap_c_ = !!(cond);                                                     \
    tap_n++;                                                                   \
    if (!tap_c_) tap_failed++;                                                 \
    printf ("%sok %d - ", tap_c_ ? "" : "not ", tap_n);                        \
    printf (__VA_ARGS__);                                                      \
    printf ("\n");                                                             \
    if (!tap_c_) printf ("# failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);\
    fflush (stdout);                                                           \
  } while (0)

#define TAP_EQ_INT(a, b, ...)                                                  \
  do {                                                                         \
    long long tap_a_ = (long long) (a), tap_b_ = (long long) (b);              \
    TAP_OK (tap_a_ == tap_b_, __VA_ARGS__);                                    \
    if (tap_a_ != tap_b_) printf ("# got %lld, expected %lld\n", tap_a_, tap_b_); \
  } while (0)

#define TAP_EQ_STR(a, b, ...)                                                  \
  do {                                                                         \
    const char *tap_a_ = (a), *tap_b_ = (b);                                   \
    int tap_eq_ = tap_a_ && tap_b_ && strcmp (tap_a_, tap_b_) == 0;            \
    TAP_OK (tap_eq_, __VA_ARGS__);                                             \
    if (!tap_eq_) printf ("# got \"%s\", expected \"%s\"\n", tap_a_ ? tap_a_ : "(null)", tap_b_ ? tap_b_ : "(null)"); \
  } while (0)

static inline int
tap_done (void)
{
  printf ("1..%d\n", tap_n);
  return tap_failed ? 1 : 0;
}

#endif

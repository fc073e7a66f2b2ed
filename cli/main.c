#include <stdio.h>
int
main (void)
{
  fputs ("hull: not built yet\n", stderr);
  return 1;
}

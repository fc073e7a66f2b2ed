#include <unistd.h>

#include "runtime/process.h"
#include "runtime/status.h"
#include "tests/unit/tap.h"

static const char *
compute (int pid, bool busy, bool alive, bool fifo, bool frozen)
{
  struct hull_observation o = { .pid = pid, .create_busy = busy, .init_alive = alive, .exec_fifo = fifo, .frozen = frozen };
  return hull_state_name (hull_state_compute (&o));
}

int
main (void)
{
  unsigned long long t = 0, t2 = 0;
  char state = 0;
  hull_err err = NULL;

  /* runtime-spec "State": the transitions hull reports. */
  TAP_EQ_STR (compute (0, true, false, true, false), "creating", "no init yet, create holds the lock");
  TAP_EQ_STR (compute (0, false, false, true, false), "stopped", "no init and no create: a dead create");
  TAP_EQ_STR (compute (42, false, true, true, false), "created", "init alive, exec.fifo present");
  TAP_EQ_STR (compute (42, false, true, false, false), "running", "init alive, fifo consumed");
  TAP_EQ_STR (compute (42, false, true, false, true), "paused", "init alive, cgroup frozen");
  TAP_EQ_STR (compute (42, false, false, false, false), "stopped", "init dead after start");
  TAP_EQ_STR (compute (42, false, false, true, false), "stopped", "init dead before start");
  TAP_EQ_STR (compute (42, true, false, false, true), "stopped", "a dead init wins over everything");

  /* /proc/<pid>/stat parsing: comm may hold spaces and parentheses. */
  TAP_EQ_INT (hull_process_stat_parse ("123 (a) b) c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 999 20 21", &t,
                                       &state),
              0, "parse stat with ') ' in comm");
  TAP_EQ_INT (t, 999, "start time is field 22");
  TAP_EQ_INT (state, 'S', "state is field 3");
  TAP_EQ_INT (hull_process_stat_parse ("1 (x) R 1 2", &t, &state), -1, "short stat is an error");
  TAP_EQ_INT (hull_process_stat_parse ("garbage", &t, &state), -1, "no comm is an error");

  TAP_EQ_INT (hull_process_stat (getpid (), &t, &state, &err), 0, "stat of ourselves");
  TAP_OK (t > 0 && state == 'R', "we are running, start time %llu", t);
  TAP_OK (hull_process_alive (getpid (), t), "alive with our start time");
  TAP_OK (!hull_process_alive (getpid (), t + 1), "a different start time means pid reuse");
  TAP_OK (!hull_process_alive (0, 0), "pid 0 is never alive");
  TAP_EQ_INT (hull_process_stat (getppid (), &t2, NULL, &err), 0, "stat of the parent");
  return tap_done ();
}

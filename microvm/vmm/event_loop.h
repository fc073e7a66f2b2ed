/* The VMM's single epoll loop: device back ends (ioeventfds, TAP, console
   fds, signalfd) register an fd and a callback. */
#ifndef HULL_VMM_EVENT_LOOP_H
#define HULL_VMM_EVENT_LOOP_H

#include <stdint.h>

typedef void (*event_cb) (void *opaque, uint32_t epoll_events);

struct event_loop;

struct event_loop *event_loop_new (void);
void event_loop_free (struct event_loop *loop);
int event_loop_add (struct event_loop *loop, int fd, uint32_t epoll_events, event_cb cb, void *opaque);
int event_loop_modify (struct event_loop *loop, int fd, uint32_t epoll_events);
int event_loop_del (struct event_loop *loop, int fd);
/* Waits up to timeout_ms (-1: forever) and runs the ready callbacks.
   Returns the number run, or -errno. */
int event_loop_run_once (struct event_loop *loop, int timeout_ms);
/* Makes event_loop_run() return (thread-safe, async-signal-safe). */
void event_loop_stop (struct event_loop *loop);
int event_loop_run (struct event_loop *loop);

#endif

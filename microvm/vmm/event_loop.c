/* One epoll instance; callbacks registered per fd.  Stopping uses an
   eventfd so event_loop_stop() works from any thread or signal handler. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "microvm/vmm/event_loop.h"

#define EVENT_LOOP_MAX_FDS 64

struct event_handler
{
  int fd;        /* -1: free slot */
  event_cb cb;
  void *opaque;
};

struct event_loop
{
  int epfd;
  int stop_fd;
  volatile int stopped;
  struct event_handler handlers[EVENT_LOOP_MAX_FDS];
};

struct event_loop *
event_loop_new (void)
{
  struct event_loop *loop = calloc (1, sizeof *loop);
  struct epoll_event ev = { .events = EPOLLIN };
  size_t i;

  if (loop == NULL)
    return NULL;
  for (i = 0; i < EVENT_LOOP_MAX_FDS; i++)
    loop->handlers[i].fd = -1;
  loop->epfd = epoll_create1 (EPOLL_CLOEXEC);
  loop->stop_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  ev.data.ptr = NULL;   /* NULL marks the stop eventfd */
  if (loop->epfd < 0 || loop->stop_fd < 0 || epoll_ctl (loop->epfd, EPOLL_CTL_ADD, loop->stop_fd, &ev) < 0)
    {
      event_loop_free (loop);
      return NULL;
    }
  return loop;
}

void
event_loop_free (struct event_loop *loop)
{
  if (loop == NULL)
    return;
  if (loop->epfd >= 0)
    close (loop->epfd);
  if (loop->stop_fd >= 0)
    close (loop->stop_fd);
  free (loop);
}

static struct event_handler *
find_handler (struct event_loop *loop, int fd)
{
  size_t i;
  for (i = 0; i < EVENT_LOOP_MAX_FDS; i++)
    if (loop->handlers[i].fd == fd)
      return &loop->handlers[i];
  return NULL;
}

int
event_loop_add (struct event_loop *loop, int fd, uint32_t epoll_events, event_cb cb, void *opaque)
{
  struct event_handler *h;
  struct epoll_event ev = { .events = epoll_events };

  if (fd < 0 || cb == NULL)
    return -EINVAL;
  if (find_handler (loop, fd) != NULL)
    return -EEXIST;
  h = find_handler (loop, -1);
  if (h == NULL)
    return -ENOSPC;
  ev.data.ptr = h;
  if (epoll_ctl (loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    return -errno;
  h->fd = fd;
  h->cb = cb;
  h->opaque = opaque;
  return 0;
}

int
event_loop_modify (struct event_loop *loop, int fd, uint32_t epoll_events)
{
  struct event_handler *h = find_handler (loop, fd);
  struct epoll_event ev = { .events = epoll_events };

  if (fd < 0 || h == NULL)
    return -ENOENT;
  ev.data.ptr = h;
  if (epoll_ctl (loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
    return -errno;
  return 0;
}

int
event_loop_del (struct event_loop *loop, int fd)
{
  struct event_handler *h = fd >= 0 ? find_handler (loop, fd) : NULL;

  if (h == NULL)
    return -ENOENT;
  /* The fd may already be closed; the slot is freed either way. */
  epoll_ctl (loop->epfd, EPOLL_CTL_DEL, fd, NULL);
  h->fd = -1;
  h->cb = NULL;
  h->opaque = NULL;
  return 0;
}

int
event_loop_run_once (struct event_loop *loop, int timeout_ms)
{
  struct epoll_event evs[16];
  int n, i, ran = 0;

  n = epoll_wait (loop->epfd, evs, 16, timeout_ms);
  if (n < 0)
    return errno == EINTR ? 0 : -errno;
  for (i = 0; i < n; i++)
    {
      struct event_handler *h = evs[i].data.ptr;
      if (h == NULL)
        {
          uint64_t v;
          if (read (loop->stop_fd, &v, sizeof v) < 0)
            { /* already drained */ }
          loop->stopped = 1;
          continue;
        }
      /* A callback earlier in this batch may have removed this handler. */
      if (h->fd < 0 || h->cb == NULL)
        continue;
      h->cb (h->opaque, evs[i].events);
      ran++;
    }
  return ran;
}

void
event_loop_stop (struct event_loop *loop)
{
  uint64_t one = 1;
  loop->stopped = 1;
  if (write (loop->stop_fd, &one, sizeof one) < 0)
    { /* counter saturated: a stop is already pending */ }
}

int
event_loop_run (struct event_loop *loop)
{
  while (!loop->stopped)
    {
      int r = event_loop_run_once (loop, -1);
      if (r < 0)
        return r;
    }
  return 0;
}

/* The per-container state directory <root>/<id>/ and its lock.
 *
 * The directory holds state.json (oci-spec/hull_status.h), the config.json
 * create read, a lock file and, between create and start, exec.fifo.  The
 * lock is a POSIX record lock on <dir>/lock: exclusive for commands that
 * change the container (create, start, delete), shared for those that only
 * act on it (kill).  Record locks, unlike flock(), are not inherited by the
 * container init that create forks, so the lock ends with the command.
 * state and list take no lock; state.json is always replaced atomically.
 *
 * create builds the directory under a temporary name, locks it, writes a
 * first state.json, and renames it into place with RENAME_NOREPLACE, so a
 * duplicate id fails before anything is spawned and no command ever sees a
 * half-made directory.  A command that waited for the lock while the
 * container was deleted sees the directory unlinked and reports that the
 * container does not exist.
 */
#ifndef HULL_STATE_DIR_H
#define HULL_STATE_DIR_H

#include <stdbool.h>

#include "oci-spec/hull_status.h"
#include "runtime/error.h"

#define HULL_STATE_FILE "state.json"
#define HULL_EXEC_FIFO "exec.fifo"
#define HULL_LOCK_FILE "lock"
#define HULL_CGROUP_FILE "cgroup"   /* the cgroup path alone, for recovery */

enum hull_lock { HULL_LOCK_NONE, HULL_LOCK_SHARED, HULL_LOCK_EXCLUSIVE };

struct hull_state_dir
{
  char *root;
  char *id;
  char *path;   /* <root>/<id> */
  int dirfd;
  int lockfd;   /* <dir>/lock, holding the lock; -1 with HULL_LOCK_NONE */
};

/* Makes <root>/<id> (and root), locked exclusively, holding `first`. */
int hull_state_dir_create (const char *root, const char *id, const struct hull_status *first,
                           struct hull_state_dir **out, hull_err *err);
/* Opens an existing container: "container X does not exist" otherwise. */
int hull_state_dir_open (const char *root, const char *id, enum hull_lock lock, struct hull_state_dir **out,
                         hull_err *err);
/* True while another process holds the exclusive lock (create in progress). */
bool hull_state_dir_busy (const struct hull_state_dir *sd);
void hull_state_dir_free (struct hull_state_dir *sd);
void hull_state_dir_freep (struct hull_state_dir **sd);
#define cleanup_state_dir __attribute__ ((cleanup (hull_state_dir_freep)))

/* Removes every file in the directory and the directory (lock held). */
int hull_state_dir_remove (struct hull_state_dir *sd, hull_err *err);

int hull_state_read (struct hull_state_dir *sd, struct hull_status *st, hull_err *err);
int hull_state_write (struct hull_state_dir *sd, const struct hull_status *st, hull_err *err);
/* Absolute path of a file in the directory (malloc'd). */
char *hull_state_path (const struct hull_state_dir *sd, const char *name);
bool hull_state_has (const struct hull_state_dir *sd, const char *name);

/* Every valid container id under root, sorted.  A missing root is empty. */
int hull_state_list_ids (const char *root, char ***ids, size_t *n, hull_err *err);

#endif

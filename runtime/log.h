/* Logging and error reporting, as containerd expects from runc:
 *   - every error is one line "hull: <msg>" on stderr;
 *   - with --log FILE the same error is appended to FILE, as a JSON line
 *     {"level":"error","msg":"...","time":"..."} with --log-format json
 *     (containerd's shim reads the last such line of log.json), or as a
 *     logfmt line with --log-format text;
 *   - warnings always, debug lines only with --debug.
 * The log is process-global: set up once by the CLI before any command.
 */
#ifndef HULL_LOG_H
#define HULL_LOG_H

#include <stdbool.h>

#include "runtime/error.h"

enum hull_log_format { HULL_LOG_TEXT, HULL_LOG_JSON };

int hull_log_parse_format (const char *name, enum hull_log_format *out, hull_err *err);
/* path may be NULL (stderr only).  The file is opened O_APPEND|O_CLOEXEC. */
int hull_log_setup (const char *path, enum hull_log_format format, bool debug, hull_err *err);
bool hull_log_debug_enabled (void);
/* Whether fd is the log file's (opened at fd HULL_LOG_FD_FLOOR or above
   where the fd limit allows), so not a caller's fd to preserve. */
#define HULL_LOG_FD_FLOOR 256
bool hull_log_owns_fd (int fd);

void hull_log_error (const char *msg);
void hull_log_warning (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
void hull_log_debug (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Report an error (stderr + log file) and release it. */
void hull_report_error (hull_err *err);

#endif

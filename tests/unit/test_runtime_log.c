/* --log / --log-format / --debug: what lands in the log file. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/log.h"
#include "runtime/util.h"
#include "tests/unit/tap.h"

int
main (void)
{
  char path[] = "/tmp/hull-test-log-XXXXXX";
  enum hull_log_format f;
  hull_err err = NULL;
  char *data = NULL;
  size_t len;
  int fd = mkstemp (path);

  if (fd < 0)
    return 1;
  close (fd);
  TAP_EQ_INT (hull_log_parse_format ("json", &f, &err), 0, "json is a format");
  TAP_EQ_INT (f, HULL_LOG_JSON, "json parsed");
  TAP_EQ_INT (hull_log_parse_format ("xml", &f, &err), -1, "xml is not");
  hull_error_release (&err);

  TAP_EQ_INT (hull_log_setup (path, HULL_LOG_JSON, false, &err), 0, "json log set up");
  hull_log_error ("first \"quoted\"\nline");
  hull_log_debug ("not written without --debug");
  hull_log_setup (path, HULL_LOG_JSON, true, &err);
  hull_log_debug ("debug %d", 42);
  hull_error (&err, 2, "open `x`");
  hull_report_error (&err);
  TAP_OK (err == NULL, "report releases the error");

  TAP_EQ_INT (read_file (path, &data, &len, &err), 0, "read the log");
  {
    char *l1 = data, *l2 = strchr (l1, '\n'), *l3;
    TAP_OK (l2 != NULL, "one line per entry");
    *l2++ = '\0';
    l3 = strchr (l2, '\n');
    TAP_OK (l3 != NULL, "a second line");
    *l3++ = '\0';
    TAP_OK (strncmp (l1, "{\"level\":\"error\",\"msg\":\"first \\\"quoted\\\"\\nline\",\"time\":\"", 55) == 0,
            "error line escaped: %s", l1);
    TAP_OK (strstr (l2, "\"level\":\"debug\"") && strstr (l2, "\"msg\":\"debug 42\""), "debug line: %s", l2);
    TAP_OK (strstr (l3, "\"msg\":\"open `x`: No such file or directory\""), "reported error: %s", l3);
    TAP_OK (strchr (l3, '\n') != NULL && strchr (l3, '\n')[1] == '\0', "three lines in all");
  }
  free (data);

  unlink (path);
  TAP_EQ_INT (hull_log_setup (path, HULL_LOG_TEXT, false, &err), 0, "text log set up");
  hull_log_error ("plain \"text\"");
  TAP_EQ_INT (read_file (path, &data, &len, &err), 0, "read the text log");
  TAP_OK (strstr (data, "level=error msg=\"plain \\\"text\\\"\"\n") != NULL, "logfmt line: %s", data);
  free (data);
  unlink (path);
  TAP_EQ_INT (hull_log_setup ("/nonexistent/dir/log", HULL_LOG_JSON, false, &err), -1, "unwritable log path");
  hull_error_release (&err);
  return tap_done ();
}

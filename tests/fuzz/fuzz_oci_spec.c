/* libFuzzer target for everything oci-spec/ reads from untrusted bytes:
   config.json, `exec --process`, `update --resources` and the status file.
   Properties checked besides "no crash, no leak, no UB":
   - a status document that parses writes back to JSON that parses to the
     same text (round trip is stable), and so does a resources object
     (what `update` stores);
   - any bytes given as a log message produce a line that is valid JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "oci-spec/hull_status.h"
#include "oci-spec/oci_spec.h"
#include "oci-spec/resources_json.h"

static void
check_status_round_trip (const char *data, size_t size)
{
  struct hull_status st, back;
  hull_err err = NULL;
  char *first, *second;

  if (hull_status_parse (data, size, &st, &err) < 0)
    {
      hull_error_release (&err);
      return;
    }
  first = hull_status_to_json (&st);
  if (hull_status_parse (first, strlen (first), &back, &err) < 0)
    abort ();
  second = hull_status_to_json (&back);
  if (strcmp (first, second) != 0)
    abort ();
  free (first);
  free (second);
  hull_status_clear (&st);
  hull_status_clear (&back);
}

static void
check_resources_round_trip (const struct oci_resources *r)
{
  hull_err err = NULL;
  char *first = oci_resources_json (r), *second;
  struct oci_resources *back = oci_resources_parse (first, strlen (first), &err);

  if (back == NULL)
    abort ();
  second = oci_resources_json (back);
  if (strcmp (first, second) != 0)
    abort ();
  free (first);
  free (second);
  oci_resources_free (back);
}

static void
check_log_line (const char *data, size_t size)
{
  char errbuf[128];
  char *msg = malloc (size + 1);
  char *line;
  yajl_val tree;

  memcpy (msg, data, size);
  msg[size] = '\0';
  line = hull_log_json_line ("error", msg, "2026-01-01T00:00:00Z");
  tree = yajl_tree_parse (line, errbuf, sizeof (errbuf));
  if (tree == NULL || strchr (line, '\n') != NULL)
    abort ();
  yajl_tree_free (tree);
  free (line);
  free (msg);
}

int
LLVMFuzzerTestOneInput (const uint8_t *bytes, size_t size)
{
  const char *data = (const char *) bytes;
  hull_err err = NULL;
  struct oci_spec *spec;
  struct oci_process *proc;
  struct oci_resources *res;

  spec = oci_spec_parse (data, size, &err);
  if (spec == NULL && (err == NULL || strchr (err->msg, '\n') != NULL))
    abort ();   /* every failure carries a one-line message */
  if (spec != NULL)
    {
      struct oci_state st = { .id = "fuzz", .status = "created", .pid = 1, .bundle = "/b",
                              .annotations = &spec->annotations };
      char *json = oci_state_json (&st, true);
      free (json);
    }
  oci_spec_free (spec);
  hull_error_release (&err);

  proc = oci_process_parse (data, size, &err);
  oci_process_free (proc);
  hull_error_release (&err);

  res = oci_resources_parse (data, size, &err);
  if (res != NULL)
    check_resources_round_trip (res);
  oci_resources_free (res);
  hull_error_release (&err);

  check_status_round_trip (data, size);
  if (size < 4096)
    check_log_line (data, size);
  return 0;
}

/* oci-spec/: linux.resources written back (what `update` stores) and the
   `events` lines.  The resources writer must keep every field: a document
   using all of them, parsed and written again, is the same JSON tree. */
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "oci-spec/events_json.h"
#include "oci-spec/oci_spec.h"
#include "oci-spec/resources_json.h"
#include "tests/unit/tap.h"

static const char all_resources[] = "{"
  "\"devices\": [{\"allow\": false, \"access\": \"rwm\"}, {\"allow\": true, \"type\": \"c\", \"major\": 10, \"minor\": 229, \"access\": \"rw\"}],"
  "\"memory\": {\"limit\": 536870912, \"reservation\": 268435456, \"swap\": -1, \"kernel\": 1, \"kernelTCP\": 2,"
  "  \"swappiness\": 60, \"disableOOMKiller\": false, \"useHierarchy\": true, \"checkBeforeUpdate\": true},"
  "\"cpu\": {\"shares\": 1024, \"quota\": 50000, \"burst\": 1000, \"period\": 100000, \"realtimeRuntime\": 950000,"
  "  \"realtimePeriod\": 1000000, \"cpus\": \"0-1\", \"mems\": \"0\", \"idle\": 1},"
  "\"pids\": {\"limit\": 100},"
  "\"blockIO\": {\"weight\": 500, \"leafWeight\": 300,"
  "  \"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 600, \"leafWeight\": 200}],"
  "  \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 1048576}],"
  "  \"throttleWriteBpsDevice\": [{\"major\": 8, \"minor\": 1, \"rate\": 2097152}],"
  "  \"throttleReadIOPSDevice\": [{\"major\": 8, \"minor\": 2, \"rate\": 100}],"
  "  \"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 3, \"rate\": 18446744073709551615}]},"
  "\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 209715200}, {\"pageSize\": \"1GB\", \"limit\": 0}],"
  "\"network\": {\"classID\": 1048577, \"priorities\": [{\"name\": \"eth0\", \"priority\": 500}]},"
  "\"rdma\": {\"mlx5_1\": {\"hcaHandles\": 3, \"hcaObjects\": 10000}},"
  "\"unified\": {\"memory.high\": \"1G\", \"io.weight\": \"100\"}"
  "}";

/* Same JSON value: objects compared as sets of members, numbers as text. */
static int
json_equal (yajl_val a, yajl_val b)
{
  size_t i, j;
  if (a == NULL || b == NULL || a->type != b->type)
    return 0;
  switch (a->type)
    {
    case yajl_t_string:
      return strcmp (a->u.string, b->u.string) == 0;
    case yajl_t_number:
      return strcmp (a->u.number.r, b->u.number.r) == 0;
    case yajl_t_array:
      if (a->u.array.len != b->u.array.len)
        return 0;
      for (i = 0; i < a->u.array.len; i++)
        if (!json_equal (a->u.array.values[i], b->u.array.values[i]))
          return 0;
      return 1;
    case yajl_t_object:
      if (a->u.object.len != b->u.object.len)
        return 0;
      for (i = 0; i < a->u.object.len; i++)
        {
          for (j = 0; j < b->u.object.len; j++)
            if (strcmp (a->u.object.keys[i], b->u.object.keys[j]) == 0)
              break;
          if (j == b->u.object.len || !json_equal (a->u.object.values[i], b->u.object.values[j]))
            return 0;
        }
      return 1;
    default:
      return 1;
    }
}

static void
test_resources_round_trip (void)
{
  hull_err err = NULL;
  char errbuf[128];
  struct oci_resources *r = oci_resources_parse (all_resources, strlen (all_resources), &err), *again;
  char *json, *json2;
  yajl_val in, out;

  TAP_OK (r != NULL, "resources with every field parse");
  if (r == NULL)
    return;
  json = oci_resources_json (r);
  in = yajl_tree_parse (all_resources, errbuf, sizeof (errbuf));
  out = yajl_tree_parse (json, errbuf, sizeof (errbuf));
  TAP_OK (out != NULL, "written resources are valid JSON");
  TAP_OK (json_equal (in, out), "written resources hold every field with its value");
  if (!json_equal (in, out))
    printf ("# written: %s\n", json);
  again = oci_resources_parse (json, strlen (json), &err);
  TAP_OK (again != NULL, "written resources parse back");
  json2 = again ? oci_resources_json (again) : NULL;
  TAP_EQ_STR (json2, json, "second round trip is byte-identical");
  yajl_tree_free (in);
  yajl_tree_free (out);
  free (json);
  free (json2);
  oci_resources_free (r);
  oci_resources_free (again);

  r = oci_resources_parse ("{}", 2, &err);
  json = oci_resources_json (r);
  TAP_EQ_STR (json, "{}", "empty resources write as {}");
  free (json);
  oci_resources_free (r);
}

static void
test_events (void)
{
  struct oci_event_stats s = { .cpu_total_ns = 3, .cpu_kernel_ns = 1, .cpu_user_ns = 2, .cpu_throttled_periods = 4,
                               .cpu_throttled_ns = 5, .memory_usage = 6, .memory_limit = 7, .memory_max_usage = 8,
                               .swap_usage = 9, .oom_kill_count = 10, .pids_current = 11, .pids_limit = 12 };
  char *json = oci_event_json ("oom", "c\"1", NULL);
  TAP_EQ_STR (json, "{\"type\":\"oom\",\"id\":\"c\\\"1\"}", "oom event, id escaped");
  free (json);
  json = oci_event_json ("stats", "c1", &s);
  TAP_EQ_STR (json,
              "{\"type\":\"stats\",\"id\":\"c1\",\"data\":{\"cpu\":{\"usage\":{\"total\":3,\"kernel\":1,\"user\":2},"
              "\"throttling\":{\"throttledPeriods\":4,\"throttledTime\":5}},\"memory\":{\"usage\":{\"limit\":7,"
              "\"usage\":6,\"max\":8,\"failcnt\":0},\"swap\":{\"limit\":0,\"usage\":9,\"failcnt\":0},\"raw\":"
              "{\"oom_kill\":10}},\"pids\":{\"current\":11,\"limit\":12}}}",
              "stats event in runc's shape");
  free (json);
}

int
main (void)
{
  test_resources_round_trip ();
  test_events ();
  return tap_done ();
}

/* runtime/update.c, the parts without a kernel: sizes as runc reads them,
   runc's flags to linux.resources, merging an update into the stored
   resources. */
#include <stdlib.h>
#include <string.h>

#include "oci-spec/resources_json.h"
#include "runtime/update.h"
#include "tests/unit/tap.h"

static long long
size_of (const char *s, int *ok)
{
  hull_err err = NULL;
  int64_t v = 0;
  *ok = hull_parse_ram_size (s, &v, &err) == 0;
  hull_error_release (&err);
  return v;
}

static void
test_sizes (void)
{
  static const struct { const char *in; long long want; } good[] = {
    { "0", 0 }, { "1024", 1024 }, { "100M", 100LL << 20 }, { "100m", 100LL << 20 }, { "1g", 1LL << 30 },
    { "1G", 1LL << 30 }, { "1.5g", 3LL << 29 }, { "512k", 512LL << 10 }, { "512KiB", 512LL << 10 },
    { "512kb", 512LL << 10 }, { "2 MB", 2LL << 20 }, { "1t", 1LL << 40 }, { "1p", 1LL << 50 }, { "-1", -1 },
    { "10b", 10 },
  };
  static const char *const bad[] = { "", "x", "12x", "-2", "1.5.5g", "k", "1gg", "1 g b", " 1", "99999999999999999999" };
  int ok;

  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    {
      long long v = size_of (good[i].in, &ok);
      TAP_OK (ok && v == good[i].want, "size `%s` is %lld (got %lld)", good[i].in, good[i].want, v);
    }
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      size_of (bad[i], &ok);
      TAP_OK (!ok, "size `%s` is refused", bad[i]);
    }
}

static char *
flags_json (const struct hull_update_opts *o, char **error)
{
  struct oci_resources *r = NULL;
  hull_err err = NULL;
  char *json;

  *error = NULL;
  if (hull_update_resources_from_flags (o, &r, &err) < 0)
    {
      *error = strdup (err->msg);
      hull_error_release (&err);
      return NULL;
    }
  json = oci_resources_json (r);
  oci_resources_free (r);
  return json;
}

static void
test_flags (void)
{
  char *json, *error;

  {
    struct hull_update_opts o = { .memory = "100M", .pids_limit = "50" };
    json = flags_json (&o, &error);
    TAP_EQ_STR (json, "{\"memory\":{\"limit\":104857600},\"pids\":{\"limit\":50}}", "--memory and --pids-limit only");
    free (json);
  }
  {
    struct hull_update_opts o = { .cpu_share = "512", .cpu_quota = "-1", .cpu_period = "100000",
                                  .cpuset_cpus = "0-1", .blkio_weight = "300", .memory_swap = "-1" };
    json = flags_json (&o, &error);
    TAP_EQ_STR (json,
                "{\"memory\":{\"swap\":-1},\"cpu\":{\"shares\":512,\"quota\":-1,\"period\":100000,\"cpus\":\"0-1\"},"
                "\"blockIO\":{\"weight\":300}}",
                "cpu, blkio and swap flags");
    free (json);
  }
  {
    struct hull_update_opts o = { .blkio_weight = "0", .cpuset_mems = "" };
    json = flags_json (&o, &error);
    TAP_EQ_STR (json, "{}", "a zero blkio weight and an empty cpuset mean not given, as runc");
    free (json);
  }
  {
    struct hull_update_opts o = { .memory = "100M", .cpu_share = "-5" };
    json = flags_json (&o, &error);
    TAP_OK (json == NULL && error && strstr (error, "--cpu-share"), "a negative --cpu-share is refused: %s",
            error ? error : "");
    free (json);
    free (error);
  }
  {
    struct hull_update_opts o = { .cpu_burst = "-5" };
    json = flags_json (&o, &error);
    TAP_OK (json == NULL && error && strstr (error, "--cpu-burst"), "a negative --cpu-burst is refused");
    free (json);
    free (error);
  }
  {
    struct hull_update_opts o = { .l3_cache_schema = "L3:0=f" };
    json = flags_json (&o, &error);
    TAP_OK (json == NULL && error && strstr (error, "Intel RDT"), "--l3-cache-schema is refused");
    free (json);
    free (error);
  }
}

static struct oci_resources *
parse (const char *json)
{
  hull_err err = NULL;
  struct oci_resources *r = oci_resources_parse (json, strlen (json), &err);
  hull_error_release (&err);
  return r;
}

static void
test_merge (void)
{
  struct oci_resources *base = parse ("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],"
                                      "\"memory\":{\"limit\":1000,\"swap\":2000},\"cpu\":{\"shares\":100,\"cpus\":\"0\"},"
                                      "\"pids\":{\"limit\":10},\"unified\":{\"a\":\"1\"}}");
  struct oci_resources *upd = parse ("{\"devices\":[{\"allow\":true,\"access\":\"rwm\"}],"
                                     "\"memory\":{\"limit\":3000},\"cpu\":{\"cpus\":\"1\",\"quota\":5},"
                                     "\"blockIO\":{\"weight\":200},\"pids\":{\"limit\":0},\"unified\":{\"b\":\"2\",\"a\":\"3\"}}");
  char *json;

  TAP_OK (base && upd, "merge inputs parse");
  if (!base || !upd)
    return;
  hull_resources_merge (base, upd);
  json = oci_resources_json (base);
  TAP_EQ_STR (json,
              "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],\"memory\":{\"limit\":3000,\"swap\":2000},"
              "\"cpu\":{\"shares\":100,\"quota\":5,\"cpus\":\"1\"},\"pids\":{\"limit\":10},\"blockIO\":{\"weight\":200},"
              "\"unified\":{\"a\":\"3\",\"b\":\"2\"}}",
              "an update merges field by field; devices and a zero pids limit are left alone");
  free (json);
  oci_resources_free (base);
  oci_resources_free (upd);

}

int
main (void)
{
  test_sizes ();
  test_flags ();
  test_merge ();
  return tap_done ();
}

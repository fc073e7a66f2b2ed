/* oci-spec/: the documents hull writes: status file round trips, state,
   list, log lines, seccomp listener state, pids, default spec, features. */
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "oci-spec/hull_status.h"
#include "oci-spec/oci_spec.h"
#include "tests/unit/tap.h"

static yajl_val
parse_json (const char *text)
{
  char errbuf[256];
  return yajl_tree_parse (text, errbuf, sizeof (errbuf));
}

static const char *
get_str (yajl_val root, const char **path)
{
  yajl_val v = yajl_tree_get (root, path, yajl_t_string);
  return v ? v->u.string : NULL;
}

static void
test_status_round_trip (void)
{
  struct hull_status st = { 0 }, back;
  hull_err err = NULL;
  char *json, *again;

  st.id = strdup ("box-1");
  st.pid = 4242;
  st.pid_start_time = 18446744073709551615ull;
  st.bundle = strdup ("/srv/bundles/box \"quoted\"");
  st.rootfs = strdup ("/srv/bundles/box/rootfs");
  st.created = strdup ("2026-11-22T02:20:40.123456789Z");
  st.owner = strdup ("");
  st.cgroup_path = strdup ("/hull/box-1");
  st.isolation = strdup ("microvm");
  st.systemd_cgroup = true;
  oci_map_set (&st.annotations, "org.example", "v\n1");
  oci_map_set (&st.extra, "vmm.pid", "4343");
  oci_map_set (&st.extra, "tap", "hull0");
  oci_map_set (&st.extra, "vmm.pid", "4344");
  TAP_EQ_INT (st.extra.len, 2, "oci_map_set replaces an existing key");
  TAP_EQ_STR (oci_map_get (&st.extra, "vmm.pid"), "4344", "oci_map_get");
  TAP_OK (oci_map_get (&st.extra, "nope") == NULL, "oci_map_get: absent key");

  json = hull_status_to_json (&st);
  TAP_OK (json != NULL && strchr (json, '\n') == NULL, "status JSON is one line");
  TAP_EQ_INT (hull_status_parse (json, strlen (json), &back, &err), 0, "status parses back");
  TAP_EQ_STR (back.id, "box-1", "id");
  TAP_EQ_INT (back.pid, 4242, "pid");
  TAP_OK (back.pid_start_time == 18446744073709551615ull, "pid start time, full uint64");
  TAP_EQ_STR (back.bundle, st.bundle, "bundle with quotes");
  TAP_EQ_STR (back.rootfs, st.rootfs, "rootfs");
  TAP_EQ_STR (back.created, st.created, "created");
  TAP_EQ_STR (back.owner, "", "owner");
  TAP_EQ_STR (back.cgroup_path, "/hull/box-1", "cgroup path");
  TAP_EQ_STR (back.isolation, "microvm", "isolation");
  TAP_OK (back.systemd_cgroup, "systemd cgroup flag");
  TAP_EQ_STR (oci_map_get (&back.annotations, "org.example"), "v\n1", "annotation with a newline");
  TAP_EQ_STR (oci_map_get (&back.extra, "tap"), "hull0", "extra key/values");
  again = hull_status_to_json (&back);
  TAP_EQ_STR (again, json, "second round trip is byte-identical");
  free (again);
  free (json);
  hull_status_clear (&back);
  hull_status_clear (&st);
  TAP_OK (st.id == NULL && st.extra.len == 0, "hull_status_clear zeroes");

  TAP_EQ_INT (hull_status_parse ("{\"pid\": 1}", 10, &back, &err), -1, "status without id is refused");
  if (err)
    TAP_EQ_STR (err->msg, "status: id: is required", "status error names the field");
  hull_error_release (&err);
  TAP_EQ_INT (hull_status_parse ("{\"id\": \"a\", \"pid\": -5}", 22, &back, &err), -1, "negative pid is refused");
  hull_error_release (&err);
  TAP_EQ_INT (hull_status_parse ("{\"id\": \"a\", \"extra\": {\"k\": 1}}", 30, &back, &err), -1,
              "non-string extra value is refused");
  TAP_OK (back.id == NULL, "a failed parse leaves nothing to free");
  hull_error_release (&err);
  TAP_EQ_INT (hull_status_parse ("{\"id\": ", 7, &back, &err), -1, "truncated status file is refused");
  TAP_OK (err && strncmp (err->msg, "status: invalid JSON: ", 22) == 0, "truncated status: invalid JSON message");
  hull_error_release (&err);
}

static void
test_state (void)
{
  struct oci_map ann = { 0 };
  struct oci_state st = { .oci_version = "1.2.0", .id = "c1", .status = "running", .pid = 77, .bundle = "/b",
                          .rootfs = "/b/rootfs", .created = "2026-01-01T00:00:00.000000001Z", .owner = "" };
  char *json;

  json = oci_state_json (&st, false);
  TAP_EQ_STR (json,
              "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"pid\":77,\"status\":\"running\",\"bundle\":\"/b\","
              "\"rootfs\":\"/b/rootfs\",\"created\":\"2026-01-01T00:00:00.000000001Z\",\"owner\":\"\"}",
              "state JSON, runc's members and order");
  free (json);

  oci_map_set (&ann, "k", "v");
  st.annotations = &ann;
  st.pid = 0;
  st.status = "stopped";
  st.rootfs = st.created = st.owner = NULL;
  json = oci_state_json (&st, false);
  TAP_EQ_STR (json,
              "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"status\":\"stopped\",\"bundle\":\"/b\",\"annotations\":{\"k\":\"v\"}}",
              "state JSON: pid 0 and NULL extras omitted, annotations kept");
  free (json);

  json = oci_state_json (&st, true);
  TAP_OK (strstr (json, "\n  \"id\": \"c1\",\n") != NULL, "pretty state is indented by two spaces");
  TAP_OK (json[strlen (json) - 1] == '}', "pretty state has no trailing newline");
  free (json);

  {
    struct oci_state two[2] = { st, st };
    yajl_val tree;
    two[1].id = "c2";
    two[1].pid = 9;
    json = oci_state_list_json (two, 2);
    tree = parse_json (json);
    TAP_OK (YAJL_IS_ARRAY (tree) && tree->u.array.len == 2, "list JSON is an array of two");
    if (YAJL_IS_ARRAY (tree) && tree->u.array.len == 2)
      {
        const char *id[] = { "id", NULL }, *pid[] = { "pid", NULL };
        yajl_val p0 = yajl_tree_get (tree->u.array.values[0], pid, yajl_t_number);
        TAP_EQ_STR (get_str (tree->u.array.values[1], id), "c2", "list: second id");
        TAP_OK (p0 != NULL && YAJL_GET_INTEGER (p0) == 0, "list: pid always present (0 when stopped)");
      }
    yajl_tree_free (tree);
    free (json);
    json = oci_state_list_json (NULL, 0);
    TAP_EQ_STR (json, "[]", "empty list is []");
    free (json);
  }

  json = oci_seccomp_notify_state_json (&st, 1234, "meta;x");
  TAP_EQ_STR (json,
              "{\"ociVersion\":\"1.2.0\",\"fds\":[\"seccompFd\"],\"pid\":1234,\"metadata\":\"meta;x\",\"state\":"
              "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"status\":\"stopped\",\"bundle\":\"/b\",\"annotations\":{\"k\":\"v\"}}}",
              "seccomp listener containerProcessState");
  free (json);
  json = oci_seccomp_notify_state_json (&st, 1, NULL);
  TAP_OK (strstr (json, "\"metadata\":\"\"") != NULL, "seccomp state: missing metadata is \"\"");
  free (json);
  oci_map_clear (&ann);
}

static void
test_log_and_pids (void)
{
  int pids[] = { 1, 22, 333 };
  char *line;
  yajl_val tree;
  const char *msg[] = { "msg", NULL };

  line = hull_log_json_line ("error", "container \"x\" does not exist", "2026-11-22T02:20:40Z");
  TAP_EQ_STR (line, "{\"level\":\"error\",\"msg\":\"container \\\"x\\\" does not exist\",\"time\":\"2026-11-22T02:20:40Z\"}",
              "json log line");
  free (line);

  line = hull_log_json_line ("warning", "tab\there\nnewline\x01\x1f back\\slash", NULL);
  TAP_EQ_STR (line, "{\"level\":\"warning\",\"msg\":\"tab\\there\\nnewline\\u0001\\u001F back\\\\slash\"}",
              "control characters are escaped, time omitted when NULL");
  TAP_OK (strchr (line, '\n') == NULL, "log line has no raw newline");
  free (line);

  line = hull_log_json_line ("info", "bad \xff\xfe utf8 \xc3", "t");
  tree = parse_json (line);
  TAP_OK (tree != NULL, "invalid UTF-8 in a message still gives valid JSON");
  TAP_EQ_STR (get_str (tree, msg), "bad \xef\xbf\xbd\xef\xbf\xbd utf8 \xef\xbf\xbd", "bad bytes become U+FFFD");
  yajl_tree_free (tree);
  free (line);

  line = oci_pids_json (pids, 3);
  TAP_EQ_STR (line, "[1,22,333]", "pids JSON");
  free (line);
  line = oci_pids_json (NULL, 0);
  TAP_EQ_STR (line, "[]", "empty pids JSON");
  free (line);
}

static void
test_default_spec (void)
{
  hull_err err = NULL;
  char *json = oci_spec_default_json (false);
  struct oci_spec *s = oci_spec_parse (json, strlen (json), &err);
  size_t i;
  bool gid_option = false;

  TAP_OK (s != NULL, "default spec parses with our parser");
  if (s == NULL)
    return;
  TAP_OK (s->process && s->process->terminal && strcmp (s->process->args.items[0], "sh") == 0, "default process: sh");
  TAP_OK (s->root && strcmp (s->root->path, "rootfs") == 0 && s->root->readonly, "default root");
  TAP_EQ_INT (s->mounts_len, 7, "seven default mounts");
  TAP_OK (oci_find_namespace (s, OCI_NS_NETWORK) != NULL && oci_find_namespace (s, OCI_NS_USER) == NULL,
          "default: network namespace, no user namespace");
  TAP_OK (s->linux_->resources && s->linux_->resources->devices_len == 1, "default: device cgroup deny-all");
  TAP_EQ_INT (s->linux_->masked_paths.len, 10, "default masked paths");
  TAP_EQ_INT (s->linux_->readonly_paths.len, 5, "default read-only paths");
  oci_spec_free (s);
  free (json);

  json = oci_spec_default_json_ex (true, 1000, 1001);
  s = oci_spec_parse (json, strlen (json), &err);
  TAP_OK (s != NULL, "rootless default spec parses");
  if (s == NULL)
    return;
  TAP_OK (oci_find_namespace (s, OCI_NS_USER) != NULL && oci_find_namespace (s, OCI_NS_NETWORK) == NULL,
          "rootless: user namespace, no network namespace");
  TAP_OK (s->linux_->uid_mappings_len == 1 && s->linux_->uid_mappings[0].host_id == 1000
              && s->linux_->uid_mappings[0].container_id == 0 && s->linux_->uid_mappings[0].size == 1,
          "rootless: uid mapping of the caller");
  TAP_OK (s->linux_->gid_mappings_len == 1 && s->linux_->gid_mappings[0].host_id == 1001, "rootless: gid mapping");
  TAP_OK (s->linux_->resources == NULL, "rootless: no resources");
  for (i = 0; i < s->mounts_len; i++)
    {
      size_t j;
      for (j = 0; j < s->mounts[i].options.len; j++)
        if (strncmp (s->mounts[i].options.items[j], "gid=", 4) == 0)
          gid_option = true;
      if (strcmp (s->mounts[i].destination, "/sys") == 0)
        TAP_OK (strcmp (s->mounts[i].type, "none") == 0 && strcmp (s->mounts[i].options.items[0], "rbind") == 0,
                "rootless: /sys is an rbind");
    }
  TAP_OK (!gid_option, "rootless: no gid= mount options");
  oci_spec_free (s);
  free (json);
}

static void
test_features (void)
{
  char *json = oci_features_json_ex ("2.5.4");
  yajl_val tree = parse_json (json);
  const char *min[] = { "ociVersionMin", NULL }, *max[] = { "ociVersionMax", NULL };
  const char *ns[] = { "linux", "namespaces", NULL }, *caps[] = { "linux", "capabilities", NULL };
  const char *v2[] = { "linux", "cgroup", "v2", NULL }, *sd[] = { "linux", "cgroup", "systemd", NULL };
  const char *sc[] = { "linux", "seccomp", "enabled", NULL }, *actions[] = { "linux", "seccomp", "actions", NULL };
  const char *lsv[] = { "annotations", "io.github.seccomp.libseccomp.version", NULL };
  const char *iso[] = { "annotations", "io.hull.isolation.supported", NULL };
  const char *idmap[] = { "linux", "mountExtensions", "idmap", "enabled", NULL };
  const char *hooks[] = { "hooks", NULL };
  yajl_val v;

  TAP_OK (tree != NULL, "features document is valid JSON");
  if (tree == NULL)
    {
      free (json);
      return;
    }
  TAP_EQ_STR (get_str (tree, min), "1.0.0", "ociVersionMin");
  TAP_EQ_STR (get_str (tree, max), "1.2.0", "ociVersionMax");
  v = yajl_tree_get (tree, hooks, yajl_t_array);
  TAP_OK (v && v->u.array.len == 6, "six hook kinds");
  v = yajl_tree_get (tree, ns, yajl_t_array);
  TAP_OK (v && v->u.array.len == 8, "eight namespaces");
  v = yajl_tree_get (tree, caps, yajl_t_array);
  TAP_OK (v && v->u.array.len == 41 && strcmp (v->u.array.values[40]->u.string, "CAP_CHECKPOINT_RESTORE") == 0,
          "41 capabilities ending with CAP_CHECKPOINT_RESTORE");
  TAP_OK (yajl_tree_get (tree, v2, yajl_t_true) != NULL, "cgroup v2 true");
  TAP_OK (yajl_tree_get (tree, sd, yajl_t_false) != NULL, "systemd false");
  TAP_OK (yajl_tree_get (tree, sc, yajl_t_true) != NULL, "seccomp enabled");
  v = yajl_tree_get (tree, actions, yajl_t_array);
  TAP_OK (v && v->u.array.len == 9, "nine seccomp actions");
  TAP_OK (yajl_tree_get (tree, idmap, yajl_t_false) != NULL, "idmap mounts: false");
  TAP_EQ_STR (get_str (tree, lsv), "2.5.4", "libseccomp version annotation");
  TAP_EQ_STR (get_str (tree, iso), "container,microvm", "isolation annotation");
  yajl_tree_free (tree);
  free (json);

  json = oci_features_json ();
  tree = parse_json (json);
  TAP_OK (tree != NULL && yajl_tree_get (tree, lsv, yajl_t_string) == NULL,
          "oci_features_json: valid, without the libseccomp annotation");
  yajl_tree_free (tree);
  free (json);
}

int
main (void)
{
  test_status_round_trip ();
  test_state ();
  test_log_and_pids ();
  test_default_spec ();
  test_features ();
  return tap_done ();
}

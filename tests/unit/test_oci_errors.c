/* oci-spec/: every class of bad config.json gives one line naming the JSON
   path and the problem, and leaks nothing (the ASan build checks that). */
#include <string.h>

#include "oci-spec/oci_spec.h"
#include "tests/unit/tap.h"

struct bad_case
{
  const char *json;
  const char *message;
};

#define V "\"ociVersion\": \"1.0.0\""
#define P(x) "\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", " x "}"
#define L(x) "\"linux\": {" x "}"
#define R(x) L ("\"resources\": {" x "}")
#define S(x) L ("\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", " x "}")

static const struct bad_case cases[] = {
  /* JSON itself */
  { "", "config.json: invalid JSON: parse error: premature EOF" },
  { "{", "config.json: invalid JSON: parse error: premature EOF" },
  { "{\"ociVersion\": \"1.0.0\",}", "config.json: invalid JSON: parse error: invalid object key (must be a string)" },
  { "{\"a\": tru}", "config.json: invalid JSON: lexical error: invalid string in json text" },
  { "{\"a\": \"\xff\"}", "config.json: invalid JSON: lexical error: invalid bytes in UTF8 string" },
  { "{\"a\": \"x\\u0000y\"}", "config.json: invalid JSON: \\u0000 in a string" },
  { "[]", "config.json: expected a JSON object at the top level" },
  { "\"text\"", "config.json: expected a JSON object at the top level" },
  /* ociVersion */
  { "{}", "config.json: ociVersion: is required" },
  { "{\"ociVersion\": 1}", "config.json: ociVersion: expected a string" },
  { "{\"ociVersion\": \"2.0.0\"}", "config.json: ociVersion: unsupported version \"2.0.0\" (expected 1.x)" },
  /* process */
  { "{" V ", \"process\": []}", "config.json: process: expected an object" },
  { "{" V ", \"process\": {\"cwd\": \"/\"}}", "config.json: process.args: must be a non-empty array" },
  { "{" V ", \"process\": {\"args\": [], \"cwd\": \"/\"}}", "config.json: process.args: must be a non-empty array" },
  { "{" V ", \"process\": {\"args\": \"sh\", \"cwd\": \"/\"}}", "config.json: process.args: expected an array" },
  { "{" V ", \"process\": {\"args\": [\"sh\", 3], \"cwd\": \"/\"}}", "config.json: process.args[1]: expected a string" },
  { "{" V ", \"process\": {\"args\": [\"sh\"]}}", "config.json: process.cwd: is required" },
  { "{" V ", \"process\": {\"args\": [\"sh\"], \"cwd\": \"tmp\"}}", "config.json: process.cwd: must be an absolute path" },
  { "{" V ", " P ("\"terminal\": 1") "}", "config.json: process.terminal: expected a boolean" },
  { "{" V ", " P ("\"env\": [\"A=1\", null]") "}", "config.json: process.env[1]: expected a string" },
  { "{" V ", " P ("\"consoleSize\": {\"height\": 1}") "}", "config.json: process.consoleSize.width: is required" },
  { "{" V ", " P ("\"user\": {\"uid\": -1}") "}", "config.json: process.user.uid: expected an unsigned integer" },
  { "{" V ", " P ("\"user\": {\"uid\": 4294967296}") "}",
    "config.json: process.user.uid: 4294967296 is out of range (max 4294967295)" },
  { "{" V ", " P ("\"user\": {\"gid\": 1.5}") "}", "config.json: process.user.gid: expected an unsigned integer" },
  { "{" V ", " P ("\"user\": {\"gid\": 1e3}") "}", "config.json: process.user.gid: expected an unsigned integer" },
  { "{" V ", " P ("\"user\": {\"additionalGids\": [1, \"2\"]}") "}",
    "config.json: process.user.additionalGids[1]: expected an unsigned integer" },
  { "{" V ", " P ("\"capabilities\": {\"bounding\": [\"CAP_KILL\", false]}") "}",
    "config.json: process.capabilities.bounding[1]: expected a string" },
  { "{" V ", " P ("\"rlimits\": [{\"type\": \"NOFILE\", \"hard\": 1, \"soft\": 1}]") "}",
    "config.json: process.rlimits[0].type: \"NOFILE\" is not an RLIMIT_* name" },
  { "{" V ", " P ("\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1}]") "}",
    "config.json: process.rlimits[0].hard: is required" },
  { "{" V ", " P ("\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 18446744073709551616, \"soft\": 1}]") "}",
    "config.json: process.rlimits[0].hard: 18446744073709551616 is out of range (max 18446744073709551615)" },
  { "{" V ", " P ("\"oomScoreAdj\": 1001") "}", "config.json: process.oomScoreAdj: 1001 is out of range (-1000..1000)" },
  { "{" V ", " P ("\"ioPriority\": {\"class\": \"IOPRIO_CLASS_X\"}") "}",
    "config.json: process.ioPriority.class: unknown value \"IOPRIO_CLASS_X\"" },
  { "{" V ", " P ("\"scheduler\": {}") "}", "config.json: process.scheduler.policy: is required" },
  { "{" V ", " P ("\"scheduler\": {\"policy\": \"SCHED_OTHER\", \"nice\": 2147483648}") "}",
    "config.json: process.scheduler.nice: 2147483648 is out of range (-2147483648..2147483647)" },
  { "{" V ", " P ("\"execCPUAffinity\": {\"initial\": 0}") "}",
    "config.json: process.execCPUAffinity.initial: expected a string" },
  /* root, mounts, hooks, annotations */
  { "{" V ", \"root\": {}}", "config.json: root.path: is required" },
  { "{" V ", \"root\": {\"path\": \"\"}}", "config.json: root.path: must not be empty" },
  { "{" V ", \"root\": {\"path\": \"r\", \"readonly\": \"yes\"}}", "config.json: root.readonly: expected a boolean" },
  { "{" V ", \"hostname\": 7}", "config.json: hostname: expected a string" },
  { "{" V ", \"mounts\": {}}", "config.json: mounts: expected an array" },
  { "{" V ", \"mounts\": [{\"destination\": \"/a\"}, {\"type\": \"tmpfs\"}]}",
    "config.json: mounts[1].destination: is required" },
  { "{" V ", \"mounts\": [{\"destination\": \"/a\", \"options\": [1]}]}",
    "config.json: mounts[0].options[0]: expected a string" },
  { "{" V ", \"mounts\": [{\"destination\": \"/a\", \"uidMappings\": [{\"containerID\": 0, \"hostID\": 0}]}]}",
    "config.json: mounts[0].uidMappings[0].size: is required" },
  { "{" V ", \"hooks\": {\"prestart\": [{}]}}", "config.json: hooks.prestart[0].path: is required" },
  { "{" V ", \"hooks\": {\"poststop\": [{\"path\": \"bin/x\"}]}}",
    "config.json: hooks.poststop[0].path: must be an absolute path" },
  { "{" V ", \"hooks\": {\"createRuntime\": [{\"path\": \"/x\", \"timeout\": 0}]}}",
    "config.json: hooks.createRuntime[0].timeout: must be greater than zero" },
  { "{" V ", \"hooks\": {\"startContainer\": [{\"path\": \"/x\", \"timeout\": -3}]}}",
    "config.json: hooks.startContainer[0].timeout: must be greater than zero" },
  { "{" V ", \"hooks\": {\"poststart\": [{\"path\": \"/x\", \"args\": \"a\"}]}}",
    "config.json: hooks.poststart[0].args: expected an array" },
  { "{" V ", \"annotations\": {\"a\": 1}}", "config.json: annotations.a: expected a string" },
  { "{" V ", \"annotations\": {\"bad\\nkey\": 1}}", "config.json: annotations.bad?key: expected a string" },
  /* linux */
  { "{" V ", \"linux\": 1}", "config.json: linux: expected an object" },
  { "{" V ", " L ("\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"net\"}]") "}",
    "config.json: linux.namespaces[1].type: unknown namespace type \"net\"" },
  { "{" V ", " L ("\"namespaces\": [{}]") "}", "config.json: linux.namespaces[0].type: is required" },
  { "{" V ", " L ("\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"uts\"}, {\"type\": \"pid\", \"path\": \"/p\"}]") "}",
    "config.json: linux.namespaces[2].type: duplicate namespace \"pid\"" },
  { "{" V ", " L ("\"uidMappings\": [{\"containerID\": 0, \"hostID\": 0, \"size\": 1}, {\"containerID\": 0, \"hostID\": 0, \"size\": \"x\"}]") "}",
    "config.json: linux.uidMappings[1].size: expected an unsigned integer" },
  { "{" V ", " L ("\"gidMappings\": [{\"hostID\": 0, \"size\": 1}]") "}",
    "config.json: linux.gidMappings[0].containerID: is required" },
  { "{" V ", " L ("\"timeOffsets\": {\"realtime\": {\"secs\": 1}}") "}",
    "config.json: linux.timeOffsets.realtime: unknown clock (expected \"monotonic\" or \"boottime\")" },
  { "{" V ", " L ("\"timeOffsets\": {\"boottime\": {\"nanosecs\": -1}}") "}",
    "config.json: linux.timeOffsets.boottime.nanosecs: expected an unsigned integer" },
  { "{" V ", " L ("\"devices\": [{\"type\": \"x\", \"path\": \"/dev/x\"}]") "}",
    "config.json: linux.devices[0].type: unknown value \"x\"" },
  { "{" V ", " L ("\"devices\": [{\"type\": \"c\", \"path\": \"dev/x\", \"major\": 1, \"minor\": 1}]") "}",
    "config.json: linux.devices[0].path: must be an absolute path" },
  { "{" V ", " L ("\"devices\": [{\"type\": \"c\", \"path\": \"/dev/x\", \"major\": 1}]") "}",
    "config.json: linux.devices[0].minor: is required" },
  { "{" V ", " L ("\"devices\": [{\"type\": \"b\", \"path\": \"/dev/x\", \"major\": 1, \"minor\": 2, \"fileMode\": -1}]") "}",
    "config.json: linux.devices[0].fileMode: expected an unsigned integer" },
  { "{" V ", " L ("\"cgroupsPath\": []") "}", "config.json: linux.cgroupsPath: expected a string" },
  { "{" V ", " L ("\"rootfsPropagation\": \"everywhere\"") "}",
    "config.json: linux.rootfsPropagation: unknown value \"everywhere\"" },
  { "{" V ", " L ("\"sysctl\": {\"kernel.x\": 1}") "}", "config.json: linux.sysctl.kernel.x: expected a string" },
  { "{" V ", " L ("\"maskedPaths\": \"/proc/kcore\"") "}", "config.json: linux.maskedPaths: expected an array" },
  { "{" V ", " L ("\"personality\": {\"domain\": \"BSD\"}") "}",
    "config.json: linux.personality.domain: unknown value \"BSD\"" },
  { "{" V ", " L ("\"intelRdt\": {\"enableCMT\": 1}") "}", "config.json: linux.intelRdt.enableCMT: expected a boolean" },
  /* linux.resources */
  { "{" V ", " R ("\"devices\": [{\"access\": \"rwm\"}]") "}",
    "config.json: linux.resources.devices[0].allow: is required" },
  { "{" V ", " R ("\"devices\": [{\"allow\": true, \"access\": \"rwx\"}]") "}",
    "config.json: linux.resources.devices[0].access: must be a combination of \"r\", \"w\" and \"m\"" },
  { "{" V ", " R ("\"devices\": [{\"allow\": true, \"type\": \"p\"}]") "}",
    "config.json: linux.resources.devices[0].type: unknown value \"p\"" },
  { "{" V ", " R ("\"memory\": {\"limit\": \"1G\"}") "}", "config.json: linux.resources.memory.limit: expected an integer" },
  { "{" V ", " R ("\"memory\": {\"limit\": 9223372036854775808}") "}",
    "config.json: linux.resources.memory.limit: 9223372036854775808 is out of range (-9223372036854775808..9223372036854775807)" },
  { "{" V ", " R ("\"memory\": {\"swappiness\": -1}") "}",
    "config.json: linux.resources.memory.swappiness: expected an unsigned integer" },
  { "{" V ", " R ("\"memory\": {\"disableOOMKiller\": 0}") "}",
    "config.json: linux.resources.memory.disableOOMKiller: expected a boolean" },
  { "{" V ", " R ("\"cpu\": {\"cpus\": 0}") "}", "config.json: linux.resources.cpu.cpus: expected a string" },
  { "{" V ", " R ("\"pids\": 5") "}", "config.json: linux.resources.pids: expected an object" },
  { "{" V ", " R ("\"pids\": {\"limit\": 1.5}") "}", "config.json: linux.resources.pids.limit: expected an integer" },
  { "{" V ", " R ("\"blockIO\": {\"weight\": 65536}") "}",
    "config.json: linux.resources.blockIO.weight: 65536 is out of range (max 65535)" },
  { "{" V ", " R ("\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0}]}") "}",
    "config.json: linux.resources.blockIO.throttleReadBpsDevice[0].rate: is required" },
  { "{" V ", " R ("\"hugepageLimits\": [{\"limit\": 1}]") "}",
    "config.json: linux.resources.hugepageLimits[0].pageSize: is required" },
  { "{" V ", " R ("\"network\": {\"classID\": 4294967296}") "}",
    "config.json: linux.resources.network.classID: 4294967296 is out of range (max 4294967295)" },
  { "{" V ", " R ("\"rdma\": {\"mlx\": {\"hcaHandles\": \"3\"}}") "}",
    "config.json: linux.resources.rdma.mlx.hcaHandles: expected an unsigned integer" },
  { "{" V ", " R ("\"unified\": {\"memory.max\": 5}") "}",
    "config.json: linux.resources.unified.memory.max: expected a string" },
  /* linux.seccomp */
  { "{" V ", " L ("\"seccomp\": {}") "}", "config.json: linux.seccomp.defaultAction: is required" },
  { "{" V ", " L ("\"seccomp\": {\"defaultAction\": \"SCMP_ACT_MAYBE\"}") "}",
    "config.json: linux.seccomp.defaultAction: unknown value \"SCMP_ACT_MAYBE\"" },
  { "{" V ", " S ("\"syscalls\": [{\"names\": [], \"action\": \"SCMP_ACT_ALLOW\"}]") "}",
    "config.json: linux.seccomp.syscalls[0].names: must be a non-empty array" },
  { "{" V ", " S ("\"syscalls\": [{\"action\": \"SCMP_ACT_ALLOW\"}]") "}",
    "config.json: linux.seccomp.syscalls[0].names: must be a non-empty array" },
  { "{" V ", " S ("\"syscalls\": [{\"names\": [\"read\"]}]") "}",
    "config.json: linux.seccomp.syscalls[0].action: is required" },
  { "{" V ", " S ("\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"EQ\"}]}]") "}",
    "config.json: linux.seccomp.syscalls[0].args[0].op: unknown value \"EQ\"" },
  { "{" V ", " S ("\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_EQ\"}]}]") "}",
    "config.json: linux.seccomp.syscalls[0].args[0].value: is required" },
  { "{" V ", " S ("\"defaultErrnoRet\": -1") "}", "config.json: linux.seccomp.defaultErrnoRet: expected an unsigned integer" },
  { "{" V ", " S ("\"architectures\": [\"SCMP_ARCH_X86_64\", 1]") "}",
    "config.json: linux.seccomp.architectures[1]: expected a string" },
};

static void
check_case (size_t i, const struct bad_case *bc)
{
  hull_err err = NULL;
  struct oci_spec *s = oci_spec_parse (bc->json, strlen (bc->json), &err);
  TAP_OK (s == NULL && err != NULL, "case %zu is rejected", i);
  if (err != NULL)
    {
      TAP_EQ_STR (err->msg, bc->message, "case %zu: %s", i, bc->message);
      TAP_OK (strchr (err->msg, '\n') == NULL, "case %zu: message is one line", i);
    }
  oci_spec_free (s);
  hull_error_release (&err);
}

static void
test_hostile_documents (void)
{
  hull_err err = NULL;
  size_t n = 100000, i;
  char *deep = malloc (n * 2 + 1);
  struct oci_spec *s;

  /* yajl_tree_free recurses: this must be refused before it is built. */
  for (i = 0; i < n; i++)
    {
      deep[i] = '[';
      deep[n + i] = ']';
    }
  deep[2 * n] = '\0';
  s = oci_spec_parse (deep, 2 * n, &err);
  TAP_OK (s == NULL && err != NULL, "100000 nested arrays are refused");
  if (err)
    TAP_EQ_STR (err->msg, "config.json: invalid JSON: nested deeper than 200 levels", "nesting error message");
  hull_error_release (&err);
  free (deep);

  s = oci_spec_parse ("{\"ociVersion\": \"1.0.0\"}\0garbage", 31, &err);
  TAP_OK (s == NULL && err != NULL && strstr (err->msg, "NUL byte") != NULL, "a NUL byte inside the text is refused");
  hull_error_release (&err);

  /* A string with an escaped backslash before u0000 is legitimate. */
  {
    static const char doc[] = "{\"ociVersion\": \"1.0.0\", \"hostname\": \"a\\\\u0000\"}";
    s = oci_spec_parse (doc, strlen (doc), &err);
  }
  TAP_OK (s != NULL && strcmp (s->hostname, "a\\u0000") == 0, "an escaped backslash followed by u0000 is text");
  oci_spec_free (s);
  hull_error_release (&err);

  {
    static const char doc[] = "{\"ociVersion\": \"1.0.0\", \"hostname\": \"\\u00e9\\ud83d\\ude00\"}";
    s = oci_spec_parse (doc, strlen (doc), &err);
  }
  TAP_OK (s != NULL && strcmp (s->hostname, "\xc3\xa9\xf0\x9f\x98\x80") == 0, "unicode escapes decode to UTF-8");
  oci_spec_free (s);
  hull_error_release (&err);

  /* Untrusted text in a message is made printable and bounded. */
  {
    static const char doc[] = "{\"ociVersion\": \"1.0.0\", \"linux\": {\"namespaces\": [{\"type\": \"a\\nb\\u001b[31m\"}]}}";
    s = oci_spec_parse (doc, strlen (doc), &err);
  }
  TAP_OK (s == NULL && err != NULL && strchr (err->msg, '\n') == NULL && strchr (err->msg, '\x1b') == NULL,
          "control characters of the input never reach the message");
  hull_error_release (&err);
}

int
main (void)
{
  size_t i;
  for (i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    check_case (i, &cases[i]);
  test_hostile_documents ();
  return tap_done ();
}

/* cgroups/: the pure parts (paths, conversions, validation, device rules,
   the eBPF device program's shape).  No kernel needed. */
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups/internal.h"
#include "runtime/util.h"
#include "tests/unit/tap.h"

static void
test_clean_path (void)
{
  static const char *const cases[][2] = {
    { "/a/b", "/a/b" }, { "a/b", "/a/b" },  { "/a//b/", "/a/b" }, { "/a/./b", "/a/b" },
    { "/a/../b", "/b" }, { "/../../x", "/x" }, { "..", "/" },       { "", "/" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      cleanup_free char *p = cg_clean_path (cases[i][0]);
      TAP_EQ_STR (p, cases[i][1], "clean_path(\"%s\")", cases[i][0]);
    }
}

static void
test_compute_path (void)
{
  hull_err err = NULL;
  char *p = NULL;

  TAP_OK (cg_compute_path ("/hull/c1", "c1", "/own", &p, &err) == 0, "absolute path accepted");
  TAP_EQ_STR (p, "/hull/c1", "absolute path ignores the own cgroup");
  free (p);
  TAP_OK (cg_compute_path ("x/c1", "c1", "/own/cg", &p, &err) == 0, "relative path accepted");
  TAP_EQ_STR (p, "/own/cg/x/c1", "relative path goes under the own cgroup");
  free (p);
  TAP_OK (cg_compute_path ("../../../escape", "c1", "/own/cg", &p, &err) == 0, "relative .. accepted");
  TAP_EQ_STR (p, "/own/cg/escape", "relative .. cannot climb out of the own cgroup");
  free (p);
  TAP_OK (cg_compute_path (NULL, "c1", "/own", &p, &err) == 0, "default path");
  TAP_EQ_STR (p, "/own/c1", "default is the id, relative (as runc)");
  free (p);
  TAP_OK (cg_compute_path ("", "c1", "/", &p, &err) == 0, "empty path is the default");
  TAP_EQ_STR (p, "/c1", "default under the root cgroup");
  free (p);

  TAP_OK (cg_compute_path ("system.slice:hull:c1", "c1", "/", &p, &err) < 0 && strstr (err->msg, "systemd"),
          "systemd form refused: %s", err ? err->msg : "");
  hull_error_release (&err);
  TAP_OK (cg_compute_path ("/", "c1", "/", &p, &err) < 0 && strstr (err->msg, "root cgroup"),
          "the root cgroup refused");
  hull_error_release (&err);
  TAP_OK (cg_compute_path ("/a;b", "c1", "/", &p, &err) < 0, "';' refused");
  hull_error_release (&err);
  TAP_OK (!cg_is_systemd_path ("/a:b:c") && cg_is_systemd_path (":hull:c1") && !cg_is_systemd_path ("a:b"),
          "systemd form detection");
}

static void
test_relative_base (void)
{
  static const struct { enum cgroup_mode mode; bool v2; const char *own, *want; } cases[] = {
    { CGROUP_MODE_V1, false, "/process_api/x", "/process_api/x" },
    { CGROUP_MODE_HYBRID, false, "/user.slice/s.scope", "/user.slice/s.scope" },
    { CGROUP_MODE_HYBRID, true, "/user.slice/s.scope", "/" },
    { CGROUP_MODE_V2, true, "/user.slice/s.scope", "/user.slice" },
    { CGROUP_MODE_V2, true, "/init.scope", "/" },
    { CGROUP_MODE_V2, true, "/", "/" },
    { CGROUP_MODE_V1, false, NULL, "/" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      cleanup_free char *b = cg_relative_base (cases[i].mode, cases[i].v2, cases[i].own);
      TAP_EQ_STR (b, cases[i].want, "relative base: mode %d, %s hierarchy, own %s", (int) cases[i].mode,
                  cases[i].v2 ? "cgroup2" : "v1", cases[i].own ? cases[i].own : "(none)");
    }
}

static void
test_proc_cgroup (void)
{
  const char *text = "9:name=systemd:/user.slice\n4:memory:/process_api/x\n1:cpu,cpuacct:/a\n0::/unified/p\n";
  cleanup_free char *sd = cg_proc_cgroup_lookup (text, "name=systemd");
  cleanup_free char *mem = cg_proc_cgroup_lookup (text, "memory");
  cleanup_free char *acct = cg_proc_cgroup_lookup (text, "cpuacct");
  cleanup_free char *u = cg_proc_cgroup_lookup (text, "");
  cleanup_free char *none = cg_proc_cgroup_lookup (text, "pids");

  TAP_EQ_STR (sd, "/user.slice", "named hierarchy");
  TAP_EQ_STR (mem, "/process_api/x", "memory line");
  TAP_EQ_STR (acct, "/a", "co-mounted controller");
  TAP_EQ_STR (u, "/unified/p", "cgroup2 line");
  TAP_OK (none == NULL, "absent controller");
}

static void
test_path_encoding (void)
{
  const char *keys[] = { "cpu", "memory", "name=systemd", "" };
  const char *rels[] = { "/c1", "/p/x/c1", "/c1", "/c1" };
  const char *same[] = { "/c1", "/c1", "/c1", "/c1" };
  cleanup_free char *enc = cg_path_encode (keys, rels, 4);
  cleanup_free char *plain = cg_path_encode (keys, same, 4);
  hull_err err = NULL;
  char *p;

  TAP_EQ_STR (plain, "/c1", "uniform path is stored plain");
  TAP_EQ_STR (enc, "/c1;memory=/p/x/c1", "exceptions are appended");
  p = cg_path_decode (enc, "memory", &err);
  TAP_EQ_STR (p, "/p/x/c1", "decode an exception");
  free (p);
  p = cg_path_decode (enc, "", &err);
  TAP_EQ_STR (p, "/c1", "decode the common path for cgroup2");
  free (p);
  p = cg_path_decode (enc, "name=systemd", &err);
  TAP_EQ_STR (p, "/c1", "decode the common path for a named hierarchy");
  free (p);
  TAP_OK (cg_path_decode ("relative", "cpu", &err) == NULL, "relative stored path refused");
  hull_error_release (&err);
}

static void
test_conversions (void)
{
  struct oci_memory m;
  int64_t out = 0;
  bool set = false;
  hull_err err = NULL;

  TAP_EQ_INT (cg_shares_to_weight (2), 1, "shares 2 -> weight 1");
  TAP_EQ_INT (cg_shares_to_weight (1024), 39, "shares 1024 -> weight 39");
  TAP_EQ_INT (cg_shares_to_weight (262144), 10000, "shares 262144 -> weight 10000");
  TAP_EQ_INT (cg_shares_to_weight (0), 0, "shares unset -> no weight");
  TAP_EQ_INT (cg_blkio_weight_to_io_weight (10), 1, "blkio weight 10 -> io.weight 1");
  TAP_EQ_INT (cg_blkio_weight_to_io_weight (1000), 10000, "blkio weight 1000 -> io.weight 10000");
  TAP_EQ_INT (cg_blkio_weight_to_io_weight (500), 4950, "blkio weight 500 -> io.weight 4950");

  memset (&m, 0, sizeof m);
  m.limit = (oci_i64){ true, 100 << 20 };
  m.swap = (oci_i64){ true, 300 << 20 };
  TAP_OK (cg_swap_to_v2 (&m, &out, &set, &err) == 0 && set && out == (200 << 20), "swap.max = swap - limit");
  m.swap = (oci_i64){ true, -1 };
  TAP_OK (cg_swap_to_v2 (&m, &out, &set, &err) == 0 && set && out == -1, "swap -1 -> max");
  m.swap = (oci_i64){ true, 50 << 20 };
  TAP_OK (cg_swap_to_v2 (&m, &out, &set, &err) < 0 && strstr (err->msg, "below"), "swap below limit refused");
  hull_error_release (&err);
  m.limit.set = false;
  TAP_OK (cg_swap_to_v2 (&m, &out, &set, &err) < 0 && strstr (err->msg, "needs a memory limit"),
          "swap without limit refused on v2");
  hull_error_release (&err);
  m.swap.set = false;
  m.limit = (oci_i64){ true, -1 };
  TAP_OK (cg_swap_to_v2 (&m, &out, &set, &err) == 0 && set && out == -1, "unlimited memory lifts swap");
  m.limit = (oci_i64){ true, 100 };
  TAP_OK (cg_swap_to_v2 (&m, &out, &set, &err) == 0 && !set, "no swap given: swap.max untouched");
}

static void
test_validation (void)
{
  struct oci_resources res;
  struct oci_memory m;
  struct oci_cpu c;
  struct oci_block_io b;
  struct oci_device_cgroup dev = { .allow = true, .type = (char *) "x" };
  struct oci_hugepage_limit h = { .page_size = (char *) "3MB", .limit = 1 };
  struct oci_kv kv = { (char *) "../escape", (char *) "1" };
  hull_err err = NULL;

#define EXPECT_INVALID(label, needle)                                                                   \
  do {                                                                                                  \
    TAP_OK (cg_validate_resources (&res, &err) < 0 && err && strstr (err->msg, needle), "%s: %s", label, \
            err ? err->msg : "accepted");                                                               \
    hull_error_release (&err);                                                                          \
    memset (&res, 0, sizeof res);                                                                       \
  } while (0)

  memset (&res, 0, sizeof res);
  TAP_OK (cg_validate_resources (&res, &err) == 0, "empty resources are valid");
  memset (&m, 0, sizeof m);
  m.limit = (oci_i64){ true, 200 };
  m.swap = (oci_i64){ true, 100 };
  res.memory = &m;
  EXPECT_INVALID ("swap < limit", "memory.swap");
  memset (&m, 0, sizeof m);
  m.swappiness = (oci_u64){ true, 101 };
  res.memory = &m;
  EXPECT_INVALID ("swappiness 101", "memory.swappiness");
  memset (&m, 0, sizeof m);
  m.limit = (oci_i64){ true, -5 };
  res.memory = &m;
  EXPECT_INVALID ("limit -5", "memory.limit");
  memset (&c, 0, sizeof c);
  c.shares = (oci_u64){ true, 1 };
  res.cpu = &c;
  EXPECT_INVALID ("shares 1", "cpu.shares");
  memset (&c, 0, sizeof c);
  c.quota = (oci_i64){ true, 10 };
  res.cpu = &c;
  EXPECT_INVALID ("quota 10", "cpu.quota");
  memset (&c, 0, sizeof c);
  c.cpus = (char *) "0-1;rm";
  res.cpu = &c;
  EXPECT_INVALID ("cpus with junk", "cpu.cpus");
  memset (&b, 0, sizeof b);
  b.weight = (oci_u64){ true, 5 };
  res.block_io = &b;
  EXPECT_INVALID ("blkio weight 5", "blockIO.weight");
  res.devices = &dev;
  res.devices_len = 1;
  EXPECT_INVALID ("device type x", "devices[0].type");
  res.hugepage_limits = &h;
  res.hugepage_limits_len = 1;
  EXPECT_INVALID ("hugepage 3MB", "pageSize");
  res.unified.items = &kv;
  res.unified.len = 1;
  EXPECT_INVALID ("unified ../escape", "unified");
  TAP_OK (cg_hugepage_size_supported ("2MB") == (access ("/sys/kernel/mm/hugepages/hugepages-2048kB", F_OK) == 0),
          "2MB support follows /sys/kernel/mm/hugepages");
  TAP_OK (!cg_hugepage_size_supported ("2XB") && !cg_hugepage_size_supported ("MB"), "bad page sizes");
}

static void
test_device_rules (void)
{
  struct oci_device_cgroup spec[] = {
    { .allow = false, .access = (char *) "rwm" },
    { .allow = true, .type = (char *) "c", .major = { true, 10 }, .minor = { true, 200 }, .access = (char *) "rw" },
    { .allow = true, .type = (char *) "b", .major = { true, 8 }, .access = (char *) "r" },
  };
  struct oci_device dev = { .type = (char *) "c", .path = (char *) "/dev/fuse", .major = 10, .minor = 229 };
  cleanup_free struct cg_device_rule *r = NULL;
  size_t n = 0;
  hull_err err = NULL;

  {
    struct oci_device bad = { .type = (char *) "c", .path = (char *) "/dev/x", .major = -2, .minor = 1 };
    struct cg_device_rule *none = NULL;
    TAP_OK (cg_device_rules (spec, 3, &bad, 1, &none, &n, &err) < 0 && strstr (err->msg, "linux.devices[0]"),
            "a linux.devices entry with a bad major refused");
    hull_error_release (&err);
  }
  TAP_OK (cg_device_rules (spec, 3, &dev, 1, &r, &n, &err) == 0, "rules built");
  TAP_EQ_INT (n, 3 + 1 + 10, "spec rules, linux.devices, then the defaults");
  {
    cleanup_free char *a = cg_device_rule_v1 (&r[0]);
    cleanup_free char *b = cg_device_rule_v1 (&r[1]);
    cleanup_free char *c = cg_device_rule_v1 (&r[2]);
    cleanup_free char *d = cg_device_rule_v1 (&r[3]);
    cleanup_free char *e = cg_device_rule_v1 (&r[4]);
    cleanup_free char *null = cg_device_rule_v1 (&r[6]);
    TAP_EQ_STR (a, "a", "deny all renders as \"a\"");
    TAP_OK (!r[0].allow, "first rule is a deny");
    TAP_EQ_STR (b, "c 10:200 rw", "char device rule");
    TAP_EQ_STR (c, "b 8:* r", "wildcard minor");
    TAP_EQ_STR (d, "c 10:229 rwm", "linux.devices entry allowed");
    TAP_EQ_STR (e, "c *:* m", "mknod of any char device");
    TAP_EQ_STR (null, "c 1:3 rwm", "/dev/null allowed");
  }
}

static void
test_ebpf_shape (void)
{
  struct cg_device_rule deny_all = { false, 'a', -1, -1, CG_DEV_R | CG_DEV_W | CG_DEV_M };
  struct cg_device_rule rules[] = {
    deny_all,
    { true, 'c', 1, 3, CG_DEV_R | CG_DEV_W | CG_DEV_M },
    { true, 'c', 136, -1, CG_DEV_R },
  };
  size_t len = 0;
  cleanup_free struct bpf_insn *p = cg_devices_ebpf_program (rules, 3, &len);
  cleanup_free struct bpf_insn *empty = NULL;
  size_t exits = 0, elen = 0;

  /* prologue 6; rule 3 (newest first): type, 3 access, major, mov, exit = 7;
     rule 2: type, major, minor, mov, exit = 5; rule 1 unconditional: 2 */
  TAP_EQ_INT (len, 6 + 7 + 5 + 2, "program length");
  for (size_t i = 0; i < len; i++)
    exits += p[i].code == (BPF_JMP | BPF_EXIT);
  TAP_EQ_INT (exits, 3, "one exit per rule, no default after an unconditional rule");
  TAP_OK (p[len - 1].code == (BPF_JMP | BPF_EXIT) && p[len - 2].imm == 0, "deny-all ends the program");
  TAP_OK (p[6].code == (BPF_JMP | BPF_JNE | BPF_K) && p[6].imm == BPF_DEVCG_DEV_CHAR && p[6].off == 6,
          "newest rule first; a failed type test skips its block");
  TAP_OK (p[8].imm == (int32_t) ~BPF_DEVCG_ACC_READ, "access test masks the allowed bits");
  TAP_OK (p[11].imm == 1 && p[12].code == (BPF_JMP | BPF_EXIT), "a matching allow rule returns 1");

  {
    struct cg_device_rule full = { true, 'c', 1, 3, CG_DEV_R };
    size_t flen = 0;
    cleanup_free struct bpf_insn *f = cg_devices_ebpf_program (&full, 1, &flen);
    TAP_EQ_INT (flen, 6 + 8 + 2, "a rule testing type, access, major and minor takes 8 instructions");
    TAP_OK (f[6].off == 7 && f[9].off == 4 && f[10].off == 3 && f[11].off == 2, "each failed test jumps past the block");
  }
  empty = cg_devices_ebpf_program (NULL, 0, &elen);
  TAP_EQ_INT (elen, 6 + 2, "no rules: deny everything");
}

int
main (void)
{
  test_clean_path ();
  test_compute_path ();
  test_relative_base ();
  test_proc_cgroup ();
  test_path_encoding ();
  test_conversions ();
  test_validation ();
  test_device_rules ();
  test_ebpf_shape ();
  return tap_done ();
}

/* Pure logic of namespaces/: option tables and parsers. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <seccomp.h>
#include <linux/capability.h>
#include <linux/seccomp.h>

#include "namespaces/mountinfo.h"
#include "namespaces/ns_internal.h"
#include "runtime/util.h"
#include "tests/unit/tap.h"

static int
parse (struct mount_opts *o, const char **opts, size_t n)
{
  struct oci_strv v = { .items = (char **) opts, .len = n };
  hull_err err = NULL;
  int r = mount_opts_parse (&v, o, &err);
  hull_error_release (&err);
  return r;
}

static void
test_mount_options (void)
{
  struct mount_opts o;
  const char *a[] = { "nosuid", "noexec", "nodev", "ro", "relatime", "mode=755", "size=65536k" };
  TAP_EQ_INT (parse (&o, a, 7), 0, "mount options parse");
  TAP_OK (o.flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY | MS_RELATIME), "flags nosuid,noexec,nodev,ro,relatime");
  TAP_EQ_STR (o.data, "mode=755,size=65536k", "unknown options become filesystem data, in order");
  mount_opts_free (&o);

  const char *b[] = { "ro", "rw", "suid", "exec", "dev", "strictatime", "nodiratime", "sync", "dirsync", "mand",
                      "lazytime", "iversion", "silent", "remount" };
  TAP_EQ_INT (parse (&o, b, 14), 0, "every flag option parses");
  TAP_OK (!(o.flags & MS_RDONLY) && (o.clear_flags & MS_RDONLY), "later rw clears an earlier ro");
  TAP_OK ((o.clear_flags & (MS_NOSUID | MS_NOEXEC | MS_NODEV)) == (MS_NOSUID | MS_NOEXEC | MS_NODEV),
          "suid/exec/dev clear their flags");
  TAP_OK ((o.flags & (MS_STRICTATIME | MS_NODIRATIME | MS_SYNCHRONOUS | MS_DIRSYNC | MS_MANDLOCK | MS_LAZYTIME
                      | MS_I_VERSION | MS_SILENT | MS_REMOUNT))
              == (MS_STRICTATIME | MS_NODIRATIME | MS_SYNCHRONOUS | MS_DIRSYNC | MS_MANDLOCK | MS_LAZYTIME
                  | MS_I_VERSION | MS_SILENT | MS_REMOUNT),
          "strictatime nodiratime sync dirsync mand lazytime iversion silent remount");
  TAP_OK (o.data == NULL, "no data when every option is a flag");
  mount_opts_free (&o);

  const char *c[] = { "rbind", "rslave" };
  TAP_EQ_INT (parse (&o, c, 2), 0, "rbind,rslave parse");
  TAP_OK ((o.flags & (MS_BIND | MS_REC)) == (MS_BIND | MS_REC), "rbind is MS_BIND|MS_REC");
  TAP_OK (o.propagation == (MS_SLAVE | MS_REC), "rslave is MS_SLAVE|MS_REC");
  mount_opts_free (&o);

  const char *d[] = { "bind", "private", "shared" };
  TAP_EQ_INT (parse (&o, d, 3), 0, "bind with two propagations");
  TAP_OK (o.flags == MS_BIND && o.propagation == MS_SHARED, "the last propagation wins, bind is not recursive");
  mount_opts_free (&o);

  const char *e[] = { "rro", "rnosuid", "rnoatime", "rrelatime" };
  TAP_EQ_INT (parse (&o, e, 4), 0, "recursive attributes parse");
  TAP_OK ((o.attr_set & (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID)) == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID),
          "rro and rnosuid set MOUNT_ATTR_RDONLY|NOSUID");
  TAP_OK ((o.attr_set & MOUNT_ATTR__ATIME) == MOUNT_ATTR_RELATIME && (o.attr_clr & MOUNT_ATTR__ATIME),
          "atime attributes are one field: the last (rrelatime) wins");
  TAP_OK (o.flags == 0, "recursive attributes are not MS_* flags");
  mount_opts_free (&o);

  const char *f[] = { "tmpcopyup", "ridmap" };
  TAP_EQ_INT (parse (&o, f, 2), 0, "tmpcopyup,ridmap parse");
  TAP_OK (o.tmpcopyup && o.idmap && o.ridmap && o.data == NULL, "runc extensions are not passed as data");
  mount_opts_free (&o);

  const char *g[] = { "a,b" };
  TAP_EQ_INT (parse (&o, g, 1), -1, "an option holding a comma is rejected");

  TAP_EQ_INT (mount_propagation_from_name ("rshared"), MS_SHARED | MS_REC, "rootfsPropagation rshared");
  TAP_EQ_INT (mount_propagation_from_name ("unbindable"), MS_UNBINDABLE, "rootfsPropagation unbindable");
  TAP_EQ_INT (mount_propagation_from_name ("runbindable"), MS_UNBINDABLE | MS_REC, "rootfsPropagation runbindable");
  TAP_EQ_INT (mount_propagation_from_name (NULL), 0, "no rootfsPropagation");
  TAP_EQ_INT (mount_propagation_from_name ("sideways"), -1, "unknown rootfsPropagation");
}

static void
test_mountinfo (void)
{
  char l1[] = "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue\n";
  char l2[] = "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct";
  char l3[] = "50 1 0:50 / /mnt/with\\040space rw - tmpfs tmpfs rw";
  char l4[] = "garbage line";
  struct mountinfo_entry e;

  TAP_EQ_INT (mountinfo_parse_line (l1, &e), 0, "mountinfo line with optional fields");
  TAP_EQ_STR (e.mount_point, "/mnt/parent", "mount point");
  TAP_EQ_STR (e.root, "/mnt1", "root");
  TAP_EQ_STR (e.optional, "master:1 shared:7", "every optional field kept");
  TAP_EQ_STR (e.fstype, "ext3", "fstype after the separator");
  TAP_EQ_STR (e.super_options, "rw,errors=continue", "super options");
  TAP_EQ_INT (mountinfo_parse_line (l2, &e), 0, "cgroup line without optional fields");
  TAP_OK (e.optional == NULL, "no optional fields");
  TAP_EQ_STR (e.super_options, "rw,cpu,cpuacct", "controllers in super options");
  TAP_EQ_INT (mountinfo_parse_line (l3, &e), 0, "escaped mount point");
  TAP_EQ_STR (e.mount_point, "/mnt/with space", "\\040 unescaped");
  TAP_EQ_INT (mountinfo_parse_line (l4, &e), -1, "malformed line rejected");

  struct mountinfo mi = { 0 };
  char a[] = "1 0 0:1 / / rw - ext4 /dev/vda rw", b[] = "2 1 0:2 / /tmp rw shared:3 - tmpfs tmpfs rw",
       c[] = "3 2 0:3 / /tmp/x/y rw - tmpfs tmpfs rw";
  struct mountinfo_entry es[3];
  mountinfo_parse_line (a, &es[0]);
  mountinfo_parse_line (b, &es[1]);
  mountinfo_parse_line (c, &es[2]);
  mi.entries = es;
  mi.len = 3;
  TAP_EQ_STR (mountinfo_find_mount_of (&mi, "/tmp/x/z")->mount_point, "/tmp", "path under /tmp lives on /tmp");
  TAP_EQ_STR (mountinfo_find_mount_of (&mi, "/tmpfoo")->mount_point, "/", "prefix match stops at a component");
  TAP_EQ_STR (mountinfo_find_mount_of (&mi, "/tmp/x/y/z")->mount_point, "/tmp/x/y", "deepest mount wins");
}

static void
test_caps (void)
{
  hull_err err = NULL;
  TAP_EQ_INT (cap_from_name_checked ("CAP_SYS_ADMIN", &err), CAP_SYS_ADMIN, "CAP_SYS_ADMIN");
  TAP_EQ_INT (cap_from_name_checked ("CAP_NET_BIND_SERVICE", &err), CAP_NET_BIND_SERVICE, "CAP_NET_BIND_SERVICE");
  TAP_EQ_INT (cap_from_name_checked ("CAP_TEST", &err), -1, "CAP_TEST is unknown");
  TAP_EQ_STR (err ? err->msg : NULL, "unknown capability CAP_TEST", "unknown capability message");
  hull_error_release (&err);
  TAP_EQ_INT (cap_from_name_checked ("sys_admin", &err), -1, "names without CAP_ are refused");
  hull_error_release (&err);

  struct oci_capabilities c = { 0 };
  char *bad[] = { "CAP_KILL", "CAP_NOPE", NULL };
  c.ambient.items = bad;
  c.ambient.len = 2;
  TAP_EQ_INT (caps_validate (&c, &err), -1, "validate fails on an unknown ambient capability");
  TAP_OK (err && strstr (err->msg, "process.capabilities.ambient") && strstr (err->msg, "CAP_NOPE"),
          "the error names the set and the capability");
  hull_error_release (&err);
}

static void
test_seccomp (void)
{
  hull_err err = NULL;
  uint32_t a;
  unsigned long f;

  TAP_OK (seccomp_action_from_name ("SCMP_ACT_KILL", 0, &a, &err) == 0 && a == SCMP_ACT_KILL_THREAD, "KILL is KILL_THREAD");
  TAP_OK (seccomp_action_from_name ("SCMP_ACT_KILL_PROCESS", 0, &a, &err) == 0 && a == SCMP_ACT_KILL_PROCESS, "KILL_PROCESS");
  TAP_OK (seccomp_action_from_name ("SCMP_ACT_KILL_THREAD", 0, &a, &err) == 0 && a == SCMP_ACT_KILL_THREAD, "KILL_THREAD");
  TAP_OK (seccomp_action_from_name ("SCMP_ACT_TRAP", 0, &a, &err) == 0 && a == SCMP_ACT_TRAP, "TRAP");
  TAP_OK (seccomp_action_from_name ("SCMP_ACT_ERRNO", 38, &a, &err) == 0 && a == SCMP_ACT_ERRNO (38), "ERRNO(38)");
  TAP_OK (seccomp_action_from_name ("SCMP_ACT_TRACE", 1, &a, &err) == 0 && a == SCMP_ACT_TRACE (1), "TRACE(1)");
  TAP_OK (seccomp_action_from_name ("SCMP_ACT_ALLOW", 0, &a, &err) == 0 && a == SCMP_ACT_ALLOW, "ALLOW");
  TAP_OK (seccomp_action_from_name ("SCMP_ACT_LOG", 0, &a, &err) == 0 && a == SCMP_ACT_LOG, "LOG");
  TAP_OK (seccomp_action_from_name ("SCMP_ACT_NOTIFY", 0, &a, &err) == 0 && a == SCMP_ACT_NOTIFY, "NOTIFY");
  TAP_EQ_INT (seccomp_action_from_name ("SCMP_ACT_MAYBE", 0, &a, &err), -1, "unknown action");
  hull_error_release (&err);

  TAP_OK (seccomp_flag_from_name ("SECCOMP_FILTER_FLAG_TSYNC", &f, &err) == 0 && f == SECCOMP_FILTER_FLAG_TSYNC, "TSYNC");
  TAP_OK (seccomp_flag_from_name ("SECCOMP_FILTER_FLAG_LOG", &f, &err) == 0 && f == SECCOMP_FILTER_FLAG_LOG, "LOG flag");
  TAP_OK (seccomp_flag_from_name ("SECCOMP_FILTER_FLAG_SPEC_ALLOW", &f, &err) == 0 && f == SECCOMP_FILTER_FLAG_SPEC_ALLOW,
          "SPEC_ALLOW");
  TAP_OK (seccomp_flag_from_name ("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", &f, &err) == 0 && f == (1UL << 5),
          "WAIT_KILLABLE_RECV");
  TAP_EQ_INT (seccomp_flag_from_name ("SECCOMP_FILTER_FLAG_NOPE", &f, &err), -1, "unknown flag");
  hull_error_release (&err);

  TAP_OK (seccomp_arch_from_name ("SCMP_ARCH_X86_64", &a, &err) == 0 && a == SCMP_ARCH_X86_64, "SCMP_ARCH_X86_64");
  TAP_OK (seccomp_arch_from_name ("SCMP_ARCH_AARCH64", &a, &err) == 0 && a == SCMP_ARCH_AARCH64, "SCMP_ARCH_AARCH64");
  TAP_OK (seccomp_arch_from_name ("SCMP_ARCH_X32", &a, &err) == 0 && a == SCMP_ARCH_X32, "SCMP_ARCH_X32");
  TAP_EQ_INT (seccomp_arch_from_name ("SCMP_ARCH_Z80", &a, &err), -1, "unknown architecture");
  hull_error_release (&err);

  /* A profile builds into BPF: masked eq, two conditions on one argument
     (OR) and on two arguments (AND), an unknown syscall skipped. */
  struct oci_seccomp_arg args_or[] = { { .index = 0, .value = 1, .op = OCI_SCMP_CMP_EQ },
                                       { .index = 0, .value = 2, .op = OCI_SCMP_CMP_EQ } };
  struct oci_seccomp_arg args_and[] = { { .index = 0, .value = 0xff, .value_two = 0x10, .op = OCI_SCMP_CMP_MASKED_EQ },
                                        { .index = 2, .value = 5, .op = OCI_SCMP_CMP_GT } };
  char *n1[] = { "personality", NULL }, *n2[] = { "ioctl", "no_such_syscall", NULL };
  struct oci_seccomp_syscall sc[] = {
    { .names = { n1, 1 }, .action = "SCMP_ACT_ERRNO", .errno_ret = { true, 1 }, .args = args_or, .args_len = 2 },
    { .names = { n2, 2 }, .action = "SCMP_ACT_KILL_PROCESS", .args = args_and, .args_len = 2 },
  };
  char *archs[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", NULL };
  struct oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .architectures = { archs, 2 }, .syscalls = sc,
                           .syscalls_len = 2 };
  struct seccomp_prog prog;
  TAP_EQ_INT (seccomp_prepare (&s, &prog, &err), 0, "profile with argument rules compiles");
  TAP_OK (prog.len > 0 && prog.len % 8 == 0 && !prog.notify, "BPF program produced, no listener");
  seccomp_prog_free (&prog);

  char *wk[] = { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL };
  s.flags = (struct oci_strv) { wk, 1 };
  TAP_EQ_INT (seccomp_prepare (&s, &prog, &err), 0, "WAIT_KILLABLE_RECV without notify");
  TAP_OK (prog.flags == 0, "WAIT_KILLABLE_RECV dropped without a listener (the kernel refuses it)");
  seccomp_prog_free (&prog);
  sc[1].action = "SCMP_ACT_NOTIFY";
  TAP_EQ_INT (seccomp_prepare (&s, &prog, &err), 0, "notify profile compiles");
  TAP_OK (prog.notify && (prog.flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) && (prog.flags & (1UL << 5)),
          "notify asks for a listener and keeps WAIT_KILLABLE_RECV");
  seccomp_prog_free (&prog);

  struct oci_linux l = { .seccomp = &s };
  struct oci_spec spec = { .linux_ = &l };
  TAP_EQ_INT (seccomp_validate (&spec, &err), -1, "SCMP_ACT_NOTIFY without listenerPath is refused");
  hull_error_release (&err);
  s.listener_path = "/run/agent.sock";
  TAP_EQ_INT (seccomp_validate (&spec, &err), 0, "with a listenerPath it validates");
  args_and[1].index = 6;
  TAP_EQ_INT (seccomp_validate (&spec, &err), -1, "argument index 6 is refused");
  hull_error_release (&err);
}

static void
test_sysctl (void)
{
  hull_err err = NULL;
  TAP_EQ_INT (sysctl_validate ("net.ipv4.ip_forward", true, false, false, &err), 0, "net.* with a netns");
  TAP_EQ_INT (sysctl_validate ("net.ipv4.ip_forward", false, true, true, &err), -1, "net.* without a netns");
  hull_error_release (&err);
  TAP_EQ_INT (sysctl_validate ("kernel.shmmax", false, true, false, &err), 0, "kernel.shmmax with an ipc ns");
  TAP_EQ_INT (sysctl_validate ("kernel.msgmax", true, false, true, &err), -1, "kernel.msgmax without an ipc ns");
  hull_error_release (&err);
  TAP_EQ_INT (sysctl_validate ("fs.mqueue.msg_max", false, true, false, &err), 0, "fs.mqueue.* with an ipc ns");
  TAP_EQ_INT (sysctl_validate ("kernel.domainname", false, false, true, &err), 0, "kernel.domainname with uts");
  TAP_EQ_INT (sysctl_validate ("kernel.hostname", true, true, false, &err), -1, "kernel.hostname without uts");
  hull_error_release (&err);
  TAP_EQ_INT (sysctl_validate ("vm.swappiness", true, true, true, &err), -1, "vm.* is never namespaced");
  TAP_OK (err && strstr (err->msg, "vm.swappiness"), "the error names the key");
  hull_error_release (&err);
  TAP_EQ_INT (sysctl_validate ("net/../../kernel/x", true, true, true, &err), -1, "path tricks refused");
  hull_error_release (&err);
}

static void
test_process_tables (void)
{
  hull_err err = NULL;
  cpu_set_t set;
  int v;

  TAP_EQ_INT (rlimit_from_name ("RLIMIT_NOFILE"), RLIMIT_NOFILE, "RLIMIT_NOFILE");
  TAP_EQ_INT (rlimit_from_name ("RLIMIT_RTTIME"), RLIMIT_RTTIME, "RLIMIT_RTTIME");
  TAP_EQ_INT (rlimit_from_name ("RLIMIT_FOO"), -1, "unknown rlimit");

  TAP_EQ_INT (cpu_list_parse ("0-2,5", &set, &err), 0, "cpu list 0-2,5");
  TAP_OK (CPU_COUNT (&set) == 4 && CPU_ISSET (0, &set) && CPU_ISSET (2, &set) && CPU_ISSET (5, &set)
              && !CPU_ISSET (3, &set),
          "cpus 0,1,2,5");
  TAP_EQ_INT (cpu_list_parse ("3-1", &set, &err), -1, "reversed range refused");
  hull_error_release (&err);
  TAP_EQ_INT (cpu_list_parse ("1,,2", &set, &err), -1, "empty element refused");
  hull_error_release (&err);
  TAP_EQ_INT (cpu_list_parse ("a", &set, &err), -1, "garbage refused");
  hull_error_release (&err);

  TAP_EQ_INT (personality_from_name ("LINUX32"), 0x0008, "LINUX32 is PER_LINUX32");
  TAP_EQ_INT (personality_from_name ("LINUX"), 0, "LINUX is PER_LINUX");
  TAP_EQ_INT (personality_from_name ("BSD"), -1, "other domains refused");

  struct oci_io_priority io = { .klass = "IOPRIO_CLASS_BE", .priority = 4 };
  TAP_OK (ioprio_from_spec (&io, &v, &err) == 0 && v == ((2 << 13) | 4), "IOPRIO_CLASS_BE/4");
  io.priority = 8;
  TAP_EQ_INT (ioprio_from_spec (&io, &v, &err), -1, "priority 8 refused");
  hull_error_release (&err);

  char *flags[] = { "SCHED_FLAG_RESET_ON_FORK", NULL };
  struct oci_scheduler s = { .policy = "SCHED_DEADLINE", .flags = { flags, 1 }, .runtime = { true, 10 },
                             .deadline = { true, 20 }, .period = { true, 30 } };
  struct { uint32_t size, policy; uint64_t flags; int32_t nice; uint32_t prio; uint64_t rt, dl, per; } attr;
  TAP_EQ_INT (scheduler_from_spec (&s, &attr, &err), 0, "SCHED_DEADLINE parses");
  TAP_OK (attr.size == 48 && attr.policy == 6 && attr.flags == 1 && attr.rt == 10 && attr.dl == 20 && attr.per == 30,
          "sched_attr filled");
  s.policy = "SCHED_NOPE";
  TAP_EQ_INT (scheduler_from_spec (&s, &attr, &err), -1, "unknown policy refused");
  hull_error_release (&err);
}

static void
test_userns_map (void)
{
  struct oci_id_mapping m[] = { { 0, 100000, 1 }, { 1, 200000, 65535 } };
  cleanup_free char *s = userns_format_map (m, 2);
  TAP_EQ_STR (s, "0 100000 1\n1 200000 65535\n", "uid_map text, one line per mapping");
}

int
main (void)
{
  test_mount_options ();
  test_mountinfo ();
  test_caps ();
  test_seccomp ();
  test_sysctl ();
  test_process_tables ();
  test_userns_map ();
  return tap_done ();
}

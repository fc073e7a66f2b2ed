/* `hull features`: the OCI features document (runtime-spec features.md),
   as `runc features` and `crun features` print it. */
#include "oci-spec/hull_status.h"
#include "oci-spec/json_write.h"

static const char *const hooks[] = { "prestart",       "createRuntime", "createContainer",
                                     "startContainer", "poststart",     "poststop",
                                     NULL };

static const char *const mount_options[] = {
  "async",     "atime",      "bind",        "defaults",  "dev",       "diratime",    "dirsync",    "exec",
  "iversion",  "lazytime",   "loud",        "mand",      "noatime",   "nodev",       "nodiratime", "noexec",
  "noiversion", "nolazytime", "nomand",     "norelatime", "nostrictatime", "nosuid", "private",
  "ratime",    "rbind",      "rdev",        "rdiratime", "relatime",  "remount",     "rexec",      "rnoatime",
  "rnodev",    "rnodiratime", "rnoexec",    "rnorelatime", "rnostrictatime", "rnosuid", "rnosymfollow", "ro",
  "rprivate",  "rrelatime",  "rro",         "rrw",       "rshared",   "rslave",      "rstrictatime", "rsuid",
  "rsymfollow", "runbindable", "rw",        "shared",    "silent",    "slave",       "strictatime", "suid",
  "sync",       "tmpcopyup",   "unbindable", NULL,
};

static const char *const namespaces[] = { "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts", NULL };

/* Every capability up to CAP_CHECKPOINT_RESTORE (40), in number order. */
static const char *const capabilities[] = {
  "CAP_CHOWN",           "CAP_DAC_OVERRIDE",  "CAP_DAC_READ_SEARCH", "CAP_FOWNER",           "CAP_FSETID",
  "CAP_KILL",            "CAP_SETGID",        "CAP_SETUID",          "CAP_SETPCAP",          "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",      "CAP_NET_RAW",          "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",       "CAP_SYS_MODULE",    "CAP_SYS_RAWIO",       "CAP_SYS_CHROOT",       "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",       "CAP_SYS_ADMIN",     "CAP_SYS_BOOT",        "CAP_SYS_NICE",         "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",          "CAP_LEASE",            "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",       "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",        "CAP_SYSLOG",
  "CAP_WAKE_ALARM",      "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",      "CAP_PERFMON",          "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE", NULL,
};

static const char *const seccomp_actions[] = { "SCMP_ACT_ALLOW",       "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
                                               "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
                                               "SCMP_ACT_NOTIFY",      "SCMP_ACT_TRACE", "SCMP_ACT_TRAP",
                                               NULL };

static const char *const seccomp_operators[] = { "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",        "SCMP_CMP_LE",
                                                 "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL };

static const char *const seccomp_archs[] = {
  "SCMP_ARCH_AARCH64",  "SCMP_ARCH_ARM",     "SCMP_ARCH_MIPS",    "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
  "SCMP_ARCH_MIPSEL",   "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
  "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_RISCV64", "SCMP_ARCH_S390",    "SCMP_ARCH_S390X",  "SCMP_ARCH_X32",
  "SCMP_ARCH_X86",      "SCMP_ARCH_X86_64",  NULL,
};

static const char *const seccomp_flags[] = { "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                             "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                             "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL };

static void
enabled (yajl_gen g, const char *key, bool on)
{
  jw_str (g, key);
  jw_open (g);
  jw_kv_bool (g, "enabled", on);
  jw_close (g);
}

static void
write_linux (yajl_gen g)
{
  jw_str (g, "linux");
  jw_open (g);
  jw_kv_strlist (g, "namespaces", namespaces);
  jw_kv_strlist (g, "capabilities", capabilities);

  jw_str (g, "cgroup");
  jw_open (g);
  jw_kv_bool (g, "v1", true);
  jw_kv_bool (g, "v2", true);
  jw_kv_bool (g, "systemd", false);
  jw_kv_bool (g, "systemdUser", false);
  jw_close (g);

  jw_str (g, "seccomp");
  jw_open (g);
  jw_kv_bool (g, "enabled", true);
  jw_kv_strlist (g, "actions", seccomp_actions);
  jw_kv_strlist (g, "operators", seccomp_operators);
  jw_kv_strlist (g, "archs", seccomp_archs);
  jw_kv_strlist (g, "knownFlags", seccomp_flags);
  jw_kv_strlist (g, "supportedFlags", seccomp_flags);
  jw_close (g);

  enabled (g, "apparmor", false);
  enabled (g, "selinux", false);
  enabled (g, "intelRdt", false);
  jw_str (g, "mountExtensions");
  jw_open (g);
  enabled (g, "idmap", false);
  jw_close (g);
  jw_close (g);
}

char *
oci_features_json_ex (const char *libseccomp_version)
{
  yajl_gen g = jw_new (true);
  jw_open (g);
  jw_kv_str (g, "ociVersionMin", "1.0.0");
  jw_kv_str (g, "ociVersionMax", "1.2.0");
  jw_kv_strlist (g, "hooks", hooks);
  jw_kv_strlist (g, "mountOptions", mount_options);
  write_linux (g);
  jw_str (g, "annotations");
  jw_open (g);
  jw_kv_str (g, "io.github.seccomp.libseccomp.version", libseccomp_version);
  jw_kv_str (g, "io.hull.isolation.supported", "container,microvm");
  /* The io.hull.* annotations hull reads from config.json, with what they take. */
  jw_kv_str (g, "io.hull.isolation", "container|microvm");
  jw_kv_str (g, "io.hull.vmm", "builtin|qemu");
  jw_kv_str (g, "io.hull.vm.cpus", "vCPUs (1..64)");
  jw_kv_str (g, "io.hull.vm.memory", "MiB of guest memory (at least 64)");
  jw_kv_str (g, "io.hull.vm.disk-size", "MiB of the rootfs image");
  jw_close (g);
  jw_close (g);
  return jw_finish (g);
}

char *
oci_features_json (void)
{
  return oci_features_json_ex (NULL);
}

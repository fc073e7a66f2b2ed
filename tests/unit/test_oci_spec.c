/* oci-spec/: a config.json using every field the parser knows, read back
   field by field. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci-spec/oci_spec.h"
#include "tests/unit/tap.h"

static const char full_config[] = "{\n"
  "  \"ociVersion\": \"1.2.0\",\n"
  "  \"unknownTopLevel\": {\"ignored\": [1, 2, {\"x\": null}]},\n"
  "  \"process\": {\n"
  "    \"terminal\": true,\n"
  "    \"consoleSize\": {\"height\": 24, \"width\": 80},\n"
  "    \"user\": {\"uid\": 1000, \"gid\": 1001, \"umask\": 18, \"additionalGids\": [5, 6, 4294967295], \"username\": \"u\"},\n"
  "    \"args\": [\"sh\", \"-c\", \"echo hi\"],\n"
  "    \"env\": [\"PATH=/bin\", \"TERM=xterm\"],\n"
  "    \"cwd\": \"/work\",\n"
  "    \"capabilities\": {\n"
  "      \"bounding\": [\"CAP_KILL\", \"CAP_CHOWN\"], \"effective\": [\"CAP_KILL\"], \"inheritable\": [],\n"
  "      \"permitted\": [\"CAP_KILL\"]\n"
  "    },\n"
  "    \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 512},\n"
  "                {\"type\": \"RLIMIT_CORE\", \"hard\": 18446744073709551615, \"soft\": 0}],\n"
  "    \"noNewPrivileges\": true,\n"
  "    \"apparmorProfile\": \"aa\",\n"
  "    \"oomScoreAdj\": -500,\n"
  "    \"selinuxLabel\": \"system_u:system_r:svirt_lxc_net_t:s0\",\n"
  "    \"ioPriority\": {\"class\": \"IOPRIO_CLASS_BE\", \"priority\": 4},\n"
  "    \"scheduler\": {\"policy\": \"SCHED_DEADLINE\", \"nice\": -5, \"priority\": 3, \"flags\": [\"SCHED_FLAG_RESET_ON_FORK\"],\n"
  "                  \"runtime\": 10000, \"deadline\": 20000, \"period\": 30000},\n"
  "    \"execCPUAffinity\": {\"initial\": \"0\", \"final\": \"0-1\"}\n"
  "  },\n"
  "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
  "  \"hostname\": \"box\",\n"
  "  \"domainname\": \"example.org\",\n"
  "  \"mounts\": [\n"
  "    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
  "    {\"destination\": \"/data\", \"source\": \"/srv/data\", \"options\": [\"rbind\", \"ro\"],\n"
  "     \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}],\n"
  "     \"gidMappings\": [{\"containerID\": 1, \"hostID\": 200000, \"size\": 10}]}\n"
  "  ],\n"
  "  \"hooks\": {\n"
  "    \"prestart\": [{\"path\": \"/bin/pre\", \"args\": [\"pre\", \"a\"], \"env\": [\"A=1\"], \"timeout\": 5}],\n"
  "    \"createRuntime\": [{\"path\": \"/bin/cr\"}],\n"
  "    \"createContainer\": [{\"path\": \"/bin/cc\"}, {\"path\": \"/bin/cc2\"}],\n"
  "    \"startContainer\": [{\"path\": \"/bin/sc\"}],\n"
  "    \"poststart\": [{\"path\": \"/bin/ps\"}],\n"
  "    \"poststop\": [{\"path\": \"/bin/pst\", \"timeout\": 1}]\n"
  "  },\n"
  "  \"annotations\": {\"org.example.a\": \"1\", \"org.example.b\": \"two\"},\n"
  "  \"linux\": {\n"
  "    \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\", \"path\": \"/var/run/netns/x\"}, {\"type\": \"mount\"},\n"
  "                   {\"type\": \"ipc\"}, {\"type\": \"uts\"}, {\"type\": \"user\"}, {\"type\": \"cgroup\"}, {\"type\": \"time\"}],\n"
  "    \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}, {\"containerID\": 1, \"hostID\": 100000, \"size\": 65536}],\n"
  "    \"gidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}],\n"
  "    \"timeOffsets\": {\"monotonic\": {\"secs\": -86400, \"nanosecs\": 7}, \"boottime\": {\"secs\": 3600}},\n"
  "    \"devices\": [{\"type\": \"c\", \"path\": \"/dev/fuse\", \"major\": 10, \"minor\": 229, \"fileMode\": 438, \"uid\": 0, \"gid\": 5},\n"
  "                {\"type\": \"p\", \"path\": \"/dev/fifo\"}],\n"
  "    \"cgroupsPath\": \"/hull/box\",\n"
  "    \"resources\": {\n"
  "      \"devices\": [{\"allow\": false, \"access\": \"rwm\"}, {\"allow\": true, \"type\": \"c\", \"major\": 10, \"minor\": 229, \"access\": \"rw\"}],\n"
  "      \"memory\": {\"limit\": 536870912, \"reservation\": 268435456, \"swap\": -1, \"kernel\": 1, \"kernelTCP\": 2,\n"
  "                 \"swappiness\": 60, \"disableOOMKiller\": false, \"useHierarchy\": true, \"checkBeforeUpdate\": true},\n"
  "      \"cpu\": {\"shares\": 1024, \"quota\": 50000, \"burst\": 1000, \"period\": 100000, \"realtimeRuntime\": 950000,\n"
  "              \"realtimePeriod\": 1000000, \"cpus\": \"0-1\", \"mems\": \"0\", \"idle\": 1},\n"
  "      \"pids\": {\"limit\": 100},\n"
  "      \"blockIO\": {\"weight\": 500, \"leafWeight\": 300,\n"
  "                  \"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 600, \"leafWeight\": 200}],\n"
  "                  \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 1048576}],\n"
  "                  \"throttleWriteBpsDevice\": [{\"major\": 8, \"minor\": 1, \"rate\": 2097152}],\n"
  "                  \"throttleReadIOPSDevice\": [{\"major\": 8, \"minor\": 2, \"rate\": 100}],\n"
  "                  \"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 3, \"rate\": 200}]},\n"
  "      \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 209715200}],\n"
  "      \"network\": {\"classID\": 1048577, \"priorities\": [{\"name\": \"eth0\", \"priority\": 500}]},\n"
  "      \"rdma\": {\"mlx5_1\": {\"hcaHandles\": 3, \"hcaObjects\": 10000}},\n"
  "      \"unified\": {\"memory.high\": \"1G\", \"io.weight\": \"100\"}\n"
  "    },\n"
  "    \"rootfsPropagation\": \"rslave\",\n"
  "    \"seccomp\": {\n"
  "      \"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38,\n"
  "      \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\"],\n"
  "      \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"],\n"
  "      \"listenerPath\": \"/run/listener.sock\", \"listenerMetadata\": \"meta\",\n"
  "      \"syscalls\": [\n"
  "        {\"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\"},\n"
  "        {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1,\n"
  "         \"args\": [{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"},\n"
  "                  {\"index\": 1, \"value\": 18446744073709551615, \"valueTwo\": 4, \"op\": \"SCMP_CMP_MASKED_EQ\"}]},\n"
  "        {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}\n"
  "      ]\n"
  "    },\n"
  "    \"sysctl\": {\"net.ipv4.ip_forward\": \"1\", \"kernel.msgmax\": \"8192\"},\n"
  "    \"maskedPaths\": [\"/proc/kcore\"],\n"
  "    \"readonlyPaths\": [],\n"
  "    \"mountLabel\": \"system_u:object_r:svirt_sandbox_file_t:s0\",\n"
  "    \"personality\": {\"domain\": \"LINUX32\", \"flags\": []},\n"
  "    \"intelRdt\": {\"closID\": \"g1\", \"l3CacheSchema\": \"L3:0=ff\", \"memBwSchema\": \"MB:0=50\", \"enableCMT\": true, \"enableMBM\": true}\n"
  "  }\n"
  "}\n";

static void
check_process (const struct oci_process *p)
{
  TAP_OK (p->terminal, "process.terminal");
  TAP_OK (p->has_console_size && p->console_height == 24 && p->console_width == 80, "process.consoleSize");
  TAP_EQ_INT (p->user.uid, 1000, "process.user.uid");
  TAP_EQ_INT (p->user.gid, 1001, "process.user.gid");
  TAP_OK (p->user.umask.set && p->user.umask.v == 18, "process.user.umask");
  TAP_OK (p->user.additional_gids_len == 3 && p->user.additional_gids[0] == 5
              && p->user.additional_gids[2] == 4294967295u,
          "process.user.additionalGids (uint32 max fits)");
  TAP_EQ_STR (p->user.username, "u", "process.user.username");
  TAP_OK (p->args.len == 3 && p->args.items[3] == NULL, "process.args has 3 items, NULL-terminated");
  TAP_EQ_STR (p->args.items[2], "echo hi", "process.args[2]");
  TAP_OK (p->env.len == 2 && strcmp (p->env.items[1], "TERM=xterm") == 0, "process.env");
  TAP_EQ_STR (p->cwd, "/work", "process.cwd");
  TAP_OK (p->capabilities != NULL, "process.capabilities present");
  TAP_OK (p->capabilities->has_bounding && p->capabilities->bounding.len == 2
              && strcmp (p->capabilities->bounding.items[1], "CAP_CHOWN") == 0,
          "capabilities.bounding");
  TAP_OK (p->capabilities->has_effective && p->capabilities->effective.len == 1, "capabilities.effective");
  TAP_OK (p->capabilities->has_inheritable && p->capabilities->inheritable.len == 0,
          "capabilities.inheritable: present and empty");
  TAP_OK (p->capabilities->has_permitted, "capabilities.permitted");
  TAP_OK (!p->capabilities->has_ambient && p->capabilities->ambient.len == 0, "capabilities.ambient absent");
  TAP_EQ_INT (p->rlimits_len, 2, "process.rlimits count");
  TAP_EQ_STR (p->rlimits[0].type, "RLIMIT_NOFILE", "rlimits[0].type");
  TAP_OK (p->rlimits[0].hard == 1024 && p->rlimits[0].soft == 512, "rlimits[0] hard/soft");
  TAP_OK (p->rlimits[1].hard == UINT64_MAX, "rlimits[1].hard: uint64 max");
  TAP_OK (p->no_new_privileges, "process.noNewPrivileges");
  TAP_EQ_STR (p->apparmor_profile, "aa", "process.apparmorProfile");
  TAP_OK (p->oom_score_adj.set && p->oom_score_adj.v == -500, "process.oomScoreAdj");
  TAP_EQ_STR (p->selinux_label, "system_u:system_r:svirt_lxc_net_t:s0", "process.selinuxLabel");
  TAP_OK (p->io_priority && strcmp (p->io_priority->klass, "IOPRIO_CLASS_BE") == 0 && p->io_priority->priority == 4,
          "process.ioPriority");
  TAP_EQ_STR (p->scheduler->policy, "SCHED_DEADLINE", "scheduler.policy");
  TAP_OK (p->scheduler->nice.set && p->scheduler->nice.v == -5 && p->scheduler->priority.v == 3, "scheduler nice/priority");
  TAP_OK (p->scheduler->flags.len == 1 && p->scheduler->runtime.v == 10000 && p->scheduler->deadline.v == 20000
              && p->scheduler->period.v == 30000,
          "scheduler flags/runtime/deadline/period");
  TAP_OK (p->exec_cpu_affinity && strcmp (p->exec_cpu_affinity->initial, "0") == 0
              && strcmp (p->exec_cpu_affinity->final, "0-1") == 0,
          "process.execCPUAffinity");
}

static void
check_top (const struct oci_spec *s)
{
  const struct oci_hooks *h = s->hooks;
  TAP_EQ_STR (s->oci_version, "1.2.0", "ociVersion");
  TAP_OK (s->root && strcmp (s->root->path, "rootfs") == 0 && s->root->readonly, "root");
  TAP_EQ_STR (s->hostname, "box", "hostname");
  TAP_EQ_STR (s->domainname, "example.org", "domainname");
  TAP_EQ_INT (s->mounts_len, 2, "mounts count");
  TAP_OK (strcmp (s->mounts[0].type, "proc") == 0 && s->mounts[0].options.len == 0, "mounts[0]");
  TAP_OK (s->mounts[1].type == NULL && strcmp (s->mounts[1].source, "/srv/data") == 0, "mounts[1]: no type");
  TAP_OK (s->mounts[1].options.len == 2 && strcmp (s->mounts[1].options.items[0], "rbind") == 0, "mounts[1].options");
  TAP_OK (s->mounts[1].uid_mappings_len == 1 && s->mounts[1].uid_mappings[0].host_id == 100000
              && s->mounts[1].uid_mappings[0].size == 65536,
          "mounts[1].uidMappings");
  TAP_OK (s->mounts[1].gid_mappings_len == 1 && s->mounts[1].gid_mappings[0].container_id == 1,
          "mounts[1].gidMappings");
  TAP_OK (h != NULL, "hooks present");
  TAP_OK (h->prestart.len == 1 && strcmp (h->prestart.items[0].path, "/bin/pre") == 0
              && h->prestart.items[0].args.len == 2 && h->prestart.items[0].env.len == 1
              && h->prestart.items[0].timeout.set && h->prestart.items[0].timeout.v == 5,
          "hooks.prestart");
  TAP_OK (h->create_runtime.len == 1 && !h->create_runtime.items[0].timeout.set, "hooks.createRuntime");
  TAP_OK (h->create_container.len == 2 && strcmp (h->create_container.items[1].path, "/bin/cc2") == 0,
          "hooks.createContainer");
  TAP_OK (h->start_container.len == 1 && h->poststart.len == 1, "hooks.startContainer, poststart");
  TAP_OK (h->poststop.len == 1 && h->poststop.items[0].timeout.v == 1, "hooks.poststop");
  TAP_EQ_INT (s->annotations.len, 2, "annotations count");
  TAP_EQ_STR (oci_annotation (s, "org.example.b"), "two", "oci_annotation finds a key");
  TAP_OK (oci_annotation (s, "nope") == NULL, "oci_annotation: absent key");
}

static void
check_resources (const struct oci_resources *r)
{
  TAP_OK (r != NULL, "linux.resources present");
  TAP_OK (r->devices_len == 2 && !r->devices[0].allow && r->devices[0].type == NULL && !r->devices[0].major.set,
          "resources.devices[0]: deny all, wildcard");
  TAP_OK (r->devices[1].allow && strcmp (r->devices[1].type, "c") == 0 && r->devices[1].major.v == 10
              && r->devices[1].minor.v == 229 && strcmp (r->devices[1].access, "rw") == 0,
          "resources.devices[1]");
  TAP_OK (r->memory && r->memory->limit.v == 536870912 && r->memory->reservation.v == 268435456
              && r->memory->swap.set && r->memory->swap.v == -1 && r->memory->kernel.v == 1
              && r->memory->kernel_tcp.v == 2 && r->memory->swappiness.v == 60,
          "resources.memory numbers");
  TAP_OK (r->memory->disable_oom_killer.set && !r->memory->disable_oom_killer.v && r->memory->use_hierarchy.v
              && r->memory->check_before_update.v,
          "resources.memory booleans");
  TAP_OK (r->cpu && r->cpu->shares.v == 1024 && r->cpu->quota.v == 50000 && r->cpu->burst.v == 1000
              && r->cpu->period.v == 100000 && r->cpu->realtime_runtime.v == 950000
              && r->cpu->realtime_period.v == 1000000 && r->cpu->idle.v == 1,
          "resources.cpu numbers");
  TAP_OK (strcmp (r->cpu->cpus, "0-1") == 0 && strcmp (r->cpu->mems, "0") == 0, "resources.cpu cpus/mems");
  TAP_OK (r->pids_limit.set && r->pids_limit.v == 100, "resources.pids.limit");
  TAP_OK (r->block_io && r->block_io->weight.v == 500 && r->block_io->leaf_weight.v == 300, "blockIO weights");
  TAP_OK (r->block_io->weight_device_len == 1 && r->block_io->weight_device[0].major == 8
              && r->block_io->weight_device[0].weight.v == 600 && r->block_io->weight_device[0].leaf_weight.v == 200,
          "blockIO.weightDevice");
  TAP_OK (r->block_io->throttle_read_bps_len == 1 && r->block_io->throttle_read_bps[0].rate == 1048576
              && r->block_io->throttle_write_bps[0].minor == 1 && r->block_io->throttle_read_iops[0].rate == 100
              && r->block_io->throttle_write_iops[0].rate == 200,
          "blockIO throttles");
  TAP_OK (r->hugepage_limits_len == 1 && strcmp (r->hugepage_limits[0].page_size, "2MB") == 0
              && r->hugepage_limits[0].limit == 209715200,
          "hugepageLimits");
  TAP_OK (r->network && r->network->class_id.v == 1048577 && r->network->priorities_len == 1
              && strcmp (r->network->priorities[0].name, "eth0") == 0 && r->network->priorities[0].priority == 500,
          "network");
  TAP_OK (r->rdma_len == 1 && strcmp (r->rdma[0].device, "mlx5_1") == 0 && r->rdma[0].hca_handles.v == 3
              && r->rdma[0].hca_objects.v == 10000,
          "rdma");
  TAP_OK (r->unified.len == 2 && strcmp (r->unified.items[0].key, "memory.high") == 0
              && strcmp (r->unified.items[0].value, "1G") == 0,
          "unified, in document order");
}

static void
check_linux (const struct oci_spec *s)
{
  const struct oci_linux *l = s->linux_;
  const struct oci_seccomp *sc;
  TAP_OK (l != NULL, "linux present");
  TAP_EQ_INT (l->namespaces_len, 8, "all eight namespace types");
  TAP_OK (l->namespaces[1].type == OCI_NS_NETWORK && strcmp (l->namespaces[1].path, "/var/run/netns/x") == 0,
          "namespace with a path");
  TAP_OK (l->namespaces[7].type == OCI_NS_TIME && l->namespaces[7].path == NULL, "time namespace, new");
  TAP_OK (oci_find_namespace (s, OCI_NS_USER) == &l->namespaces[5], "oci_find_namespace");
  TAP_EQ_STR (oci_namespace_name (OCI_NS_CGROUP), "cgroup", "oci_namespace_name");
  TAP_OK (l->uid_mappings_len == 2 && l->uid_mappings[1].container_id == 1 && l->uid_mappings[1].host_id == 100000
              && l->uid_mappings[1].size == 65536,
          "linux.uidMappings");
  TAP_OK (l->gid_mappings_len == 1 && l->gid_mappings[0].host_id == 1000, "linux.gidMappings");
  TAP_OK (l->has_time_offsets && l->has_time_monotonic && l->time_monotonic.secs == -86400
              && l->time_monotonic.nanosecs == 7,
          "timeOffsets.monotonic");
  TAP_OK (l->has_time_boottime && l->time_boottime.secs == 3600 && l->time_boottime.nanosecs == 0,
          "timeOffsets.boottime");
  TAP_OK (l->devices_len == 2 && strcmp (l->devices[0].path, "/dev/fuse") == 0 && l->devices[0].major == 10
              && l->devices[0].minor == 229 && l->devices[0].file_mode.v == 438 && l->devices[0].uid.set
              && l->devices[0].gid.v == 5,
          "linux.devices[0]");
  TAP_OK (strcmp (l->devices[1].type, "p") == 0 && !l->devices[1].file_mode.set, "linux.devices[1]: fifo, no numbers");
  TAP_EQ_STR (l->cgroups_path, "/hull/box", "cgroupsPath");
  check_resources (l->resources);
  TAP_EQ_STR (l->rootfs_propagation, "rslave", "rootfsPropagation");
  sc = l->seccomp;
  TAP_OK (sc && strcmp (sc->default_action, "SCMP_ACT_ERRNO") == 0 && sc->default_errno_ret.v == 38,
          "seccomp default action and errno");
  TAP_OK (sc->architectures.len == 2 && sc->flags.len == 1, "seccomp architectures, flags");
  TAP_OK (strcmp (sc->listener_path, "/run/listener.sock") == 0 && strcmp (sc->listener_metadata, "meta") == 0,
          "seccomp listener");
  TAP_EQ_INT (sc->syscalls_len, 3, "seccomp syscalls count");
  TAP_OK (sc->syscalls[0].names.len == 2 && !sc->syscalls[0].errno_ret.set, "syscalls[0]");
  TAP_OK (sc->syscalls[1].errno_ret.v == 1 && sc->syscalls[1].args_len == 2 && sc->syscalls[1].args[0].op == OCI_SCMP_CMP_EQ
              && sc->syscalls[1].args[0].value == 8,
          "syscalls[1].args[0]");
  TAP_OK (sc->syscalls[1].args[1].index == 1 && sc->syscalls[1].args[1].value == UINT64_MAX
              && sc->syscalls[1].args[1].value_two == 4 && sc->syscalls[1].args[1].op == OCI_SCMP_CMP_MASKED_EQ,
          "syscalls[1].args[1]: uint64 max value, masked eq");
  TAP_EQ_STR (sc->syscalls[2].action, "SCMP_ACT_NOTIFY", "syscalls[2].action");
  TAP_OK (l->sysctl.len == 2 && strcmp (l->sysctl.items[1].value, "8192") == 0, "sysctl");
  TAP_OK (l->has_masked_paths && l->masked_paths.len == 1, "maskedPaths");
  TAP_OK (l->has_readonly_paths && l->readonly_paths.len == 0, "readonlyPaths: present and empty");
  TAP_EQ_STR (l->mount_label, "system_u:object_r:svirt_sandbox_file_t:s0", "mountLabel");
  TAP_OK (l->personality && strcmp (l->personality->domain, "LINUX32") == 0, "personality");
  TAP_OK (l->intel_rdt && strcmp (l->intel_rdt->clos_id, "g1") == 0 && strcmp (l->intel_rdt->l3_cache_schema, "L3:0=ff") == 0
              && strcmp (l->intel_rdt->mem_bw_schema, "MB:0=50") == 0 && l->intel_rdt->enable_cmt
              && l->intel_rdt->enable_mbm,
          "intelRdt");
}

static void
test_minimal (void)
{
  static const char minimal[] = "{\"ociVersion\": \"1.0.0\"}";
  hull_err err = NULL;
  struct oci_spec *s = oci_spec_parse (minimal, strlen (minimal), &err);
  TAP_OK (s != NULL, "minimal config parses");
  if (s == NULL)
    return;
  TAP_OK (s->process == NULL && s->root == NULL && s->linux_ == NULL && s->hooks == NULL && s->mounts_len == 0,
          "absent objects are NULL, absent arrays empty");
  TAP_OK (oci_find_namespace (s, OCI_NS_PID) == NULL, "no namespaces without linux");
  oci_spec_free (s);
}

static void
test_nulls_are_absent (void)
{
  static const char doc[] = "{\"ociVersion\": \"1.0.0\", \"hostname\": null, \"process\": {\"args\": [\"a\"], \"cwd\": \"/\","
                            " \"env\": null, \"user\": null, \"oomScoreAdj\": null}, \"linux\": null}";
  hull_err err = NULL;
  struct oci_spec *s = oci_spec_parse (doc, strlen (doc), &err);
  TAP_OK (s != NULL, "null members parse as absent");
  if (s == NULL)
    {
      hull_error_release (&err);
      return;
    }
  TAP_OK (s->hostname == NULL && s->linux_ == NULL && s->process->env.len == 0 && !s->process->oom_score_adj.set,
          "null members are absent");
  oci_spec_free (s);
}

static void
test_duplicate_key_last_wins (void)
{
  static const char doc[] = "{\"ociVersion\": \"1.0.0\", \"hostname\": \"a\", \"hostname\": \"b\"}";
  hull_err err = NULL;
  struct oci_spec *s = oci_spec_parse (doc, strlen (doc), &err);
  TAP_OK (s != NULL && strcmp (s->hostname, "b") == 0, "duplicated key: the last one wins (as Go)");
  oci_spec_free (s);
}

static void
test_process_and_resources_alone (void)
{
  static const char proc[] = "{\"args\": [\"ls\"], \"cwd\": \"/tmp\", \"terminal\": false}";
  static const char res[] = "{\"memory\": {\"limit\": 1048576}, \"pids\": {\"limit\": -1}}";
  hull_err err = NULL;
  struct oci_process *p = oci_process_parse (proc, strlen (proc), &err);
  struct oci_resources *r;

  TAP_OK (p != NULL && strcmp (p->args.items[0], "ls") == 0 && strcmp (p->cwd, "/tmp") == 0, "oci_process_parse");
  oci_process_free (p);
  p = oci_process_parse ("{\"cwd\": \"/\"}", 12, &err);
  TAP_OK (p == NULL && err != NULL, "oci_process_parse rejects a process without args");
  if (err)
    TAP_EQ_STR (err->msg, "process.json: args: must be a non-empty array", "process.json error names the path");
  hull_error_release (&err);

  r = oci_resources_parse (res, strlen (res), &err);
  TAP_OK (r != NULL && r->memory->limit.v == 1048576 && r->pids_limit.v == -1, "oci_resources_parse");
  oci_resources_free (r);
  r = oci_resources_parse ("{\"cpu\": {\"shares\": -1}}", 23, &err);
  TAP_OK (r == NULL && err != NULL, "oci_resources_parse rejects a negative share count");
  if (err)
    TAP_EQ_STR (err->msg, "resources.json: cpu.shares: expected an unsigned integer", "resources.json error path");
  hull_error_release (&err);
}

static void
test_parse_file (void)
{
  char dir[] = "/tmp/hull-oci-test-XXXXXX";
  char path[64];
  hull_err err = NULL;
  struct oci_spec *s;
  FILE *f;

  if (mkdtemp (dir) == NULL)
    {
      TAP_OK (0, "mkdtemp");
      return;
    }
  snprintf (path, sizeof (path), "%s/config.json", dir);
  f = fopen (path, "w");
  fputs (full_config, f);
  fclose (f);
  s = oci_spec_parse_file (path, &err);
  TAP_OK (s != NULL && s->process != NULL && s->linux_ != NULL, "oci_spec_parse_file reads a file");
  oci_spec_free (s);
  unlink (path);
  s = oci_spec_parse_file (path, &err);
  TAP_OK (s == NULL && err != NULL && strstr (err->msg, "No such file or directory") != NULL,
          "oci_spec_parse_file: missing file");
  hull_error_release (&err);
  s = oci_spec_parse_file (dir, &err);
  TAP_OK (s == NULL && err != NULL && strstr (err->msg, "not a regular file") != NULL,
          "oci_spec_parse_file: a directory is refused");
  hull_error_release (&err);
  rmdir (dir);
}

int
main (void)
{
  hull_err err = NULL;
  cleanup_oci_spec struct oci_spec *s = oci_spec_parse (full_config, strlen (full_config), &err);

  TAP_OK (s != NULL, "full config parses%s%s", err ? ": " : "", err ? err->msg : "");
  if (s == NULL)
    return tap_done ();
  check_top (s);
  TAP_OK (s->process != NULL, "process present");
  check_process (s->process);
  check_linux (s);
  test_minimal ();
  test_nulls_are_absent ();
  test_duplicate_key_last_wins ();
  test_process_and_resources_alone ();
  test_parse_file ();
  return tap_done ();
}

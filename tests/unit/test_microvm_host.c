/* Host side of the microVM backend without a VM: OCI -> guest config, mount
   options, the QEMU command line, the rootfs tree key and the ext4 image
   (built for real with mkfs.ext4 and read back with debugfs). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "microvm/microvm.h"
#include "microvm/vmm/vmm.h"
#include "runtime/util.h"
#include "tests/unit/tap.h"

static const char config_json[] = "{\"ociVersion\":\"1.2.0\",\"hostname\":\"h1\",\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
  "\"process\":{\"args\":[\"sh\",\"-c\",\"true\"],\"env\":[\"A=1\"],\"cwd\":\"/w\",\"terminal\":true,"
  "\"consoleSize\":{\"height\":30,\"width\":100},"
  "\"user\":{\"uid\":5,\"gid\":6,\"additionalGids\":[7],\"umask\":18},"
  "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":20,\"soft\":10}],"
  "\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_CHOWN\"],\"effective\":[\"CAP_KILL\"],\"permitted\":[\"CAP_KILL\"],"
  "\"ambient\":[]},\"noNewPrivileges\":true},"
  "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
  "{\"destination\":\"/tmp\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"nodev\",\"mode=1777\",\"size=1m\",\"rprivate\"]},"
  "{\"destination\":\"/etc/hosts\",\"type\":\"bind\",\"source\":\"HOSTS\",\"options\":[\"rbind\",\"ro\"]}]}";

static char tmpdir[] = "/tmp/hull-unit-microvm-XXXXXX";

static struct oci_spec *
parse (const char *json)
{
  hull_err err = NULL;
  struct oci_spec *s = oci_spec_parse (json, strlen (json), &err);
  if (s == NULL)
    {
      printf ("# parse: %s\n", err->msg);
      hull_error_release (&err);
    }
  return s;
}

static char *
with_hosts (const char *src)
{
  const char *at = strstr (config_json, "HOSTS");
  return xasprintf ("%.*s%s%s", (int) (at - config_json), config_json, src, at + 5);
}

static void
test_guest_config (void)
{
  cleanup_free char *hosts = xasprintf ("%s/hosts", tmpdir);
  hull_err err = NULL;
  write_file (hosts, "1.2.3.4 x\n", 10, 0644, &err);
  cleanup_free char *json = with_hosts (hosts);
  struct oci_spec *spec = parse (json);
  struct hull_process p;
  struct microvm_host_files files;

  TAP_OK (spec != NULL, "config parses");
  if (spec == NULL)
    return;
  TAP_EQ_INT (microvm_guest_config (spec, tmpdir, &p, &files, &err), 0, "guest config built");
  TAP_OK (p.n_args == 3 && strcmp (p.args[2], "true") == 0 && p.n_env == 1, "args and env");
  TAP_EQ_STR (p.cwd, "/w", "cwd");
  TAP_EQ_STR (p.hostname, "h1", "hostname");
  TAP_OK (p.uid == 5 && p.gid == 6 && p.n_agids == 1 && p.agids[0] == 7 && p.has_umask && p.umask == 18, "user");
  TAP_OK (p.n_rlimits == 1 && p.rlimits[0].resource == RLIMIT_NOFILE && p.rlimits[0].soft == 10
              && p.rlimits[0].hard == 20,
          "rlimit names resolved");
  TAP_OK (p.has_caps && p.caps[HULL_CAP_BOUNDING] == ((1ull << 5) | (1ull << 0)) && p.caps[HULL_CAP_EFFECTIVE] == 1ull << 5
              && p.caps[HULL_CAP_AMBIENT] == 0 && p.caps[HULL_CAP_INHERITABLE] == 0,
          "capability names resolved to masks");
  TAP_OK (p.no_new_privs && p.root_readonly && p.terminal && p.console_size.rows == 30 && p.console_size.cols == 100,
          "flags and console size");
  TAP_EQ_INT (p.n_mounts, 2, "two mounts for the guest, the bind is not one of them");
  TAP_OK (p.n_mounts == 2 && strcmp (p.mounts[1].type, "tmpfs") == 0 && p.mounts[1].flags == (MS_NOSUID | MS_NODEV)
              && strcmp (p.mounts[1].data, "mode=1777,size=1m") == 0,
          "tmpfs options split into flags and data, propagation dropped");
  TAP_OK (files.n_inject == 1 && strcmp (files.inject[0].destination, "/etc/hosts") == 0
              && strcmp (files.inject[0].source, hosts) == 0 && files.n_shares == 0,
          "file bind mount becomes an injected file");
  struct hull_buf b = { 0 };
  TAP_EQ_INT (hull_process_encode (&b, &p), 0, "the result encodes");
  hull_buf_release (&b);
  microvm_guest_config_release (&p, &files);
  oci_spec_free (spec);

  /* A directory bind mount becomes a virtio-9p share mounted by tag. */
  cleanup_free char *json2 = with_hosts (tmpdir);
  spec = parse (json2);
  TAP_EQ_INT (microvm_guest_config (spec, tmpdir, &p, &files, &err), 0, "directory bind accepted");
  TAP_OK (files.n_shares == 1 && strcmp (files.shares[0].path, tmpdir) == 0 && files.shares[0].readonly
              && files.n_inject == 0,
          "directory bind becomes a read-only share");
  TAP_OK (p.n_mounts == 3 && strcmp (p.mounts[2].type, "9p") == 0 && strcmp (p.mounts[2].source, files.shares[0].tag) == 0
              && strstr (p.mounts[2].data, "trans=virtio") != NULL,
          "the guest mounts the share by tag over virtio");
  microvm_guest_config_release (&p, &files);
  oci_spec_free (spec);

  /* Something that is neither a file nor a directory cannot be bound. */
  cleanup_free char *json3 = with_hosts ("/dev/null");
  spec = parse (json3);
  TAP_EQ_INT (microvm_guest_config (spec, tmpdir, &p, &files, &err), -1, "a device bind refused");
  TAP_OK (err && strstr (err->msg, "only files and directories"), "the error says what can be bound");
  hull_error_release (&err);
  oci_spec_free (spec);

  /* Unknown capability. */
  char *bad = xstrdup (json);
  memcpy (strstr (bad, "CAP_CHOWN"), "CAP_CHOWX", 9);
  spec = parse (bad);
  TAP_EQ_INT (microvm_guest_config (spec, tmpdir, &p, &files, &err), -1, "unknown capability refused");
  TAP_OK (err && strstr (err->msg, "CAP_CHOWX"), "the error names it");
  hull_error_release (&err);
  oci_spec_free (spec);
  free (bad);
}

static void
test_mount_options (void)
{
  char *ro_items[] = { "ro", "noexec", "rw", "strictatime", "uid=5", NULL };
  struct oci_strv opts = { ro_items, 5 };
  uint64_t flags;
  char *data = NULL;
  bool bind;
  hull_err err = NULL;

  TAP_EQ_INT (microvm_mount_options (&opts, &flags, &data, &bind, &err), 0, "options parse");
  TAP_OK (flags == (MS_NOEXEC | MS_STRICTATIME) && ! bind, "a later rw clears ro");
  TAP_EQ_STR (data, "uid=5", "unknown options go to data");
  free (data);
}

static int
has_arg (char **argv, const char *a)
{
  for (; *argv; argv++)
    if (strcmp (*argv, a) == 0)
      return 1;
  return 0;
}

static void
test_qemu_argv (void)
{
  struct microvm_qemu_config c = { .kernel = "/k/bzImage", .initrd = "/k/init.gz", .disk = "/d,x/img", .cpus = 2,
                                   .memory_mib = 300, .control_fd = 9, .console_fd = -1, .tap_fd = -1 };
  cleanup_strv char **tcg = microvm_qemu_argv (&c, 3);
  TAP_EQ_STR (tcg[0], "qemu-system-x86_64", "QEMU from PATH by default");
  TAP_OK (has_arg (tcg, "microvm,acpi=off"), "microvm machine without ACPI (devices on the command line)");
  TAP_OK (has_arg (tcg, "tcg") && has_arg (tcg, "max"), "TCG with -cpu max without hardware KVM");
  TAP_OK (has_arg (tcg, "-no-reboot") && has_arg (tcg, "-nodefaults"), "no reboot, no default devices");
  TAP_OK (has_arg (tcg, "id=root,file=/d,,x/img,format=raw,if=none,cache=unsafe"), "commas in the disk path escaped");
  TAP_OK (has_arg (tcg, "socket,id=control,fd=3"), "control port on the passed fd");
  TAP_OK (has_arg (tcg, "virtserialport,chardev=control,name=" HULL_PROTO_PORT_NAME), "port named for the guest");
  TAP_OK (has_arg (tcg, "300") && has_arg (tcg, "2"), "memory and cpus");
  TAP_OK (! has_arg (tcg, "-netdev") && ! has_arg (tcg, "-fsdev"), "no network or 9p device unless asked");
  struct microvm_share sh[] = { { "hull0", "/data,x", true } };
  c.shares = sh;
  c.n_shares = 1;
  cleanup_strv char **fs = microvm_qemu_argv (&c, 3);
  TAP_OK (has_arg (fs, "local,id=fs0,path=/data,,x,security_model=none,readonly=on")
              && has_arg (fs, "virtio-9p-device,fsdev=fs0,mount_tag=hull0"),
          "a shared directory becomes a virtio-9p device, path escaped");
  c.n_shares = 0;
  c.tap_fd = 7;
  memcpy (c.mac, "\x02\x42\xac\x11\x00\x02", 6);
  cleanup_strv char **net = microvm_qemu_argv (&c, 3);
  TAP_OK (has_arg (net, "tap,id=net0,fd=4") && has_arg (net, "virtio-net-device,netdev=net0,mac=02:42:ac:11:00:02"),
          "virtio-net over the TAP (fd 4) with the container's MAC");
  c.tap_fd = -1;
  c.kvm = true;
  c.extra_cmdline = "loglevel=8";
  cleanup_strv char **kvm = microvm_qemu_argv (&c, 3);
  TAP_OK (has_arg (kvm, "kvm") && has_arg (kvm, "host,-arch-capabilities"), "KVM with -cpu host minus MSR 0x10a");
  int found = 0;
  for (char **a = kvm; *a; a++)
    found |= strstr (*a, "reboot=t") && strstr (*a, " loglevel=8") != NULL;
  TAP_OK (found, "extra command line appended to reboot=t and friends");
}

static void
test_builtin_config (void)
{
  struct microvm_qemu_config c = { .engine = MICROVM_ENGINE_BUILTIN, .kernel = "/k/bzImage", .initrd = "/k/i.gz",
                                   .disk = "/s/rootfs.ext4", .cpus = 2, .memory_mib = 300, .control_fd = 9,
                                   .console_fd = 5, .tap_fd = 7, .mac = { 2, 0, 0, 0, 0, 1 } };
  cleanup_free char *cmdline = microvm_guest_cmdline (&c);
  struct vmm_config cfg;
  hull_err err = NULL;

  TAP_EQ_INT (microvm_builtin_config (&c, cmdline, &cfg, &err), 0, "built-in VMM config built");
  TAP_OK (cfg.cpus == 2 && cfg.mem_mib == 300 && strcmp (cfg.kernel_path, "/k/bzImage") == 0
              && strstr (cfg.cmdline, "reboot=t") != NULL,
          "kernel, size and the same command line as with QEMU");
  TAP_OK (cfg.n_disks == 1 && strcmp (cfg.disks[0].path, "/s/rootfs.ext4") == 0 && ! cfg.disks[0].readonly,
          "the rootfs image as a writable virtio-blk disk");
  TAP_OK (cfg.n_nets == 1 && cfg.nets[0].tap_fd == 7 && cfg.nets[0].has_mac && cfg.nets[0].mac[5] == 1,
          "virtio-net over the TAP with the container's MAC");
  TAP_OK (cfg.n_console_ports == 2 && cfg.console_ports[0].name == NULL
              && strcmp (cfg.console_ports[1].name, HULL_PROTO_PORT_NAME) == 0 && cfg.console_ports[1].in_fd == 9
              && cfg.console_ports[1].out_fd == 9 && cfg.serial_out_fd == 5,
          "the control port on the socket, the serial console to the log");
  struct microvm_share sh = { "hull0", "/d", false };
  c.shares = &sh;
  c.n_shares = 1;
  TAP_EQ_INT (microvm_builtin_config (&c, cmdline, &cfg, &err), -1, "directory shares need QEMU");
  TAP_OK (err && strstr (err->msg, "io.hull.vmm=qemu"), "the error says which engine has them");
  hull_error_release (&err);
}

static void
test_tree_and_image (void)
{
  cleanup_free char *root = xasprintf ("%s/rootfs", tmpdir);
  cleanup_free char *etc = xasprintf ("%s/rootfs/etc", tmpdir);
  cleanup_free char *file = xasprintf ("%s/rootfs/etc/motd", tmpdir);
  cleanup_free char *cache = xasprintf ("%s/cache", tmpdir);
  cleanup_free char *img = xasprintf ("%s/img.ext4", tmpdir);
  cleanup_free char *hosts = xasprintf ("%s/hosts", tmpdir);
  hull_err err = NULL;
  char k1[33], k2[33], k3[33];
  uint64_t usage, inodes;

  mkdir (root, 0755);
  mkdir (etc, 0755);
  write_file (file, "hi\n", 3, 0644, &err);
  TAP_EQ_INT (microvm_tree_scan (root, k1, &usage, &inodes, &err), 0, "tree scanned");
  TAP_EQ_INT (inodes, 3, "three entries");
  microvm_tree_scan (root, k2, &usage, &inodes, &err);
  TAP_EQ_STR (k1, k2, "an unchanged tree keeps its key");
  write_file (file, "ho\n", 3, 0644, &err);
  microvm_tree_scan (root, k3, &usage, &inodes, &err);
  TAP_OK (strcmp (k1, k3) != 0, "rewriting a file changes the key");
  TAP_OK (microvm_tree_scan ("/nonexistent-rootfs", k3, &usage, &inodes, &err) < 0
              && strstr (err->msg, "/nonexistent-rootfs"),
          "a missing rootfs is a clear error");
  hull_error_release (&err);
  TAP_EQ_INT (microvm_image_default_mib (0, 10), 128, "small trees get 128 MiB");
  TAP_OK (microvm_image_default_mib (1ull << 30, 10) > 1024 + 64, "large trees get their size plus headroom");

  if (access ("/sbin/mkfs.ext4", X_OK) != 0 && access ("/usr/sbin/mkfs.ext4", X_OK) != 0)
    {
      printf ("ok %d # skip mkfs.ext4 not installed\n", ++tap_n);
      return;
    }
  write_file (hosts, "9.9.9.9 injected\n", 17, 0644, &err);
  struct microvm_inject inj = { hosts, "/etc/hosts" };
  struct microvm_image_opts o = { .rootfs = root, .cache_dir = cache, .output = img, .inject = &inj, .n_inject = 1 };
  TAP_EQ_INT (microvm_image_prepare (&o, &err), 0, "image built");
  if (err)
    printf ("# %s\n", err->msg), hull_error_release (&err);
  char *cmd = xasprintf ("debugfs -R 'cat /etc/hosts' %s 2>/dev/null | grep -q '9.9.9.9 injected'", img);
  TAP_EQ_INT (system (cmd), 0, "the injected file is in the container's copy");
  free (cmd);
  cmd = xasprintf ("debugfs -R 'cat /etc/motd' %s 2>/dev/null | grep -qx ho", img);
  TAP_EQ_INT (system (cmd), 0, "the rootfs content is in the image");
  free (cmd);
  cmd = xasprintf ("debugfs -R 'cat /etc/hosts' %s/*.ext4 2>/dev/null | grep -q injected", cache);
  TAP_OK (system (cmd) != 0, "the cached pristine image is not modified by injection");
  free (cmd);
  TAP_EQ_INT (microvm_image_prepare (&o, &err), -1, "an existing output is not overwritten");
  hull_error_release (&err);
  unlink (img);

  o.size_mib = 1;
  TAP_EQ_INT (microvm_image_prepare (&o, &err), -1, "a 1 MiB image is too small");
  TAP_OK (err && strstr (err->msg, "more than the image size of 1 MiB"), "the error says the rootfs does not fit");
  hull_error_release (&err);
  TAP_OK (access (img, F_OK) != 0, "nothing left on failure");

  /* The cache keeps the 16 most recently used images. */
  o.size_mib = 0;
  o.n_inject = 0;
  int ok = 1;
  for (int i = 0; i < 18 && ok; i++)
    {
      char text[16];
      snprintf (text, sizeof text, "v%d\n", i);
      write_file (file, text, strlen (text), 0644, &err);
      ok = microvm_image_prepare (&o, &err) == 0;
      unlink (img);
    }
  hull_error_release (&err);
  cmd = xasprintf ("test $(ls %s/*.ext4 | wc -l) -eq 16", cache);
  TAP_OK (ok && system (cmd) == 0, "the image cache keeps 16 images");
  free (cmd);
  o.inject = &inj;
  o.n_inject = 1;

  struct microvm_inject bad = { tmpdir, "/etc/x" };
  o.inject = &bad;
  TAP_EQ_INT (microvm_image_prepare (&o, &err), -1, "a directory cannot be injected");
  hull_error_release (&err);
  TAP_OK (access (img, F_OK) != 0, "no image copy left after a failed injection");
}

int
main (void)
{
  if (mkdtemp (tmpdir) == NULL)
    return 1;
  test_guest_config ();
  test_mount_options ();
  test_qemu_argv ();
  test_builtin_config ();
  test_tree_and_image ();
  cleanup_free char *rm = xasprintf ("rm -rf %s", tmpdir);
  if (system (rm) != 0)
    return 1;
  return tap_done ();
}

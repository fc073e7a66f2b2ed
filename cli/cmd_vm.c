/* `hull vm boot`: boot a kernel by hand in hull's VMM with the serial
   console on stdio.  A debugging entry; the microVM backend drives the VMM
   through the same vmm_run(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "microvm/vmm/vmm.h"

static const char vm_usage[]
    = "Usage: hull vm boot --kernel FILE [--initrd FILE] [--cmdline STRING] [--disk FILE[,ro]]...\n"
      "                    [--net TAP]... [--cpus N] [--memory MiB] [--cpuid-mask cx16,xsave,popcnt]\n"
      "                    [--port NAME[,in=FILE][,out=FILE]|NAME,fd=N]... [--kvm-device PATH] [--verbose]\n"
      "\n"
      "Boots FILE (a bzImage, a vmlinux or another x86-64 ELF kernel) in a microVM with the\n"
      "serial console on stdin/stdout.  Exits 0 when the guest resets or triple-faults\n"
      "(reboot=k / reboot=t), 128+N when the VMM gets signal N, 1 on errors.\n";

static int
parse_unsigned (const char *opt, const char *s, unsigned long max, unsigned long *out)
{
  char *end;
  unsigned long v;

  errno = 0;
  v = strtoul (s, &end, 10);
  if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 || v > max)
    {
      fprintf (stderr, "hull: vm boot: %s: invalid number `%s`\n", opt, s);
      return -1;
    }
  *out = v;
  return 0;
}

/* --cpuid-mask cx16,xsave,popcnt: features hidden from the guest. */
static int
parse_cpuid_mask (const char *arg, unsigned int *mask)
{
  const char *p = arg;

  while (*p)
    {
      size_t n = strcspn (p, ",");
      if (n == 4 && strncmp (p, "cx16", 4) == 0)
        *mask |= VMM_CPUID_NO_CX16;
      else if (n == 5 && strncmp (p, "xsave", 5) == 0)
        *mask |= VMM_CPUID_NO_XSAVE;
      else if (n == 6 && strncmp (p, "popcnt", 6) == 0)
        *mask |= VMM_CPUID_NO_POPCNT;
      else
        {
          fprintf (stderr, "hull: vm boot: --cpuid-mask: unknown feature `%.*s` (known: cx16, xsave, popcnt)\n", (int) n,
                   p);
          return -1;
        }
      p += n;
      if (*p == ',')
        p++;
    }
  return 0;
}

/* --port NAME[,in=FILE][,out=FILE] or NAME,fd=N: a named virtio-console
   port on files, or on an inherited fd used both ways (a connected socket,
   as a launcher would pass it).  The first one also brings the console
   port 0 (hvc0), its output on stdout. */
static int
parse_port (const char *arg, struct vmm_config *cfg)
{
  static char names[VMM_MAX_CONSOLE_PORTS][64];
  static char paths[VMM_MAX_CONSOLE_PORTS][2][4096];
  struct vmm_console_port_config *p;
  const char *opt;
  size_t n = strcspn (arg, ",");

  if (cfg->n_console_ports == 0)
    cfg->console_ports[cfg->n_console_ports++] = (struct vmm_console_port_config) { .in_fd = -1, .out_fd = 1 };
  if (n == 0 || n >= sizeof names[0] || cfg->n_console_ports >= VMM_MAX_CONSOLE_PORTS)
    return -1;
  p = &cfg->console_ports[cfg->n_console_ports];
  *p = (struct vmm_console_port_config) { .in_fd = -1, .out_fd = -1 };
  memcpy (names[cfg->n_console_ports], arg, n);
  names[cfg->n_console_ports][n] = '\0';
  p->name = names[cfg->n_console_ports];
  for (opt = arg + n; *opt == ','; )
    {
      /* A path runs to the next ",in=" / ",out=" or the end. */
      const char *val, *next;
      const char **dst;
      char *buf;

      opt++;
      if (strncmp (opt, "fd=", 3) == 0)
        {
          char *end;
          long fd;

          errno = 0;
          fd = strtol (opt + 3, &end, 10);
          if (end == opt + 3 || (*end != '\0' && *end != ',') || errno != 0 || fd < 0 || fd > 65535
              || p->in_fd >= 0 || p->in_path || p->out_path)
            return -1;
          p->in_fd = p->out_fd = (int) fd;
          opt = end;
          continue;
        }
      if (p->in_fd >= 0)
        return -1;
      if (strncmp (opt, "in=", 3) == 0)
        dst = &p->in_path, val = opt + 3, buf = paths[cfg->n_console_ports][0];
      else if (strncmp (opt, "out=", 4) == 0)
        dst = &p->out_path, val = opt + 4, buf = paths[cfg->n_console_ports][1];
      else
        return -1;
      next = val;
      while ((next = strchr (next, ',')) != NULL && strncmp (next, ",in=", 4) != 0 && strncmp (next, ",out=", 5) != 0
             && strncmp (next, ",fd=", 4) != 0)
        next++;
      if (next == NULL)
        next = val + strlen (val);
      if (next == val || *dst != NULL || (size_t) (next - val) >= sizeof paths[0][0])
        return -1;
      memcpy (buf, val, (size_t) (next - val));
      buf[next - val] = '\0';
      *dst = buf;
      opt = next;
    }
  cfg->n_console_ports++;
  return 0;
}

/* --disk FILE[,ro] */
static int
parse_disk (const char *arg, struct vmm_disk_config *d)
{
  const char *comma = strrchr (arg, ',');
  static char paths[VMM_MAX_DISKS][4096];
  static int used;

  memset (d, 0, sizeof *d);
  if (used >= VMM_MAX_DISKS)
    return -1;
  if (comma && (strcmp (comma, ",ro") == 0 || strcmp (comma, ",rw") == 0))
    {
      size_t n = (size_t) (comma - arg);
      if (n == 0 || n >= sizeof paths[0])
        return -1;
      memcpy (paths[used], arg, n);
      paths[used][n] = '\0';
      d->readonly = strcmp (comma, ",ro") == 0;
      d->path = paths[used++];
    }
  else
    d->path = arg;
  return *d->path ? 0 : -1;
}

static int
vm_boot (int argc, char **argv)
{
  struct vmm_config cfg;
  struct vmm_exit ex;
  struct vmm_err err = { 0 };
  bool verbose = false;
  int i;

  vmm_config_init (&cfg);
  cfg.serial_in_fd = 0;
  cfg.serial_out_fd = 1;
  for (i = 0; i < argc; i++)
    {
      const char *a = argv[i];
      const char *val = i + 1 < argc ? argv[i + 1] : NULL;
      const char *eq = strchr (a, '=');
      char name[32];
      unsigned long n;

      if (strcmp (a, "-h") == 0 || strcmp (a, "--help") == 0)
        {
          fputs (vm_usage, stdout);
          return 0;
        }
      if (strcmp (a, "-v") == 0 || strcmp (a, "--verbose") == 0)
        {
          verbose = true;
          continue;
        }
      /* --opt=value and --opt value */
      if (strncmp (a, "--", 2) == 0 && eq && (size_t) (eq - a) < sizeof name)
        {
          memcpy (name, a, (size_t) (eq - a));
          name[eq - a] = '\0';
          a = name;
          val = eq + 1;
        }
      else if (strncmp (a, "--", 2) == 0)
        i++;
      else
        {
          fprintf (stderr, "hull: vm boot: unexpected argument `%s`\n%s", a, vm_usage);
          return 1;
        }
      if (val == NULL)
        {
          fprintf (stderr, "hull: vm boot: %s needs a value\n", a);
          return 1;
        }
      if (strcmp (a, "--kernel") == 0)
        cfg.kernel_path = val;
      else if (strcmp (a, "--initrd") == 0)
        cfg.initrd_path = val;
      else if (strcmp (a, "--cmdline") == 0)
        cfg.cmdline = val;
      else if (strcmp (a, "--kvm-device") == 0)
        cfg.kvm_path = val;
      else if (strcmp (a, "--cpus") == 0)
        {
          if (parse_unsigned (a, val, 1024, &n) < 0)
            return 1;
          cfg.cpus = (unsigned int) n;
        }
      else if (strcmp (a, "--memory") == 0)
        {
          if (parse_unsigned (a, val, 1ul << 40, &n) < 0)
            return 1;
          cfg.mem_mib = n;
        }
      else if (strcmp (a, "--cpuid-mask") == 0)
        {
          if (parse_cpuid_mask (val, &cfg.cpuid_mask) < 0)
            return 1;
        }
      else if (strcmp (a, "--disk") == 0)
        {
          if (cfg.n_disks >= VMM_MAX_DISKS || parse_disk (val, &cfg.disks[cfg.n_disks]) < 0)
            {
              fprintf (stderr, "hull: vm boot: --disk `%s`: expected FILE[,ro] (at most %d disks)\n", val,
                       VMM_MAX_DISKS);
              return 1;
            }
          cfg.n_disks++;
        }
      else if (strcmp (a, "--port") == 0)
        {
          if (parse_port (val, &cfg) < 0)
            {
              fprintf (stderr, "hull: vm boot: --port `%s`: expected NAME[,in=FILE][,out=FILE] or NAME,fd=N (at most %d ports)\n",
                       val, VMM_MAX_CONSOLE_PORTS - 1);
              return 1;
            }
        }
      else if (strcmp (a, "--net") == 0)
        {
          if (cfg.n_nets >= VMM_MAX_NETS)
            {
              fprintf (stderr, "hull: vm boot: at most %d --net devices\n", VMM_MAX_NETS);
              return 1;
            }
          cfg.nets[cfg.n_nets].tap_name = val;
          cfg.nets[cfg.n_nets].tap_fd = -1;
          cfg.n_nets++;
        }
      else
        {
          fprintf (stderr, "hull: vm boot: unknown option `%s`\n%s", a, vm_usage);
          return 1;
        }
    }
  if (cfg.kernel_path == NULL)
    {
      fprintf (stderr, "hull: vm boot: --kernel is required\n");
      return 1;
    }

  fflush (stdout);
  if (vmm_run (&cfg, &ex, &err) < 0)
    {
      fprintf (stderr, "hull: vm boot: %s\n", err.msg);
      return 1;
    }
  if (ex.reason == VMM_EXIT_ERROR)
    fprintf (stderr, "hull: vm boot: guest stopped: %s\n", ex.detail);
  else if (verbose)
    fprintf (stderr, "hull: vm boot: guest exited (%s): %s\n", vmm_exit_reason_name (ex.reason), ex.detail);
  return ex.status;
}

int
cli_cmd_vm (int argc, char **argv)
{
  /* argv[0] is "vm", argv[1] the subcommand. */
  if (argc < 2 || strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "--help") == 0)
    {
      fputs (vm_usage, argc < 2 ? stderr : stdout);
      return argc < 2 ? 1 : 0;
    }
  if (strcmp (argv[1], "boot") == 0)
    return vm_boot (argc - 2, argv + 2);
  fprintf (stderr, "hull: vm: unknown subcommand `%s`\n%s", argv[1], vm_usage);
  return 1;
}

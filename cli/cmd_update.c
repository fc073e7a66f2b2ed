#include "cli/cli.h"
#include "runtime/update.h"

static const char usage[]
    = "Usage: hull update [OPTIONS] CONTAINER-ID\n"
      "\n"
      "Change the resources of a running container.  Only what is given changes;\n"
      "with --resources the other options are ignored (as runc).  Sizes take\n"
      "runc's forms: 1024, 100k, 100M, 1.5G (binary multiples); -1 is unlimited.\n"
      "\n"
      "Options:\n"
      "  -r, --resources FILE          linux.resources as JSON (- for stdin)\n"
      "      --blkio-weight N          block IO weight (10-1000)\n"
      "      --cpu-period N            CPU CFS period (microseconds)\n"
      "      --cpu-quota N             CPU CFS quota (microseconds; -1: none)\n"
      "      --cpu-burst N             CPU CFS burst (microseconds)\n"
      "      --cpu-rt-period N         CPU realtime period (microseconds)\n"
      "      --cpu-rt-runtime N        CPU realtime runtime (microseconds)\n"
      "      --cpu-share N             CPU shares (relative weight)\n"
      "      --cpuset-cpus LIST        CPUs allowed (0-3, 0,1)\n"
      "      --cpuset-mems LIST        memory nodes allowed\n"
      "      --memory SIZE             memory limit\n"
      "      --memory-reservation SIZE memory soft limit\n"
      "      --memory-swap SIZE        memory plus swap limit\n"
      "      --pids-limit N            maximum number of processes (-1: none)\n"
      "      --l3-cache-schema S       Intel RDT (not supported)\n"
      "      --mem-bw-schema S         Intel RDT (not supported)\n"
      "  -h, --help                    this help\n";

enum
{
  OPT_BLKIO_WEIGHT = 1000,
  OPT_CPU_PERIOD,
  OPT_CPU_QUOTA,
  OPT_CPU_BURST,
  OPT_CPU_RT_PERIOD,
  OPT_CPU_RT_RUNTIME,
  OPT_CPU_SHARE,
  OPT_CPUSET_CPUS,
  OPT_CPUSET_MEMS,
  OPT_MEMORY,
  OPT_MEMORY_RESERVATION,
  OPT_MEMORY_SWAP,
  OPT_PIDS_LIMIT,
  OPT_L3_CACHE_SCHEMA,
  OPT_MEM_BW_SCHEMA,
  OPT_KERNEL_MEMORY,
};

int
cli_update (const struct hull_context *ctx, int argc, char **argv)
{
  static const struct option longopts[] = {
    { "resources", required_argument, NULL, 'r' },
    { "blkio-weight", required_argument, NULL, OPT_BLKIO_WEIGHT },
    { "cpu-period", required_argument, NULL, OPT_CPU_PERIOD },
    { "cpu-quota", required_argument, NULL, OPT_CPU_QUOTA },
    { "cpu-burst", required_argument, NULL, OPT_CPU_BURST },
    { "cpu-rt-period", required_argument, NULL, OPT_CPU_RT_PERIOD },
    { "cpu-rt-runtime", required_argument, NULL, OPT_CPU_RT_RUNTIME },
    { "cpu-share", required_argument, NULL, OPT_CPU_SHARE },
    { "cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS },
    { "cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS },
    { "memory", required_argument, NULL, OPT_MEMORY },
    { "memory-reservation", required_argument, NULL, OPT_MEMORY_RESERVATION },
    { "memory-swap", required_argument, NULL, OPT_MEMORY_SWAP },
    { "pids-limit", required_argument, NULL, OPT_PIDS_LIMIT },
    { "l3-cache-schema", required_argument, NULL, OPT_L3_CACHE_SCHEMA },
    { "mem-bw-schema", required_argument, NULL, OPT_MEM_BW_SCHEMA },
    /* Deprecated in runc and ignored there. */
    { "kernel-memory", required_argument, NULL, OPT_KERNEL_MEMORY },
    { "kernel-memory-tcp", required_argument, NULL, OPT_KERNEL_MEMORY },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct hull_update_opts o = { 0 };
  hull_err err = NULL;
  int c;

  cli_getopt_reset ();
  while ((c = cli_getopt ("update", argc, argv, ":r:h", longopts)) != -1)
    {
      switch (c)
        {
        case 'h': return cli_help (usage);
        case 'r': o.resources_file = optarg; break;
        case OPT_BLKIO_WEIGHT: o.blkio_weight = optarg; break;
        case OPT_CPU_PERIOD: o.cpu_period = optarg; break;
        case OPT_CPU_QUOTA: o.cpu_quota = optarg; break;
        case OPT_CPU_BURST: o.cpu_burst = optarg; break;
        case OPT_CPU_RT_PERIOD: o.cpu_rt_period = optarg; break;
        case OPT_CPU_RT_RUNTIME: o.cpu_rt_runtime = optarg; break;
        case OPT_CPU_SHARE: o.cpu_share = optarg; break;
        case OPT_CPUSET_CPUS: o.cpuset_cpus = optarg; break;
        case OPT_CPUSET_MEMS: o.cpuset_mems = optarg; break;
        case OPT_MEMORY: o.memory = optarg; break;
        case OPT_MEMORY_RESERVATION: o.memory_reservation = optarg; break;
        case OPT_MEMORY_SWAP: o.memory_swap = optarg; break;
        case OPT_PIDS_LIMIT: o.pids_limit = optarg; break;
        case OPT_L3_CACHE_SCHEMA: o.l3_cache_schema = optarg; break;
        case OPT_MEM_BW_SCHEMA: o.mem_bw_schema = optarg; break;
        case OPT_KERNEL_MEMORY: break;
        default: return 1;
        }
    }
  if (!cli_nargs ("update", argc - optind, 1, 1, "CONTAINER-ID"))
    return 1;
  if (hull_update (ctx, argv[optind], &o, &err) < 0)
    return cli_fail (&err);
  return 0;
}

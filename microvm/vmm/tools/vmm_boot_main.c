/* build/vmm-boot: `hull vm` as a program of its own, so the VMM can be
   worked on and benchmarked without the rest of the CLI.  `vmm-boot boot
   --kernel K` is `hull vm boot --kernel K`. */
int cli_cmd_vm (int argc, char **argv);

int
main (int argc, char **argv)
{
  argv[0] = (char *) "vm";
  return cli_cmd_vm (argc, argv);
}

/* The command table: a new command is a cli/cmd_<name>.c file defining
   cli_<name>() and one line here. */
#include "cli/cli.h"

#define CLI_DECLARE(name) int cli_##name (const struct hull_context *ctx, int argc, char **argv)
CLI_DECLARE (create);
CLI_DECLARE (start);
CLI_DECLARE (run);
CLI_DECLARE (state);
CLI_DECLARE (list);
CLI_DECLARE (kill);
CLI_DECLARE (delete);
CLI_DECLARE (spec);
CLI_DECLARE (features);
CLI_DECLARE (exec);
CLI_DECLARE (ps);
CLI_DECLARE (pause);
CLI_DECLARE (resume);
CLI_DECLARE (update);
CLI_DECLARE (events);

/* cli/cmd_vm.c keeps the VMM's own argv convention (no global context). */
int cli_cmd_vm (int argc, char **argv);
static int
cli_vm (const struct hull_context *ctx, int argc, char **argv)
{
  (void) ctx;
  return cli_cmd_vm (argc, argv);
}

const struct cli_command cli_commands[] = {
  { "create", "create a container (its process waits for start)", cli_create, true },
  { "start", "start the process of a created container", cli_start, false },
  { "run", "create and start a container", cli_run, true },
  { "state", "print the state of a container", cli_state, false },
  { "list", "list containers", cli_list, false },
  { "kill", "send a signal to a container", cli_kill, false },
  { "delete", "delete a container", cli_delete, false },
  { "spec", "write a default config.json", cli_spec, false },
  { "features", "print the OCI features document", cli_features, false },
  { "exec", "run another process in a running container", cli_exec, true },
  { "ps", "list the processes of a container", cli_ps, false },
  { "pause", "suspend every process of a container", cli_pause, false },
  { "resume", "resume a paused container", cli_resume, false },
  { "update", "change the resources of a container", cli_update, false },
  { "events", "print resource usage and OOM notices of a container", cli_events, false },
  { "vm", "boot a kernel in the built-in VMM by hand (vm boot --help)", cli_vm, false },
  { NULL, NULL, NULL, false },
};

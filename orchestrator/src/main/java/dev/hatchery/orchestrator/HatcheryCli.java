package dev.hatchery.orchestrator;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The `hatchery` command line; ./hatchery builds what is missing and then runs this. */
@Command(name = "hatchery", mixinStandardHelpOptions = true, version = "hatchery 0.1.0",
    description = "Boots Linux microVMs on KVM from one JVM, and measures it.",
    subcommands = {KvmCheckCommand.class, BootCommand.class, BatchCommand.class, CrowdCommand.class, FloorCommand.class, ServeCommand.class,
        SoakCommand.class, AliveCommand.class, FunctionCommand.class})
public final class HatcheryCli implements Runnable
{
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(final String[] args)
    {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine()
    {
        return new CommandLine(new HatcheryCli())
            .setExecutionExceptionHandler((ex, cmd, parsed) ->
            {
                cmd.getErr().println("hatchery: " + ex.getMessage());
                return 2;
            });
    }

    @Override
    public void run()
    {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

}

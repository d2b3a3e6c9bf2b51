package dev.hatchery.orchestrator;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import com.typesafe.config.ConfigFactory;

import dev.hatchery.orchestrator.function.FunctionDeployment;
import dev.hatchery.orchestrator.function.FunctionInfo;
import dev.hatchery.orchestrator.function.Functions;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code hatchery function ...}: deploy, list, invoke, benchmark and delete functions. Deployed functions are kept in
 * the functions folder (hatchery.functions.dir), so one command deploys and the next invokes.
 */
@Command(name = "function", description = "Functions on clones: deploy a static executable, invoke it (one fresh clone per invocation), measure it.",
    subcommands = {FunctionDeployCommand.class, FunctionInvokeCommand.class, FunctionBenchCommand.class, FunctionCommand.ListCommand.class,
        FunctionCommand.DeleteCommand.class})
final class FunctionCommand implements Runnable
{
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run()
    {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** One line per function: name, memory, timeout, payload limit, handler size and digest, when deployed. */
    static String line(final FunctionInfo info)
    {
        return String.format(java.util.Locale.ROOT, "%-24s mem=%d MiB timeout=%d ms payload-limit=%d B handler=%d B sha256=%s deployed=%s",
            info.name(), info.memMib(), info.timeoutMs(), info.payloadLimit(), info.handlerBytes(), info.handlerSha256().substring(0, 12),
            info.deployedAt());
    }

    @Command(name = "list", description = "List the deployed functions.")
    static final class ListCommand implements Callable<Integer>
    {
        @CommandLine.Spec
        private CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call()
        {
            final PrintWriter out = spec.commandLine().getOut();
            // The folder alone: listing needs no KVM and no service (the launcher runs this outside the lab).
            Functions.listStored(Hatchery.functionSettings(ConfigFactory.load()).dir())
                .forEach(info -> out.println(line(info)));
            out.flush();
            return 0;
        }
    }

    @Command(name = "delete", description = "Delete a deployed function.")
    static final class DeleteCommand implements Callable<Integer>
    {
        @CommandLine.Spec
        private CommandLine.Model.CommandSpec spec;

        @CommandLine.Parameters(index = "0", paramLabel = "NAME", description = "the function")
        private String name;

        @Override
        public Integer call()
        {
            FunctionDeployment.checkName(name);
            if (!Functions.deleteStored(Hatchery.functionSettings(ConfigFactory.load()).dir(), name))
            {
                spec.commandLine().getErr().println("hatchery: no function named '" + name + "' is deployed");
                return 1;
            }
            spec.commandLine().getOut().println("deleted " + name);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}

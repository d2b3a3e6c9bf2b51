package dev.hatchery.orchestrator;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import com.typesafe.config.ConfigFactory;

import dev.hatchery.config.SpawnMode;
import dev.hatchery.orchestrator.function.FunctionDeployment;
import dev.hatchery.orchestrator.function.Invocation;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Invokes a deployed function once: the request from stdin (or --input), the response to stdout (or --output). Exit
 * status 0 when the handler succeeded, 1 when it failed (its end and stderr tail on stderr), 124 when it timed out.
 */
@Command(name = "invoke", description = "Invoke a deployed function once in a fresh clone: request on stdin, response on stdout.")
final class FunctionInvokeCommand implements Callable<Integer>
{
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @CommandLine.Parameters(index = "0", paramLabel = "NAME", description = "the function")
    private String name;

    @CommandLine.Option(names = "--input", paramLabel = "FILE", description = "read the request from FILE instead of stdin")
    private Path input;

    @CommandLine.Option(names = "--output", paramLabel = "FILE", description = "write the response to FILE instead of stdout")
    private Path output;

    @CommandLine.Option(names = "--spawn", defaultValue = "clone", description = "clone (default) or boot: a VM that boots instead (cold)")
    private String spawn;

    @CommandLine.Option(names = "--timings", description = "print where the time went on stderr")
    private boolean timings;

    @Override
    public Integer call() throws IOException
    {
        FunctionDeployment.checkName(name);
        final SpawnMode mode = CliEnums.parse(SpawnMode.class, "--spawn", spawn);
        LabOutput.requireShared("--output", output, System.getenv());
        final byte[] request = input == null ? System.in.readAllBytes() : Files.readAllBytes(input);
        final Invocation invocation;
        try (Hatchery hatchery = Hatchery.start(ConfigFactory.load(), KernelCatalog.fromEnvironment(System.getenv())))
        {
            invocation = hatchery.functions().invoke(name, request, mode).toCompletableFuture().join();
        }
        catch (final java.util.concurrent.CompletionException ex)
        {
            throw ex.getCause() instanceof RuntimeException cause ? cause : ex;
        }
        final java.io.PrintWriter err = spec.commandLine().getErr();
        if (timings)
        {
            final Invocation.Timings t = invocation.timings();
            err.println(String.format(Locale.ROOT, "hatchery: %s vm=%s total=%.2f ms queue=%.2f %s=%.2f run=%.2f collect=%.2f (%s)", name,
                invocation.vmId(), t.totalMs(), t.queueMs(), mode == SpawnMode.CLONE ? "clone" : "boot", t.cloneMs(), t.runMs(), t.collectMs(),
                Environment.describe()));
        }
        if (!invocation.succeeded())
        {
            err.println("hatchery: function " + name + " " + invocation.status().name().toLowerCase(Locale.ROOT) + ": " + invocation.detail());
            if (invocation.stderrTail().length > 0)
            {
                err.println("hatchery: its stderr (last " + invocation.stderrTail().length + " bytes):");
                err.println(new String(invocation.stderrTail(), StandardCharsets.UTF_8));
            }
            err.flush();
            return invocation.status() == Invocation.Status.TIMED_OUT ? 124 : 1;
        }
        err.flush();
        if (output != null)
        {
            Files.write(output, invocation.response());
        }
        else
        {
            final OutputStream out = System.out;
            out.write(invocation.response());
            out.flush();
        }
        return 0;
    }
}

package dev.hatchery.orchestrator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

import com.typesafe.config.ConfigFactory;

import dev.hatchery.orchestrator.function.FunctionDeployment;
import dev.hatchery.orchestrator.function.FunctionInfo;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Deploys a function: checks the handler, builds its initramfs, boots its template to the ready point, keeps it. */
@Command(name = "deploy", description = "Deploy (or replace) a function: its handler is a static Linux x86-64 executable that reads the"
    + " request on stdin, writes the response on stdout and exits 0 on success.")
final class FunctionDeployCommand implements Callable<Integer>
{
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @CommandLine.Parameters(index = "0", paramLabel = "NAME", description = "lower-case letters, digits and dashes")
    private String name;

    @CommandLine.Option(names = "--handler", required = true, paramLabel = "FILE", description = "the handler executable")
    private Path handler;

    @CommandLine.Option(names = "--mem-mib", defaultValue = "128", description = "guest RAM per clone (default: ${DEFAULT-VALUE})")
    private int memMib;

    @CommandLine.Option(names = "--timeout-ms", defaultValue = "10000", description = "per invocation (default: ${DEFAULT-VALUE})")
    private long timeoutMs;

    @CommandLine.Option(names = "--payload-limit", defaultValue = "1048576",
        description = "largest request and response in bytes, a multiple of 4096 (default: ${DEFAULT-VALUE})")
    private int payloadLimit;

    @Override
    public Integer call() throws IOException
    {
        if (!Files.isRegularFile(handler))
        {
            throw new CommandLine.ParameterException(spec.commandLine(), "--handler " + handler + ": no such file");
        }
        if (Files.size(handler) > FunctionDeployment.MAX_HANDLER_BYTES)
        {
            throw new CommandLine.ParameterException(spec.commandLine(), "--handler " + handler + ": " + Files.size(handler)
                + " bytes, over the limit of " + FunctionDeployment.MAX_HANDLER_BYTES);
        }
        final FunctionDeployment deployment;
        try
        {
            deployment = new FunctionDeployment(name, Files.readAllBytes(handler), memMib, Duration.ofMillis(timeoutMs), payloadLimit);
        }
        catch (final RefusedException ex)
        {
            throw new CommandLine.ParameterException(spec.commandLine(), option(ex.refusal().field()) + ": " + ex.getMessage());
        }
        try (Hatchery hatchery = Hatchery.start(ConfigFactory.load(), KernelCatalog.fromEnvironment(System.getenv())))
        {
            final long start = System.nanoTime();
            final FunctionInfo info = hatchery.functions().deploy(deployment).toCompletableFuture().join();
            spec.commandLine().getOut().println(String.format(java.util.Locale.ROOT, "deployed in %.1f ms (%s): %s",
                (System.nanoTime() - start) / 1e6, Environment.describe(), FunctionCommand.line(info)));
        }
        catch (final java.util.concurrent.CompletionException ex)
        {
            throw ex.getCause() instanceof RuntimeException cause ? cause : ex;
        }
        spec.commandLine().getOut().flush();
        return 0;
    }

    private static String option(final String field)
    {
        return switch (field == null ? "" : field)
        {
            case "handler" -> "--handler";
            case "memMib" -> "--mem-mib";
            case "timeoutMs" -> "--timeout-ms";
            case "payloadLimitBytes" -> "--payload-limit";
            default -> "NAME";
        };
    }
}

package dev.hatchery.examples.faas;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import dev.hatchery.orchestrator.Hatchery;
import dev.hatchery.orchestrator.function.FunctionDeployment;
import dev.hatchery.orchestrator.function.Invocation;

/**
 * A function-as-a-service front door on Hatchery, as a third party would write it: it starts the facade, deploys the
 * echo function from the handler given, and serves {@code POST /invoke/echo} on loopback (the body in, the function's
 * response out; 502 with the handler's end when it fails). Every invocation runs in a fresh clone.
 *
 * <pre>java -jar target/faas-prototype.jar HANDLER [PORT]</pre>
 *
 * Hatchery finds its guest kernel through HATCHERY_VMLINUX and HATCHERY_INITRAMFS (guest/build prints both), and
 * needs a usable /dev/kvm. It prints {@code faas-prototype: listening on PORT} once it serves, and stops on SIGTERM.
 */
public final class FaasPrototype
{
    private FaasPrototype()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        if (args.length < 1 || args.length > 2)
        {
            System.err.println("usage: faas-prototype HANDLER [PORT]   (HANDLER: the echo example, a static executable)");
            System.exit(2);
        }
        final byte[] handler = Files.readAllBytes(Path.of(args[0]));
        final int port = args.length == 2 ? Integer.parseInt(args[1]) : 0;
        final Hatchery hatchery = Hatchery.start();
        hatchery.functions().deploy(new FunctionDeployment("echo", handler, 128, Duration.ofSeconds(60), 1 << 20))
            .toCompletableFuture().join();
        final HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.createContext("/invoke/echo", exchange -> serve(hatchery, exchange));
        server.start();
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            server.stop(0);
            hatchery.close();
            stopped.countDown();
        }, "faas-prototype-stop"));
        System.out.println("faas-prototype: listening on " + server.getAddress().getPort());
        System.out.flush();
        stopped.await();
    }

    private static void serve(final Hatchery hatchery, final HttpExchange exchange) throws IOException
    {
        try (exchange)
        {
            if (!exchange.getRequestMethod().equals("POST"))
            {
                answer(exchange, 405, "POST the request body\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            final byte[] request = exchange.getRequestBody().readAllBytes();
            final Invocation invocation;
            try
            {
                invocation = hatchery.invoke("echo", request).toCompletableFuture().join();
            }
            catch (final RuntimeException ex)
            {
                answer(exchange, 503, (ex.getMessage() + "\n").getBytes(StandardCharsets.UTF_8));
                return;
            }
            if (invocation.succeeded())
            {
                exchange.getResponseHeaders().add("X-Clone", invocation.vmId());
                answer(exchange, 200, invocation.response());
            }
            else
            {
                answer(exchange, 502, (invocation.detail() + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    private static void answer(final HttpExchange exchange, final int status, final byte[] body) throws IOException
    {
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody())
        {
            out.write(body);
        }
    }
}

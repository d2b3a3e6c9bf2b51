package dev.hatchery.orchestrator.http;

import java.util.Locale;
import java.util.Map;

import dev.hatchery.orchestrator.BatchHandle;
import dev.hatchery.orchestrator.BatchProgress;
import dev.hatchery.orchestrator.KernelCatalog;
import dev.hatchery.orchestrator.RunningVm;
import dev.hatchery.vm.Phase;
import dev.hatchery.vm.VmSnapshot;
import dev.hatchery.orchestrator.VmEvent;
import dev.hatchery.orchestrator.report.BatchReport;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The JSON the API answers with; field names are the API's contract (see openapi.json). */
final class Views
{
    private Views()
    {
    }

    static ObjectNode batch(final BatchHandle handle)
    {
        final BatchProgress progress = handle.progress().get();
        final ObjectNode view = Json.MAPPER.createObjectNode();
        view.put("id", handle.id());
        view.put("state", handle.done() ? "done" : "running");
        view.put("kernel", handle.request().kernelName());
        view.put("count", handle.request().count());
        view.put("concurrency", handle.request().concurrency());
        view.put("memMib", handle.request().spec().memMib());
        view.put("submittedAt", handle.submittedAt().toString());
        final ObjectNode p = view.putObject("progress");
        p.put("booted", progress.booted());
        p.put("failed", progress.failed());
        p.put("timedOut", progress.timedOut());
        p.put("cancelled", progress.cancelled());
        p.put("inFlight", progress.inFlight());
        p.put("ended", progress.ended());
        p.put("bootsPerSecond", progress.bootsPerSecond());
        if (handle.done())
        {
            final BatchReport report = handle.report().toCompletableFuture().getNow(null);
            if (report != null)
            {
                view.set("report", Json.tree(report));
            }
            else
            {
                view.put("error", "the batch did not finish: " + failure(handle));
            }
        }
        final ObjectNode links = view.putObject("links");
        links.put("self", "/v1/batches/" + handle.id());
        links.put("events", "/v1/batches/" + handle.id() + "/events");
        return view;
    }

    /** A VM as its actor's {@code snapshot} shows it, with what was asked for (kernel, memory, creation time). */
    static ObjectNode vm(final RunningVm vm, final VmSnapshot snapshot)
    {
        final ObjectNode view = Json.MAPPER.createObjectNode();
        view.put("id", vm.id());
        view.put("state", snapshot.state().name().toLowerCase(Locale.ROOT));
        view.put("kernel", vm.kernelName());
        view.put("memMib", vm.spec().memMib());
        view.put("createdAt", vm.createdAt().toString());
        snapshot.optionalOutcome().ifPresent(outcome ->
        {
            view.put("outcome", outcome.kind().name().toLowerCase(Locale.ROOT));
            if (outcome.failure() != null)
            {
                view.put("failure", outcome.failure().code());
            }
            view.put("reason", outcome.reason());
        });
        final long boot = snapshot.timeline().sinceRequest(Phase.BOOT_COMPLETE);
        if (boot >= 0)
        {
            view.put("bootMicros", boot / 1000);
        }
        snapshot.optionalAddress().ifPresent(address ->
        {
            final ObjectNode a = view.putObject("address");
            a.put("guest", address.guestAddress());
            a.put("host", address.hostAddress());
            a.put("prefixLength", address.prefixLength());
            a.put("tap", address.tap());
            if (address.networkLost() != null)
            {
                a.put("networkLost", address.networkLost());
            }
        });
        final ObjectNode timeline = view.putObject("timelineMicros");
        RunningVm.timelineMicros(snapshot.timeline()).forEach(timeline::put);
        final ObjectNode links = view.putObject("links");
        links.put("self", "/v1/vms/" + vm.id());
        links.put("console", "/v1/vms/" + vm.id() + "/console");
        return view;
    }

    static ObjectNode event(final VmEvent event)
    {
        final ObjectNode view = Json.MAPPER.createObjectNode();
        view.put("batch", event.batchId());
        view.put("vm", event.vmId());
        view.put("sequence", event.sequence());
        view.put("outcome", event.outcome());
        if (event.failure() != null)
        {
            view.put("failure", event.failure());
        }
        view.put("reason", event.reason());
        if (event.bootMicros() >= 0)
        {
            view.put("bootMicros", event.bootMicros());
        }
        if (event.node() != null)
        {
            view.put("node", event.node());
        }
        return view;
    }

    static ObjectNode done(final BatchHandle handle)
    {
        final BatchProgress progress = handle.progress().get();
        final ObjectNode view = Json.MAPPER.createObjectNode();
        view.put("batch", handle.id());
        view.put("count", progress.count());
        view.put("booted", progress.booted());
        view.put("failed", progress.failed());
        view.put("timedOut", progress.timedOut());
        view.put("cancelled", progress.cancelled());
        view.put("report", "/v1/batches/" + handle.id());
        return view;
    }

    static ObjectNode kernels(final KernelCatalog catalog)
    {
        final ObjectNode view = Json.MAPPER.createObjectNode();
        final ArrayNode list = view.putArray("kernels");
        for (final String name : catalog.names())
        {
            final KernelCatalog.Entry entry = catalog.get(name);
            final ObjectNode k = list.addObject();
            k.put("name", name);
            k.put("initrd", entry.initrd() != null);
            k.put("stopsOnTripleFault", entry.tripleFaultIsStop());
        }
        return view;
    }

    private static String failure(final BatchHandle handle)
    {
        try
        {
            handle.report().toCompletableFuture().join();
            return "unknown";
        }
        catch (final java.util.concurrent.CompletionException ex)
        {
            return ex.getCause() == null ? ex.getMessage() : ex.getCause().getMessage();
        }
    }
}

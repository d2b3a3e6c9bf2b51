package dev.hatchery.orchestrator.http;

import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import dev.hatchery.config.InvalidSpecException;
import dev.hatchery.config.MemoryMode;
import dev.hatchery.config.SpawnMode;
import dev.hatchery.config.VmSpec;
import dev.hatchery.orchestrator.BatchRequest;
import dev.hatchery.orchestrator.KernelCatalog;
import dev.hatchery.orchestrator.SpawnRequest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Turns request bodies into requests, refusing anything doubtful with a problem naming the field: not
 * JSON, not an object, unknown fields, wrong types, numbers out of range, kernels that are not catalog
 * names. A kernel is only ever picked by its catalog name, never by a path from the request.
 */
final class RequestBodies
{
    static final int DEFAULT_MEM_MIB = 128;
    static final long DEFAULT_BOOT_TIMEOUT_MS = 10_000;
    static final long MAX_BOOT_TIMEOUT_MS = 600_000;
    static final int DEFAULT_BATCH_CONCURRENCY = 8;
    private static final Pattern KERNEL_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final List<String> BATCH_FIELDS = List.of("kernel", "count", "concurrency", "memMib", "bootTimeoutMs", "memory",
        "network", "console", "spawn");
    private static final List<String> VM_FIELDS = List.of("kernel", "memMib", "bootTimeoutMs", "memory", "network", "console", "wait",
        "spawn");

    private RequestBodies()
    {
    }

    /** A spawn request and whether the caller waits for boot-complete. */
    record VmBody(SpawnRequest request, boolean waitForBoot)
    {
    }

    static BatchRequest batch(final byte[] body, final KernelCatalog catalog, final int maxCount, final int maxConcurrency)
    {
        final ObjectNode json = object(body, BATCH_FIELDS);
        final String kernel = kernel(json, catalog);
        final int count = integer(json, "count", null, 1, maxCount);
        final int concurrency = integer(json, "concurrency", Math.min(count, DEFAULT_BATCH_CONCURRENCY), 1, maxConcurrency);
        final VmSpec spec = spec(json, catalog, kernel, false);
        return new BatchRequest(kernel, spec, count, concurrency, true);
    }

    static VmBody vm(final byte[] body, final KernelCatalog catalog)
    {
        final ObjectNode json = object(body, VM_FIELDS);
        final String kernel = kernel(json, catalog);
        final VmSpec spec = spec(json, catalog, kernel, true);
        return new VmBody(new SpawnRequest(kernel, spec), bool(json, "wait", false));
    }

    private static VmSpec spec(final ObjectNode json, final KernelCatalog catalog, final String kernel, final boolean consoleByDefault)
    {
        final int memMib = integer(json, "memMib", DEFAULT_MEM_MIB, VmSpec.MIN_MEM_MIB, VmSpec.MAX_MEM_MIB);
        final long bootTimeoutMs = integer(json, "bootTimeoutMs", (int)DEFAULT_BOOT_TIMEOUT_MS, 1, (int)MAX_BOOT_TIMEOUT_MS);
        final String memory = choice(json, "memory", "template", List.of("template", "copy"));
        final String spawn = choice(json, "spawn", "boot", List.of("boot", "clone"));
        try
        {
            return catalog.specFor(kernel, bool(json, "console", consoleByDefault)).memMib(memMib)
                .bootTimeout(Duration.ofMillis(bootTimeoutMs)).memoryMode(MemoryMode.valueOf(memory.toUpperCase(Locale.ROOT)))
                .network(bool(json, "network", false)).spawn(SpawnMode.valueOf(spawn.toUpperCase(Locale.ROOT))).conclude();
        }
        catch (final InvalidSpecException ex)
        {
            throw bad(ex.field().apiName(), ex.getMessage());
        }
    }

    static ObjectNode object(final byte[] body, final List<String> knownFields)
    {
        if (body.length == 0)
        {
            throw bad(null, "the request has no body: send a JSON object with Content-Type: application/json");
        }
        final JsonNode node;
        try
        {
            node = Json.MAPPER.readTree(body);
        }
        catch (final JsonProcessingException ex)
        {
            final String where = ex.getLocation() == null ? "" : " at line " + ex.getLocation().getLineNr() + " column "
                + ex.getLocation().getColumnNr();
            throw bad(null, "the body is not valid JSON" + where + ": " + ex.getOriginalMessage());
        }
        catch (final java.io.IOException ex)
        {
            throw bad(null, "the body could not be read as JSON: " + ex.getMessage());
        }
        if (!(node instanceof ObjectNode object))
        {
            throw bad(null, "the body must be a JSON object, got " + describe(node));
        }
        for (final Iterator<String> names = object.fieldNames(); names.hasNext(); )
        {
            final String name = names.next();
            if (!knownFields.contains(name))
            {
                throw bad(name, "unknown field '" + name + "': known fields are " + String.join(", ", knownFields));
            }
        }
        return object;
    }

    static String kernel(final ObjectNode json, final KernelCatalog catalog)
    {
        final JsonNode node = json.get("kernel");
        if (node == null || node.isNull())
        {
            throw bad("kernel", "kernel is required: one of " + String.join(", ", catalog.names()) + " (GET /v1/kernels)");
        }
        if (!node.isTextual())
        {
            throw bad("kernel", "kernel must be a string (a catalog name), got " + describe(node));
        }
        final String name = node.textValue();
        if (name.contains("/") || name.contains("\\") || name.contains(".."))
        {
            throw bad("kernel", "kernel must be a catalog name, not a path: kernel=" + quoted(name) + "; known kernels are "
                + String.join(", ", catalog.names()));
        }
        if (!KERNEL_NAME.matcher(name).matches())
        {
            throw bad("kernel", "kernel must be a catalog name of letters, digits, '.', '_' or '-': kernel=" + quoted(name));
        }
        if (!catalog.contains(name))
        {
            throw bad("kernel", "unknown kernel: kernel=" + quoted(name) + "; known kernels are " + String.join(", ", catalog.names()));
        }
        return name;
    }

    static int integer(final ObjectNode json, final String field, final Integer defaultValue, final int min, final int max)
    {
        final JsonNode node = json.get(field);
        if (node == null || node.isNull())
        {
            if (defaultValue == null)
            {
                throw bad(field, field + " is required: an integer between " + min + " and " + max);
            }
            return defaultValue;
        }
        if (!node.isIntegralNumber())
        {
            throw bad(field, field + " must be an integer between " + min + " and " + max + ", got " + describe(node));
        }
        if (!node.canConvertToInt() || node.intValue() < min || node.intValue() > max)
        {
            throw bad(field, field + "=" + node.asText() + " is out of range: must be between " + min + " and " + max);
        }
        return node.intValue();
    }

    static boolean bool(final ObjectNode json, final String field, final boolean defaultValue)
    {
        final JsonNode node = json.get(field);
        if (node == null || node.isNull())
        {
            return defaultValue;
        }
        if (!node.isBoolean())
        {
            throw bad(field, field + " must be true or false, got " + describe(node));
        }
        return node.booleanValue();
    }

    static String choice(final ObjectNode json, final String field, final String defaultValue, final List<String> allowed)
    {
        final JsonNode node = json.get(field);
        if (node == null || node.isNull())
        {
            return defaultValue;
        }
        if (!node.isTextual() || !allowed.contains(node.textValue()))
        {
            throw bad(field, field + " must be one of " + String.join(", ", allowed) + ", got " + describe(node));
        }
        return node.textValue();
    }

    private static String describe(final JsonNode node)
    {
        final String type = switch (node.getNodeType())
        {
            case STRING -> "string";
            case NUMBER -> "number";
            case BOOLEAN -> "boolean";
            case ARRAY -> "array";
            case OBJECT -> "object";
            case NULL -> "null";
            default -> node.getNodeType().name().toLowerCase(Locale.ROOT);
        };
        final String text = node.toString();
        return type + " " + (text.length() > 40 ? text.substring(0, 40) + "..." : text);
    }

    private static String quoted(final String text)
    {
        final String shown = text.length() > 80 ? text.substring(0, 80) + "..." : text;
        return "'" + shown.replaceAll("\\p{Cntrl}", "?") + "'";
    }

    private static ProblemException bad(final String field, final String detail)
    {
        return new ProblemException(Problem.badRequest(field, detail));
    }
}

package dev.hatchery.orchestrator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.hatchery.vm.Phase;
import dev.hatchery.vm.Timeline;
import dev.hatchery.vm.VmFailure;
import dev.hatchery.vm.VmOutcome;
import dev.hatchery.vm.VmResult;

/**
 * What one run of the C floor VMM ({@code bench/c/floor-vmm.c}) printed, parsed: its {@code start} and {@code end}
 * readings of CLOCK_MONOTONIC (System.nanoTime's clock) and one {@link VmResult} per VM, with the timeline it
 * stamped, so the C VMM's VMs go through the same {@link dev.hatchery.orchestrator.report.BatchRecorder} as
 * Hatchery's. The line format is documented at the top of the C source.
 *
 * @param processId the C process's pid, from its {@code ready} line
 */
record FloorVmmOutput(long processId, long startNanos, long endNanos, List<VmResult> vms)
{
    FloorVmmOutput
    {
        vms = List.copyOf(vms);
    }

    /** Parses a whole run; a line it cannot read, or a run without its ready, start and end lines, fails naming the line. */
    static FloorVmmOutput parse(final String source, final List<String> lines)
    {
        long pid = -1;
        long start = -1;
        long end = -1;
        final List<VmResult> vms = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++)
        {
            final String line = lines.get(i).strip();
            if (line.isEmpty())
            {
                continue;
            }
            final int space = line.indexOf(' ');
            final String word = space < 0 ? line : line.substring(0, space);
            final Map<String, String> fields = fields(source, i + 1, line, space < 0 ? "" : line.substring(space + 1));
            switch (word)
            {
                case "ready" -> pid = number(source, i + 1, fields, "pid");
                case "start" -> start = number(source, i + 1, fields, "at");
                case "end" ->
                {
                    end = number(source, i + 1, fields, "at");
                    final long count = number(source, i + 1, fields, "vms");
                    if (count != vms.size())
                    {
                        throw malformed(source, i + 1, line, "end says vms=" + count + " but " + vms.size() + " vm lines came before it");
                    }
                }
                case "vm" -> vms.add(vm(source, i + 1, fields));
                default -> throw malformed(source, i + 1, line, "unknown record '" + word + "'");
            }
        }
        if (pid < 0 || start < 0 || end < 0)
        {
            throw new IllegalArgumentException("floor-vmm output incomplete: source=" + source + " ready=" + (pid >= 0) + " start=" + (start >= 0)
                + " end=" + (end >= 0) + " vms=" + vms.size() + " (did the process end early? see its stderr)");
        }
        return new FloorVmmOutput(pid, start, end, vms);
    }

    /** VMs that reached boot-complete. */
    long booted()
    {
        return vms.stream().filter(vm -> vm.outcome().isBooted()).count();
    }

    private static VmResult vm(final String source, final int lineNumber, final Map<String, String> fields)
    {
        final long index = number(source, lineNumber, fields, "index");
        final Timeline timeline = new Timeline();
        for (final Map.Entry<String, String> field : fields.entrySet())
        {
            final Optional<Phase> phase = Phase.ofJsonKey(field.getKey());
            if (phase.isPresent())
            {
                timeline.mark(phase.get(), number(source, lineNumber, fields, field.getKey()));
            }
        }
        if (!timeline.reached(Phase.REQUEST))
        {
            throw malformed(source, lineNumber, fields.toString(), "a vm line without its request time");
        }
        final String outcome = fields.getOrDefault("outcome", "");
        final VmOutcome vmOutcome = switch (outcome)
        {
            case "booted" -> VmOutcome.booted("guest stopped by triple fault, as this guest does on purpose");
            case "failed" -> VmOutcome.of(failure(source, lineNumber, fields));
            default -> throw malformed(source, lineNumber, fields.toString(), "outcome must be booted or failed: outcome=" + outcome);
        };
        return new VmResult("floor-" + source + "-vm-" + index, vmOutcome, timeline, "", number(source, lineNumber, fields, "exits"));
    }

    /** The C VMM's failure codes are Hatchery's, so both group the same way in a report. */
    private static VmFailure failure(final String source, final int lineNumber, final Map<String, String> fields)
    {
        final String code = fields.getOrDefault("failure", "");
        final String detail = fields.getOrDefault("detail", "");
        return switch (code)
        {
            case "triple_fault" -> new VmFailure.TripleFault(false, detail);
            case "internal_error" -> new VmFailure.InternalError(detail);
            case "entry_failed" -> new VmFailure.EntryFailed(hexAfter(detail), detail);
            case "unhandled_exit" -> new VmFailure.UnhandledExit(detail, "");
            case "boot_timeout" -> new VmFailure.BootTimeout(Long.parseLong(detail.replace("timeoutMs=", "")));
            default -> throw malformed(source, lineNumber, fields.toString(), "unknown failure code: failure=" + code);
        };
    }

    /** The value of {@code name=0x...}, or 0. */
    private static long hexAfter(final String detail)
    {
        final int x = detail.indexOf("0x");
        return x < 0 ? 0 : Long.parseUnsignedLong(detail.substring(x + 2), 16);
    }

    private static Map<String, String> fields(final String source, final int lineNumber, final String line, final String rest)
    {
        final Map<String, String> fields = new LinkedHashMap<>();
        for (final String token : rest.split(" +"))
        {
            if (token.isEmpty())
            {
                continue;
            }
            final int eq = token.indexOf('=');
            if (eq <= 0)
            {
                throw malformed(source, lineNumber, line, "expected key=value, got '" + token + "'");
            }
            fields.put(token.substring(0, eq), token.substring(eq + 1));
        }
        return fields;
    }

    private static long number(final String source, final int lineNumber, final Map<String, String> fields, final String key)
    {
        final String value = fields.get(key);
        if (value == null)
        {
            throw malformed(source, lineNumber, fields.toString(), "missing field " + key);
        }
        try
        {
            return Long.parseLong(value);
        }
        catch (final NumberFormatException ex)
        {
            throw malformed(source, lineNumber, fields.toString(), "not a number: " + key + "=" + value);
        }
    }

    private static IllegalArgumentException malformed(final String source, final int lineNumber, final String line, final String why)
    {
        return new IllegalArgumentException("floor-vmm output malformed: source=" + source + " line=" + lineNumber + ": " + why + ": " + line);
    }
}

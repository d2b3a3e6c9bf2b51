package dev.hatchery.orchestrator;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which output files reach the host when this process runs inside the emulated lab. The lab sees the host read-only
 * and has its own tmpfs on /tmp, /var/tmp, /run and /dev/shm; only the folders lab/run shares back (the project and
 * those ./hatchery adds, listed in HATCHERY_LAB_SHARED) are the host's. A report written anywhere else would vanish
 * with the lab, so the command refuses it before it starts.
 */
final class LabOutput
{
    static final String SHARED_VARIABLE = "HATCHERY_LAB_SHARED";

    private LabOutput()
    {
    }

    /** Throws IllegalArgumentException naming the option, the path and the fix when file would not reach the host. */
    static void requireShared(final String option, final Path file, final Map<String, String> env)
    {
        refusal(option, file, env).ifPresent(message ->
        {
            throw new IllegalArgumentException(message);
        });
    }

    static Optional<String> refusal(final String option, final Path file, final Map<String, String> env)
    {
        final String shared = env.get(SHARED_VARIABLE);
        if (file == null || !"1".equals(env.get("HATCHERY_IN_LAB")) || shared == null || shared.isBlank())
        {
            return Optional.empty();
        }
        final Path absolute = file.toAbsolutePath().normalize();
        final List<Path> folders = Arrays.stream(shared.split(":")).filter(s -> !s.isBlank()).map(Path::of).toList();
        if (folders.stream().anyMatch(absolute::startsWith))
        {
            return Optional.empty();
        }
        return Optional.of(option + " " + absolute + ": inside the emulated lab this file would stay in the lab (its own tmpfs or"
            + " read-only view of the host) and be lost when the lab powers off; the folders shared back to the host are "
            + String.join(", ", shared.split(":")) + ". Run the command through ./hatchery, which shares the folder of every"
            + " --json/--html/--profile file, or write the file below one of those folders");
    }
}

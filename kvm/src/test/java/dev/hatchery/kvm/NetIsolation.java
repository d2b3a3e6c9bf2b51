package dev.hatchery.kvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a networked test's traffic stays: inside the emulated lab (its own machine, no network card), or natively
 * inside a network namespace of its own, which the launcher makes (`unshare --net`). A native run in the
 * host's own namespace fails here rather than put taps and guest addresses on the host's network.
 * Shared with vm-actor's tests through kvm's test jar.
 */
public final class NetIsolation
{
    private NetIsolation()
    {
    }

    /** "lab (emulated)" or "network namespace net:[...]"; throws when neither applies. */
    public static String describe()
    {
        if (System.getenv("HATCHERY_IN_LAB") != null)
        {
            return "lab (emulated)";
        }
        // The launcher records its own namespace before unshare --net: ours must be a different one.
        final String own = namespace();
        final String launcher = System.getenv("HATCHERY_HOST_NETNS");
        if (launcher == null || launcher.equals(own))
        {
            throw new IllegalStateException("networked tests natively need a network namespace of their own: this JVM is in "
                + own + (launcher == null ? ", not one made by the launcher" : ", the launcher's own")
                + "; run them with ./hatchery test, which starts them under unshare --net");
        }
        return "network namespace " + own + " (the launcher's: " + launcher + ")";
    }

    private static String namespace()
    {
        try
        {
            return Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot read /proc/self/ns/net: " + ex, ex);
        }
    }
}

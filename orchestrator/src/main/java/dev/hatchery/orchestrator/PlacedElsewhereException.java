package dev.hatchery.orchestrator;

/**
 * A cluster member placed a single VM on another node, the one with the most free capacity: send the same request to
 * {@link #url()} (the HTTP API answers 307 with it as Location), or call {@link VmService#submitVmHere} to keep it here.
 */
public final class PlacedElsewhereException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final String node;
    private final String url;

    public PlacedElsewhereException(final String node, final String url)
    {
        super("placed on node " + node + " (most free capacity): send the request to " + url, null, false, false);
        this.node = node;
        this.url = url;
    }

    public String node()
    {
        return node;
    }

    /** Where that node accepts it: its {@code POST /v1/vms}, marked as placed so it stays there. */
    public String url()
    {
        return url;
    }
}

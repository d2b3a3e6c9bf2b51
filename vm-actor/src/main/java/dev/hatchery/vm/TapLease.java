package dev.hatchery.vm;

import java.net.Inet4Address;

/**
 * One tap of a {@link TapPool} and its addresses, held by one VM at a time. {@link #close()} gives it
 * back; a second close does nothing, so every release path may call it.
 */
public final class TapLease implements AutoCloseable
{
    private final TapPool pool;
    private final String tapName;
    private final Inet4Address hostAddress;
    private final Inet4Address guestAddress;
    private final int prefixLength;
    private boolean leased;

    TapLease(final TapPool pool, final String tapName, final Inet4Address hostAddress, final Inet4Address guestAddress,
        final int prefixLength)
    {
        this.pool = pool;
        this.tapName = tapName;
        this.hostAddress = hostAddress;
        this.guestAddress = guestAddress;
        this.prefixLength = prefixLength;
    }

    public String tapName()
    {
        return tapName;
    }

    /** The tap's own address on the host side. */
    public Inet4Address hostAddress()
    {
        return hostAddress;
    }

    /** The address the guest configures on eth0 (kernel ip= argument). */
    public Inet4Address guestAddress()
    {
        return guestAddress;
    }

    /** Whether the pool isolates its guests: the VMM then also lets only the guest's own frames out ({@code SourceFilter}). */
    public boolean isolated()
    {
        return pool.settings().isolation().enabled();
    }

    public int prefixLength()
    {
        return prefixLength;
    }

    /** The netmask in dotted form, e.g. 255.255.255.252. */
    public String netmask()
    {
        final int mask = -1 << (32 - prefixLength);
        return TapPool.format(mask);
    }

    synchronized void leased()
    {
        leased = true;
    }

    public synchronized boolean isLeased()
    {
        return leased;
    }

    @Override
    public void close()
    {
        synchronized (this)
        {
            if (!leased)
            {
                return;
            }
            leased = false;
        }
        pool.giveBack(this);
    }

    @Override
    public String toString()
    {
        return "TapLease{tap=" + tapName + " host=" + hostAddress.getHostAddress() + " guest=" + guestAddress.getHostAddress()
            + "/" + prefixLength + "}";
    }
}

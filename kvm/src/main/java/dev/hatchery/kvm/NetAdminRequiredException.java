package dev.hatchery.kvm;

/**
 * A network call refused with EPERM because the process lacks CAP_NET_ADMIN (creating a tap, configuring
 * an interface). The message keeps the failed call's facts and adds what was being done and the fix, e.g.
 * {@code TUNSETIFF failed: name=hatch0 flags=0x5002 errno=1 (EPERM): creating tap hatch0 needs CAP_NET_ADMIN; ...}.
 */
public final class NetAdminRequiredException extends NativeCallException
{
    private static final long serialVersionUID = 1L;

    private final String action;

    public NetAdminRequiredException(final String call, final String facts, final int errno, final String action)
    {
        super(call, facts, errno);
        this.action = action;
    }

    /** What was being done, e.g. {@code creating tap hatch0}. */
    public String action()
    {
        return action;
    }

    @Override
    public String getMessage()
    {
        return super.getMessage() + ": " + action + " needs CAP_NET_ADMIN; run as root or grant the capability"
            + " (e.g. setcap cap_net_admin+ep on the java binary)";
    }
}

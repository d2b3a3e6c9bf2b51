package dev.hatchery.kvm;

/** Request numbers from {@code linux/if_tun.h} and {@code linux/sockios.h} (x86-64), pinned against this machine's headers by NativeLayoutTest. */
final class NetIoctls
{
    static final long TUNSETIFF = 0x400454caL;
    /** Takes its value (0 or 1) as the argument itself, not through a pointer. */
    static final long TUNSETPERSIST = 0x400454cbL;
    /** Takes the TUN_F_* mask as the argument itself, not through a pointer. */
    static final long TUNSETOFFLOAD = 0x400454d0L;
    /** Takes a pointer to an int. */
    static final long TUNSETVNETHDRSZ = 0x400454d8L;

    static final long SIOCGIFFLAGS = 0x8913L;
    static final long SIOCSIFFLAGS = 0x8914L;
    static final long SIOCGIFADDR = 0x8915L;
    static final long SIOCSIFADDR = 0x8916L;
    static final long SIOCGIFNETMASK = 0x891bL;
    static final long SIOCSIFNETMASK = 0x891cL;

    private NetIoctls()
    {
    }
}

package dev.hatchery.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What one VM should be: kernel, initrd, command line, memory, vCPUs, boot-device address, boot timeout.
 * Immutable; built with {@link Builder} whose {@link Builder#conclude()} validates everything before
 * any resource is opened, with messages that name the field, the value and the accepted range.
 */
public final class VmSpec
{
    public static final int MIN_MEM_MIB = 16;
    /** Guest RAM stays below the MMIO gap (3328 MiB), where the boot device and virtio windows live ({@link GuestPhysicalMap}). */
    public static final int MAX_MEM_MIB = (int)(GuestPhysicalMap.MMIO_GAP_START >> 20);
    public static final int DEFAULT_MEM_MIB = 128;
    public static final Duration DEFAULT_BOOT_TIMEOUT = Duration.ofSeconds(10);
    public static final int DEFAULT_CONSOLE_BYTES = 64 * 1024;
    public static final int MAX_CONSOLE_BYTES = 16 * 1024 * 1024;
    /** What the VMM itself adds to a networked VM's command line; a spec that sets them would conflict. */
    static final String[] NETWORK_CMDLINE_KEYS = {"virtio_mmio.device=", "ip="};
    /** The command-line word that tells Hatchery's /init to stop at the clone ready point (the template VM of a clone). */
    public static final String CLONE_CMDLINE_WORD = "hatchery.clone=1";

    private final Path kernel;
    private final Path initrd;
    private final String cmdline;
    private final int memMib;
    private final int vcpus;
    private final long bootDeviceAddress;
    private final Duration bootTimeout;
    private final int consoleBytes;
    private final boolean tripleFaultIsStop;
    private final MemoryMode memoryMode;
    private final HugePages hugePages;
    private final boolean network;
    private final String mac;
    private final SpawnMode spawn;
    /** Null unless the VM runs a function: then the mailbox its invocation's bytes cross. */
    private final FunctionMailbox mailbox;

    private VmSpec(final Builder builder)
    {
        kernel = builder.kernel;
        initrd = builder.initrd;
        cmdline = builder.cmdline;
        memMib = builder.memMib;
        vcpus = builder.vcpus;
        bootDeviceAddress = builder.bootDeviceAddress;
        bootTimeout = builder.bootTimeout;
        consoleBytes = builder.consoleBytes;
        tripleFaultIsStop = builder.tripleFaultIsStop;
        memoryMode = builder.memoryMode;
        hugePages = builder.hugePages;
        network = builder.network;
        mac = builder.mac;
        spawn = builder.spawn;
        mailbox = builder.payloadLimit == 0 ? null : FunctionMailbox.atTopOf((long)memMib << 20, builder.payloadLimit);
    }

    public static Builder builder()
    {
        return new Builder();
    }

    public Path kernel()
    {
        return kernel;
    }

    /** The initrd, or null when the guest has none. */
    public Path initrd()
    {
        return initrd;
    }

    public String cmdline()
    {
        return cmdline;
    }

    public int memMib()
    {
        return memMib;
    }

    public long memBytes()
    {
        return (long)memMib << 20;
    }

    public int vcpus()
    {
        return vcpus;
    }

    public long bootDeviceAddress()
    {
        return bootDeviceAddress;
    }

    public Duration bootTimeout()
    {
        return bootTimeout;
    }

    public int consoleBytes()
    {
        return consoleBytes;
    }

    /**
     * Whether a triple fault after boot-complete is the guest's way of stopping. True for the seed's
     * flat guest, which ends that way on purpose; for a Linux guest a triple fault is always a failure.
     */
    public boolean tripleFaultIsStop()
    {
        return tripleFaultIsStop;
    }

    /** How each VM's boot memory is prepared: copy-on-write template (default) or a copy per VM. */
    public MemoryMode memoryMode()
    {
        return memoryMode;
    }

    /** How the per-VM part of guest RAM is backed. */
    public HugePages hugePages()
    {
        return hugePages;
    }

    /** Whether the VM gets a virtio-net device over a tap leased from the host's pool (addresses come from the lease). */
    public boolean network()
    {
        return network;
    }

    /** The guest's MAC as "02:xx:xx:xx:xx:xx", or null: derived from the VM id. Only with {@link #network()}. */
    public String mac()
    {
        return mac;
    }

    /** Whether the VM boots its kernel or is cloned from a VM of this spec that booted once. */
    public SpawnMode spawn()
    {
        return spawn;
    }

    /** The function mailbox of a VM that runs a function (spawn=clone, its command line carries the mailbox's words), or null. */
    public FunctionMailbox mailbox()
    {
        return mailbox;
    }

    /** Where a networked VM's virtio-mmio window starts: the first virtio window, the page after the boot device. */
    public long virtioNetAddress()
    {
        return GuestPhysicalMap.virtioWindow(bootDeviceAddress, 0);
    }

    /**
     * The spec of the template VM that clones of this spec are made from: it boots, with {@link #CLONE_CMDLINE_WORD}
     * added to its command line so that its /init stops at the clone ready point.
     */
    public VmSpec cloneTemplateSpec()
    {
        if (spawn != SpawnMode.CLONE)
        {
            throw new IllegalStateException("only a spec with spawn=clone has a clone template: " + this);
        }
        return toBuilder().spawn(SpawnMode.BOOT).cmdline(cmdline.isEmpty() ? CLONE_CMDLINE_WORD : cmdline + " " + CLONE_CMDLINE_WORD).conclude();
    }

    public Builder toBuilder()
    {
        return new Builder().kernel(kernel).initrd(initrd).cmdline(cmdline).memMib(memMib).vcpus(vcpus)
            .bootDeviceAddress(bootDeviceAddress).bootTimeout(bootTimeout).consoleBytes(consoleBytes).tripleFaultIsStop(tripleFaultIsStop)
            .memoryMode(memoryMode).hugePages(hugePages).network(network).mac(mac).spawn(spawn)
            .payloadLimit(mailbox == null ? 0 : mailbox.capacity());
    }

    @Override
    public String toString()
    {
        return "VmSpec{kernel=" + kernel + " initrd=" + initrd + " mem_mib=" + memMib + " vcpus=" + vcpus
            + " boot_device=0x" + Long.toHexString(bootDeviceAddress) + " boot_timeout_ms=" + bootTimeout.toMillis()
            + " memory=" + memoryMode + " huge_pages=" + hugePages + " network=" + network + (mac == null ? "" : " mac=" + mac) + " spawn=" + spawn
            + (mailbox == null ? "" : " payload_limit=" + mailbox.capacity()) + " cmdline=\"" + cmdline + "\"}";
    }

    /** Fluent setters; nothing is checked until {@link #conclude()}. */
    public static final class Builder
    {
        private Path kernel;
        private Path initrd;
        private String cmdline = "";
        private int memMib = DEFAULT_MEM_MIB;
        private int vcpus = 1;
        private long bootDeviceAddress = GuestPhysicalMap.DEFAULT_BOOT_DEVICE_ADDRESS;
        private Duration bootTimeout = DEFAULT_BOOT_TIMEOUT;
        private int consoleBytes = DEFAULT_CONSOLE_BYTES;
        private boolean tripleFaultIsStop;
        private MemoryMode memoryMode = MemoryMode.TEMPLATE;
        private HugePages hugePages = HugePages.OFF;
        private boolean network;
        private String mac;
        private SpawnMode spawn = SpawnMode.BOOT;
        private int payloadLimit;

        private Builder()
        {
        }

        public Builder kernel(final Path kernel)
        {
            this.kernel = kernel;
            return this;
        }

        public Builder initrd(final Path initrd)
        {
            this.initrd = initrd;
            return this;
        }

        public Builder cmdline(final String cmdline)
        {
            this.cmdline = cmdline;
            return this;
        }

        public Builder memMib(final int memMib)
        {
            this.memMib = memMib;
            return this;
        }

        public Builder vcpus(final int vcpus)
        {
            this.vcpus = vcpus;
            return this;
        }

        public Builder bootDeviceAddress(final long bootDeviceAddress)
        {
            this.bootDeviceAddress = bootDeviceAddress;
            return this;
        }

        public Builder bootTimeout(final Duration bootTimeout)
        {
            this.bootTimeout = bootTimeout;
            return this;
        }

        public Builder consoleBytes(final int consoleBytes)
        {
            this.consoleBytes = consoleBytes;
            return this;
        }

        public Builder tripleFaultIsStop(final boolean tripleFaultIsStop)
        {
            this.tripleFaultIsStop = tripleFaultIsStop;
            return this;
        }

        public Builder memoryMode(final MemoryMode memoryMode)
        {
            this.memoryMode = memoryMode;
            return this;
        }

        public Builder hugePages(final HugePages hugePages)
        {
            this.hugePages = hugePages;
            return this;
        }

        public Builder network(final boolean network)
        {
            this.network = network;
            return this;
        }

        /** "xx:xx:xx:xx:xx:xx", unicast; null derives one from the VM id. */
        public Builder mac(final String mac)
        {
            this.mac = mac;
            return this;
        }

        public Builder spawn(final SpawnMode spawn)
        {
            this.spawn = spawn;
            return this;
        }

        /**
         * A VM that runs a function: its request and response may be up to {@code bytes} each (0: no function). Needs
         * spawn=clone; {@link #conclude()} adds the mailbox's words to the command line.
         */
        public Builder payloadLimit(final int bytes)
        {
            this.payloadLimit = bytes;
            return this;
        }

        /** Validates every field and returns the spec; the first problem found is thrown as {@link InvalidSpecException}. */
        public VmSpec conclude()
        {
            if (kernel == null)
            {
                throw new InvalidSpecException(SpecField.KERNEL, "missing", "name a vmlinux ELF file");
            }
            if (cmdline == null)
            {
                throw new InvalidSpecException(SpecField.CMDLINE, "missing", "use \"\" for an empty command line");
            }
            if (memMib < MIN_MEM_MIB || memMib > MAX_MEM_MIB)
            {
                throw new InvalidSpecException(SpecField.MEM_MIB, "mem-mib=" + memMib,
                    "must be between " + MIN_MEM_MIB + " and " + MAX_MEM_MIB + " (guest RAM stays below the MMIO gap at " + hex(GuestPhysicalMap.MMIO_GAP_START) + ")");
            }
            if (vcpus != 1)
            {
                throw new InvalidSpecException(SpecField.VCPUS, "vcpus=" + vcpus, "only 1 vCPU per VM is supported");
            }
            if (bootDeviceAddress < GuestPhysicalMap.MMIO_GAP_START || bootDeviceAddress > GuestPhysicalMap.LAST_DEVICE_WINDOW
                || bootDeviceAddress % GuestPhysicalMap.DEVICE_WINDOW_LENGTH != 0)
            {
                throw new InvalidSpecException(SpecField.BOOT_DEVICE, "boot-device=" + hex(bootDeviceAddress), "must be a 4 KiB-aligned address inside the MMIO gap ["
                    + hex(GuestPhysicalMap.MMIO_GAP_START) + ", " + hex(GuestPhysicalMap.LAST_DEVICE_WINDOW) + "]");
            }
            if (bootTimeout == null || bootTimeout.isNegative() || bootTimeout.isZero())
            {
                throw new InvalidSpecException(SpecField.BOOT_TIMEOUT, "boot-timeout=" + bootTimeout, "must be a positive duration");
            }
            if (consoleBytes < 0 || consoleBytes > MAX_CONSOLE_BYTES)
            {
                throw new InvalidSpecException(SpecField.CONSOLE_BYTES, "console-bytes=" + consoleBytes,
                    "must be between 0 and " + MAX_CONSOLE_BYTES);
            }
            if (memoryMode == null)
            {
                throw new InvalidSpecException(SpecField.MEMORY, "missing", "choose template or copy");
            }
            if (hugePages == null)
            {
                throw new InvalidSpecException(SpecField.HUGE_PAGES, "missing", "choose off, transparent or hugetlbfs");
            }
            if (hugePages == HugePages.HUGETLBFS && ((long)memMib << 20) % HugePages.HUGE_PAGE_SIZE != 0)
            {
                throw new InvalidSpecException(SpecField.MEM_MIB, "mem-mib=" + memMib, "must be a multiple of 2 with huge-pages=hugetlbfs (2 MiB pages)");
            }
            validateNetwork();
            validateSpawn();
            validateMailbox();
            return new VmSpec(this);
        }

        private void validateSpawn()
        {
            if (spawn == null)
            {
                throw new InvalidSpecException(SpecField.SPAWN, "missing", "choose boot or clone");
            }
            if (spawn == SpawnMode.CLONE && mac != null)
            {
                throw new InvalidSpecException(SpecField.MAC, "mac=" + mac + " with spawn=clone",
                    "leave it out: every clone gets a MAC of its own, derived from its VM id");
            }
            if (spawn == SpawnMode.CLONE && hugePages != HugePages.OFF)
            {
                throw new InvalidSpecException(SpecField.SPAWN, "spawn=clone with huge-pages=" + hugePages.name().toLowerCase(java.util.Locale.ROOT),
                    "clones map their template's memory copy-on-write in 4 KiB pages; use huge-pages=off with spawn=clone");
            }
            if (spawn == SpawnMode.CLONE && (" " + cmdline + " ").contains(" " + CLONE_CMDLINE_WORD + " "))
            {
                throw new InvalidSpecException(SpecField.CMDLINE, CLONE_CMDLINE_WORD, "must not be set: Hatchery adds it to the template VM of spawn=clone");
            }
        }

        /** A function's mailbox: a clone's; its words go on the command line here, and nobody else's may be there. */
        private void validateMailbox()
        {
            final String words = payloadLimit == 0 ? "" : FunctionMailbox.atTopOf((long)memMib << 20, payloadLimit).cmdlineWords();
            final String padded = " " + cmdline + " ";
            // A function's template (cloneTemplateSpec) boots: it keeps the mailbox, marked by the clone word.
            if (payloadLimit != 0 && spawn != SpawnMode.CLONE && !padded.contains(" " + CLONE_CMDLINE_WORD + " "))
            {
                throw new InvalidSpecException(SpecField.PAYLOAD_LIMIT, "payload-limit=" + payloadLimit + " with spawn=" + spawn,
                    "a function runs in clones of its template: use spawn=clone");
            }
            final String without = payloadLimit == 0 ? padded : padded.replace(" " + words + " ", " ");
            for (final String word : without.trim().split(" "))
            {
                if (FunctionMailbox.isMailboxWord(word))
                {
                    throw new InvalidSpecException(SpecField.CMDLINE, word, "must not be set: Hatchery adds the function mailbox's words itself");
                }
            }
            if (payloadLimit != 0 && without.equals(padded))
            {
                cmdline = cmdline.isEmpty() ? words : cmdline + " " + words;
            }
        }

        private void validateNetwork()
        {
            if (mac != null)
            {
                if (!network)
                {
                    throw new InvalidSpecException(SpecField.MAC, "mac=" + mac, "needs network on (a VM without network has no MAC)");
                }
                parseMac(mac);
            }
            if (!network)
            {
                return;
            }
            if (GuestPhysicalMap.virtioWindow(bootDeviceAddress, 0) > GuestPhysicalMap.LAST_DEVICE_WINDOW)
            {
                throw new InvalidSpecException(SpecField.BOOT_DEVICE, "boot-device=" + hex(bootDeviceAddress),
                    "leaves no room for the virtio-net window after it with network on; use an address at most "
                    + hex(GuestPhysicalMap.LAST_DEVICE_WINDOW - GuestPhysicalMap.DEVICE_WINDOW_LENGTH));
            }
            for (final String word : cmdline.split(" "))
            {
                for (final String key : NETWORK_CMDLINE_KEYS)
                {
                    if (word.startsWith(key))
                    {
                        throw new InvalidSpecException(SpecField.CMDLINE, word,
                            "must not set " + key + " with network on: Hatchery adds it per VM from the tap lease");
                    }
                }
            }
        }
    }

    private static String hex(final long value)
    {
        return "0x" + Long.toHexString(value);
    }

    /** "02:00:0a:0b:0c:0d" → 6 bytes; rejects other forms and multicast addresses with the reason. */
    public static byte[] parseMac(final String mac)
    {
        final String[] parts = mac.split(":", -1);
        final byte[] bytes = new byte[6];
        if (parts.length != 6)
        {
            throw new InvalidSpecException(SpecField.MAC, "mac=" + mac, "must be six hex bytes separated by colons, e.g. 02:00:00:00:00:01");
        }
        for (int i = 0; i < 6; i++)
        {
            if (!parts[i].matches("[0-9a-fA-F]{2}"))
            {
                throw new InvalidSpecException(SpecField.MAC, "mac=" + mac, "must be six hex bytes separated by colons, e.g. 02:00:00:00:00:01");
            }
            bytes[i] = (byte)Integer.parseInt(parts[i], 16);
        }
        if ((bytes[0] & 1) != 0)
        {
            throw new InvalidSpecException(SpecField.MAC, "mac=" + mac, "must be a unicast address (lowest bit of the first byte clear)");
        }
        return bytes;
    }

    @Override
    public boolean equals(final Object o)
    {
        if (this == o)
        {
            return true;
        }
        if (!(o instanceof VmSpec other))
        {
            return false;
        }
        return memMib == other.memMib && vcpus == other.vcpus && bootDeviceAddress == other.bootDeviceAddress
            && consoleBytes == other.consoleBytes && tripleFaultIsStop == other.tripleFaultIsStop && kernel.equals(other.kernel)
            && memoryMode == other.memoryMode && hugePages == other.hugePages && network == other.network && Objects.equals(mac, other.mac)
            && Objects.equals(initrd, other.initrd) && cmdline.equals(other.cmdline) && bootTimeout.equals(other.bootTimeout)
            && spawn == other.spawn && Objects.equals(mailbox, other.mailbox);
    }

    @Override
    public int hashCode()
    {
        return Objects.hash(kernel, initrd, cmdline, memMib, vcpus, bootDeviceAddress, bootTimeout, consoleBytes, tripleFaultIsStop,
            memoryMode, hugePages, network, mac, spawn, mailbox);
    }
}

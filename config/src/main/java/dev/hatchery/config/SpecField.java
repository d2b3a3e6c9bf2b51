package dev.hatchery.config;

/**
 * The fields of a VM spec and of a request that can be invalid, with the name each front end gives them:
 * the command line's option (without dashes) and the HTTP API's JSON field. An error names its field by
 * this type, and each front end says it in its own words.
 */
public enum SpecField
{
    KERNEL("kernel", "kernel"),
    CMDLINE("cmdline", "console"),
    MEM_MIB("mem-mib", "memMib"),
    VCPUS("vcpus", "vcpus"),
    BOOT_DEVICE("boot-device", "bootDevice"),
    BOOT_TIMEOUT("boot-timeout", "bootTimeoutMs"),
    CONSOLE_BYTES("console-bytes", "consoleBytes"),
    MEMORY("memory", "memory"),
    HUGE_PAGES("huge-pages", "hugePages"),
    MAC("mac", "mac"),
    SPAWN("spawn", "spawn"),
    PAYLOAD_LIMIT("payload-limit", "payloadLimitBytes"),
    COUNT("count", "count"),
    CONCURRENCY("concurrency", "concurrency"),
    SPEC("spec", "spec");

    private final String cliName;
    private final String apiName;

    SpecField(final String cliName, final String apiName)
    {
        this.cliName = cliName;
        this.apiName = apiName;
    }

    /** As the command line spells it: the option name without its dashes, e.g. {@code mem-mib}. */
    public String cliName()
    {
        return cliName;
    }

    /**
     * As the HTTP API spells it: the request's JSON field that sets it, e.g. {@code memMib}; the kernel's command
     * line is chosen there through {@code console}.
     */
    public String apiName()
    {
        return apiName;
    }
}

package dev.hatchery.kvm;

import com.sun.jna.LastErrorException;

/**
 * The open /dev/kvm system descriptor. Opened once per process: the API version, capabilities,
 * vCPU mmap size and supported CPUID table are read here once and shared by every VM.
 */
public final class Kvm implements AutoCloseable
{
    public static final String DEFAULT_PATH = "/dev/kvm";
    public static final int API_VERSION = 12;
    /** Capacity of the index-list buffer: KVM 6.x lists about a hundred; a larger list fails with E2BIG and its count. */
    private static final int MSR_LIST_CAPACITY = 1024;
    /** struct kvm_msr_list (linux/kvm.h), pinned against this machine's header by NativeLayoutTest. */
    static final int MSR_LIST_NMSRS_OFFSET = 0;
    static final int MSR_LIST_INDICES_OFFSET = 4;

    private final int fd;
    private final int vcpuMmapSize;
    private final Cpuid supportedCpuid;
    /** KVM_GET_MSR_INDEX_LIST, read on first use: the MSRs KVM can save and restore for a vCPU. */
    private volatile int[] msrIndexList;
    private boolean closed;

    private Kvm(final int fd)
    {
        this.fd = fd;
        try
        {
            final int version = Syscalls.ioctl(fd, KvmIoctls.KVM_GET_API_VERSION, 0, "KVM_GET_API_VERSION");
            if (version != API_VERSION)
            {
                throw new KvmUnavailableException("unsupported KVM API: api_version=" + version + " expected=" + API_VERSION);
            }
            for (final KvmCapability capability : KvmCapability.values())
            {
                if (checkExtension(capability) <= 0)
                {
                    throw new KvmUnavailableException("KVM lacks a required capability: " + capability + " (" + capability.number() + ")");
                }
            }
            vcpuMmapSize = Syscalls.ioctl(fd, KvmIoctls.KVM_GET_VCPU_MMAP_SIZE, 0, "KVM_GET_VCPU_MMAP_SIZE");
            supportedCpuid = new Cpuid();
            Syscalls.ioctl(fd, KvmIoctls.KVM_GET_SUPPORTED_CPUID, supportedCpuid.address(), "KVM_GET_SUPPORTED_CPUID",
                "max_entries", Cpuid.MAX_ENTRIES);
        }
        catch (final RuntimeException ex)
        {
            Syscalls.close(fd);
            throw ex;
        }
    }

    public static Kvm open()
    {
        return open(DEFAULT_PATH);
    }

    /** Opens the KVM device, failing with the reason and the fix when this machine has no usable KVM. */
    public static Kvm open(final String path)
    {
        final int fd;
        try
        {
            fd = LibC.open(path, LibC.O_RDWR | LibC.O_CLOEXEC);
        }
        catch (final LastErrorException ex)
        {
            throw new KvmUnavailableException("cannot open " + path + ": errno=" + ex.getErrorCode() + " (" + Errno.name(ex.getErrorCode())
                + "). This machine exposes no usable KVM; run KVM work through ./hatchery, which uses the emulated lab"
                + " (lab/README.md) when /dev/kvm is missing, or load kvm-intel/kvm-amd and check the permissions of " + path);
        }
        return new Kvm(fd);
    }

    public int apiVersion()
    {
        return Syscalls.ioctl(fd, KvmIoctls.KVM_GET_API_VERSION, 0, "KVM_GET_API_VERSION");
    }

    /** KVM_CHECK_EXTENSION: 0 when absent, otherwise a capability-specific positive value. */
    public int checkExtension(final KvmCapability capability)
    {
        return Syscalls.ioctl(fd, KvmIoctls.KVM_CHECK_EXTENSION, capability.number(), "KVM_CHECK_EXTENSION", "cap", capability);
    }

    public int vcpuMmapSize()
    {
        return vcpuMmapSize;
    }

    /** The host's supported CPUID table; callers adjust a {@link Cpuid#copy()}. */
    public Cpuid supportedCpuid()
    {
        return supportedCpuid.copy();
    }

    /**
     * The MSRs KVM saves and restores for a vCPU (KVM_GET_MSR_INDEX_LIST), read once. Not every one is valid for
     * every vCPU: {@link VcpuState#capture} keeps those a vCPU accepts.
     */
    public int[] msrIndexList()
    {
        int[] list = msrIndexList;
        if (list == null)
        {
            list = readMsrIndexList();
            msrIndexList = list;
        }
        return list.clone();
    }

    private int[] readMsrIndexList()
    {
        // Read only: there is no KVM_SET_MSR_INDEX_LIST, so no set request (0).
        final NativeBlock list = new NativeBlock("MSR_INDEX_LIST", MSR_LIST_INDICES_OFFSET + 4 * MSR_LIST_CAPACITY,
            KvmIoctls.KVM_GET_MSR_INDEX_LIST, 0);
        list.buffer.putInt(MSR_LIST_NMSRS_OFFSET, MSR_LIST_CAPACITY);
        list.get(fd, "capacity", MSR_LIST_CAPACITY);
        final int count = list.buffer.getInt(MSR_LIST_NMSRS_OFFSET);
        final int[] indices = new int[count];
        for (int i = 0; i < count; i++)
        {
            indices[i] = list.buffer.getInt(MSR_LIST_INDICES_OFFSET + 4 * i);
        }
        return indices;
    }

    public KvmVm createVm()
    {
        final int vmFd = Syscalls.ioctl(fd, KvmIoctls.KVM_CREATE_VM, 0, "KVM_CREATE_VM");
        return new KvmVm(vmFd, vcpuMmapSize);
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            Syscalls.close(fd);
        }
    }
}

package dev.hatchery.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Pins every struct size, field offset, ioctl number and flag the kvm module hard-codes against this machine's
 * headers: compiles src/test/c/layout.c with gcc, runs it, and compares each {@code name=value} line it prints
 * with the Java constant the production code uses (read by reflection, so the message names the real field).
 * Both directions are complete: every printed value is checked, and every numeric constant of this package is
 * either checked or listed in {@link #NOT_FROM_HEADERS} with the reason.
 */
class NativeLayoutTest
{
    private static final String FIX = "apt-get install gcc libc6-dev linux-libc-dev (./hatchery test installs them when missing)";
    private static final Path MODULE = Path.of(System.getProperty("basedir", "."));
    private static final Path SOURCE = MODULE.resolve("src/test/c/layout.c");
    private static final Path BINARY = MODULE.resolve("target/native-layout/layout");

    /** Numeric constants of this package that are our own choices, not header values: "Class.FIELD" or "Class". */
    private static final Map<String, String> NOT_FROM_HEADERS = Map.ofEntries(
        Map.entry("Cpuid.MAX_ENTRIES", "our buffer capacity for KVM_GET_SUPPORTED_CPUID"),
        Map.entry("Kvm.MSR_LIST_CAPACITY", "our buffer capacity for KVM_GET_MSR_INDEX_LIST"),
        Map.entry("Epoll.WAKEUP_TOKEN", "our token for the wake-up eventfd"),
        Map.entry("HugePages.HUGE_PAGE_SIZE", "the x86-64 PMD page size, not in a uapi header"),
        Map.entry("KvmSelfCheck", "the self-check guest's program, addresses and port"),
        Map.entry("PageMap", "the /proc/pid/pagemap entry format (Documentation/admin-guide/mm/pagemap.rst), not in a uapi header; PageMapTest checks it"),
        Map.entry("VcpuKick.KICK_BIT", "derived from SIGNAL_NUMBER, which is checked: signal n is bit n-1 of a sigset's first word"),
        Map.entry("RunSignalMask.KERNEL_SIGSET_LENGTH", "the kernel's sigset_t (64 signals) that KVM_SET_SIGNAL_MASK takes, not libc's"),
        Map.entry("VcpuState.MSR_IA32_TSC", "an architectural MSR number (Intel SDM; arch/x86/include/asm/msr-index.h is not a uapi header)"),
        Map.entry("VcpuState.MSR_IA32_TSC_DEADLINE", "an architectural MSR number (Intel SDM; arch/x86/include/asm/msr-index.h is not a uapi header)"),
        Map.entry("TscOffset.VALUE_OFFSET", "where our buffer keeps the u64 the attribute's addr points at, right after the struct"),
        Map.entry("KvmException", "serialVersionUID"),
        Map.entry("KvmUnavailableException", "serialVersionUID"),
        Map.entry("NativeCallException", "serialVersionUID"),
        Map.entry("NetAdminRequiredException", "serialVersionUID"));

    private static Map<String, Long> headers;
    private static final List<Check> CHECKS = checks();

    /** One Java value that must equal the header value printed as {@code header}. */
    private record Check(String header, String java, long value, int bits)
    {
        boolean matches(final long headerValue)
        {
            if (bits == Long.SIZE)
            {
                return headerValue == value;
            }
            final long mask = (1L << bits) - 1;
            final boolean fits = headerValue >= -(1L << (bits - 1)) && headerValue <= mask;
            return fits && (headerValue & mask) == (value & mask);
        }
    }

    @BeforeAll
    static void compileAndRunLayoutProgram() throws Exception
    {
        Files.createDirectories(BINARY.getParent());
        final Result compiled = exec(List.of("gcc", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-o", BINARY.toString(), SOURCE.toString()));
        if (compiled.exitCode != 0)
        {
            fail("cannot compile " + SOURCE + " (gcc exit " + compiled.exitCode + "); are the kernel headers installed? Fix: " + FIX
                + "\n" + compiled.output);
        }
        final Result ran = exec(List.of(BINARY.toString()));
        if (ran.exitCode != 0)
        {
            fail(BINARY + " failed: exit " + ran.exitCode + "\n" + ran.output);
        }
        headers = parse(ran.output);
    }

    @Test
    void shouldMatchEveryJavaConstantWithTheHeaders()
    {
        final List<String> mismatches = mismatches(CHECKS, headers);

        assertTrue(mismatches.isEmpty(), "native layout differs from this machine's headers (fix the Java constant):\n  "
            + String.join("\n  ", mismatches));
    }

    @Test
    void shouldNameTheConstantAndBothValuesWhenTheyDiffer()
    {
        final Check wrong = new Check("offsetof(struct kvm_run, exit_reason)", "KvmRun.EXIT_REASON_OFFSET", 9, Integer.SIZE);
        final Check unprinted = new Check("offsetof(struct kvm_run, nowhere)", "KvmRun.NOWHERE_OFFSET", 0, Integer.SIZE);

        assertEquals(List.of("KvmRun.EXIT_REASON_OFFSET = 9 (0x9) but the headers say offsetof(struct kvm_run, exit_reason) = 8 (0x8)",
                "KvmRun.NOWHERE_OFFSET is checked against offsetof(struct kvm_run, nowhere), which layout.c does not print; add it there"),
            mismatches(List.of(wrong, unprinted), headers));
    }

    @Test
    void shouldCompareIntConstantsAtTheirOwnWidth()
    {
        final long headerEpollet = headers.get("EPOLLET");

        assertEquals(1L << 31, headerEpollet);
        assertTrue(new Check("EPOLLET", "Epoll.EPOLLET", Epoll.EPOLLET, Integer.SIZE).matches(headerEpollet));
        assertFalse(new Check("EPOLLET", "a long", Epoll.EPOLLET, Long.SIZE).matches(headerEpollet));
        assertFalse(new Check("x", "an int", 1, Integer.SIZE).matches(1L << 32 | 1));
    }

    @Test
    void shouldCheckEveryValueTheLayoutProgramPrints()
    {
        final Set<String> checked = CHECKS.stream().map(Check::header).collect(Collectors.toSet());
        final Set<String> unchecked = new TreeSet<>(headers.keySet());
        unchecked.removeAll(checked);

        assertTrue(unchecked.isEmpty(), SOURCE.getFileName() + " prints values that no Java constant is checked against"
            + " (add the check to NativeLayoutTest.checks()): " + unchecked);
    }

    @Test
    void shouldCheckEveryNumericConstantOfThePackageOrSayWhyNot() throws Exception
    {
        final Set<String> checked = CHECKS.stream().map(Check::java).collect(Collectors.toSet());
        final Set<String> forgotten = new TreeSet<>();
        for (final Class<?> type : packageClasses())
        {
            for (final Field field : type.getDeclaredFields())
            {
                final String name = javaName(field);
                if (isNumericConstant(field) && !checked.contains(name) && !NOT_FROM_HEADERS.containsKey(name)
                    && !NOT_FROM_HEADERS.containsKey(outerName(type)))
                {
                    forgotten.add(name);
                }
            }
        }

        assertTrue(forgotten.isEmpty(), "numeric constants neither checked against the headers nor listed in"
            + " NativeLayoutTest.NOT_FROM_HEADERS (print the header value in layout.c and add a check, or give the reason): " + forgotten);
    }

    private static List<Check> checks()
    {
        final Checks c = new Checks();
        c.sameName(KvmIoctls.class, "KVM_GET_API_VERSION", "KVM_CREATE_VM", "KVM_CHECK_EXTENSION", "KVM_GET_VCPU_MMAP_SIZE",
            "KVM_GET_SUPPORTED_CPUID", "KVM_CREATE_VCPU", "KVM_SET_USER_MEMORY_REGION", "KVM_SET_TSS_ADDR",
            "KVM_SET_IDENTITY_MAP_ADDR", "KVM_CREATE_IRQCHIP", "KVM_IRQ_LINE", "KVM_IRQFD", "KVM_CREATE_PIT2", "KVM_IOEVENTFD",
            "KVM_RUN", "KVM_GET_REGS", "KVM_SET_REGS", "KVM_GET_SREGS", "KVM_SET_SREGS", "KVM_SET_MSRS", "KVM_SET_FPU",
            "KVM_GET_LAPIC", "KVM_SET_LAPIC", "KVM_SET_CPUID2", "KVM_SET_SIGNAL_MASK",
            "KVM_GET_MSR_INDEX_LIST", "KVM_GET_IRQCHIP", "KVM_SET_IRQCHIP", "KVM_GET_PIT2", "KVM_SET_PIT2", "KVM_GET_MSRS",
            "KVM_GET_MP_STATE", "KVM_SET_MP_STATE", "KVM_GET_VCPU_EVENTS", "KVM_SET_VCPU_EVENTS", "KVM_GET_DEBUGREGS",
            "KVM_SET_DEBUGREGS", "KVM_GET_XSAVE", "KVM_SET_XSAVE", "KVM_GET_XCRS", "KVM_SET_XCRS", "KVM_GET_CLOCK", "KVM_SET_CLOCK",
            "KVM_SET_DEVICE_ATTR", "KVM_GET_DEVICE_ATTR", "KVM_HAS_DEVICE_ATTR");
        c.field(Kvm.class, "API_VERSION", "KVM_API_VERSION");
        c.field(Kvm.class, "MSR_LIST_NMSRS_OFFSET", offset("struct kvm_msr_list", "nmsrs"));
        c.field(Kvm.class, "MSR_LIST_INDICES_OFFSET", offset("struct kvm_msr_list", "indices"));
        c.field(VcpuState.class, "XSAVE_SIZE", size("struct kvm_xsave"));
        c.field(VcpuState.class, "XCRS_SIZE", size("struct kvm_xcrs"));
        c.field(VcpuState.class, "DEBUGREGS_SIZE", size("struct kvm_debugregs"));
        c.field(VcpuState.class, "VCPU_EVENTS_SIZE", size("struct kvm_vcpu_events"));
        c.field(VcpuState.class, "MP_STATE_SIZE", size("struct kvm_mp_state"));
        c.field(ChipState.class, "IRQCHIP_SIZE", size("struct kvm_irqchip"));
        c.field(ChipState.class, "PIT_STATE2_SIZE", size("struct kvm_pit_state2"));
        c.sameName(ChipState.class, "KVM_IRQCHIP_PIC_MASTER", "KVM_IRQCHIP_PIC_SLAVE", "KVM_IRQCHIP_IOAPIC");
        c.field(GuestClock.class, "CLOCK_DATA_SIZE", size("struct kvm_clock_data"));
        c.field(GuestClock.class, "FLAGS_OFFSET", offset("struct kvm_clock_data", "flags"));
        c.field(TscOffset.class, "DEVICE_ATTR_SIZE", size("struct kvm_device_attr"));
        c.field(TscOffset.class, "GROUP_OFFSET", offset("struct kvm_device_attr", "group"));
        c.field(TscOffset.class, "ATTR_OFFSET", offset("struct kvm_device_attr", "attr"));
        c.field(TscOffset.class, "ADDR_OFFSET", offset("struct kvm_device_attr", "addr"));
        c.sameName(TscOffset.class, "KVM_VCPU_TSC_CTRL", "KVM_VCPU_TSC_OFFSET");
        for (final KvmCapability capability : KvmCapability.values())
        {
            c.value(capability.name(), "KvmCapability." + capability.name() + ".number()", capability.number(), Integer.SIZE);
        }

        final String cpuid2 = "struct kvm_cpuid2";
        final String cpuidEntry = "struct kvm_cpuid_entry2";
        c.field(Cpuid.class, "NENT_OFFSET", offset(cpuid2, "nent"));
        c.field(Cpuid.class, "HEADER_LENGTH", size(cpuid2), offset(cpuid2, "entries"));
        c.field(Cpuid.class, "ENTRY_LENGTH", size(cpuidEntry));
        c.field(Cpuid.class, "FUNCTION_OFFSET", offset(cpuidEntry, "function"));
        c.field(Cpuid.class, "INDEX_OFFSET", offset(cpuidEntry, "index"));
        for (final String register : List.of("EAX", "EBX", "ECX", "EDX"))
        {
            c.field(Cpuid.class, register + "_OFFSET", offset(cpuidEntry, register.toLowerCase(Locale.ROOT)));
        }

        final String region = "struct kvm_userspace_memory_region";
        c.field(KvmVm.class, "REGION_SIZE", size(region));
        c.field(KvmVm.class, "REGION_SLOT_OFFSET", offset(region, "slot"));
        c.field(KvmVm.class, "REGION_FLAGS_OFFSET", offset(region, "flags"));
        c.field(KvmVm.class, "REGION_GUEST_PHYS_ADDR_OFFSET", offset(region, "guest_phys_addr"));
        c.field(KvmVm.class, "REGION_MEMORY_SIZE_OFFSET", offset(region, "memory_size"));
        c.field(KvmVm.class, "REGION_USERSPACE_ADDR_OFFSET", offset(region, "userspace_addr"));
        c.field(KvmVm.class, "IRQ_LEVEL_SIZE", size("struct kvm_irq_level"));
        c.field(KvmVm.class, "IRQ_LEVEL_IRQ_OFFSET", offset("struct kvm_irq_level", "irq"));
        c.field(KvmVm.class, "IRQ_LEVEL_LEVEL_OFFSET", offset("struct kvm_irq_level", "level"));
        c.field(KvmVm.class, "PIT_CONFIG_SIZE", size("struct kvm_pit_config"));
        c.field(KvmVm.class, "PIT_CONFIG_FLAGS_OFFSET", offset("struct kvm_pit_config", "flags"));
        c.sameName(KvmVm.class, "KVM_PIT_SPEAKER_DUMMY");

        final String ioeventfd = "struct kvm_ioeventfd";
        c.field(KvmIoeventfd.class, "SIZE", size(ioeventfd));
        c.field(KvmIoeventfd.class, "DATAMATCH_OFFSET", offset(ioeventfd, "datamatch"));
        c.field(KvmIoeventfd.class, "ADDR_OFFSET", offset(ioeventfd, "addr"));
        c.field(KvmIoeventfd.class, "LEN_OFFSET", offset(ioeventfd, "len"));
        c.field(KvmIoeventfd.class, "FD_OFFSET", offset(ioeventfd, "fd"));
        c.field(KvmIoeventfd.class, "FLAGS_OFFSET", offset(ioeventfd, "flags"));
        c.field(KvmIoeventfd.class, "FLAG_DATAMATCH", "KVM_IOEVENTFD_FLAG_DATAMATCH");
        c.field(KvmIoeventfd.class, "FLAG_PIO", "KVM_IOEVENTFD_FLAG_PIO");
        c.field(KvmIoeventfd.class, "FLAG_DEASSIGN", "KVM_IOEVENTFD_FLAG_DEASSIGN");

        final String irqfd = "struct kvm_irqfd";
        c.field(KvmIrqfd.class, "SIZE", size(irqfd));
        c.field(KvmIrqfd.class, "FD_OFFSET", offset(irqfd, "fd"));
        c.field(KvmIrqfd.class, "GSI_OFFSET", offset(irqfd, "gsi"));
        c.field(KvmIrqfd.class, "FLAGS_OFFSET", offset(irqfd, "flags"));
        c.field(KvmIrqfd.class, "RESAMPLEFD_OFFSET", offset(irqfd, "resamplefd"));
        c.field(KvmIrqfd.class, "FLAG_DEASSIGN", "KVM_IRQFD_FLAG_DEASSIGN");

        c.field(Regs.class, "SIZE", size("struct kvm_regs"));
        for (final Regs.Reg reg : Regs.Reg.values())
        {
            c.value(offset("struct kvm_regs", reg.name().toLowerCase(Locale.ROOT)), "Regs.Reg." + reg + ".offset()", reg.offset(), Integer.SIZE);
        }

        final String sregs = "struct kvm_sregs";
        final String segment = "struct kvm_segment";
        c.field(SpecialRegs.class, "SIZE", size(sregs));
        for (final SpecialRegs.Segment seg : SpecialRegs.Segment.values())
        {
            c.value(offset(sregs, seg.name().toLowerCase(Locale.ROOT)), "SpecialRegs.Segment." + seg + ".offset()", seg.offset(), Integer.SIZE);
        }
        c.field(SpecialRegs.class, "SEGMENT_LENGTH", size(segment));
        for (final String field : List.of("base", "limit", "selector", "type", "present", "dpl", "db", "s", "l", "g", "avl", "unusable"))
        {
            c.field(SpecialRegs.class, "SEGMENT_" + field.toUpperCase(Locale.ROOT) + "_OFFSET", offset(segment, field));
        }
        for (final String field : List.of("gdt", "idt", "cr0", "cr3", "cr4", "efer"))
        {
            c.field(SpecialRegs.class, field.toUpperCase(Locale.ROOT) + "_OFFSET", offset(sregs, field));
        }
        c.field(SpecialRegs.class, "DTABLE_BASE_OFFSET", offset("struct kvm_dtable", "base"));
        c.field(SpecialRegs.class, "DTABLE_LIMIT_OFFSET", offset("struct kvm_dtable", "limit"));

        c.field(Msrs.class, "NMSRS_OFFSET", offset("struct kvm_msrs", "nmsrs"));
        c.field(Msrs.class, "HEADER_LENGTH", size("struct kvm_msrs"), offset("struct kvm_msrs", "entries"));
        c.field(Msrs.class, "ENTRY_LENGTH", size("struct kvm_msr_entry"));
        c.field(Msrs.class, "ENTRY_INDEX_OFFSET", offset("struct kvm_msr_entry", "index"));
        c.field(Msrs.class, "ENTRY_DATA_OFFSET", offset("struct kvm_msr_entry", "data"));

        c.field(Fpu.class, "SIZE", size("struct kvm_fpu"));
        c.field(Fpu.class, "FCW_OFFSET", offset("struct kvm_fpu", "fcw"));
        c.field(Fpu.class, "MXCSR_OFFSET", offset("struct kvm_fpu", "mxcsr"));
        c.field(Lapic.class, "SIZE", size("struct kvm_lapic_state"));

        final String run = "struct kvm_run";
        c.field(KvmRun.class, "IMMEDIATE_EXIT_OFFSET", offset(run, "immediate_exit"));
        c.field(KvmRun.class, "EXIT_REASON_OFFSET", offset(run, "exit_reason"));
        c.field(KvmRun.class, "EXIT_UNION_OFFSET", offset(run, "fail_entry.hardware_entry_failure_reason"), offset(run, "system_event.type"));
        c.field(KvmRun.class, "IO_DIRECTION_OFFSET", offset(run, "io.direction"));
        c.field(KvmRun.class, "IO_SIZE_OFFSET", offset(run, "io.size"));
        c.field(KvmRun.class, "IO_PORT_OFFSET", offset(run, "io.port"));
        c.field(KvmRun.class, "IO_COUNT_OFFSET", offset(run, "io.count"));
        c.field(KvmRun.class, "IO_DATA_OFFSET_OFFSET", offset(run, "io.data_offset"));
        c.field(KvmRun.class, "IO_DIRECTION_OUT", "KVM_EXIT_IO_OUT");
        c.field(KvmRun.class, "MMIO_PHYS_ADDR_OFFSET", offset(run, "mmio.phys_addr"));
        c.field(KvmRun.class, "MMIO_DATA_OFFSET", offset(run, "mmio.data"));
        c.field(KvmRun.class, "MMIO_LEN_OFFSET", offset(run, "mmio.len"));
        c.field(KvmRun.class, "MMIO_IS_WRITE_OFFSET", offset(run, "mmio.is_write"));
        c.field(KvmRun.class, "INTERNAL_SUBERROR_OFFSET", offset(run, "internal.suberror"));
        c.field(KvmRun.class, "INTERNAL_NDATA_OFFSET", offset(run, "internal.ndata"));
        c.field(KvmRun.class, "INTERNAL_DATA_OFFSET", offset(run, "internal.data"));
        c.field(KvmRun.class, "INTERNAL_ERROR_MAX_DATA", "countof(" + run + ", internal.data)");

        c.prefixed(ExitReason.class, "KVM_EXIT_", "UNKNOWN", "EXCEPTION", "IO", "HYPERCALL", "DEBUG", "HLT", "MMIO",
            "IRQ_WINDOW_OPEN", "SHUTDOWN", "FAIL_ENTRY", "INTR", "INTERNAL_ERROR", "SYSTEM_EVENT");
        c.prefixed(ExitReason.class, "KVM_", "SYSTEM_EVENT_SHUTDOWN", "SYSTEM_EVENT_RESET", "SYSTEM_EVENT_CRASH");
        for (int reason = 0; !ExitReason.name(reason).equals("KVM_EXIT_" + reason); reason++)
        {
            c.value(ExitReason.name(reason), "ExitReason.name(" + reason + ")", reason, Integer.SIZE);
        }

        c.sameName(NetIoctls.class, "TUNSETIFF", "TUNSETPERSIST", "TUNSETOFFLOAD", "TUNSETVNETHDRSZ", "SIOCGIFFLAGS", "SIOCSIFFLAGS",
            "SIOCGIFADDR", "SIOCSIFADDR", "SIOCGIFNETMASK", "SIOCSIFNETMASK");
        c.sameName(Tap.class, "IFF_TAP", "IFF_NO_PI", "IFF_VNET_HDR", "TUN_F_CSUM", "TUN_F_TSO4", "TUN_F_TSO6", "TUN_F_TSO_ECN", "TUN_F_UFO");
        c.field(Tap.class, "TAP_FLAGS", "IFF_TAP | IFF_NO_PI | IFF_VNET_HDR");
        c.field(Tap.class, "VNET_HDR_SIZE", size("struct virtio_net_hdr_v1"));
        c.sameName(NetDevice.class, "IFF_UP", "IFF_BROADCAST", "IFF_LOOPBACK", "IFF_RUNNING", "AF_INET", "SOCK_DGRAM", "SOCK_CLOEXEC");

        final String ifreq = "struct ifreq";
        final String ifrAddr = offset(ifreq, "ifr_addr") + " + ";
        c.sameName(IfReq.class, "IFNAMSIZ", "AF_INET");
        c.field(IfReq.class, "SIZE", size(ifreq));
        c.field(IfReq.class, "NAME_OFFSET", offset(ifreq, "ifr_name"));
        c.field(IfReq.class, "FLAGS_OFFSET", offset(ifreq, "ifr_flags"));
        c.field(IfReq.class, "ADDR_OFFSET", offset(ifreq, "ifr_addr"), offset(ifreq, "ifr_netmask"));
        c.field(IfReq.class, "SIN_FAMILY_OFFSET", ifrAddr + offset("struct sockaddr_in", "sin_family"));
        c.field(IfReq.class, "SIN_PORT_OFFSET", ifrAddr + offset("struct sockaddr_in", "sin_port"));
        c.field(IfReq.class, "SIN_ADDR_OFFSET", ifrAddr + offset("struct sockaddr_in", "sin_addr"));

        c.sameName(LibC.class, "O_RDONLY", "O_RDWR", "O_NONBLOCK", "O_CLOEXEC", "PROT_READ", "PROT_WRITE", "MAP_SHARED", "MAP_PRIVATE",
            "MAP_FIXED", "MAP_ANONYMOUS", "MAP_NORESERVE", "MAP_FAILED");
        c.sameName(GuestMemory.class, "MAP_HUGETLB", "MADV_HUGEPAGE", "MADV_DONTNEED");
        c.sameName(MemoryTemplate.class, "MFD_CLOEXEC", "MFD_ALLOW_SEALING", "F_ADD_SEALS", "F_GET_SEALS", "F_SEAL_SEAL", "F_SEAL_SHRINK",
            "F_SEAL_GROW", "F_SEAL_WRITE");
        c.field(MemoryTemplate.class, "SEALS", "F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE");
        c.sameName(EventFd.class, "EFD_NONBLOCK", "EFD_CLOEXEC");
        c.field(EventFd.class, "COUNTER_LENGTH", size("eventfd_t"));
        c.sameName(Epoll.class, "EPOLLIN", "EPOLLOUT", "EPOLLERR", "EPOLLHUP", "EPOLLRDHUP", "EPOLLET", "EPOLL_CLOEXEC", "EPOLL_CTL_ADD",
            "EPOLL_CTL_DEL", "EPOLL_CTL_MOD");
        c.field(EpollEvents.class, "EVENT_SIZE", size("struct epoll_event"));
        c.field(EpollEvents.class, "EVENTS_OFFSET", offset("struct epoll_event", "events"));
        c.field(EpollEvents.class, "DATA_OFFSET", offset("struct epoll_event", "data"));
        c.field(VcpuKick.class, "SIGNAL_NUMBER", "SIGUSR1");
        c.field(VcpuKick.class, "SIG_BLOCK", "SIG_BLOCK");
        c.field(VcpuKick.class, "SIGSET_LENGTH", size("sigset_t"));
        c.field(VcpuKick.class, "TIMESPEC_LENGTH", size("struct timespec"));
        c.field(RunSignalMask.class, "HEADER_LENGTH", size("struct kvm_signal_mask"), offset("struct kvm_signal_mask", "sigset"));

        c.sameName(Errno.class, "EPERM", "ENOENT", "EINTR", "EIO", "EBADF", "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "EBUSY", "EEXIST",
            "ENODEV", "EINVAL", "ENOTTY");
        for (int errno = 1; errno < 256; errno++)
        {
            if (!Errno.name(errno).equals("errno" + errno))
            {
                c.value(Errno.name(errno), "Errno.name(" + errno + ")", errno, Integer.SIZE);
            }
        }
        return List.copyOf(c.list);
    }

    private static List<String> mismatches(final List<Check> checks, final Map<String, Long> headerValues)
    {
        final List<String> mismatches = new ArrayList<>();
        for (final Check check : checks)
        {
            final Long headerValue = headerValues.get(check.header);
            if (headerValue == null)
            {
                mismatches.add(check.java + " is checked against " + check.header + ", which " + SOURCE.getFileName()
                    + " does not print; add it there");
            }
            else if (!check.matches(headerValue))
            {
                mismatches.add(check.java + " = " + show(check.value) + " but the headers say " + check.header + " = " + show(headerValue));
            }
        }
        return mismatches;
    }

    private static String size(final String type)
    {
        return "sizeof(" + type + ")";
    }

    private static String offset(final String type, final String field)
    {
        return "offsetof(" + type + ", " + field + ")";
    }

    /** Builds the table of checks, reading each Java constant by reflection so a check cannot drift from the field. */
    private static final class Checks
    {
        final List<Check> list = new ArrayList<>();

        void field(final Class<?> type, final String name, final String... headerNames)
        {
            final Field field;
            final long value;
            try
            {
                field = type.getDeclaredField(name);
                field.setAccessible(true);
                value = ((Number)field.get(null)).longValue();
            }
            catch (final ReflectiveOperationException ex)
            {
                throw new IllegalStateException("NativeLayoutTest checks " + type.getSimpleName() + "." + name + ", which cannot be read", ex);
            }
            for (final String header : headerNames)
            {
                value(header, javaName(field), value, bits(field.getType()));
            }
        }

        void sameName(final Class<?> type, final String... names)
        {
            for (final String name : names)
            {
                field(type, name, name);
            }
        }

        void prefixed(final Class<?> type, final String prefix, final String... names)
        {
            for (final String name : names)
            {
                field(type, name, prefix + name);
            }
        }

        void value(final String header, final String java, final long value, final int bits)
        {
            list.add(new Check(header, java, value, bits));
        }
    }

    private static int bits(final Class<?> type)
    {
        if (type == long.class)
        {
            return Long.SIZE;
        }
        if (type == int.class)
        {
            return Integer.SIZE;
        }
        if (type == short.class)
        {
            return Short.SIZE;
        }
        if (type == byte.class)
        {
            return Byte.SIZE;
        }
        throw new IllegalArgumentException("not an integral constant: " + type);
    }

    private static boolean isNumericConstant(final Field field)
    {
        final int modifiers = field.getModifiers();
        final Class<?> type = field.getType();
        return Modifier.isStatic(modifiers) && Modifier.isFinal(modifiers) && !field.isSynthetic()
            && (type == long.class || type == int.class || type == short.class || type == byte.class);
    }

    private static String javaName(final Field field)
    {
        return field.getDeclaringClass().getName().substring(KvmIoctls.class.getPackageName().length() + 1).replace('$', '.')
            + "." + field.getName();
    }

    private static String outerName(final Class<?> type)
    {
        final String simple = type.getName().substring(type.getPackageName().length() + 1);
        final int dollar = simple.indexOf('$');
        return dollar < 0 ? simple : simple.substring(0, dollar);
    }

    /** Every class compiled from this package's main sources (target/classes), nested ones included. */
    private static List<Class<?>> packageClasses() throws IOException, URISyntaxException, ClassNotFoundException
    {
        final Path classes = Path.of(KvmIoctls.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        final Path dir = classes.resolve(KvmIoctls.class.getPackageName().replace('.', '/'));
        final List<Class<?>> types = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir))
        {
            for (final Path file : files.filter(f -> f.toString().endsWith(".class")).sorted().toList())
            {
                final String simple = file.getFileName().toString().replace(".class", "");
                types.add(Class.forName(KvmIoctls.class.getPackageName() + "." + simple, false, NativeLayoutTest.class.getClassLoader()));
            }
        }
        assertTrue(types.size() > 20, "expected the kvm package's classes under " + dir + ", found " + types.size());
        return types;
    }

    private static Map<String, Long> parse(final String output)
    {
        final Map<String, Long> values = new LinkedHashMap<>();
        for (final String line : output.split("\n"))
        {
            final int equals = line.lastIndexOf('=');
            if (equals <= 0)
            {
                throw new IllegalStateException("unexpected line from " + BINARY + ": \"" + line + "\" (expected name=value)");
            }
            final Long previous = values.put(line.substring(0, equals), Long.parseLong(line.substring(equals + 1)));
            if (previous != null)
            {
                throw new IllegalStateException(SOURCE + " prints " + line.substring(0, equals) + " twice");
            }
        }
        return values;
    }

    private static String show(final long value)
    {
        return value + " (0x" + Long.toHexString(value) + ")";
    }

    private record Result(int exitCode, String output)
    {
    }

    private static Result exec(final List<String> command) throws InterruptedException
    {
        final Process process;
        try
        {
            process = new ProcessBuilder(command).directory(MODULE.toFile()).redirectErrorStream(true).start();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot run " + command.get(0) + " (" + ex.getMessage() + "): NativeLayoutTest compiles "
                + SOURCE + " to check the native layouts against this machine's headers. Fix: " + FIX, ex);
        }
        final String output;
        try
        {
            output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("reading the output of " + command, ex);
        }
        if (!process.waitFor(60, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            throw new IllegalStateException(command + " did not finish within 60 s");
        }
        return new Result(process.exitValue(), output);
    }
}

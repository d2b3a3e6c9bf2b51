package dev.hatchery.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class VmSpecTest
{
    private static VmSpec.Builder valid()
    {
        return VmSpec.builder().kernel(Path.of("/k/vmlinux"));
    }

    @Test
    void shouldApplyDefaultsWhenOnlyTheKernelIsGiven()
    {
        final VmSpec spec = valid().conclude();

        assertEquals(128, spec.memMib());
        assertEquals(128L << 20, spec.memBytes());
        assertEquals(1, spec.vcpus());
        assertEquals(0xd0000000L, spec.bootDeviceAddress());
        assertEquals(Duration.ofSeconds(10), spec.bootTimeout());
        assertEquals("", spec.cmdline());
        assertEquals(null, spec.initrd());
    }

    @Test
    void shouldRoundTripThroughToBuilder()
    {
        final VmSpec spec = valid().initrd(Path.of("/i")).cmdline("console=ttyS0").memMib(256).bootDeviceAddress(0xd0010000L)
            .bootTimeout(Duration.ofMillis(1500)).consoleBytes(10).tripleFaultIsStop(true).memoryMode(MemoryMode.COPY)
            .hugePages(HugePages.TRANSPARENT).network(true).mac("02:00:00:00:00:07").conclude();
        final VmSpec clone = valid().cmdline("console=ttyS0").spawn(SpawnMode.CLONE).conclude();

        assertEquals(spec, spec.toBuilder().conclude());
        assertEquals(clone, clone.toBuilder().conclude());
        assertEquals(SpawnMode.CLONE, clone.toBuilder().conclude().spawn());
        assertEquals(0xd0011000L, spec.virtioNetAddress());
    }

    static Stream<Arguments> invalidSpecs()
    {
        return Stream.of(
            Arguments.of((UnaryOperator<VmSpec.Builder>)b -> b.kernel(null), "invalid kernel: missing: name a vmlinux ELF file"),
            Arguments.of((UnaryOperator<VmSpec.Builder>)b -> b.memMib(15),
                "invalid mem-mib: mem-mib=15: must be between 16 and 3328 (guest RAM stays below the MMIO gap at 0xd0000000)"),
            Arguments.of((UnaryOperator<VmSpec.Builder>)b -> b.memMib(3329),
                "invalid mem-mib: mem-mib=3329: must be between 16 and 3328 (guest RAM stays below the MMIO gap at 0xd0000000)"),
            Arguments.of((UnaryOperator<VmSpec.Builder>)b -> b.vcpus(2), "invalid vcpus: vcpus=2: only 1 vCPU per VM is supported"),
            Arguments.of((UnaryOperator<VmSpec.Builder>)b -> b.bootDeviceAddress(0xc0000000L),
                "invalid boot-device: boot-device=0xc0000000: must be a 4 KiB-aligned address inside the MMIO gap [0xd0000000, 0xfffff000]"),
            Arguments.of((UnaryOperator<VmSpec.Builder>)b -> b.bootDeviceAddress(0xd0000010L),
                "invalid boot-device: boot-device=0xd0000010: must be a 4 KiB-aligned address inside the MMIO gap [0xd0000000, 0xfffff000]"),
            Arguments.of((UnaryOperator<VmSpec.Builder>)b -> b.bootTimeout(Duration.ZERO),
                "invalid boot-timeout: boot-timeout=PT0S: must be a positive duration"),
            Arguments.of((UnaryOperator<VmSpec.Builder>)b -> b.consoleBytes(-1),
                "invalid console-bytes: console-bytes=-1: must be between 0 and 16777216"),
            Arguments.of((UnaryOperator<VmSpec.Builder>)b -> b.cmdline(null), "invalid cmdline: missing: use \"\" for an empty command line"),
            Arguments.of((UnaryOperator<VmSpec.Builder>)b -> b.mac("02:00:00:00:00:01"),
                "invalid mac: mac=02:00:00:00:00:01: needs network on (a VM without network has no MAC)"),
            Arguments.of((UnaryOperator<VmSpec.Builder>)b -> b.network(true).mac("02:00:00:00:01"),
                "invalid mac: mac=02:00:00:00:01: must be six hex bytes separated by colons, e.g. 02:00:00:00:00:01"),
            Arguments.of((UnaryOperator<VmSpec.Builder>)b -> b.network(true).mac("03:00:00:00:00:01"),
                "invalid mac: mac=03:00:00:00:00:01: must be a unicast address (lowest bit of the first byte clear)"),
            Arguments.of((UnaryOperator<VmSpec.Builder>)b -> b.network(true).bootDeviceAddress(0xfffff000L),
                "invalid boot-device: boot-device=0xfffff000: leaves no room for the virtio-net window after it with network on;"
                    + " use an address at most 0xffffe000"),
            Arguments.of((UnaryOperator<VmSpec.Builder>)b -> b.network(true).cmdline("console=ttyS0 ip=dhcp"),
                "invalid cmdline: ip=dhcp: must not set ip= with network on: Hatchery adds it per VM from the tap lease"),
            Arguments.of((UnaryOperator<VmSpec.Builder>)b -> b.spawn(null), "invalid spawn: missing: choose boot or clone"),
            Arguments.of((UnaryOperator<VmSpec.Builder>)b -> b.spawn(SpawnMode.CLONE).network(true).mac("02:00:00:00:00:01"),
                "invalid mac: mac=02:00:00:00:00:01 with spawn=clone: leave it out: every clone gets a MAC of its own, derived from its VM id"),
            Arguments.of((UnaryOperator<VmSpec.Builder>)b -> b.spawn(SpawnMode.CLONE).hugePages(HugePages.TRANSPARENT),
                "invalid spawn: spawn=clone with huge-pages=transparent: clones map their template's memory copy-on-write in 4 KiB"
                    + " pages; use huge-pages=off with spawn=clone"),
            Arguments.of((UnaryOperator<VmSpec.Builder>)b -> b.spawn(SpawnMode.CLONE).cmdline("console=ttyS0 hatchery.clone=1"),
                "invalid cmdline: hatchery.clone=1: must not be set: Hatchery adds it to the template VM of spawn=clone"));
    }

    @Test
    void shouldGiveAClonesTemplateTheSameSpecBootingWithTheCloneWordOnItsCommandLine()
    {
        final VmSpec clone = valid().cmdline("console=ttyS0").memMib(64).spawn(SpawnMode.CLONE).conclude();

        final VmSpec template = clone.cloneTemplateSpec();

        assertEquals(SpawnMode.BOOT, template.spawn());
        assertEquals("console=ttyS0 hatchery.clone=1", template.cmdline());
        assertEquals(clone.toBuilder().spawn(SpawnMode.BOOT).cmdline("console=ttyS0 hatchery.clone=1").conclude(), template);
        assertEquals("hatchery.clone=1", valid().spawn(SpawnMode.CLONE).conclude().cloneTemplateSpec().cmdline());
        assertThrows(IllegalStateException.class, () -> valid().conclude().cloneTemplateSpec());
        assertNotEquals(clone, clone.toBuilder().spawn(SpawnMode.BOOT).conclude());
    }

    @ParameterizedTest
    @MethodSource("invalidSpecs")
    void shouldRejectInvalidFieldsWithAMessageNamingFieldValueAndFix(final UnaryOperator<VmSpec.Builder> change, final String message)
    {
        final InvalidSpecException ex = assertThrows(InvalidSpecException.class, () -> change.apply(valid()).conclude());

        assertEquals(message, ex.getMessage());
    }
}

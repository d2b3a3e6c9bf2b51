package dev.hatchery.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.hatchery.vm.Phase;
import dev.hatchery.vm.VmFailure;
import dev.hatchery.vm.VmOutcome;
import dev.hatchery.vm.VmResult;

class FloorVmmOutputTest
{
    private static final String READY = "ready pid=4242 ram_bytes=134217728 template_bytes=1052672 entry=0x100000 cpuid_entries=75";
    private static final String BOOTED = "vm index=0 outcome=booted request=1000 memoryReady=1010 kernelLoaded=1030 vmCreated=1500"
        + " vcpuReady=1700 firstKvmRun=1800 bootComplete=1900 stopped=2500 exits=2";

    @Test
    void shouldReadEveryPhaseOfABootedVmAsItsTimelineWhenParsed()
    {
        final FloorVmmOutput output = FloorVmmOutput.parse("0", List.of(READY, "start at=900", BOOTED, "end at=2600 vms=1 booted=1"));

        assertEquals(4242, output.processId());
        assertEquals(900, output.startNanos());
        assertEquals(2600, output.endNanos());
        assertEquals(1, output.booted());
        final VmResult vm = output.vms().get(0);
        assertEquals("floor-0-vm-0", vm.vmId());
        assertTrue(vm.outcome().isBooted());
        assertEquals(2, vm.exits());
        // The line has no kernelEntry (a guest that writes no milestone), so that phase is not reached (-1); nor is initStarted.
        assertEquals(Map.ofEntries(Map.entry(Phase.REQUEST, 0L), Map.entry(Phase.MEMORY_READY, 10L), Map.entry(Phase.KERNEL_LOADED, 30L),
            Map.entry(Phase.VM_CREATED, 500L), Map.entry(Phase.VCPU_READY, 700L), Map.entry(Phase.FIRST_RUN, 800L),
            Map.entry(Phase.KERNEL_ENTRY, -1L), Map.entry(Phase.INIT_STARTED, -1L), Map.entry(Phase.BOOT_COMPLETE, 900L),
            Map.entry(Phase.FUNCTION_REPLIED, -1L), Map.entry(Phase.STOPPED, 1500L)),
            java.util.Arrays.stream(Phase.values()).collect(java.util.stream.Collectors.toMap(p -> p, vm.timeline()::sinceRequest)));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "triple_fault|before_boot_complete|triple_fault|FAILED",
        "internal_error|suberror=1|internal_error|FAILED",
        "entry_failed|hardware_entry_failure_reason=0x80000021|entry_failed|FAILED",
        "unhandled_exit|exit_reason=9|unhandled_exit|FAILED",
        "boot_timeout|timeoutMs=1500|boot_timeout|TIMED_OUT"})
    void shouldMapTheCVmmsFailureCodesToHatcherysWhenAVmFailed(final String code, final String detail, final String expectedCode,
        final VmOutcome.Kind kind)
    {
        final FloorVmmOutput output = FloorVmmOutput.parse("3", List.of(READY, "start at=900",
            "vm index=0 outcome=failed failure=" + code + " detail=" + detail + " request=1000 memoryReady=1010 firstKvmRun=1800 stopped=2500 exits=1",
            "end at=2600 vms=1 booted=0"));

        final VmResult vm = output.vms().get(0);
        assertEquals(0, output.booted());
        assertEquals(kind, vm.outcome().kind());
        final VmFailure failure = vm.outcome().failure();
        assertEquals(expectedCode, failure.code());
        assertFalse(vm.timeline().reached(Phase.BOOT_COMPLETE));
        assertEquals(800, vm.timeline().sinceRequest(Phase.FIRST_RUN));
    }

    @Test
    void shouldReadTheTimeoutOfABootTimeout()
    {
        final FloorVmmOutput output = FloorVmmOutput.parse("0", List.of(READY, "start at=900",
            "vm index=0 outcome=failed failure=boot_timeout detail=timeoutMs=1500 request=1000 stopped=2500 exits=1", "end at=2600 vms=1 booted=0"));

        assertEquals("no boot-complete within 1500 ms", output.vms().get(0).outcome().failure().summary());
    }

    @Test
    void shouldNameTheSourceTheLineAndTheFieldWhenAFieldIsNotANumber()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> FloorVmmOutput.parse("2", List.of(READY, "start at=soon")));

        assertEquals("floor-vmm output malformed: source=2 line=2: not a number: at=soon: {at=soon}", ex.getMessage());
    }

    @Test
    void shouldRefuseATokenThatIsNotKeyValue()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> FloorVmmOutput.parse("0", List.of(READY, "start at=1 oops")));

        assertEquals("floor-vmm output malformed: source=0 line=2: expected key=value, got 'oops': start at=1 oops", ex.getMessage());
    }

    @Test
    void shouldRefuseAnUnknownRecord()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> FloorVmmOutput.parse("0", List.of("hello world=1")));

        assertEquals("floor-vmm output malformed: source=0 line=1: unknown record 'hello': hello world=1", ex.getMessage());
    }

    @Test
    void shouldRefuseAnEndThatCountsOtherVmsThanCameBeforeIt()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> FloorVmmOutput.parse("0", List.of(READY, "start at=900", BOOTED, "end at=2600 vms=2 booted=2")));

        assertEquals("floor-vmm output malformed: source=0 line=4: end says vms=2 but 1 vm lines came before it: end at=2600 vms=2 booted=2",
            ex.getMessage());
    }

    @Test
    void shouldRefuseAVmWithoutItsRequestTime()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> FloorVmmOutput.parse("0", List.of(READY, "start at=900", "vm index=0 outcome=booted bootComplete=5 exits=2")));

        assertTrue(ex.getMessage().startsWith("floor-vmm output malformed: source=0 line=3: a vm line without its request time"), ex.getMessage());
    }

    @Test
    void shouldSayWhatIsMissingWhenTheRunEndedEarly()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> FloorVmmOutput.parse("1", List.of(READY, "start at=900", BOOTED)));

        assertEquals("floor-vmm output incomplete: source=1 ready=true start=true end=false vms=1 (did the process end early? see its stderr)",
            ex.getMessage());
    }
}

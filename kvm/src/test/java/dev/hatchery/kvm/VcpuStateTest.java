package dev.hatchery.kvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

class VcpuStateTest
{
    @Test
    void shouldRestoreTheTscFirstAndTheTscDeadlineLastKeepingTheRestInOrder()
    {
        final int[] listed = {0x174, VcpuState.MSR_IA32_TSC_DEADLINE, 0xc0000081, VcpuState.MSR_IA32_TSC, 0x4b564d01};

        assertArrayEquals(new int[] {VcpuState.MSR_IA32_TSC, 0x174, 0xc0000081, 0x4b564d01, VcpuState.MSR_IA32_TSC_DEADLINE},
            VcpuState.restoreOrder(listed));
        assertArrayEquals(new int[] {0x174, 0xc0000081}, VcpuState.restoreOrder(new int[] {0x174, 0xc0000081}));
    }
}

package dev.hatchery.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Real /dev/kvm: fails (never skips) where KVM is unavailable; ./hatchery test runs it natively or in the lab. */
class KvmSelfCheckIT
{
    @Test
    void shouldRunGuestInstructionsAndSeeWhatTheGuestWroteToTheSerialPort()
    {
        try (Kvm kvm = Kvm.open())
        {
            final KvmSelfCheck.Result result = KvmSelfCheck.run(kvm);

            assertEquals(12, result.apiVersion());
            assertEquals("4 OK", result.output());
            assertEquals(4, result.ioExits());
            assertEquals("KVM_EXIT_HLT", result.lastExit());
            assertEquals("KVM_EXIT_SHUTDOWN", result.exceptionExit());
        }
    }

    @Test
    void shouldReportTheCallAndErrnoNameWhenAnIoctlFails()
    {
        try (Kvm kvm = Kvm.open(); KvmVm vm = kvm.createVm())
        {
            final KvmException ex = org.junit.jupiter.api.Assertions.assertThrows(KvmException.class,
                () -> vm.setUserMemoryRegion(0, 0, 4096, 0x1));

            assertEquals("KVM_SET_USER_MEMORY_REGION", ex.call());
            assertEquals("EINVAL", ex.errnoName());
            assertEquals("KVM_SET_USER_MEMORY_REGION failed: slot=0 guest_phys_addr=0x0 size=4096 errno=22 (EINVAL)", ex.getMessage());
        }
    }
}

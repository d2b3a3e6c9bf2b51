package dev.hatchery.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ErrnoTest
{
    @ParameterizedTest
    @CsvSource({"1, EPERM", "4, EINTR", "12, ENOMEM", "22, EINVAL", "25, ENOTTY", "133, errno133", "0, errno0", "-1, errno-1"})
    void shouldNameErrnoValues(final int errno, final String name)
    {
        assertEquals(name, Errno.name(errno));
    }

    @org.junit.jupiter.api.Test
    void shouldFormatNativeCallFailuresWithFactsAndErrnoName()
    {
        final NativeCallException ex = new NativeCallException("mmap", Syscalls.format("length", 4096, "fd", -1), 12);

        assertEquals("mmap failed: length=4096 fd=-1 errno=12 (ENOMEM)", ex.getMessage());
    }
}

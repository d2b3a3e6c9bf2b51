package dev.hatchery.kernel;

/**
 * One ELF PT_LOAD segment of the kernel: {@code fileSize} bytes from {@code fileOffset} in the file go to
 * guest-physical {@code physAddr}; the rest, up to {@code memSize}, is bss and reads as zero.
 */
public record LoadSegment(long physAddr, long fileOffset, long fileSize, long memSize)
{
    /** One past the last guest-physical byte the segment occupies. */
    public long endAddress()
    {
        return physAddr + memSize;
    }
}

package dev.hatchery.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

class CpioArchiveTest
{
    /** One newc entry as the kernel reads it. */
    private record Entry(String name, int mode, byte[] data)
    {
    }

    /** Reads every newc entry of every archive in {@code bytes}, skipping the zero padding between archives. */
    private static List<Entry> read(final byte[] bytes)
    {
        final List<Entry> entries = new ArrayList<>();
        int at = 0;
        while (at < bytes.length)
        {
            if (bytes[at] == 0)
            {
                at++;
                continue;
            }
            final String header = new String(bytes, at, 110, StandardCharsets.US_ASCII);
            assertEquals("070701", header.substring(0, 6));
            final int mode = Integer.parseInt(header.substring(14, 22), 16);
            final int size = Integer.parseInt(header.substring(54, 62), 16);
            final int nameSize = Integer.parseInt(header.substring(94, 102), 16);
            final String name = new String(bytes, at + 110, nameSize - 1, StandardCharsets.US_ASCII);
            final int data = align(at + 110 + nameSize);
            entries.add(new Entry(name, mode, Arrays.copyOfRange(bytes, data, data + size)));
            at = align(data + size);
        }
        return entries;
    }

    private static int align(final int offset)
    {
        return (offset + 3) & ~3;
    }

    @Test
    void shouldAppendTheFileAsASecondArchiveAfterTheBaseUnchanged()
    {
        final byte[] base = CpioArchive.appendFile(new byte[0], "init", "#init".getBytes(StandardCharsets.US_ASCII), 0755);
        final byte[] handler = {0x7f, 'E', 'L', 'F', 1, 2, 3};

        final byte[] both = CpioArchive.appendFile(base, "handler", handler, 0755);

        assertArrayEquals(base, Arrays.copyOf(both, base.length));
        final List<Entry> entries = read(both);
        assertEquals(List.of("init", "TRAILER!!!", "handler", "TRAILER!!!"), entries.stream().map(Entry::name).toList());
        assertArrayEquals(handler, entries.get(2).data());
        assertEquals(0100755, entries.get(2).mode());
        assertEquals(0, both.length % 4);
    }

    @Test
    void shouldGiveTheSameBytesForTheSameInputs()
    {
        assertArrayEquals(CpioArchive.appendFile(new byte[3], "handler", new byte[5], 0755),
            CpioArchive.appendFile(new byte[3], "handler", new byte[5], 0755));
    }

    @Test
    void shouldRefuseAPathThatLeavesTheRoot()
    {
        assertThrows(IllegalArgumentException.class, () -> CpioArchive.appendFile(new byte[0], "/handler", new byte[1], 0755));
        assertThrows(IllegalArgumentException.class, () -> CpioArchive.appendFile(new byte[0], "../handler", new byte[1], 0755));
    }
}

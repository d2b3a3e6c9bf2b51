package dev.hatchery.orchestrator.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.hatchery.orchestrator.RefusedException;

class FunctionStoreTest
{
    @TempDir
    Path dir;

    private static FunctionDeployment deployment(final String name)
    {
        return new FunctionDeployment(name, TinyElf.staticExecutable(), 64, Duration.ofSeconds(2), 8192);
    }

    @Test
    void shouldKeepACommittedFunctionForTheNextProcessAndDropOlderInitramfs() throws IOException
    {
        final FunctionStore store = new FunctionStore(dir);
        final Path first = store.writeInitramfs("echo", new byte[] {1});
        store.commit(deployment("echo"), first, Instant.parse("2026-12-06T01:00:00Z"));
        final Path second = store.writeInitramfs("echo", new byte[] {2});
        store.commit(deployment("echo"), second, Instant.parse("2026-12-06T02:00:00Z"));

        final FunctionStore.Stored stored = new FunctionStore(dir).load("echo").orElseThrow();

        assertEquals(List.of("echo"), new FunctionStore(dir).names());
        assertEquals(64, stored.memMib());
        assertEquals(Duration.ofSeconds(2), stored.timeout());
        assertEquals(8192, stored.payloadLimit());
        assertEquals(TinyElf.staticExecutable().length, stored.handlerBytes());
        assertEquals(FunctionStore.sha256(TinyElf.staticExecutable()), stored.handlerSha256());
        assertEquals(Instant.parse("2026-12-06T02:00:00Z"), stored.deployedAt());
        assertFalse(Files.exists(first), "a replaced function's old initramfs goes");
        assertTrue(Files.exists(second));
    }

    @Test
    void shouldNotListAFunctionWhosePropertiesWereNeverWritten()
    {
        final FunctionStore store = new FunctionStore(dir);
        final Path orphan = store.writeInitramfs("half", new byte[] {1});

        assertEquals(List.of(), store.names());
        assertTrue(store.load("half").isEmpty());
        store.discard(orphan);
        assertFalse(Files.exists(orphan));
    }

    @Test
    void shouldDeleteEverythingOfAFunctionAndSayWhetherItExisted()
    {
        final FunctionStore store = new FunctionStore(dir);
        store.commit(deployment("gone"), store.writeInitramfs("gone", new byte[] {1}), Instant.now());

        assertTrue(store.delete("gone"));
        assertFalse(Files.exists(dir.resolve("gone")));
        assertFalse(store.delete("gone"));
    }

    @Test
    void shouldSayWhatToDoWithADamagedFunction() throws IOException
    {
        final FunctionStore store = new FunctionStore(dir);
        store.commit(deployment("bent"), store.writeInitramfs("bent", new byte[] {1}), Instant.now());
        Files.writeString(dir.resolve("bent/function.properties"), "memMib=lots\n");

        final IllegalStateException damaged = assertThrows(IllegalStateException.class, () -> store.load("bent"));

        assertTrue(damaged.getMessage().contains("deploy it again or delete"), damaged.getMessage());
    }

    @Test
    void shouldRefuseBadDeploymentsNamingTheField()
    {
        final RefusedException name = assertThrows(RefusedException.class, () -> deployment("Echo"));
        final RefusedException timeout = assertThrows(RefusedException.class,
            () -> new FunctionDeployment("echo", TinyElf.staticExecutable(), 64, Duration.ofHours(1), 8192));
        final RefusedException limit = assertThrows(RefusedException.class,
            () -> new FunctionDeployment("echo", TinyElf.staticExecutable(), 64, Duration.ofSeconds(1), 100));
        final RefusedException handler = assertThrows(RefusedException.class,
            () -> new FunctionDeployment("echo", new byte[10], 64, Duration.ofSeconds(1), 8192));

        assertEquals("name", name.refusal().field());
        assertEquals("timeoutMs", timeout.refusal().field());
        assertEquals("payloadLimitBytes", limit.refusal().field());
        assertEquals("handler", handler.refusal().field());
    }

    @Test
    void shouldListAndDeleteStoredFunctionsFromTheFolderAloneWithoutAService()
    {
        final FunctionStore store = new FunctionStore(dir);
        final java.nio.file.Path initramfs = store.writeInitramfs("echo", new byte[] {1, 2, 3});
        store.commit(deployment("echo"), initramfs, Instant.parse("2026-12-06T01:00:00Z"));

        final List<FunctionInfo> listed = Functions.listStored(dir);
        assertEquals(List.of("echo"), listed.stream().map(FunctionInfo::name).toList());
        assertEquals(64, listed.get(0).memMib());
        assertFalse(listed.get(0).ready(), "this process made no template");

        assertTrue(Functions.deleteStored(dir, "echo"));
        assertFalse(Functions.deleteStored(dir, "echo"));
        assertEquals(List.of(), Functions.listStored(dir));
        assertThrows(RefusedException.class, () -> Functions.deleteStored(dir, "../etc"));
    }
}

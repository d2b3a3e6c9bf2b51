package dev.hatchery.orchestrator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HostCheckTest
{
    private static final HostCheck LOOPBACK = HostCheck.of("127.0.0.1", true, HttpGuards.DEFAULTS);

    private static boolean accepts(final HostCheck check, final String host, final int port)
    {
        return check.refusal(Optional.ofNullable(host), port).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1:8080", "localhost:8080", "LOCALHOST:8080", "[::1]:8080", " 127.0.0.1:8080 "})
    void shouldAcceptTheLoopbackNamesWithTheListeningPort(final String host)
    {
        assertTrue(accepts(LOOPBACK, host, 8080));
    }

    @ParameterizedTest
    @ValueSource(strings = {"attacker.example:8080", "attacker.example", "127.0.0.1:8081", "127.0.0.1", "localhost", "127.0.0.2:8080",
        "localhost.:8080", "127.0.0.1:8080.evil", "[::1]", "::1:8080", "127.0.0.1:08080", ""})
    void shouldRefuseOtherNamesAndPorts(final String host)
    {
        assertFalse(accepts(LOOPBACK, host, 8080), host);
    }

    @Test
    void shouldAcceptAPortlessNameOnPort80()
    {
        assertTrue(accepts(LOOPBACK, "localhost", 80));
        assertTrue(accepts(LOOPBACK, "[::1]", 80));
    }

    @Test
    void shouldSayWhatToSendWithoutAHostAndWhatIsAcceptedForAForeignOne()
    {
        assertEquals(Optional.of("send a Host header naming this service, e.g. Host: 127.0.0.1:8080, localhost:8080, [::1]:8080"),
            LOOPBACK.refusal(Optional.empty(), 8080));
        assertEquals(Optional.of("Host 'evil.example\\u0000' does not name this service: requests must name 127.0.0.1:8080, localhost:8080, [::1]:8080"
                .replace("\\u0000", "?") + " (a page that reaches this port by another name is refused; list more names in hatchery.http.allowed-hosts)"),
            LOOPBACK.refusal(Optional.of("evil.example\u0000"), 8080));
    }

    @Test
    void shouldAcceptConfiguredNamesWithAnyPortOrNone()
    {
        final HostCheck check = HostCheck.of("10.0.0.5", false, HttpGuards.DEFAULTS.withAllowedHosts(List.of("Hatchery.Example.com", "fd00::5")));

        assertTrue(accepts(check, "hatchery.example.com", 9000));
        assertTrue(accepts(check, "hatchery.example.com:443", 9000));
        assertTrue(accepts(check, "[fd00::5]:9000", 9000));
        assertTrue(accepts(check, "10.0.0.5:9000", 9000));
        assertFalse(accepts(check, "10.0.0.5:9001", 9000));
        assertFalse(accepts(check, "localhost:9000", 9000), "loopback names only when listening on loopback");
    }

    @Test
    void shouldAcceptLoopbackNamesButNotTheWildcardItselfWhenListeningEverywhere()
    {
        final HostCheck check = HostCheck.of("0.0.0.0", false, HttpGuards.DEFAULTS.withAllowedHosts(List.of("hatchery.example.com")));

        assertTrue(accepts(check, "localhost:9000", 9000));
        assertTrue(accepts(check, "hatchery.example.com", 9000));
        assertFalse(accepts(check, "0.0.0.0:9000", 9000));
        assertFalse(accepts(check, "10.0.0.5:9000", 9000), "an address of the host that is not configured");
        assertTrue(accepts(HostCheck.of("::", false, HttpGuards.DEFAULTS), "[::1]:9000", 9000));
    }

    @Test
    void shouldAcceptAnyHostWithAStarButStillNeedOne()
    {
        final HostCheck check = HostCheck.of("127.0.0.1", true, HttpGuards.DEFAULTS.withAllowedHosts(List.of("*")));

        assertTrue(accepts(check, "anything.example:1", 8080));
    }

    @ParameterizedTest
    @ValueSource(strings = {"hatchery.example.com", "10.0.0.5", "[fd00::5]", "fd00::5", "localhost", "a-b.c"})
    void shouldTakeNamesAndAddresses(final String name)
    {
        assertTrue(HostCheck.isName(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://a.example", "a.example:8080", "a.example/x", "", "-a.example", "a..example", "a b"})
    void shouldRefuseWhatIsNotAName(final String name)
    {
        assertFalse(HostCheck.isName(name), name);
    }
}

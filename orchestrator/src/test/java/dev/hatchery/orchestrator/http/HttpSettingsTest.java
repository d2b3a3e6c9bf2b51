package dev.hatchery.orchestrator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.typesafe.config.ConfigFactory;

import org.junit.jupiter.api.Test;

class HttpSettingsTest
{
    private static final String TOKEN = "0123456789abcdef0123456789abcdef";

    @Test
    void shouldListenOnLoopbackWithoutATokenByDefault()
    {
        final HttpSettings settings = HttpSettings.fromConfig(ConfigFactory.load(), Map.of()).validate();

        assertEquals("127.0.0.1", settings.host());
        assertEquals(8080, settings.port());
        assertEquals(Optional.empty(), settings.token());
        assertEquals(64 * 1024, settings.maxBodyBytes());
    }

    @Test
    void shouldRefuseToListenBeyondLoopbackWithoutAToken()
    {
        final HttpSettings settings = HttpSettings.fromConfig(ConfigFactory.load(), Map.of()).withAddress("0.0.0.0", 8080);

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, settings::validate);

        assertEquals("listening on host=0.0.0.0 needs a bearer token: set HATCHERY_TOKEN (e.g. export HATCHERY_TOKEN=$(openssl rand -hex 32))"
            + " or hatchery.http.token, or listen on 127.0.0.1", ex.getMessage());
    }

    @Test
    void shouldTakeTheTokenFromTheEnvironmentAndAllowAnyAddressWithIt()
    {
        final HttpSettings defaults = HttpSettings.fromConfig(ConfigFactory.load(), Map.of(HttpSettings.TOKEN_ENV, TOKEN));
        final HttpSettings settings = defaults.withAddress("0.0.0.0", 9000)
            .withGuards(defaults.guards().withAllowedHosts(List.of("hatchery.example.com"))).validate();

        assertEquals(Optional.of(TOKEN), settings.token());
    }

    @Test
    void shouldReadTheGuardsFromApplicationConf()
    {
        final HttpGuards guards = HttpSettings.fromConfig(ConfigFactory.load(), Map.of()).guards();

        assertEquals(HttpGuards.DEFAULTS, guards);
        assertEquals(new HttpGuards(List.of("a.example", "*"), true, 7, Duration.ofSeconds(30), Duration.ofSeconds(2), Duration.ofSeconds(3)),
            HttpSettings.fromConfig(ConfigFactory.parseString("hatchery.http { allowed-hosts = [\"a.example\", \"*\"], require-token = on,"
                + " max-connections = 7, idle-timeout = 30s, request-head-timeout = 2s, request-body-timeout = 3s }").withFallback(ConfigFactory.load()), Map.of()).guards());
    }

    @Test
    void shouldRefuseToStartWithoutATokenWhenOneIsRequiredEvenOnLoopback()
    {
        final HttpSettings settings = new HttpSettings("127.0.0.1", 8080, Optional.empty(), 65536, Duration.ofSeconds(1),
            HttpGuards.DEFAULTS.withRequireToken(true));

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, settings::validate);

        assertEquals("hatchery.http.require-token is on but no bearer token is set: set HATCHERY_TOKEN (e.g. export"
            + " HATCHERY_TOKEN=$(openssl rand -hex 32)) or hatchery.http.token, or turn require-token off", ex.getMessage());
        assertEquals(Optional.of(TOKEN), new HttpSettings("127.0.0.1", 8080, Optional.of(TOKEN), 65536, Duration.ofSeconds(1),
            HttpGuards.DEFAULTS.withRequireToken(true)).validate().token());
    }

    @Test
    void shouldRefuseBadGuardSettingsNamingTheSetting()
    {
        final HttpSettings base = new HttpSettings("127.0.0.1", 8080, Optional.empty(), 65536, Duration.ofSeconds(1));

        assertEquals("invalid entry in hatchery.http.allowed-hosts: 'https://a.example/': give a host name or address without scheme, port or"
            + " path (e.g. hatchery.example.com, 10.0.0.5, [fd00::5]), or \"*\"", assertThrows(IllegalArgumentException.class,
            () -> base.withGuards(HttpGuards.DEFAULTS.withAllowedHosts(List.of("https://a.example/"))).validate()).getMessage());
        assertEquals("invalid hatchery.http.max-connections=0: must be at least 1", assertThrows(IllegalArgumentException.class,
            () -> base.withGuards(HttpGuards.DEFAULTS.withConnections(0, Duration.ofSeconds(1), Duration.ofSeconds(1))).validate()).getMessage());
        assertEquals("invalid hatchery.http.idle-timeout=PT0S: must be positive (e.g. 60s)", assertThrows(IllegalArgumentException.class,
            () -> base.withGuards(HttpGuards.DEFAULTS.withConnections(1, Duration.ZERO, Duration.ofSeconds(1))).validate()).getMessage());
        assertEquals("invalid hatchery.http.request-body-timeout=PT0S: must be positive (e.g. 10s)", assertThrows(IllegalArgumentException.class,
            () -> base.withGuards(HttpGuards.DEFAULTS.withRequestBodyTimeout(Duration.ZERO)).validate()).getMessage());
        assertEquals("invalid hatchery.http.request-head-timeout=PT-1S: must be positive (e.g. 10s)", assertThrows(IllegalArgumentException.class,
            () -> base.withGuards(HttpGuards.DEFAULTS.withConnections(1, Duration.ofSeconds(1), Duration.ofSeconds(-1))).validate()).getMessage());
    }

    @Test
    void shouldRefuseAShortToken()
    {
        final HttpSettings settings = new HttpSettings("127.0.0.1", 8080, Optional.of("secret"), 65536, Duration.ofSeconds(1));

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, settings::validate);

        assertEquals("bearer token too short: length=6: use at least 16 random characters (e.g. openssl rand -hex 32)", ex.getMessage());
    }

    @Test
    void shouldRefuseAnInvalidPort()
    {
        assertThrows(IllegalArgumentException.class, () -> new HttpSettings("127.0.0.1", 70000, Optional.empty(), 65536,
            Duration.ofSeconds(1)).validate());
    }
}

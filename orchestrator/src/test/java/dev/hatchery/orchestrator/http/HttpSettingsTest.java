package dev.hatchery.orchestrator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
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
        final HttpSettings settings = HttpSettings.fromConfig(ConfigFactory.load(), Map.of(HttpSettings.TOKEN_ENV, TOKEN))
            .withAddress("0.0.0.0", 9000).validate();

        assertEquals(Optional.of(TOKEN), settings.token());
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

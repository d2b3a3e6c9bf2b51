package dev.hatchery.orchestrator.http;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** A plain java.net.http client for the API, as a user's program would call it; used by route tests and HttpIT. */
public final class ApiClient
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;
    private final String token;
    private final Consumer<Exchange> observer;

    public ApiClient(final String base, final String token)
    {
        this(base, token, exchange -> { });
    }

    /** A client that tells {@code observer} the method, path and status of every request it makes. */
    public ApiClient(final String base, final String token, final Consumer<Exchange> observer)
    {
        this.base = base;
        this.token = token;
        this.observer = observer;
    }

    /** One server-sent event. */
    public record Event(String type, String id, JsonNode data)
    {
    }

    /** One request made and the status it was answered with. */
    public record Exchange(String method, String path, int status)
    {
    }

    public HttpResponse<String> send(final String method, final String path, final String contentType, final String body)
        throws IOException, InterruptedException
    {
        return send(method, path, contentType, body, Map.of());
    }

    public HttpResponse<String> send(final String method, final String path, final String contentType, final String body,
        final Map<String, String> headers) throws IOException, InterruptedException
    {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(120))
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null)
        {
            request.header("Content-Type", contentType);
        }
        headers.forEach(request::header);
        if (token != null)
        {
            request.header("Authorization", "Bearer " + token);
        }
        final HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        observer.accept(new Exchange(method, path, response.statusCode()));
        return response;
    }

    /** A request whose body is bytes (a function's handler or request), sent as application/octet-stream. */
    public HttpResponse<String> sendBytes(final String method, final String path, final byte[] body) throws IOException, InterruptedException
    {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(120))
            .method(method, HttpRequest.BodyPublishers.ofByteArray(body)).header("Content-Type", "application/octet-stream");
        if (token != null)
        {
            request.header("Authorization", "Bearer " + token);
        }
        final HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        observer.accept(new Exchange(method, path, response.statusCode()));
        return response;
    }

    public HttpResponse<String> get(final String path) throws IOException, InterruptedException
    {
        return send("GET", path, null, null);
    }

    public HttpResponse<String> post(final String path, final String json) throws IOException, InterruptedException
    {
        return send("POST", path, "application/json", json);
    }

    public HttpResponse<String> delete(final String path) throws IOException, InterruptedException
    {
        return send("DELETE", path, null, null);
    }

    public static JsonNode json(final HttpResponse<String> response) throws IOException
    {
        return MAPPER.readTree(response.body());
    }

    /** Follows an event stream to its end (the server closes it after the "done" event); heartbeats are skipped. */
    public List<Event> events(final String path, final String lastEventId) throws IOException, InterruptedException
    {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(600)).GET();
        if (token != null)
        {
            request.header("Authorization", "Bearer " + token);
        }
        if (lastEventId != null)
        {
            request.header("Last-Event-ID", lastEventId);
        }
        final HttpResponse<Stream<String>> response = client.send(request.build(), HttpResponse.BodyHandlers.ofLines());
        observer.accept(new Exchange("GET", path, response.statusCode()));
        if (response.statusCode() != 200)
        {
            throw new IOException("event stream " + path + " answered " + response.statusCode());
        }
        final List<Event> events = new ArrayList<>();
        String type = "message";
        String id = null;
        StringBuilder data = new StringBuilder();
        for (final String line : (Iterable<String>)response.body()::iterator)
        {
            if (line.isEmpty())
            {
                if (data.length() > 0)
                {
                    events.add(new Event(type, id, MAPPER.readTree(data.toString())));
                }
                type = "message";
                id = null;
                data = new StringBuilder();
            }
            else if (line.startsWith("event:"))
            {
                type = line.substring(6).trim();
            }
            else if (line.startsWith("id:"))
            {
                id = line.substring(3).trim();
            }
            else if (line.startsWith("data:"))
            {
                data.append(line.substring(5).trim());
            }
        }
        return events;
    }
}

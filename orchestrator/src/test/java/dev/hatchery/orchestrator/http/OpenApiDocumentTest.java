package dev.hatchery.orchestrator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import akka.http.javadsl.model.HttpEntity;
import akka.http.javadsl.model.HttpResponse;

import com.fasterxml.jackson.databind.JsonNode;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document the API serves is fit for tools: valid, every operation named (client generators
 * name their methods after operationId) and its errors described as RFC 7807 problems. ApiRoutesTest checks
 * that it lists exactly the routes served and every status the scenarios saw.
 */
class OpenApiDocumentTest
{
    private static final String PROBLEM_SCHEMA = "#/components/schemas/Problem";
    private static final String PROBLEM_JSON = "application/problem+json";
    private static final String RESPONSES = "#/components/responses/";

    private static OpenAPI openApi;
    private static List<String> messages;

    @BeforeAll
    static void parse() throws IOException
    {
        final String text;
        try (InputStream in = ApiRoutes.class.getResourceAsStream("openapi.json"))
        {
            assertNotNull(in, "openapi.json next to ApiRoutes");
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        final ParseOptions options = new ParseOptions();
        options.setResolve(true);
        final SwaggerParseResult result = new OpenAPIV3Parser().readContents(text, null, options);
        openApi = result.getOpenAPI();
        messages = result.getMessages() == null ? List.of() : result.getMessages();
    }

    @Test
    void shouldParseWithoutErrorsOrWarnings()
    {
        assertEquals(List.of(), messages);
        assertNotNull(openApi);
        assertTrue(openApi.getOpenapi().startsWith("3."), openApi.getOpenapi());
    }

    @Test
    void shouldNameTheLicence()
    {
        assertNotNull(openApi.getInfo().getLicense(), "info.license");
        assertEquals("Apache-2.0", openApi.getInfo().getLicense().getName());
        assertTrue(openApi.getInfo().getLicense().getUrl().startsWith("https://"), openApi.getInfo().getLicense().getUrl());
    }

    @Test
    void shouldGiveEveryOperationAUniqueCamelCaseOperationId()
    {
        final Set<String> ids = new HashSet<>();
        for (final Map.Entry<String, Operation> operation : operations().entrySet())
        {
            final String id = operation.getValue().getOperationId();
            assertNotNull(id, operation.getKey() + " has no operationId");
            assertTrue(id.matches("[a-z][a-zA-Z0-9]*"), operation.getKey() + ": operationId is not camelCase: " + id);
            assertTrue(ids.add(id), operation.getKey() + ": operationId used twice: " + id);
        }
        assertEquals(ApiRoutes.ENDPOINTS.size(), ids.size());
    }

    @Test
    void shouldListAtLeastOneClientErrorOnEveryOperation()
    {
        for (final Map.Entry<String, Operation> operation : operations().entrySet())
        {
            assertTrue(operation.getValue().getResponses().keySet().stream().anyMatch(code -> code.startsWith("4")),
                operation.getKey() + " lists no 4xx response: " + operation.getValue().getResponses().keySet());
        }
    }

    @Test
    void shouldDescribeEveryErrorAsAProblemAndNothingElse()
    {
        final List<String> wrong = new ArrayList<>();
        for (final Map.Entry<String, Operation> operation : operations().entrySet())
        {
            for (final Map.Entry<String, ApiResponse> response : operation.getValue().getResponses().entrySet())
            {
                final ApiResponse resolved = resolve(response.getValue());
                final boolean error = Integer.parseInt(response.getKey()) >= 400;
                final MediaType problem = resolved.getContent() == null ? null : resolved.getContent().get(PROBLEM_JSON);
                final boolean isProblem = problem != null && PROBLEM_SCHEMA.equals(problem.getSchema().get$ref())
                    && resolved.getContent().size() == 1;
                if (error != isProblem)
                {
                    wrong.add(operation.getKey() + " " + response.getKey());
                }
            }
        }
        assertEquals(List.of(), wrong, "errors must be (only) application/problem+json with the Problem schema; successes must not");
    }

    @Test
    void shouldDescribeEveryFieldAProblemCarries() throws IOException
    {
        final Schema<?> schema = openApi.getComponents().getSchemas().get("Problem");
        final Set<String> documented = schema.getProperties().keySet();
        final HttpResponse response = Problem.badRequest("count", "count must be at least 1").toResponse("/v1/batches");
        final JsonNode body = Json.MAPPER.readTree(((HttpEntity.Strict)response.entity()).getData().toArray());

        final TreeSet<String> fields = new TreeSet<>();
        body.fieldNames().forEachRemaining(fields::add);
        assertEquals(6, fields.size(), fields.toString());
        assertTrue(documented.containsAll(fields), fields + " vs " + documented);
        for (final String required : schema.getRequired())
        {
            assertTrue(fields.contains(required), required);
        }
    }

    @Test
    void shouldUseIdentifiersAsPropertyNames()
    {
        final List<String> names = new ArrayList<>();
        openApi.getComponents().getSchemas().values().forEach(schema -> collectPropertyNames(schema, names));

        assertFalse(names.isEmpty());
        for (final String name : names)
        {
            assertTrue(name.matches("[a-z][a-zA-Z0-9]*"), "not an identifier: " + name);
        }
    }

    private static void collectPropertyNames(final Schema<?> schema, final List<String> names)
    {
        if (schema == null || schema.getProperties() == null)
        {
            return;
        }
        for (final Map.Entry<String, Schema> property : schema.getProperties().entrySet())
        {
            names.add(property.getKey());
            collectPropertyNames(property.getValue(), names);
            collectPropertyNames(property.getValue().getItems(), names);
        }
    }

    /** "METHOD /path" to operation, for every operation of the document. */
    private static Map<String, Operation> operations()
    {
        final Map<String, Operation> operations = new java.util.TreeMap<>();
        for (final Map.Entry<String, PathItem> path : openApi.getPaths().entrySet())
        {
            path.getValue().readOperationsMap().forEach((method, operation) ->
                operations.put(method.name().toUpperCase(Locale.ROOT) + " " + path.getKey(), operation));
        }
        assertEquals(new TreeSet<>(ApiRoutes.ENDPOINTS), operations.keySet());
        return operations;
    }

    private static ApiResponse resolve(final ApiResponse response)
    {
        if (response.get$ref() == null)
        {
            return response;
        }
        assertTrue(response.get$ref().startsWith(RESPONSES), response.get$ref());
        final ApiResponse target = openApi.getComponents().getResponses().get(response.get$ref().substring(RESPONSES.length()));
        assertNotNull(target, "no component for " + response.get$ref());
        return target;
    }
}

package dev.hatchery.orchestrator.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The API's one JSON mapper: strict on input (duplicate keys, trailing tokens), compact on output. */
final class Json
{
    static final ObjectMapper MAPPER = new ObjectMapper()
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private Json()
    {
    }

    static byte[] bytes(final Object value)
    {
        try
        {
            return MAPPER.writeValueAsBytes(value);
        }
        catch (final JsonProcessingException ex)
        {
            // Views are records, maps, strings and numbers: a failure is a bug, not an input problem.
            throw new IllegalStateException("cannot serialise response: " + ex.getOriginalMessage(), ex);
        }
    }

    static JsonNode tree(final Object value)
    {
        return MAPPER.valueToTree(value);
    }
}

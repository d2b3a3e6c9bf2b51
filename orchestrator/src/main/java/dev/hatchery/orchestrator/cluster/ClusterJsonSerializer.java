package dev.hatchery.orchestrator.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import akka.actor.ExtendedActorSystem;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;
import akka.actor.typed.javadsl.Adapter;
import akka.serialization.SerializerWithStringManifest;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;

/**
 * Writes {@link ClusterMessage}s as JSON (the manifest is the class name) with Jackson, which the service already uses;
 * actor references travel as Akka's serialization format of the reference. A manifest naming anything but a
 * ClusterMessage is refused before any class is initialised: the wire never picks what gets instantiated.
 */
public final class ClusterJsonSerializer extends SerializerWithStringManifest
{
    /** Outside Akka's own identifiers (0-40) and their documented range for libraries. */
    static final int IDENTIFIER = 84_131;

    private final ObjectMapper mapper;

    public ClusterJsonSerializer(final ExtendedActorSystem system)
    {
        this.mapper = mapper(ActorRefResolver.get(Adapter.toTyped(system)));
    }

    static ObjectMapper mapper(final ActorRefResolver resolver)
    {
        final SimpleModule refs = new SimpleModule("hatchery-actor-refs");
        refs.addSerializer(ActorRef.class, new JsonSerializer<>()
        {
            @Override
            public void serialize(final ActorRef value, final JsonGenerator gen, final SerializerProvider serializers) throws IOException
            {
                gen.writeString(resolver.toSerializationFormat(value));
            }
        });
        refs.addDeserializer(ActorRef.class, new JsonDeserializer<>()
        {
            @Override
            public ActorRef<?> deserialize(final JsonParser parser, final DeserializationContext context) throws IOException
            {
                return resolver.resolveActorRef(parser.getValueAsString());
            }
        });
        return JsonMapper.builder().addModule(refs).build();
    }

    @Override
    public int identifier()
    {
        return IDENTIFIER;
    }

    @Override
    public String manifest(final Object message)
    {
        return message.getClass().getName();
    }

    @Override
    public byte[] toBinary(final Object message)
    {
        if (!(message instanceof ClusterMessage))
        {
            throw new IllegalArgumentException("not a cluster message: " + message.getClass().getName());
        }
        try
        {
            return mapper.writeValueAsBytes(message);
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("cannot write " + message.getClass().getName() + " as JSON: " + ex.getMessage(), ex);
        }
    }

    @Override
    public Object fromBinary(final byte[] bytes, final String manifest)
    {
        final Class<?> type;
        try
        {
            type = Class.forName(manifest, false, getClass().getClassLoader());
        }
        catch (final ClassNotFoundException ex)
        {
            throw new IllegalArgumentException("unknown cluster message type " + manifest + " (a member running another Hatchery version?)", ex);
        }
        if (!ClusterMessage.class.isAssignableFrom(type))
        {
            throw new IllegalArgumentException("refused to read " + manifest + " from the wire: not a cluster message");
        }
        try
        {
            return mapper.readValue(bytes, type);
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("cannot read " + manifest + " from " + new String(bytes, 0, Math.min(bytes.length, 200),
                StandardCharsets.UTF_8) + ": " + ex.getMessage(), ex);
        }
    }
}

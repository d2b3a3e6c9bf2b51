package dev.hatchery.orchestrator.cluster;

/**
 * A message that crosses between nodes. Every one is a record of plain values (and actor references), written as
 * JSON by {@link ClusterJsonSerializer}; only classes marked so are ever read back from the wire.
 */
public interface ClusterMessage
{
}

package dev.hatchery.orchestrator;

import java.util.List;


/**
 * The cluster as one node sees it ({@code GET /v1/cluster}): Akka's members with their status and reachability, and the
 * free capacity each reachable node's agent reported.
 *
 * @param self   this node (host:port of its cluster transport)
 * @param leader the member Akka's leader role is on now, null when none
 */
public record ClusterView(String self, String leader, List<MemberView> members)
{
    public ClusterView
    {
        members = List.copyOf(members);
    }

    /**
     * @param status    Akka's member status: joining, up, leaving, exiting, down, removed, weakly_up
     * @param reachable false while the failure detector finds it silent (the Split Brain Resolver may then down it)
     * @param http      where its HTTP API answers, null when unknown or none
     * @param free      its free capacity, null when its agent did not answer in time
     */
    public record MemberView(String node, String status, boolean reachable, boolean self, String http, FreeCapacity free)
    {
    }
}
